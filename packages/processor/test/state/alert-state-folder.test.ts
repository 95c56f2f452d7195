import { describe, expect, it } from 'vitest';
import { AlertStateFolder, checkpointKey, stateKey } from '../../src/state/alert-state-records.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('AlertStateFolder', () => {
  it('keeps the latest state per fingerprint, forgets tombstoned ones, and takes only its own checkpoint', () => {
    const f = new AlertStateFolder('readings', 2);
    f.add(b(stateKey('a')), b('{"v":1,"status":"pending"}'));
    f.add(b(stateKey('a')), b('{"v":1,"status":"firing"}'));
    f.add(b(stateKey('b')), b('{"v":1,"status":"firing"}'));
    f.add(b(stateKey('b')), null);
    f.add(b(checkpointKey('readings', 2)), b('{"asOfOffset":41,"replayFrom":7}'));
    f.add(b(checkpointKey('readings', 3)), b('{"asOfOffset":99}'));
    f.add(b(checkpointKey('readings', 2)), b('not json'));
    expect([...f.states]).toEqual([['a', '{"v":1,"status":"firing"}']]);
    expect(f.checkpoint).toEqual({ asOfOffset: 41, replayFrom: 7 });
    expect(f.skipped).toBe(1);
  });
});
