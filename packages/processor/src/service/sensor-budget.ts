/**
 * How many sensors (deviceId × metric) one processor instance holds, against a cap an operator sets: every
 * partition's pipeline takes a slot for each new sensor and gives its slots back when the partition is
 * closed. Past the cap, a reading of a sensor not held yet is refused (READING_SENSOR_LIMIT), so a burst of
 * new device ids cannot grow memory without bound; sensors already held keep working.
 */
export class SensorBudget {
  private heldCount = 0;
  private refusedCount = 0;

  constructor(readonly maxSensors: number) {
    if (!Number.isSafeInteger(maxSensors) || maxSensors < 1)
      throw new RangeError(`maxSensors must be a positive whole number, got ${maxSensors}`);
  }

  /** Sensors held now, over every partition. */
  get held(): number {
    return this.heldCount;
  }

  /** Readings refused so far because the budget was spent. */
  get refused(): number {
    return this.refusedCount;
  }

  /** Takes a slot for a new sensor; false (and counted) when none is left. */
  take(): boolean {
    if (this.heldCount >= this.maxSensors) {
      this.refusedCount++;
      return false;
    }
    this.heldCount++;
    return true;
  }

  /** Gives back `n` slots (a partition's sensors, when it is closed). */
  release(n: number): void {
    this.heldCount = Math.max(0, this.heldCount - n);
  }
}
