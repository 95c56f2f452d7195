/**
 * What flows through the delivery stages: a record of the alerts topic, the target it is delivered to
 * (one receiver URL with its own queue, connection pool, dedup window and firing set), and one delivery —
 * one alert on its way to one target — which the stages pass along and the retry schedule counts.
 */
import type { Alert, Logger } from '@sensor-pipeline/shared';
import type { ReceiverConfig } from '../config/alerting-config.js';
import type { DedupWindow } from '../delivery/dedup-window.js';
import type { KeyedWorkQueue } from '../delivery/keyed-work-queue.js';
import type { WebhookSender } from '../delivery/webhook-sender.js';
import type { FormatContext } from '../format/payload-format.js';
import type { GroupNotification, GroupState } from '../grouping/group-state.js';
import type { RetryPosition } from '../state/state-record.js';

/** A record of the alerts topic, as consumed. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** One target of a receiver: its URL (an Alertmanager of an HA pair is one target), queue, pool and dedup. */
export interface ReceiverTarget {
  /** The receiver's name, with `#n` when it has several targets: the label of its metrics and queue depth. */
  readonly id: string;
  /** The receiver's config with `url` set to this target's. */
  readonly config: ReceiverConfig;
  readonly context: FormatContext;
  readonly queue: KeyedWorkQueue<Delivery>;
  readonly sender: WebhookSender;
  readonly dedup: DedupWindow;
  /** Deliveries under way by event id: a redelivered record joins the one in flight. */
  readonly inflight: Map<string, Delivery>;
  /**
   * `alertmanager`: the firing alerts by fingerprint, re-sent every resend interval, with the alerts-topic
   * partition they came from (dropped when that partition is revoked: its new owner re-sends them).
   */
  readonly firing: Map<string, { readonly alert: Alert; readonly partition: number }>;
  /**
   * Series of this target with a delivery parked in the retry topic, by fingerprint: where the latest one
   * sits (`position`; later alerts of the series park behind it until the retry worker is past it) and the
   * alerts-topic partition of the series.
   */
  readonly parked: Map<string, { readonly position: RetryPosition | undefined; readonly partition: number }>;
  /** Grouped webhooks: the aggregation groups, and the records waiting on each event id until notified. */
  readonly grouping?: {
    readonly state: GroupState;
    readonly waiters: Map<string, (() => void)[]>;
    readonly sources: Map<string, SourceRecord>;
    /** Per series: the alert the last notification carried (firing) and when, as the state topic keeps it. */
    readonly notified: Map<string, { readonly alert: Alert; readonly atMs: number }>;
    /** The alerts-topic partition of each series in the groups. */
    readonly partitions: Map<string, number>;
    timer: NodeJS.Timeout | undefined;
  };
  readonly log: Logger;
}

/** One alert on its way to one target. */
export interface Delivery {
  /** `deliver`: an alert from the topic; `resend`: a firing alert re-sent to an Alertmanager (best effort). */
  readonly kind: 'deliver' | 'resend';
  readonly target: ReceiverTarget;
  readonly alert: Alert;
  readonly source: SourceRecord;
  readonly acceptedAtMs: number;
  /** Attempts made so far. */
  attempts: number;
  /** Completion callbacks of every record waiting on this delivery (the first and any redeliveries). */
  readonly waiters: (() => void)[];
  /** A group notification (grouped webhooks): every alert of the group in one request. */
  readonly notification?: GroupNotification;
}
