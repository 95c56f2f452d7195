/**
 * The receivers in force and their targets (one, or one per Alertmanager), and how a reload changes them:
 * a receiver whose settings are the same keeps its targets as they are; a changed one gets new targets
 * that inherit the old ones' memory (firing set, parked series, what groups notified); the old ones are
 * retired — they take nothing new, finish what they hold with the old settings, and are reaped (closed)
 * once done. Alertmanager targets re-send their firing set on their resend timer.
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import type { JobStep } from '../delivery/keyed-work-queue.js';
import type { WebhookSender } from '../delivery/webhook-sender.js';
import type { AlertingMetrics } from '../service/alerting-metrics.js';
import type { Delivery, ReceiverTarget } from '../stages/delivery.js';
import { createReceiverTarget } from './receiver-target.js';

/** What `reload` changed, by receiver name. */
export interface PipelineReloadReport {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
}

export interface ReceiverSetOptions {
  readonly config: AlertingConfig;
  readonly log: Logger;
  readonly metrics?: AlertingMetrics | undefined;
  readonly createSender: (receiver: ReceiverConfig) => WebhookSender;
  readonly now: () => number;
  /** One attempt of one delivery. */
  readonly attempt: (delivery: Delivery) => Promise<JobStep>;
  /** Called after every finished job of a target's queue (before retired targets are reaped). */
  readonly onFinished: (target: ReceiverTarget) => void;
  /** Re-sends an Alertmanager target's firing alerts (every `resendIntervalMs`). */
  readonly resend: (target: ReceiverTarget) => void;
}

export class ReceiverSet {
  private readonly options: ReceiverSetOptions;
  private config: AlertingConfig;
  /** Receiver name → its targets (one, or one per Alertmanager). */
  private receivers = new Map<string, ReceiverTarget[]>();
  private targetsById = new Map<string, ReceiverTarget>();
  /** Targets a reload replaced or removed: they take nothing new and are closed once their work is done. */
  private readonly retired = new Set<ReceiverTarget>();
  /** A replaced target → the target that took its place (which learns what it still notifies). */
  private readonly successors = new Map<ReceiverTarget, ReceiverTarget>();
  private readonly resendTimers = new Map<ReceiverTarget, NodeJS.Timeout>();

  constructor(options: ReceiverSetOptions) {
    this.options = options;
    this.config = options.config;
    for (const receiver of options.config.receivers) this.receivers.set(receiver.name, this.createTargets(receiver));
    this.targetsById = this.indexTargets();
  }

  /** Receiver name → its targets in force (what routing picks from; replaced by `reload`). */
  get byName(): ReadonlyMap<string, readonly ReceiverTarget[]> {
    return this.receivers;
  }

  /** The target in force with this id. */
  byId(id: string): ReceiverTarget | undefined {
    return this.targetsById.get(id);
  }

  /** The target that took a retired one's place, if any. */
  successorOf(target: ReceiverTarget): ReceiverTarget | undefined {
    return this.successors.get(target);
  }

  /** Every target, those retired by a reload and not yet done included. */
  *targets(): Iterable<ReceiverTarget> {
    for (const list of this.receivers.values()) yield* list;
    yield* this.retired;
  }

  /**
   * Swaps in the receivers of `config`: unchanged ones keep their targets, changed ones get new targets
   * inheriting the old ones' memory, and the old and removed ones are retired. Call `reap` afterwards.
   */
  reload(config: AlertingConfig): PipelineReloadReport {
    const report = {
      added: [] as string[],
      changed: [] as string[],
      removed: [] as string[],
      unchanged: [] as string[],
    };
    const linksSame = JSON.stringify(config.links) === JSON.stringify(this.config.links);
    this.config = config;
    const next = new Map<string, ReceiverTarget[]>();
    for (const receiver of config.receivers) {
      const before = this.receivers.get(receiver.name);
      if (before && linksSame && sameReceiver(before[0]!.config, receiver)) {
        next.set(receiver.name, before);
        report.unchanged.push(receiver.name);
        continue;
      }
      const targets = this.createTargets(receiver);
      next.set(receiver.name, targets);
      if (!before) {
        report.added.push(receiver.name);
        continue;
      }
      report.changed.push(receiver.name);
      for (const old of before) {
        const successor = targets.find((t) => t.id === old.id);
        if (successor) this.inherit(successor, old);
        this.retire(old, successor);
      }
    }
    for (const [name, targets] of this.receivers) {
      if (next.has(name)) continue;
      report.removed.push(name);
      for (const old of targets) this.retire(old, undefined);
    }
    this.receivers = next;
    this.targetsById = this.indexTargets();
    return report;
  }

