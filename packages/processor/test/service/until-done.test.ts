/**
 * untilDone: retries a failing broker step until it succeeds, and gives up at once on a non-retriable
 * PipelineError (a plain Kafka error excepted), once the service is halted, or after `maxAttempts`.
 */
import { createLogger, PipelineError } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { untilDone } from '../../src/service/until-done.js';

const log = createLogger({ service: 'test', level: 'silent' });

/** A step that throws each of `errors` in turn, then succeeds; counts its calls. */
function failing(...errors: Error[]) {
  const step = async () => {
    step.calls++;
    const err = errors.shift();
    if (err) throw err;
  };
  step.calls = 0;
  return step;
}

describe('untilDone', () => {
  it('retries a retriable error and a plain Kafka error until the step succeeds', async () => {
    const step = failing(new Error('broker down'), new PipelineError('KAFKA_ERROR', 'no leader', { retriable: false }));
    await untilDone('seek', step, { log, halted: () => false });
    expect(step.calls).toBe(3);
  });

  it('gives up at once on a non-retriable PipelineError', async () => {
    const err = new PipelineError('CONFIG_INVALID', 'bad');
    const step = failing(err);
    await expect(untilDone('seek', step, { log, halted: () => false })).rejects.toBe(err);
    expect(step.calls).toBe(1);
  });

  it('gives up at once when the service is halted, and after maxAttempts', async () => {
    const halted = failing(new Error('broker down'));
    await expect(untilDone('seek', halted, { log, halted: () => true })).rejects.toThrow('broker down');
    expect(halted.calls).toBe(1);
    const bounded = failing(new Error('first'), new Error('second'));
    await expect(untilDone('seek', bounded, { log, halted: () => false, maxAttempts: 2 })).rejects.toThrow('second');
    expect(bounded.calls).toBe(2);
  });
});
