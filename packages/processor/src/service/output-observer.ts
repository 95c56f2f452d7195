/**
 * Metrics and logs for what one partition's share of a batch produced: dead letters (and late readings among
 * them), window stats, alerts. Kept apart from the shell so every path that sends outputs (a consumed batch,
 * an idle step, a rules reload) reports them the same way.
 */
import type { Logger } from '@sensor-pipeline/shared';
import type { BatchOutput } from './batch-output.js';
import type { PartitionState } from './partition-state.js';
import type { ProcessorMetrics } from './processor-metrics.js';

export class OutputObserver {
  constructor(
    private readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
  ) {}

  observe(state: PartitionState, out: BatchOutput): void {
    for (const d of out.deadLetters) {
      this.metrics.deadLettered.inc({ code: d.code });
      if (d.code.startsWith('READING_LATE_'))
        this.metrics.lateReadings.inc({ reason: d.code.slice('READING_LATE_'.length).toLowerCase() });
      this.log.warn(
        {
          topic: state.topic,
          partition: state.partition,
          offset: d.headers['dlq.source.offset'],
          code: d.code,
          reason: d.headers['dlq.error.message'],
        },
        'reading set aside to the DLQ',
      );
    }
    if (out.stats.length > 0) this.metrics.statsProduced.inc(out.stats.length);
    for (const alert of out.alerts) {
      this.metrics.alerts.inc({ status: alert.status, rule: alert.rule });
      this.log.info(
        {
          eventId: alert.eventId,
          status: alert.status,
          rule: alert.rule,
          deviceId: alert.deviceId,
          metric: alert.metric,
          value: alert.value,
        },
        'alert %s',
        alert.status,
      );
    }
  }
}
