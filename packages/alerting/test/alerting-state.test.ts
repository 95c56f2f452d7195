/**
 * What a restart puts back, pure: state records round-trip (and anything else is refused), a group restored
 * from what it notified repeats on its old schedule, notifies only what changed, and recognises a replay of
 * an alert it already notified; inhibiting sources come back and leave with their partition. Time is an
 * argument throughout.
 */
import { alertCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { GroupState } from '../src/grouping/group-state.js';
import { parseLabelMatcher } from '../src/routing/label-matcher.js';
import { Inhibitor } from '../src/stages/inhibit-stage.js';
import {
  decodeStateRecord,
  encodeInhibitState,
  encodeTargetState,
  inhibitStateKey,
  targetStateKey,
} from '../src/state/state-record.js';
import { STARTS_AT, sampleAlert } from './alert-fixture.js';

const codec = alertCodec();
const S = 1_000;
const policy = { by: ['alertname', 'site'], waitMs: 30 * S, intervalMs: 5 * 60 * S, repeatMs: 4 * 3_600 * S };
const silent = (i: number, status: 'FIRING' | 'RESOLVED' = 'FIRING') =>
  sampleAlert({
    eventId: `${status}-${i}`,
    fingerprint: `fp-${i}`,
    rule: 'device-silent',
    deviceId: `site-a/dev-${i}`,
    status,
    ...(status === 'RESOLVED' ? { endsAt: STARTS_AT + 600 * S } : {}),
    labels: { site: 'a' },
  });

describe('state records', () => {
  it('round-trip a target series and an inhibiting source; an empty target state is a tombstone', () => {
    const alert = silent(1);
    const value = encodeTargetState({ alert, notifiedAtMs: STARTS_AT, parked: { partition: 2, offset: 41 } }, codec);
    expect(decodeStateRecord(targetStateKey('ops#2', 'fp-1'), value, codec)).toEqual({
      kind: 'target',
      target: 'ops#2',
      fingerprint: 'fp-1',
      state: { alert, notifiedAtMs: STARTS_AT, parked: { partition: 2, offset: 41 } },
    });
    expect(decodeStateRecord(inhibitStateKey('fp-1'), encodeInhibitState(alert, codec), codec)).toEqual({
      kind: 'inhibit',
      fingerprint: 'fp-1',
      alert,
    });
    expect(encodeTargetState({}, codec)).toBeNull();
    expect(encodeTargetState({ notifiedAtMs: 5 }, codec)).toBeNull();
    expect(encodeInhibitState(undefined, codec)).toBeNull();
  });

  it('refuses records that are not ours or do not fit their key', () => {
    const alert = silent(1);
    const good = encodeTargetState({ alert }, codec);
    expect(decodeStateRecord(targetStateKey('ops', 'fp-other'), good, codec)).toBeUndefined(); // wrong series
    expect(decodeStateRecord('x:ops/fp-1', good, codec)).toBeUndefined();
    expect(decodeStateRecord(targetStateKey('ops', 'fp-1'), Buffer.from('{"v":2}'), codec)).toBeUndefined();
    expect(decodeStateRecord(targetStateKey('ops', 'fp-1'), Buffer.from('not json'), codec)).toBeUndefined();
    expect(
      decodeStateRecord(targetStateKey('ops', 'fp-1'), Buffer.from('{"v":1,"alert":"AAAA"}'), codec),
    ).toBeUndefined();
    expect(decodeStateRecord(targetStateKey('ops', 'fp-1'), null, codec)).toBeUndefined();
  });
});

describe('group state restored after a restart', () => {
  it('does not re-notify what it notified within repeat_interval, notifies what changed, repeats on schedule', () => {
    const notifiedAt = STARTS_AT;
    const restartAt = STARTS_AT + 10 * 60 * S;
    const state = new GroupState(policy);
    for (const i of [0, 1, 2]) state.restore(silent(i), notifiedAt, restartAt);
    // looked at group_wait after the restart: nothing changed, nothing sent
    expect(state.nextDueMs()).toBe(restartAt + 30 * S);
    expect(state.due(restartAt + 30 * S)).toEqual([]);
    // a replay of a notified alert is known; a new one and a resolution are news
    expect(state.isNotified(silent(1))).toBe(true);
    expect(state.isNotified(silent(3))).toBe(false);
    state.add(silent(3), restartAt + 60 * S);
    state.add(silent(0, 'RESOLVED'), restartAt + 60 * S);
    const [update, ...more] = state.due(restartAt + 30 * S + 5 * 60 * S);
    expect(more).toEqual([]);
    expect(update!.alerts.map((a) => `${a.fingerprint}:${a.status}`)).toEqual([
      'fp-1:FIRING',
      'fp-2:FIRING',
      'fp-3:FIRING',
      'fp-0:RESOLVED',
    ]);
    expect(update!.newEventIds).toEqual(['FIRING-3', 'RESOLVED-0']);
  });

  it('repeats a restored group repeat_interval after its last notification, not after the restart', () => {
    const notifiedAt = STARTS_AT;
    const restartAt = STARTS_AT + 3 * 3_600 * S; // three hours later
    const state = new GroupState(policy);
    state.restore(silent(0), notifiedAt, restartAt);
    let now = restartAt;
    const sent: number[] = [];
    while (now < notifiedAt + 5 * 3_600 * S) {
      now = state.nextDueMs()!;
      if (state.due(now).length > 0) sent.push(now);
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]! - notifiedAt).toBeGreaterThanOrEqual(4 * 3_600 * S);
    expect(sent[0]! - notifiedAt).toBeLessThan(4 * 3_600 * S + 5 * 60 * S);
  });

  it('drops a series whose partition moved, with the event ids it had pending', () => {
    const state = new GroupState(policy);
    state.restore(silent(0), STARTS_AT, STARTS_AT);
    state.add(silent(1), STARTS_AT);
    expect(state.drop('fp-1')).toEqual(['FIRING-1']);
    expect(state.drop('fp-0')).toEqual([]);
    expect(state.size).toBe(0);
  });
});

describe('inhibiting sources across a restart', () => {
  const rules = [
    {
      sourceMatchers: [parseLabelMatcher('alertname="device-silent"')],
      targetMatchers: [parseLabelMatcher('alertname!="device-silent"')],
      equal: ['device'],
    },
  ];
  it('come back from the state topic and leave with their partition', () => {
    const source = sampleAlert({ rule: 'device-silent', fingerprint: 'fp-silent', eventId: 'e-s' });
    const target = sampleAlert({ rule: 'cpu-high', fingerprint: 'fp-cpu', eventId: 'e-c' });
    const before = new Inhibitor(rules);
    expect(before.observe(source, 2)).toBe(true); // a change a restart must know
    expect(before.observe(source, 2)).toBe(false); // the same alert again: nothing to write
    const after = new Inhibitor(rules);
    after.restore(before.source('fp-silent')!, 2);
    expect(after.inhibitedBy(target)).toEqual({ rule: 0, source: 'fp-silent' });
    after.release([1]);
    expect(after.inhibitedBy(target)).toBeDefined();
    after.release([2]);
    expect(after.inhibitedBy(target)).toBeUndefined();
  });
});