  /** Closes retired targets with nothing left: no queued work, no group waiting to be notified. */
  reap(): void {
    for (const target of this.retired) {
      if (target.queue.depth > 0 || (target.grouping && target.grouping.waiters.size > 0)) continue;
      this.retired.delete(target);
      this.successors.delete(target);
      if (target.grouping) clearTimeout(target.grouping.timer);
      target.queue.close();
      void target.sender.close();
      target.log.info('receiver target retired by a reload is done; closed');
    }
  }

  /** Cancels every resend timer (at shutdown). */
  stopResends(): void {
    for (const timer of this.resendTimers.values()) clearInterval(timer);
  }

  private createTargets(receiver: ReceiverConfig): ReceiverTarget[] {
    return receiver.targets.map((url, i) => {
      const id = receiver.targets.length > 1 ? `${receiver.name}#${i + 1}` : receiver.name;
      const target = createReceiverTarget(
        id,
        { ...receiver, url },
        {
          config: this.config,
          log: this.options.log,
          createSender: this.options.createSender,
          attempt: this.options.attempt,
          onFinished: (finished) => {
            this.options.onFinished(finished);
            if (this.retired.size > 0) this.reap();
          },
        },
      );
      this.options.metrics?.registerReceiver(id);
      if (receiver.type === 'alertmanager') {
        const timer = setInterval(() => this.options.resend(target), receiver.resendIntervalMs);
        timer.unref();
        this.resendTimers.set(target, timer);
      }
      return target;
    });
  }

  private indexTargets(): Map<string, ReceiverTarget> {
    const out = new Map<string, ReceiverTarget>();
    for (const list of this.receivers.values()) for (const t of list) out.set(t.id, t);
    return out;
  }

  /** A new target of a changed receiver starts with its predecessor's memory. */
  private inherit(successor: ReceiverTarget, old: ReceiverTarget): void {
    if (successor.config.type === 'alertmanager' && old.config.type === 'alertmanager')
      for (const [fingerprint, entry] of old.firing) successor.firing.set(fingerprint, entry);
    for (const [fingerprint, entry] of old.parked) successor.parked.set(fingerprint, entry);
    if (successor.grouping && old.grouping) {
      const nowMs = this.options.now();
      for (const [fingerprint, { alert, atMs }] of old.grouping.notified) {
        successor.grouping.state.restore(alert, atMs, nowMs);
        successor.grouping.notified.set(fingerprint, { alert, atMs });
      }
      for (const [fingerprint, partition] of old.grouping.partitions)
        successor.grouping.partitions.set(fingerprint, partition);
    }
  }

  /** Takes a target out of routing; it finishes what it holds, then closes. */
  private retire(target: ReceiverTarget, successor: ReceiverTarget | undefined): void {
    this.retired.add(target);
    if (successor) this.successors.set(target, successor);
    const timer = this.resendTimers.get(target);
    if (timer) clearInterval(timer);
    this.resendTimers.delete(target);
    target.firing.clear(); // its successor re-sends them (a removed Alertmanager resolves them at their endsAt)
  }
}

/** Same settings (signing keys compared by value): a reload keeps such a receiver's targets as they are. */
function sameReceiver(a: ReceiverConfig, b: ReceiverConfig): boolean {
  const plain = (r: ReceiverConfig) =>
    JSON.stringify({ ...r, signingKeys: r.signingKeys.reveal().map((k) => k.toString('base64')) });
  return plain(a) === plain(b);
}
