/**
 * The service's side of the workers' start barrier against the real broker: it waits in `beforeJoin` with its
 * clients connected and joins nothing meanwhile; stopped while it waits, it does not join afterwards and its
 * start resolves (no subscribe on a disconnected consumer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, uniqueName } from '../../../../test/kafka.js';
import { rulesFile, startInProcess, stopAll, topicsFor } from './processor-fixtures.js';

afterEach(stopAll);

describe('ProcessorService start barrier', () => {
  it('waits in beforeJoin, and once stopped there neither joins nor fails its start', async () => {
    const topics = topicsFor('barrier');
    await createTopics([topics.readings]);
    let reached!: () => void;
    const atBarrier = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const service = startInProcess(topics, uniqueName('barrier-group'), rulesFile(false), 'at-least-once', {
      beforeJoin: () => {
        reached();
        return gate;
      },
    });
    const started = service.start();
    await atBarrier;
    expect(service.readiness().ready).toBe(false);
    await service.stop();
    open();
    await expect(started).resolves.toBeUndefined();
    expect(service.readiness().ready).toBe(false);
  });
});
