/**
 * Group scheduling of grouped webhook targets: arms each target's timer for its next due group, queues a
 * notification per due group (its records finish once it is delivered or dead-lettered), and records what a
 * notification carried, per series, in memory and in the state topic — telling the successor of a target a
 * reload replaced, so it never re-notifies what the old one already did.
 */

import type { AlertingMetrics } from '../service/alerting-metrics.js';
import type { ReceiverTarget, SourceRecord } from '../stages/delivery.js';
import type { GroupNotification } from './group-state.js';

/** The source of a group notification whose records are gone (never dead-lettered from). */
const NO_SOURCE: SourceRecord = { topic: '', partition: -1, offset: '-1', key: null, value: null };

export interface GroupSchedulerOptions {
  readonly now: () => number;
  /** True once the pipeline closes: no more timers. */
  readonly closing: () => boolean;
  readonly metrics?: AlertingMetrics | undefined;
  /** The target that took this retired one's place in a reload, if any. */
  readonly successorOf: (target: ReceiverTarget) => ReceiverTarget | undefined;
  /** Writes one series of one target to the state topic; resolves true once acknowledged. */
  readonly persist: (target: ReceiverTarget, fingerprint: string, partition: number) => Promise<boolean>;
}

export class GroupScheduler {
  private readonly options: GroupSchedulerOptions;

  constructor(options: GroupSchedulerOptions) {
    this.options = options;
  }

  /** Arms the target's group timer for its next due group. */
  schedule(target: ReceiverTarget): void {
    const grouping = target.grouping;
    if (!grouping || this.options.closing()) return;
    clearTimeout(grouping.timer);
    const next = grouping.state.nextDueMs();
    if (next === undefined) return;
    grouping.timer = setTimeout(() => this.flush(target), Math.max(0, next - this.options.now()));
  }

  /** Queues a notification for every due group; its records finish once it is delivered or dead-lettered. */
  private flush(target: ReceiverTarget): void {
    const grouping = target.grouping;
    const { now, metrics } = this.options;
    if (!grouping || this.options.closing()) return;
    for (const notification of grouping.state.due(now())) {
      const first = notification.alerts[0];
      if (!first) continue;
      const waiters = notification.newEventIds.map((id) => () => {
        for (const waiter of grouping.waiters.get(id) ?? []) waiter();
        grouping.waiters.delete(id);
        grouping.sources.delete(id);
      });
      target.queue.push({
        kind: 'deliver',
        target,
        alert: first,
        source: grouping.sources.get(notification.newEventIds[0] ?? '') ?? NO_SOURCE,
        acceptedAtMs: now(),
        attempts: 0,
        waiters,
        notification,
      });
      metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
      target.log.debug({ groupKey: notification.key, alerts: notification.alerts.length }, 'group notification queued');
    }
    this.schedule(target);
  }

  /**
   * A group notification went out (or was dead-lettered): remember per series what it carried and when,
   * in memory and in the state topic; a retired target tells its successor. Resolves once written.
   */
  recordNotification(target: ReceiverTarget, notification: GroupNotification): Promise<boolean>[] {
    const grouping = target.grouping;
    if (!grouping) return [];
    const successor = this.options.successorOf(target)?.grouping;
    const writes: Promise<boolean>[] = [];
    for (const alert of notification.alerts) {
      if (alert.status === 'RESOLVED') {
        grouping.notified.delete(alert.fingerprint);
        const known = successor?.notified.get(alert.fingerprint);
        if (successor && known && successor.state.isNotified(known.alert)) {
          successor.state.drop(alert.fingerprint);
          successor.notified.delete(alert.fingerprint);
        }
      } else {
        grouping.notified.set(alert.fingerprint, { alert, atMs: notification.atMs });
        if (successor) {
          successor.state.restore(alert, notification.atMs, this.options.now());
          successor.notified.set(alert.fingerprint, { alert, atMs: notification.atMs });
        }
      }
      const partition = grouping.partitions.get(alert.fingerprint);
      if (partition !== undefined) writes.push(this.options.persist(target, alert.fingerprint, partition));
    }
    return writes;
  }
}
