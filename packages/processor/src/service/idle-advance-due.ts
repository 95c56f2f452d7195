/**
 * When the shell may advance a partition's event clock with the wall clock (see ProcessorService): only when
 * the partition is caught up — its next offset at or past the end offset the consumer last learnt from the
 * broker — and has delivered nothing for `afterMs`. A partition with a backlog, or whose end offset is not
 * known yet (no fetch answered since assignment), is never advanced: a catch-up is judged on event time
 * alone, so a processor restarted after devices kept reporting raises no false silence. Pure.
 */
export interface IdleAdvanceInput {
  readonly nowMs: number;
  /** Wall clock of the partition's last delivered record, or of its assignment. */
  readonly lastDeliveryMs: number;
  /** The idle interval; 0 = idle advance is off. */
  readonly afterMs: number;
  /** The partition's end offset as last fetched; undefined when not known. */
  readonly highWatermark: number | undefined;
  /** The next offset the processor expects (everything before it is processed). */
  readonly nextOffset: number;
}

export function idleAdvanceDue(input: IdleAdvanceInput): boolean {
  if (!(input.afterMs > 0)) return false;
  if (input.nowMs - input.lastDeliveryMs < input.afterMs) return false;
  return input.highWatermark !== undefined && input.highWatermark <= input.nextOffset;
}
