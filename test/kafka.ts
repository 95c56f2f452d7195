/**
 * Helpers for integration tests against the one real broker of the test run (see kafka-global-setup.ts):
 * unique topic and group names per test, topic creation with cleanup registered where it happens,
 * raw produce/consume, and polling.
 */
import { randomBytes } from 'node:crypto';
import {
  createAdmin,
  createConsumer,
  createLogger,
  createProducer,
  ensureTopics,
  type KafkaJS,
  type KafkaSettings,
  type Logger,
  type TopicSpec,
} from '@sensor-pipeline/shared';
import { inject, onTestFinished } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrapServers: string;
  }
}

/** A quiet logger for tests; set LOG_LEVEL=debug to see everything. */
export const testLogger: Logger = createLogger({ service: 'test', level: process.env['LOG_LEVEL'] ?? 'warn' });

export function bootstrapServers(): string {
  return inject('kafkaBootstrapServers');
}

export function kafkaSettings(clientId = 'test'): KafkaSettings {
  return { bootstrapServers: bootstrapServers(), clientId };
}

/** `prefix-<random>`: unique per call, so tests never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * Creates topics (unique names are the caller's job, see `uniqueName`) and deletes them when the current
 * test finishes. Call inside a test (or pass `cleanup: false` from hooks and clean up yourself).
 */
export async function createTopics(
  specs: readonly (TopicSpec | string)[],
  options: { partitions?: number; cleanup?: boolean } = {},
): Promise<string[]> {
  const admin = createAdmin(kafkaSettings('test-admin'), testLogger);
  await admin.connect();
  const full = specs.map((s) => (typeof s === 'string' ? { topic: s, numPartitions: options.partitions ?? 1 } : s));
  try {
    await ensureTopics(admin, full);
  } finally {
    await admin.disconnect();
  }
  const names = full.map((s) => s.topic);
  if (options.cleanup !== false) onTestFinished(() => deleteTopics(names));
  return names;
}

export async function deleteTopics(names: readonly string[]): Promise<void> {
  const admin = createAdmin(kafkaSettings('test-admin'), testLogger);
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...names], timeout: 10_000 });
  } catch {
    // already gone
  } finally {
    await admin.disconnect();
  }
}

export interface RawMessage {
  readonly key?: string | Buffer | null;
  readonly value: Buffer | string | null;
  readonly headers?: Record<string, string>;
  readonly partition?: number;
}

/** Produces with an idempotent acks=all producer and waits for every acknowledgement. */
export async function produceRaw(topic: string, messages: readonly RawMessage[]): Promise<void> {
  const producer = createProducer(kafkaSettings('test-producer'), { logger: testLogger, lingerMs: 0 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1_000) {
      await producer.send({
        topic,
        messages: messages.slice(i, i + 1_000).map((m) => ({ ...m })) as KafkaJS.Message[],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning in a fresh consumer group until `count` records arrived (or, with
 * `idleMs`, until nothing new came for that long), or fails after `timeoutMs` saying how many it saw.
 */
export async function consumeMessages(
  topic: string,
  options: { count?: number; timeoutMs?: number; idleMs?: number; groupId?: string; readCommitted?: boolean } = {},
): Promise<ConsumedMessage[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const consumer = createConsumer(kafkaSettings('test-consumer'), {
    logger: testLogger,
    groupId: options.groupId ?? uniqueName('test-group'),
    readCommitted: options.readCommitted ?? true,
  });
  const out: ConsumedMessage[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    void consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        lastArrival = Date.now();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const value = Array.isArray(v) ? v[v.length - 1] : v;
          if (value !== undefined) headers[k] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
        }
        out.push({ topic: t, partition, offset: message.offset, key: message.key, value: message.value, headers });
        if (options.count !== undefined && out.length >= options.count) done();
      },
    });
    const started = Date.now();
    for (;;) {
      const winner = await Promise.race([finished.then(() => 'done' as const), sleep(200).then(() => 'tick' as const)]);
      if (winner === 'done') break;
      if (options.idleMs !== undefined && out.length > 0 && Date.now() - lastArrival >= options.idleMs) break;
      if (Date.now() - started > timeoutMs) {
        if (options.count === undefined) break;
        throw new Error(`consumed ${out.length} of ${options.count} records from ${topic} in ${timeoutMs} ms`);
      }
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined/false, or throws `message` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const message = typeof options.message === 'function' ? options.message() : options.message;
      throw new Error(`${message ?? 'condition not met'} within ${options.timeoutMs ?? 30_000} ms`, {
        cause: lastError,
      });
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** The sum of a consumer group's committed offsets over a topic's partitions (0 where nothing is committed). */
export async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = createAdmin(kafkaSettings('test-offsets'), testLogger);
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
