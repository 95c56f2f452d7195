/**
 * The send stage: one HTTP attempt through the target's sender (its own pool, deadline, body cap and
 * SSRF guard), classified into delivered or failed-with-a-reason, and counted in the attempt metrics.
 */
import { type AttemptVerdict, classifyResponse } from '../delivery/classify-response.js';
import type { AlertingMetrics } from '../service/alerting-metrics.js';
import type { Delivery } from './delivery.js';

export async function sendStage(
  delivery: Delivery,
  body: string,
  headers: Readonly<Record<string, string>>,
  now: () => number,
  metrics: AlertingMetrics | undefined,
): Promise<AttemptVerdict> {
  const { target } = delivery;
  const startedAt = performance.now();
  const result = await target.sender.send(body, headers);
  metrics?.requestDuration.observe({ receiver: target.id }, (performance.now() - startedAt) / 1_000);
  const verdict: AttemptVerdict =
    result.kind === 'response' ? classifyResponse(result.response, now()) : { kind: 'failed', error: result.error };
  metrics?.attempts.inc({ receiver: target.id, result: attemptResult(verdict) });
  return verdict;
}

/** The `result` label of an attempt: `2xx`, `4xx`, `5xx`, `3xx`, `timeout`, `network` or `blocked`. */
export function attemptResult(verdict: AttemptVerdict): string {
  if (verdict.kind === 'delivered') return '2xx';
  const { error } = verdict;
  if (error.status !== undefined) return `${Math.floor(error.status / 100)}xx`;
  switch (error.code) {
    case 'WEBHOOK_TIMEOUT':
      return 'timeout';
    case 'WEBHOOK_DESTINATION_BLOCKED':
      return 'blocked';
    default:
      return 'network';
  }
}
