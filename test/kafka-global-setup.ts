/**
 * Starts one real Kafka broker for the whole test run and hands its address to every test through
 * `inject('kafkaBootstrapServers')`. Order of choice:
 *   1. KAFKA_BOOTSTRAP_SERVERS, if set (an existing broker; left running);
 *   2. testcontainers with the official apache/kafka image, if a Docker engine answers;
 *   3. the local broker from Maven Central jars (infra/), on a free port with a fresh data directory.
 * Tests give every topic and group a unique name, so one broker serves them all.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortPair, KAFKA_VERSION, LocalKafka } from '@sensor-pipeline/infra';
import type { TestProject } from 'vitest/node';

let teardown: (() => Promise<void>) | undefined;

/**
 * Vitest runs a global setup once per project, each in a fresh module instance but in one process:
 * the broker is shared through globalThis and stopped when the last project tears down.
 */
interface SharedBroker {
  bootstrap: Promise<string>;
  users: number;
  stop: () => Promise<void>;
}
const KEY = Symbol.for('sensor-pipeline.test-broker');
const holder = globalThis as unknown as { [KEY]?: SharedBroker };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (holder[KEY] ??= { bootstrap: startBroker(), users: 0, stop: async () => teardown?.() });
  shared.users += 1;
  project.provide('kafkaBootstrapServers', await shared.bootstrap);
  return async () => {
    shared.users -= 1;
    if (shared.users === 0) {
      delete holder[KEY];
      await shared.stop();
    }
  };
}

async function startBroker(): Promise<string> {
  const given = process.env['KAFKA_BOOTSTRAP_SERVERS'];
  if (given) {
    log(`using the broker at KAFKA_BOOTSTRAP_SERVERS=${given}`);
    return given;
  }
  if (await dockerAnswers()) {
    log(`Docker answers: starting apache/kafka:${KAFKA_VERSION} with testcontainers`);
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(`apache/kafka:${KAFKA_VERSION}`).withKraft().start();
    teardown = async () => {
      await container.stop();
    };
    return `${container.getHost()}:${container.getMappedPort(9093)}`;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'sensor-pipeline-test-kafka-'));
  const kafka = new LocalKafka({ port: await freePortPair(), dataDir, progress: log });
  log('no KAFKA_BOOTSTRAP_SERVERS and no Docker engine: starting the local broker');
  const address = await kafka.start({ timeoutMs: 120_000 });
  teardown = async () => {
    await kafka.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return address;
}

function log(line: string): void {
  process.stderr.write(`[kafka-global-setup] ${line}\n`);
}

/** True when a Docker engine answers /_ping on DOCKER_HOST or the default socket within 2 s. */
function dockerAnswers(): Promise<boolean> {
  const host = process.env['DOCKER_HOST'];
  const target = host?.startsWith('tcp://')
    ? (() => {
        const url = new URL(host.replace('tcp://', 'http://'));
        return { host: url.hostname, port: Number(url.port || 2375) };
      })()
    : { socketPath: host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock' };
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
