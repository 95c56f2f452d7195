/**
 * The demo sink's Prometheus `/metrics`, written from its counts at scrape time (the sink has no registry of
 * its own): webhooks accepted and rejected, duplicates among the accepted, and distinct webhook ids. Every
 * series is there from the start at 0, so `increase()` sees the first webhook.
 */
import type { SinkCounts } from './webhook-sink.js';

interface SinkMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: (counts: SinkCounts) => readonly { labels?: string; value: number }[];
}

const SINK_METRICS: readonly SinkMetric[] = [
  {
    name: 'sink_webhooks_total',
    help: 'Webhook requests received, by result: accepted (signature verified, or no secret set) or rejected',
    type: 'counter',
    samples: (c) => [
      { labels: 'result="accepted"', value: c.accepted },
      { labels: 'result="rejected"', value: c.rejected },
    ],
  },
  {
    name: 'sink_webhook_duplicates_total',
    help: 'Accepted webhooks whose webhook-id was accepted before on the same path',
    type: 'counter',
    samples: (c) => [{ value: c.duplicates }],
  },
  {
    name: 'sink_webhook_ids',
    help: 'Distinct webhook ids accepted',
    type: 'gauge',
    samples: (c) => [{ value: c.unique }],
  },
];

/** The Prometheus text exposition of the sink's counts. */
export function sinkMetricsText(counts: SinkCounts): string {
  const lines: string[] = [];
  for (const m of SINK_METRICS) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples(counts)) lines.push(`${m.name}${s.labels ? `{${s.labels}}` : ''} ${s.value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The content type of `sinkMetricsText` (Prometheus text format 0.0.4). */
export const SINK_METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
