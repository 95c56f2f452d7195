import { describe, expect, it } from 'vitest';
import { sinkMetricsText } from '../src/sink/sink-metrics.js';

describe("the demo sink's /metrics", () => {
  it('exports every series at 0 from the start', () => {
    expect(sinkMetricsText({ accepted: 0, unique: 0, duplicates: 0, rejected: 0 })).toBe(
      [
        '# HELP sink_webhooks_total Webhook requests received, by result: accepted (signature verified, or no secret set) or rejected',
        '# TYPE sink_webhooks_total counter',
        'sink_webhooks_total{result="accepted"} 0',
        'sink_webhooks_total{result="rejected"} 0',
        '# HELP sink_webhook_duplicates_total Accepted webhooks whose webhook-id was accepted before on the same path',
        '# TYPE sink_webhook_duplicates_total counter',
        'sink_webhook_duplicates_total 0',
        '# HELP sink_webhook_ids Distinct webhook ids accepted',
        '# TYPE sink_webhook_ids gauge',
        'sink_webhook_ids 0',
        '',
      ].join('\n'),
    );
  });

  it('writes the counts', () => {
    const text = sinkMetricsText({ accepted: 5, unique: 4, duplicates: 1, rejected: 2 });
    expect(text).toContain('sink_webhooks_total{result="accepted"} 5\n');
    expect(text).toContain('sink_webhooks_total{result="rejected"} 2\n');
    expect(text).toContain('sink_webhook_duplicates_total 1\n');
    expect(text).toContain('sink_webhook_ids 4\n');
  });
});
