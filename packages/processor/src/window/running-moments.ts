/**
 * Sum and sum of squares of a sliding multiset, for mean and population standard deviation that stay exact
 * to ~1e-12 relative over any number of updates.
 *
 * - Values are summed as d = x − shift, where `shift` is a value near the data (the window sets it to an
 *   element of the window, normally its lower median). With values like 1e6 + noise, E[x²] − mean² would
 *   cancel away every significant bit; E[d²] − E[d]² does not.
 * - Both sums use Neumaier (improved Kahan) compensation, and removal subtracts the bit-identical d and d²
 *   that addition added, so the only error is the compensated summation's own: about ops × eps² × the
 *   largest sum of squares seen since the last rebuild. That is negligible unless the window's spread has
 *   since collapsed by many orders of magnitude (values of 1e6 leave, values of 1e-10 stay), which
 *   {@link RunningMoments.degraded} reports. The window rebuilds the sums from its contents then, every
 *   8n + 4096 updates, and whenever the mean has drifted far from the shift, so neither drift nor
 *   cancellation can accumulate.
 * - Precision is as stated for magnitudes between about 1e-150 and 1e150, where squares neither underflow
 *   nor overflow.
 */

/** Sums that shrank below this fraction of their peak since the last reset may have lost relative precision. */
const DEGRADED_RATIO = 2 ** -24;
export class RunningMoments {
  private shiftValue = 0;
  private sum = 0;
  private sumComp = 0;
  private sumSq = 0;
  private sumSqComp = 0;
  private peakSumSq = 0;

  get shift(): number {
    return this.shiftValue;
  }

  /** Empties the sums and measures from `shift` from now on. */
  reset(shift: number): void {
    this.shiftValue = shift;
    this.sum = 0;
    this.sumComp = 0;
    this.sumSq = 0;
    this.sumSqComp = 0;
    this.peakSumSq = 0;
  }

  add(x: number): void {
    const d = x - this.shiftValue;
    const d2 = d * d;
    let s = this.sum;
    let t = s + d;
    this.sumComp += Math.abs(s) >= Math.abs(d) ? s - t + d : d - t + s;
    this.sum = t;
    s = this.sumSq;
    t = s + d2;
    this.sumSqComp += s >= d2 ? s - t + d2 : d2 - t + s; // both non-negative
    this.sumSq = t;
    if (t > this.peakSumSq) this.peakSumSq = t;
  }

  remove(x: number): void {
    const d = this.shiftValue - x; // = −(x − shift), bit for bit
    const d2 = d * d;
    let s = this.sum;
    let t = s + d;
    this.sumComp += Math.abs(s) >= Math.abs(d) ? s - t + d : d - t + s;
    this.sum = t;
    s = this.sumSq;
    t = s - d2;
    this.sumSqComp += Math.abs(s) >= d2 ? s - t - d2 : -d2 - t + s;
    this.sumSq = t;
  }

  /** True when the sum of squares is now so far below its peak that accumulated rounding may show. */
  degraded(): boolean {
    return this.sumSq + this.sumSqComp < this.peakSumSq * DEGRADED_RATIO;
  }

  /** Mean of the shifted values, E[d]. */
  shiftedMean(count: number): number {
    return (this.sum + this.sumComp) / count;
  }

  mean(count: number): number {
    return this.shiftValue + (this.sum + this.sumComp) / count;
  }

  /** Population variance, clamped at 0 against rounding. */
  variance(count: number): number {
    const m = (this.sum + this.sumComp) / count;
    const v = (this.sumSq + this.sumSqComp) / count - m * m;
    return Math.max(v, 0);
  }
}
