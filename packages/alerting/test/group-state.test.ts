import { describe, expect, it } from 'vitest';
import { formatGroup } from '../src/grouping/format-group.js';
import { GroupState } from '../src/grouping/group-state.js';
import { STARTS_AT, sampleAlert } from './alert-fixture.js';

const S = 1_000;
const policy = { by: ['alertname', 'site'], waitMs: 30 * S, intervalMs: 5 * 60 * S, repeatMs: 4 * 3_600 * S };
const context = { receiver: 'ops', externalURL: 'https://alerting.example', generatorURL: '' };

/** `n` sensors of one site going silent: one rule, one site label, n devices. */
const outage = (n: number, status: 'FIRING' | 'RESOLVED' = 'FIRING') =>
  Array.from({ length: n }, (_, i) =>
    sampleAlert({
      eventId: `${status}-${i}`,
      fingerprint: `fp-${i}`,
      rule: 'device-silent',
      deviceId: `site-a/dev-${i}`,
      status,
      ...(status === 'RESOLVED' ? { endsAt: STARTS_AT + 600 * S } : {}),
      labels: { site: 'a' },
    }),
  );

describe('group state (Alertmanager aggregation groups, time injected)', () => {
  it('turns a site outage of 48 sensors into one notification after group_wait', () => {
    const state = new GroupState(policy);
    const t0 = STARTS_AT;
    for (const [i, alert] of outage(48).entries()) state.add(alert, t0 + i * 100);
    expect(state.nextDueMs()).toBe(t0 + 30 * S);
    expect(state.due(t0 + 29 * S)).toEqual([]);
    const [first, ...more] = state.due(t0 + 30 * S);
    expect(more).toEqual([]);
    expect(first!.key).toBe('{}:{alertname="device-silent", site="a"}');
    expect(first!.alerts).toHaveLength(48);
    expect(first!.newEventIds).toHaveLength(48);
  });

  it('sends updates per group_interval only when something changed, and repeats per repeat_interval', () => {
    const state = new GroupState(policy);
    const t0 = STARTS_AT;
    const [a, b] = outage(2);
    state.add(a!, t0);
    expect(state.due(t0 + 30 * S)).toHaveLength(1);
    // nothing new: the next look, a group_interval later, sends nothing
    expect(state.due(t0 + 30 * S + 5 * 60 * S)).toEqual([]);
    // a new alert joins: sent at the next group_interval, not before
    state.add(b!, t0 + 6 * 60 * S);
    expect(state.due(t0 + 6 * 60 * S)).toEqual([]);
    const update = state.due(t0 + 30 * S + 10 * 60 * S);
    expect(update.map((n) => n.alerts.map((x) => x.eventId))).toEqual([['FIRING-0', 'FIRING-1']]);
    expect(update[0]!.newEventIds).toEqual(['FIRING-1']);
    // still firing four hours after the last notification: repeated
    let now = t0 + 30 * S + 10 * 60 * S;
    let repeats = 0;
    while (now < t0 + 5 * 3_600 * S) {
      now += 5 * 60 * S;
      repeats += state.due(now).length;
    }
    expect(repeats).toBe(1);
  });

  it('notifies a resolution with the rest of the group, then forgets the resolved alert; an empty group is gone', () => {
    const state = new GroupState(policy);
    const t0 = STARTS_AT;
    const [a, b] = outage(2);
    state.add(a!, t0);
    state.add(b!, t0);
    state.due(t0 + 30 * S);
    const [ra, rb] = outage(2, 'RESOLVED');
    state.add(ra!, t0 + 60 * S);
    const next = state.due(t0 + 30 * S + 5 * 60 * S);
    expect(next[0]!.alerts.map((x) => `${x.fingerprint}:${x.status}`)).toEqual(['fp-1:FIRING', 'fp-0:RESOLVED']);
    state.add(rb!, t0 + 7 * 60 * S);
    const last = state.due(t0 + 30 * S + 10 * 60 * S);
    expect(last[0]!.alerts.map((x) => `${x.fingerprint}:${x.status}`)).toEqual(['fp-1:RESOLVED']);
    expect(state.size).toBe(0);
  });

  it("groups nothing with ['...'] and everything with []", () => {
    const each = new GroupState({ ...policy, by: ['...'] });
    const one = new GroupState({ ...policy, by: [] });
    for (const alert of outage(3)) {
      each.add(alert, STARTS_AT);
      one.add(alert, STARTS_AT);
    }
    expect(each.size).toBe(3);
    expect(one.size).toBe(1);
    expect(() => new GroupState({ ...policy, waitMs: -1 })).toThrow(/waitMs must be ≥ 0/);
  });

  it("a fleet alert grouped with ['...'] has no empty device or metric label in its group", () => {
    const each = new GroupState({ ...policy, by: ['...'] });
    const fleet = sampleAlert({ rule: 'fleet-silent', deviceId: '', metric: '', labels: {} });
    expect(each.groupOf(fleet)).toEqual({
      key: '{}:{alertname="fleet-silent", severity="critical"}',
      labels: { alertname: 'fleet-silent', severity: 'critical' },
    });
  });

  it('formats a group as Alertmanager does: alerts[], groupLabels, commonLabels, truncatedAlerts', () => {
    const state = new GroupState(policy);
    for (const alert of outage(3)) state.add(alert, STARTS_AT);
    const [notification] = state.due(STARTS_AT + 30 * S);
    const body = JSON.parse(formatGroup('alertmanager', notification!, context, 2));
    expect(body).toMatchObject({
      receiver: 'ops',
      status: 'firing',
      groupLabels: { alertname: 'device-silent', site: 'a' },
      commonLabels: { alertname: 'device-silent', metric: 'cpu', severity: 'critical', site: 'a' },
      externalURL: 'https://alerting.example',
      version: '4',
      groupKey: '{}:{alertname="device-silent", site="a"}',
      truncatedAlerts: 1,
    });
    expect(body.alerts.map((a: { labels: { device: string } }) => a.labels.device)).toEqual([
      'site-a/dev-0',
      'site-a/dev-1',
    ]);
    const native = JSON.parse(formatGroup('native', notification!, context));
    expect(native).toMatchObject({ type: 'sensor.alert.group', data: { status: 'FIRING', truncatedAlerts: 0 } });
    expect(native.data.alerts).toHaveLength(3);
    const slack = JSON.parse(formatGroup('slack', notification!, context)).text as string;
    expect(slack.split('\n')).toHaveLength(4);
    expect(slack.split('\n')[0]).toBe('*[FIRING:3]* alertname=device-silent site=a');
  });
});
