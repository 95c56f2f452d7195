/**
 * Creates topics that do not exist yet (existing ones are left as they are) and waits until their
 * metadata shows every partition with a leader, so producers and consumers can start at once.
 */
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { KafkaClientError } from '../errors.js';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions?: number;
  readonly replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

export async function ensureTopics(
  admin: KafkaJS.Admin,
  specs: readonly TopicSpec[],
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const existing = new Set(await admin.listTopics({ timeout: timeoutMs }));
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        timeout: timeoutMs,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions ?? 1,
          replicationFactor: s.replicationFactor ?? 1,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (err) {
      // another instance may have created it in between; anything else is real
      if (!/already exists/i.test(String((err as Error).message))) {
        throw new KafkaClientError(
          `creating topics ${missing.map((s) => s.topic).join(', ')} failed: ${(err as Error).message}`,
          { cause: err, retriable: true },
        );
      }
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic), timeout: 5_000 });
      if (
        metadata.length === specs.length &&
        metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
      ) {
        return missing.map((s) => s.topic);
      }
    } catch {
      // metadata not there yet
    }
    if (Date.now() > deadline)
      throw new KafkaClientError(
        `topics ${specs.map((s) => s.topic).join(', ')} have no leaders after ${timeoutMs} ms`,
        { retriable: true },
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
