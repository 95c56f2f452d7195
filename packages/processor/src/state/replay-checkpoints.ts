/**
 * Where to start replaying a partition so its windows can be rebuilt after a restart or a rebalance.
 *
 * Every reading's window lies within `spanMs` of event time before the partition's watermark (the longest
 * window plus grace plus an allowance for devices lagging the partition's newest clock). This keeps a
 * short list of (offset, watermark) points, one per `resolutionMs` of watermark advance, and answers the
 * offset of the newest point whose watermark is at least `spanMs` behind the current one: replaying from
 * there refills every window exactly as it was. Pure; memory is bounded by spanMs / resolutionMs points.
 */
export class ReplayCheckpoints {
  private readonly offsets: number[] = [];
  private readonly watermarks: number[] = [];
  private head = 0;
  private watermarkMs = -Infinity;
  private firstOffset: number | undefined;

  constructor(
    readonly spanMs: number,
    readonly resolutionMs = 1_000, // one point per second of event time
  ) {
    if (!(spanMs >= 0)) throw new RangeError(`spanMs must be >= 0, got ${spanMs}`);
    if (!(resolutionMs > 0)) throw new RangeError(`resolutionMs must be > 0, got ${resolutionMs}`);
  }

  /** Records that the reading at `offset` was seen with event time `timestampMs`. Call in offset order. */
  observe(offset: number, timestampMs: number): void {
    this.firstOffset ??= offset;
    if (timestampMs <= this.watermarkMs) return;
    const last = this.watermarks.length > this.head ? this.watermarks[this.watermarks.length - 1]! : -Infinity;
    this.watermarkMs = timestampMs;
    if (timestampMs - last >= this.resolutionMs) {
      this.offsets.push(offset);
      this.watermarks.push(timestampMs);
    }
    // drop points no longer needed: keep the newest point that is at least spanMs behind
    while (this.watermarks.length - this.head >= 2 && this.watermarks[this.head + 1]! <= this.watermarkMs - this.spanMs)
      this.head++;
    if (this.head > 1_024 && this.head * 2 > this.offsets.length) {
      this.offsets.splice(0, this.head);
      this.watermarks.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The offset to replay from; undefined before any reading was observed. */
  replayFrom(): number | undefined {
    if (this.watermarks.length === this.head) return this.firstOffset;
    const w = this.watermarks[this.head]!;
    // the oldest kept point is spanMs behind only once enough event time has passed; before that, from the start
    return w <= this.watermarkMs - this.spanMs ? this.offsets[this.head]! : this.firstOffset;
  }

  get currentWatermarkMs(): number {
    return this.watermarkMs;
  }
}
