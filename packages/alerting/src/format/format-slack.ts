/**
 * The `slack` payload: `{"text": …}` as Slack incoming webhooks (and Mattermost, Rocket.Chat, Discord's
 * /slack endpoint) accept it, in Slack's mrkdwn with `&`, `<` and `>` escaped:
 *
 *     :rotating_light: *[FIRING] cpu-high* (warning) on `site-a/dev-0042`
 *     cpu mean is 97.5 (above 90) over time:30s
 *     FIRING: site-a/dev-0042 CPU 97.5%, mean over 30s (fires above 90%)
 *
 * A site or fleet alert (no device) names its group instead: ``on `site=site-b` ``, `across the fleet`.
 */
import { type Alert, alertSubject } from '@sensor-pipeline/shared';

export function slackText(alert: Alert): string {
  const firing = alert.status !== 'RESOLVED';
  const subject = alertSubject(alert);
  const where =
    subject.scope === 'fleet'
      ? 'across the fleet'
      : `on \`${escapeMrkdwn(subject.scope === 'group' ? subject.text : alert.deviceId)}\``;
  const head = `${firing ? ':rotating_light:' : ':white_check_mark:'} *[${alert.status}] ${escapeMrkdwn(alert.rule)}* (${escapeMrkdwn(alert.severity)}) ${where}`;
  const measure =
    alert.condition === 'absent'
      ? `${alert.metric === '' ? '' : `${escapeMrkdwn(alert.metric)} `}silent for ${formatNumber(alert.value / 1_000)}s (threshold ${formatNumber(alert.threshold / 1_000)}s)`
      : `${escapeMrkdwn(alert.metric)} ${escapeMrkdwn(alert.statistic)} is ${formatNumber(alert.value)} (${escapeMrkdwn(alert.condition)} ${formatNumber(alert.threshold)}) over ${escapeMrkdwn(alert.window.spec)}`;
  return [head, measure, escapeMrkdwn(alert.summary)].filter((line) => line !== '').join('\n');
}

export function formatSlack(alert: Alert): string {
  return JSON.stringify({ text: slackText(alert) });
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}
