import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmin, createConsumer, createLogger, createProducer } from '@sensor-pipeline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalKafka, portOpen } from '../src/local-kafka.js';

const logger = createLogger({ service: 'test', level: 'warn' });
const dataDir = mkdtempSync(join(tmpdir(), 'local-kafka-restart-'));
const kafka = new LocalKafka({ port: 29_192, dataDir, progress: () => undefined });

afterAll(async () => {
  await kafka.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function readAll(topic: string, count: number): Promise<string[]> {
  const consumer = createConsumer(
    { bootstrapServers: kafka.bootstrapServers, clientId: 'restart-test' },
    { logger, groupId: `g-${Date.now()}` },
  );
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${count}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!.toString());
        if (values.length === count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

describe('local broker', () => {
  it('keeps its topics and records across stop and start', async () => {
    const address = await kafka.start();
    expect(address).toBe('127.0.0.1:29192');
    const admin = createAdmin({ bootstrapServers: address, clientId: 'restart-test' }, logger);
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = createProducer({ bootstrapServers: address, clientId: 'restart-test' }, { logger });
    await producer.connect();
    await producer.send({
      topic: 'kept',
      messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })),
    });
    await producer.disconnect();

    expect(await kafka.stop()).toBe(true);
    expect(await portOpen(29_192)).toBe(false);
    expect(kafka.runningPid()).toBeUndefined();

    await kafka.start();
    const admin2 = createAdmin({ bootstrapServers: address, clientId: 'restart-test' }, logger);
    await admin2.connect();
    expect(await admin2.listTopics()).toContain('kept');
    await admin2.disconnect();
    const values = await readAll('kept', 20);
    expect(values.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
  });
});
