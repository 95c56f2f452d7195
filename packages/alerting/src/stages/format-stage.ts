/**
 * The format stage: the request body of one attempt. A webhook gets its receiver's `format` (pure and
 * deterministic, so the signed content is the same on every retry and after a restart); an Alertmanager
 * gets postable alerts, rendered per attempt because a firing alert's `endsAt` moves on with time; a group
 * notification gets the group body of its receiver's format.
 */
import { formatPayload } from '../format/format-payload.js';
import { formatPostableAlerts } from '../format/postable-alerts.js';
import { formatGroup } from '../grouping/format-group.js';
import type { Delivery } from './delivery.js';

export function formatStage(delivery: Delivery, nowMs: number): string {
  const { target, alert } = delivery;
  if (delivery.notification)
    return formatGroup(target.config.format, delivery.notification, target.context, target.config.group?.maxAlerts);
  return target.config.type === 'alertmanager'
    ? formatPostableAlerts([alert], target.context, nowMs, target.config.resendIntervalMs)
    : formatPayload(target.config.format, alert, target.context);
}
