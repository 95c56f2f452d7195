import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortPair } from '../src/free-port-pair.js';
import { LOCAL_KAFKA_START_MARKER, LocalKafka } from '../src/local-kafka.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function listening(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return server;
}

async function brokerWithLog(text: string): Promise<LocalKafka> {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-kafka-ready-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const kafka = new LocalKafka({ port: await freePortPair(), dataDir, progress: () => undefined });
  writeFileSync(kafka.logFile, text);
  await listening(kafka.port);
  return kafka;
}

describe('LocalKafka readiness', () => {
  it("does not count an earlier start's line after a restart began, and counts the new one", async () => {
    const kafka = await brokerWithLog(
      `${LOCAL_KAFKA_START_MARKER} 2026-01-01T00:00:00Z\n[KafkaRaftServer] Kafka Server started\n` +
        `${LOCAL_KAFKA_START_MARKER} 2026-01-01T00:05:00Z\n[KafkaRaftServer] starting\n`,
    );
    expect(await kafka.ready()).toBe(false);
    appendFileSync(kafka.logFile, '[KafkaRaftServer] Kafka Server started\n');
    expect(await kafka.ready()).toBe(true);
  });

  it('reads a log written before start markers existed as one start', async () => {
    const kafka = await brokerWithLog('[KafkaRaftServer] Kafka Server started\n');
    expect(await kafka.ready()).toBe(true);
  });
});
