/**
 * The records of the compacted alert-state topic, co-partitioned with the readings topic (state for
 * readings partition p lives in state partition p), so the owner of p can rebuild alert state from one
 * partition after a restart or a rebalance.
 *
 * - key `s/<fingerprint>`: the (rule, sensor) state machine's latest state as JSON (ok states included:
 *   their event time keeps re-processed older input from changing the series again). A null value
 *   (tombstone) forgets the series.
 * - key `c/<readings topic>/<partition>`: a checkpoint `{ asOfOffset }`: the state records before it cover
 *   every reading up to and including that offset of the readings partition. Readings at or below it only
 *   refill windows when they are consumed again; rules resume after it. Written after the alerts of the same
 *   batch were acknowledged, so a state record never claims an alert that is not on the alerts topic.
 */
export const STATE_KEY_PREFIX = 's/';
export const CHECKPOINT_KEY_PREFIX = 'c/';

export function stateKey(fingerprint: string): string {
  return `${STATE_KEY_PREFIX}${fingerprint}`;
}

export function checkpointKey(readingsTopic: string, partition: number): string {
  return `${CHECKPOINT_KEY_PREFIX}${readingsTopic}/${partition}`;
}

export interface StateCheckpoint {
  readonly asOfOffset: number;
  /** Where to replay readings from to rebuild windows, as of the checkpoint. */
  readonly replayFrom?: number;
}

/**
 * Folds a state partition's records (in offset order) into the latest state text per fingerprint (decoded
 * by the rules, which own their format) and the latest checkpoint for `readingsTopic`/`partition`.
 * Checkpoints that do not parse are skipped and counted.
 */
export class AlertStateFolder {
  readonly states = new Map<string, string>();
  checkpoint: StateCheckpoint | undefined;
  skipped = 0;
  private readonly checkpointKeyText: string;

  constructor(readingsTopic: string, partition: number) {
    this.checkpointKeyText = checkpointKey(readingsTopic, partition);
  }

  add(key: Buffer | null, value: Buffer | null): void {
    const k = key?.toString('utf8') ?? '';
    try {
      if (k.startsWith(STATE_KEY_PREFIX)) {
        const fingerprint = k.slice(STATE_KEY_PREFIX.length);
        if (value === null || value.length === 0) this.states.delete(fingerprint);
        else this.states.set(fingerprint, value.toString('utf8'));
      } else if (k === this.checkpointKeyText && value) {
        const parsed = JSON.parse(value.toString('utf8')) as StateCheckpoint;
        if (Number.isSafeInteger(parsed.asOfOffset)) this.checkpoint = parsed;
        else this.skipped++;
      }
    } catch {
      this.skipped++;
    }
  }
}
