/**
 * The format stage of the delivery pipeline: the request body a receiver gets for an alert, by the
 * receiver's `format`. Pure and deterministic, so the body (and so the signed content) is the same on
 * every retry and after a restart.
 */
import type { Alert } from '@sensor-pipeline/shared';
import { formatAlertmanager } from './format-alertmanager.js';
import { formatNative } from './format-native.js';
import { formatSlack } from './format-slack.js';
import type { FormatContext, PayloadFormat } from './payload-format.js';

export function formatPayload(format: PayloadFormat, alert: Alert, context: FormatContext): string {
  switch (format) {
    case 'native':
      return formatNative(alert);
    case 'alertmanager':
      return formatAlertmanager(alert, context);
    case 'slack':
      return formatSlack(alert);
  }
}
