/** The live view's figures between two snapshots, in process (reading them over HTTP: pipeline-stats.int.test.ts). */
import { describe, expect, it } from 'vitest';
import { carryForward, type PipelineSnapshot, ratesBetween } from '../src/launcher/pipeline-stats.js';

describe('pipeline snapshot', () => {
  it('keeps the last known figures of a service that went away, and computes rates', () => {
    const a: PipelineSnapshot = { atMs: 0, produced: 100, processed: 50, lag: { processor: 7 } };
    const b: PipelineSnapshot = { atMs: 2_000, processed: 250, lag: {} };
    const merged = carryForward(a, b);
    expect(merged).toEqual({ atMs: 2_000, produced: 100, processed: 250, lag: { processor: 7 } });
    expect(ratesBetween(a, merged)).toEqual({ producedPerSec: 0, processedPerSec: 100 });
    expect(ratesBetween(undefined, merged)).toEqual({});
  });
});
