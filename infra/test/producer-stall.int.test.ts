/**
 * A producer client that stops making progress is replaced, and nothing it held is lost (shared's raw
 * producer; librdkafka can lose its connection and never reconnect while the broker is up:
 * confluentinc/librdkafka#5080). A broker of its own, reached only through a proxy that freezes the connections
 * open at a moment (they pass nothing and stay open; later connections pass): the producer's client is stuck
 * with its records in flight while the broker is fine, as in that issue. The control shows the stall is real
 * without replacement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAdmin,
  createConsumer,
  createLogger,
  createRawProducer,
  type KafkaSettings,
  type RawProducer,
  type RawRecord,
} from '@sensor-pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortPair } from '../src/free-port-pair.js';
import { LocalKafka } from '../src/local-kafka.js';
import { FreezingProxy } from './support/freezing-proxy.js';

const logger = createLogger({ service: 'test', level: process.env['LOG_LEVEL'] ?? 'warn' });
const dataDir = mkdtempSync(join(tmpdir(), 'producer-stall-'));
let kafka: LocalKafka;
let proxy: FreezingProxy;
let settings: KafkaSettings;
const producers: RawProducer[] = [];

// librdkafka would give up on a frozen connection after its request timeout and reconnect by itself (through
// the proxy, which lets new connections pass): longer timeouts keep the stall for the whole test
const PATIENT = { 'request.timeout.ms': 300_000, 'socket.timeout.ms': 300_000 };

beforeAll(async () => {
  const port = await freePortPair();
  // the proxy listens first: the broker advertises it, and its readiness check connects through it
  proxy = await FreezingProxy.start(port);
  kafka = new LocalKafka({ port, advertisedPort: proxy.port, dataDir, progress: () => undefined });
  await kafka.start();
  settings = { bootstrapServers: `127.0.0.1:${proxy.port}`, clientId: 'producer-stall-test' };
}, 180_000);

afterAll(async () => {
  await Promise.all(producers.map((p) => p.disconnect(1_000).catch(() => undefined)));
  await proxy?.close();
  await kafka?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function topic(name: string): Promise<string> {
  const admin = createAdmin(settings, logger);
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();
  return name;
}

function records(topicName: string, prefix: string, n: number): RawRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: topicName,
    key: `${prefix}-${i}`,
    value: Buffer.from(`${prefix}-${i}`),
  }));
}

async function connected(stallReplaceAfterMs: number, onReplaced?: () => void): Promise<RawProducer> {
  const producer = createRawProducer(settings, {
    logger,
    deliveryTimeoutMs: 0, // as the at-least-once processor: a record waits for ever
    stallReplaceAfterMs,
    ...(onReplaced ? { onReplaced } : {}),
    extra: PATIENT,
  });
  producers.push(producer);
  await producer.connect();
  return producer;
}

/** Every distinct value in the topic, read through the proxy by a new client. */
async function readValues(topicName: string, atLeast: number): Promise<Set<string>> {
  const consumer = createConsumer(settings, { logger, groupId: `read-${Date.now()}` });
  const values = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topicName] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.size} distinct values of ${atLeast}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.add(message.value!.toString());
        if (values.size >= atLeast) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

const outcome = (p: Promise<void>, ms: number) =>
  Promise.race([
    p.then(() => 'delivered' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);

describe('raw producer stall replacement', () => {
  it('control: without replacement, records of a client whose connections froze stay undelivered', async () => {
    const t = await topic('stall-control');
    const producer = await connected(0);
    await producer.produceBatch(records(t, 'before', 50));
    expect(proxy.freezeOpen()).toBeGreaterThan(0);
    const batch = producer.produceBatch(records(t, 'after', 50));
    expect(await outcome(batch, 12_000)).toBe('pending');
    expect(producer.replacements).toBe(0);
    batch.catch(() => undefined);
  }, 60_000);

  it('replaces a client that made no progress and delivers every record it held, in flight and new', async () => {
    const t = await topic('stall-replaced');
    const replaced: number[] = [];
    const producer = await connected(3_000, () => replaced.push(Date.now()));
    await producer.produceBatch(records(t, 'before', 200));
    const frozenAt = Date.now();
    expect(proxy.freezeOpen()).toBeGreaterThan(0);
    // records in flight on the frozen client, and more produced while it is stuck
    const first = producer.produceBatch(records(t, 'during-a', 200));
    const second = producer.produceBatch(records(t, 'during-b', 300));
    expect(
      await outcome(
        Promise.all([first, second]).then(() => undefined),
        60_000,
      ),
    ).toBe('delivered');
    expect(producer.replacements).toBe(1);
    expect(replaced).toHaveLength(1);
    expect(replaced[0]! - frozenAt).toBeGreaterThanOrEqual(3_000);
    // the new client carries on
    await producer.produceBatch(records(t, 'after', 100));
    const values = await readValues(t, 800);
    for (const prefix of ['before', 'during-a', 'during-b', 'after'] as const) {
      const n = { before: 200, 'during-a': 200, 'during-b': 300, after: 100 }[prefix];
      for (let i = 0; i < n; i++) expect(values.has(`${prefix}-${i}`), `${prefix}-${i}`).toBe(true);
    }
  }, 120_000);

  it('keeps the stalled client while a new one cannot connect, and replaces it once one can', async () => {
    const t = await topic('stall-outage');
    const producer = await connected(2_000);
    await producer.produceBatch(records(t, 'before', 100));
    proxy.refuseNew = true; // to new clients the broker is down
    expect(proxy.freezeOpen()).toBeGreaterThan(0);
    const batch = producer.produceBatch(records(t, 'during', 100));
    // an attempt fails to connect (bounded by the stall interval) and the old client is kept
    expect(await outcome(batch, 9_000)).toBe('pending');
    expect(producer.replacements).toBe(0);
    proxy.refuseNew = false;
    expect(await outcome(batch, 30_000)).toBe('delivered');
    expect(producer.replacements).toBe(1);
    const values = await readValues(t, 200);
    for (const prefix of ['before', 'during'])
      for (let i = 0; i < 100; i++) expect(values.has(`${prefix}-${i}`)).toBe(true);
  }, 120_000);
});
