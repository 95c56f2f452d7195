/**
 * Each assigned partition's lag at scrape time: its high watermark, asked of the broker now, minus the next
 * offset to process. It grows while processing stalls. Undefined when the broker does not answer in time (the
 * lag gauge then keeps its last values).
 */
import type { Logger, RawConsumer } from '@sensor-pipeline/shared';
import type { PartitionState } from './partition-state.js';
import type { PartitionLag } from './processor-metrics.js';

/** How long a scrape waits for the broker's high watermarks, ms. */
const LAG_QUERY_TIMEOUT_MS = 2_000;

export async function partitionLags(
  consumer: RawConsumer | undefined,
  partitions: Iterable<PartitionState>,
  log: Logger,
): Promise<PartitionLag[] | undefined> {
  if (!consumer) return [];
  try {
    return await Promise.all(
      [...partitions].map(async (state): Promise<PartitionLag> => {
        const high = await new Promise<number>((resolve, reject) =>
          consumer.client.queryWatermarkOffsets(state.topic, state.partition, LAG_QUERY_TIMEOUT_MS, (err, marks) =>
            err ? reject(err) : resolve(marks.highOffset),
          ),
        );
        return { topic: state.topic, partition: state.partition, lag: Math.max(0, high - state.nextOffset) };
      }),
    );
  } catch (err) {
    log.debug({ err }, 'high watermark query failed; the lag gauge keeps its last values');
    return undefined;
  }
}
