/**
 * Creates one receiver target with its per-series state: its own queue (keyed by fingerprint, or by group
 * key for a group notification, so a series never overtakes itself), connection pool, dedup window,
 * deliveries in flight, firing set, parked series and, for grouped webhooks, its aggregation groups. The
 * pipeline says how a delivery is attempted and what follows a finished one; everything else lives here so
 * a target is the same whether made at start or by a reload.
 */
import type { Alert, Logger } from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import { DedupWindow } from '../delivery/dedup-window.js';
import { type JobStep, KeyedWorkQueue } from '../delivery/keyed-work-queue.js';
import type { WebhookSender } from '../delivery/webhook-sender.js';
import { GroupState } from '../grouping/group-state.js';
import type { Delivery, ReceiverTarget, SourceRecord } from '../stages/delivery.js';

export interface ReceiverTargetOptions {
  /** The configuration in force (links for the payloads, the dedup window's size). */
  readonly config: Pick<AlertingConfig, 'links' | 'dedup'>;
  /** The pipeline's logger: the target logs through a child of it naming the receiver. */
  readonly log: Logger;
  readonly createSender: (receiver: ReceiverConfig) => WebhookSender;
  /** One attempt of one delivery of this target. */
  readonly attempt: (delivery: Delivery) => Promise<JobStep>;
  /** Called after every finished job of this target's queue (its depth dropped). */
  readonly onFinished: (target: ReceiverTarget) => void;
}

/** One target of a receiver: `id` names it in metrics and logs, `config.url` is its URL. */
export function createReceiverTarget(
  id: string,
  config: ReceiverConfig,
  options: ReceiverTargetOptions,
): ReceiverTarget {
  const { log } = options;
  const target: ReceiverTarget = {
    id,
    config,
    context: {
      receiver: config.name,
      externalURL: options.config.links.externalURL,
      generatorURL: options.config.links.generatorURL,
    },
    queue: new KeyedWorkQueue<Delivery>({
      concurrency: config.concurrency,
      keyOf: (delivery) => delivery.notification?.key ?? delivery.alert.fingerprint,
      run: (delivery) => options.attempt(delivery),
      onError: (err, delivery) =>
        log.error({ err, receiver: id, eventId: delivery.alert.eventId }, 'delivery job failed unexpectedly'),
      onFinished: () => options.onFinished(target),
    }),
    sender: options.createSender(config),
    dedup: new DedupWindow({
      windowMs: options.config.dedup.windowMs,
      maxEntries: options.config.dedup.maxEntries,
    }),
    inflight: new Map(),
    firing: new Map(),
    parked: new Map(),
    ...(config.group && config.type === 'webhook'
      ? {
          grouping: {
            state: new GroupState(config.group),
            waiters: new Map<string, (() => void)[]>(),
            sources: new Map<string, SourceRecord>(),
            notified: new Map<string, { readonly alert: Alert; readonly atMs: number }>(),
            partitions: new Map<string, number>(),
            timer: undefined,
          },
        }
      : {}),
    log: log.child(config.targets.length > 1 ? { receiver: id, url: config.url } : { receiver: id }),
  };
  return target;
}
