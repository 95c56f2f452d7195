/**
 * One line about a receiver for `alerting check`: what it sends and where, with the settings an operator
 * checks first. A webhook receiver names its payload format and URL; an Alertmanager receiver (`type:
 * alertmanager`) sends postable alerts to each Alertmanager's API whatever `format` says, so it names that,
 * every target and its resend interval instead. Pure.
 */
import { formatDuration } from '@sensor-pipeline/shared';
import type { ReceiverConfig } from './alerting-config.js';

export function describeReceiver(r: ReceiverConfig): string {
  const keys = r.signingKeys.count;
  const details = [
    keys > 0 ? `signed, ${keys} key${keys === 1 ? '' : 's'}` : 'unsigned',
    `timeout ${r.timeoutMs} ms`,
    `concurrency ${r.concurrency}`,
    `${r.retry.maxAttempts} attempts`,
    ...(r.allowPrivateNetwork ? ['private network allowed'] : []),
  ];
  if (r.type === 'alertmanager') {
    const targets = r.targets.map(originAndPath).join(', ');
    return `  ${r.name}: Alertmanager API, postable alerts re-sent every ${formatDuration(r.resendIntervalMs)} → ${targets} (${details.join(', ')})`;
  }
  return `  ${r.name}: ${r.format} → ${originAndPath(r.url)} (${details.join(', ')})`;
}

function originAndPath(text: string): string {
  const url = new URL(text);
  return `${url.origin}${url.pathname}`;
}
