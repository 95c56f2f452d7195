/**
 * The body of a group notification, per receiver format. `alertmanager`: Alertmanager's webhook message
 * with every alert of the group in `alerts[]`, the group's `groupLabels`, the labels and annotations all
 * its alerts share as `commonLabels`/`commonAnnotations`, and at most `maxAlerts` alerts (0 = no limit)
 * with the rest counted in `truncatedAlerts`, as Alertmanager's `max_alerts` does. `native`: the group
 * envelope `{"type": "sensor.alert.group", "timestamp", "data": {receiver, groupKey, groupLabels, status,
 * alerts: [Alert...], truncatedAlerts}}`. `slack`: one message, a line per alert. Pure.
 */

import {
  type AlertmanagerAlert,
  type AlertmanagerMessage,
  alertmanagerAnnotations,
  alertmanagerLabels,
  renderGeneratorURL,
} from '../format/format-alertmanager.js';
import { nativePayload } from '../format/format-native.js';
import { slackText } from '../format/format-slack.js';
import { GO_ZERO_TIME, goTime } from '../format/go-time.js';
import type { FormatContext, PayloadFormat } from '../format/payload-format.js';
import type { GroupNotification } from './group-state.js';

export function formatGroup(
  format: PayloadFormat,
  notification: GroupNotification,
  context: FormatContext,
  maxAlerts = 0,
): string {
  const shown = maxAlerts > 0 ? notification.alerts.slice(0, maxAlerts) : notification.alerts;
  const truncatedAlerts = notification.alerts.length - shown.length;
  const status = notification.alerts.some((a) => a.status !== 'RESOLVED') ? 'firing' : 'resolved';
  switch (format) {
    case 'alertmanager':
      return JSON.stringify(alertmanagerGroupMessage(notification, context, shown, truncatedAlerts, status));
    case 'native':
      return JSON.stringify({
        type: 'sensor.alert.group',
        timestamp: new Date(notification.atMs).toISOString(),
        data: {
          receiver: context.receiver,
          groupKey: notification.key,
          groupLabels: sortKeys(notification.labels),
          status: status.toUpperCase(),
          alerts: shown.map((a) => nativePayload(a).data),
          truncatedAlerts,
        },
      });
    case 'slack': {
      const head = `*[${status.toUpperCase()}:${notification.alerts.filter((a) => a.status !== 'RESOLVED').length}]* ${Object.entries(
        sortKeys(notification.labels),
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`;
      const lines = shown.map((a) => slackText(a).split('\n')[0]);
      if (truncatedAlerts > 0) lines.push(`…and ${truncatedAlerts} more`);
      return JSON.stringify({ text: [head, ...lines].join('\n') });
    }
  }
}

export function alertmanagerGroupMessage(
  notification: GroupNotification,
  context: FormatContext,
  shown: GroupNotification['alerts'],
  truncatedAlerts: number,
  status: 'firing' | 'resolved',
): AlertmanagerMessage {
  const alerts: AlertmanagerAlert[] = shown.map((alert) => {
    const resolved = alert.status === 'RESOLVED';
    return {
      status: resolved ? 'resolved' : 'firing',
      labels: alertmanagerLabels(alert),
      annotations: alertmanagerAnnotations(alert),
      startsAt: goTime(alert.startsAt),
      endsAt: resolved && alert.endsAt !== null ? goTime(alert.endsAt) : GO_ZERO_TIME,
      generatorURL: renderGeneratorURL(context.generatorURL, alert),
      fingerprint: alert.fingerprint,
    };
  });
  return {
    receiver: context.receiver,
    status,
    alerts,
    groupLabels: sortKeys(notification.labels),
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: context.externalURL,
    version: '4',
    groupKey: notification.key,
    truncatedAlerts,
  };
}

/** The pairs every map has, sorted by name. */
function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(first)) if (rest.every((m) => m[name] === value)) out[name] = value;
  return sortKeys(out);
}

function sortKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}
