/**
 * A snapshot of one window's statistics and bounds, the unit the processor hands to rules and to the
 * stats topic (the `WindowStats` Avro record minus the identifying fields).
 */
export interface WindowStats {
  /** Readings in the window. */
  readonly count: number;
  readonly mean: number;
  /** Middle value; for an even count, the mean of the two middle values. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Population standard deviation (divides by count). */
  readonly stddev: number;
  /**
   * Time window: the exclusive lower bound t − sizeMs. Count window: the timestamp of the oldest reading
   * held (inclusive).
   */
  readonly startMs: number;
  /** Inclusive upper bound t: the newest timestamp accepted for this sensor. */
  readonly endMs: number;
}
