/**
 * Benchmark (not a test): alert produced to the alerts topic → webhook received, p50/p99 at fixed rates
 * (100, 1,000 and 10,000 alerts/s by default), and the maximum sustained deliveries/s (a backlog drained
 * as fast as the service can).
 *
 * The alerting service runs as its own process (`alerting run`, from the TypeScript sources) against the
 * broker at KAFKA_BOOTSTRAP_SERVERS (or a local broker this script starts); this process produces Avro
 * alerts at a fixed pace, stamping each with its send time, and runs the receiver (the webhook sink,
 * verifying every Standard Webhooks signature) that records receive time − send time into an HDR
 * histogram. Results: a table on stdout and `.bench/alerting.json`; progress on stderr.
 *
 *   npx tsx packages/alerting/bench/webhook-latency.bench.ts [--rates 100,1000,10000] [--seconds 10] [--backlog 50000]
 */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalKafka } from '@sensor-pipeline/infra';
import {
  type Alert,
  alertCodec,
  createAdmin,
  createLogger,
  createProducer,
  ensureTopics,
  type KafkaSettings,
} from '@sensor-pipeline/shared';
import * as hdr from 'hdr-histogram-js';
import { startWebhookSink } from '../src/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,1000,10000' },
    seconds: { type: 'string', default: '10' },
    backlog: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '32' },
    fingerprints: { type: 'string', default: '2000' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const backlog = Number(values.backlog);
const fingerprints = Number(values.fingerprints);
const now = (): number => performance.timeOrigin + performance.now(); // ms, sub-ms precision
const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const logger = createLogger({ service: 'bench', level: 'warn' });
const codec = alertCodec();

interface Phase {
  readonly name: string;
  readonly targetRate: number | null;
  readonly sent: number;
  readonly received: number;
  readonly achievedSendRate: number;
  readonly deliveriesPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Cleanup steps, run in reverse on success and on failure (the service process, the broker...). */
const cleanups: (() => Promise<unknown> | undefined)[] = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
}

async function main(): Promise<void> {
  let broker: LocalKafka | undefined;
  let bootstrap = process.env['KAFKA_BOOTSTRAP_SERVERS'];
  if (!bootstrap) {
    const dataDir = mkdtempSync(join(tmpdir(), 'alerting-bench-kafka-'));
    broker = new LocalKafka({ port: 39_092, dataDir, progress });
    const started = broker;
    cleanups.push(() => started.stop());
    bootstrap = await broker.start({ timeoutMs: 120_000 });
  }
  const settings: KafkaSettings = { bootstrapServers: bootstrap, clientId: 'alerting-bench' };
  const suffix = Date.now().toString(36);
  const topics = { alerts: `bench-alerts-${suffix}`, dlq: `bench-deliveries-dlq-${suffix}` };
  const admin = createAdmin(settings, logger);
  await admin.connect();
  cleanups.push(async () => {
    await admin.deleteTopics({ topics: [topics.alerts, topics.dlq] }).catch(() => undefined);
    await admin.disconnect();
  });
  await ensureTopics(admin, [{ topic: topics.alerts, numPartitions: 6 }, { topic: topics.dlq }]);

  // the receiver: verifies signatures, records latency from the send time carried in the alert's labels
  const secret = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
  let histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let received = 0;
  let firstReceiveMs = 0;
  let lastReceiveMs = 0;
  const sink = await startWebhookSink({
    secrets: secret,
    keep: 0,
    respond: (request) => {
      const t = now();
      const sentAt = Number(
        (request.json as { data: { labels: Record<string, string> } }).data.labels['bench_sent_at'],
      );
      histogram.recordValue(Math.max(1, Math.round((t - sentAt) * 1_000))); // µs
      if (received === 0) firstReceiveMs = t;
      lastReceiveMs = t;
      received += 1;
      return 204;
    },
  });
  cleanups.push(() => sink.close());

  // the service, as its own process
  const dir = mkdtempSync(join(tmpdir(), 'alerting-bench-'));
  const configFile = join(dir, 'alerting.yaml');
  writeFileSync(
    configFile,
    [
      'receivers:',
      '  - name: bench',
      '    url: ${BENCH_SINK_URL}',
      '    secret: ${BENCH_SECRET}',
      `    concurrency: ${values.concurrency}`,
      '    queueSize: 20000',
      '    allowPrivateNetwork: true',
      'route: { receiver: bench }',
      'consumer: { groupId: alerting-bench, commitInterval: 1s, maxBatchSize: 1000 }',
    ].join('\n'),
  );
  const metricsPort = await freePort();
  const queueDepth = async (): Promise<string> => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return /alerting_queue_depth\{[^}]*\} (\d+)/.exec(text)?.[1] ?? '?';
    } catch {
      return '?';
    }
  };
  const service = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/alerting/src/cli.ts', 'run', '--config', configFile],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BOOTSTRAP_SERVERS: bootstrap,
        ALERTS_TOPIC: topics.alerts,
        DELIVERIES_DLQ_TOPIC: topics.dlq,
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
        BENCH_SINK_URL: `${sink.url}/bench`,
        BENCH_SECRET: secret,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  cleanups.push(async () => {
    if (service.exitCode !== null || service.signalCode !== null) return;
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
  });

  const producer = createProducer(settings, { logger, lingerMs: 1, compression: 'none' });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  let seq = 0;
  const alertAt = (sentAt: number): { key: string; value: Buffer } => {
    const n = seq++;
    const f = n % fingerprints;
    const alert: Alert = {
      eventId: `bench-${suffix}-${n}`,
      fingerprint: `fp-${f}`,
      status: 'FIRING',
      rule: 'cpu-high',
      severity: 'critical',
      deviceId: `bench/dev-${f}`,
      metric: 'cpu',
      statistic: 'mean',
      condition: 'above',
      value: 97.5,
      threshold: 90,
      startsAt: Math.round(sentAt),
      endsAt: null,
      window: { spec: 'time:60s', start: 0, end: 0, count: 60, mean: 97.5, median: 98, min: 91, max: 100 },
      labels: { site: 'bench', bench_sent_at: sentAt.toFixed(3) },
      summary: `CPU pegged on bench/dev-${f}`,
    };
    return { key: alert.deviceId, value: codec.encode(alert) };
  };

  // warm-up: the service joins its group and a few alerts go through
  progress('waiting for the service to join and deliver a warm-up batch');
  const warmup = 200;
  await producer.send({ topic: topics.alerts, messages: Array.from({ length: warmup }, () => alertAt(now())) });
  await until(
    () => received >= warmup,
    120_000,
    () => `warm-up: ${received}/${warmup}`,
  );

  const phases: Phase[] = [];
  for (const rate of rates) {
    histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    received = 0;
    const total = rate * seconds;
    const tickMs = 10;
    const started = now();
    let sent = 0;
    const ticker = setInterval(
      () =>
        void queueDepth().then((depth) =>
          progress(
            `${rate}/s: sent ${sent}/${total}, received ${received}, service queue ${depth}, p50 ${(histogram.getValueAtPercentile(50) / 1_000).toFixed(1)} ms, p99 ${(histogram.getValueAtPercentile(99) / 1_000).toFixed(1)} ms`,
          ),
        ),
      1_000,
    );
    const sends: Promise<unknown>[] = [];
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - started) / 1_000) * rate));
      if (due > sent) {
        const t = now();
        const batch = Array.from({ length: due - sent }, () => alertAt(t));
        sent = due;
        sends.push(producer.send({ topic: topics.alerts, messages: batch }));
      }
      await sleep(tickMs);
    }
    const sendSeconds = (now() - started) / 1_000;
    await Promise.all(sends);
    await until(
      () => received >= total,
      120_000,
      () => `${rate}/s: received ${received}/${total}`,
    );
    clearInterval(ticker);
    phases.push(
      summary(
        `${rate}/s`,
        rate,
        total,
        received,
        total / sendSeconds,
        received / ((lastReceiveMs - started) / 1_000),
        histogram,
      ),
    );
    progress(`done ${rate}/s: p50 ${phases.at(-1)!.p50Ms} ms, p99 ${phases.at(-1)!.p99Ms} ms`);
  }

  // max sustained deliveries/s: a backlog produced while the receiver holds nothing back, drained flat out
  if (backlog > 0) {
    histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    received = 0;
    progress(`max throughput: producing a backlog of ${backlog} alerts as fast as possible`);
    const started = now();
    for (let i = 0; i < backlog; i += 5_000) {
      const t = now();
      await producer.send({
        topic: topics.alerts,
        messages: Array.from({ length: Math.min(5_000, backlog - i) }, () => alertAt(t)),
      });
    }
    const sendSeconds = (now() - started) / 1_000;
    const ticker = setInterval(
      () =>
        void queueDepth().then((depth) =>
          progress(`max throughput: received ${received}/${backlog}, service queue ${depth}`),
        ),
      1_000,
    );
    await until(
      () => received >= backlog,
      300_000,
      () => `backlog: received ${received}/${backlog}`,
    );
    clearInterval(ticker);
    const deliverySeconds = (lastReceiveMs - firstReceiveMs) / 1_000;
    phases.push(
      summary('max (backlog)', null, backlog, received, backlog / sendSeconds, received / deliverySeconds, histogram),
    );
  }

  const result = {
    benchmark: 'alerting: alert produced → webhook received',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    setup: {
      broker: broker ? 'local broker started by the bench' : bootstrap,
      partitions: 6,
      receiverConcurrency: Number(values.concurrency),
      fingerprints,
      secondsPerRate: seconds,
      receiver: 'in-process webhook sink on 127.0.0.1, verifying every signature; the service in its own process',
      latency: 'receive time − time just before producer.send (producer linger 1 ms, acks=all)',
    },
    phases,
  };
  mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
  writeFileSync(join(REPO_ROOT, '.bench', 'alerting.json'), `${JSON.stringify(result, null, 2)}\n`);
  printTable(phases);
  process.stdout.write(`\nwritten to .bench/alerting.json\n`);
}

function summary(
  name: string,
  targetRate: number | null,
  sent: number,
  receivedCount: number,
  sendRate: number,
  deliveries: number,
  h: hdr.Histogram,
): Phase {
  const ms = (us: number): number => Math.round(us / 10) / 100;
  return {
    name,
    targetRate,
    sent,
    received: receivedCount,
    achievedSendRate: Math.round(sendRate),
    deliveriesPerSecond: Math.round(deliveries),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
  };
}

function printTable(phases: readonly Phase[]): void {
  const rows = [['phase', 'sent', 'received', 'send/s', 'deliveries/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms']];
  for (const p of phases)
    rows.push([
      p.name,
      String(p.sent),
      String(p.received),
      String(p.achievedSendRate),
      String(p.deliveriesPerSecond),
      String(p.p50Ms),
      String(p.p90Ms),
      String(p.p99Ms),
      String(p.maxMs),
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
}

async function until(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await sleep(20);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

process.once('SIGINT', () => {
  progress('interrupted; cleaning up');
  void cleanup().then(() => process.exit(130));
});

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    await cleanup();
    process.exit(1);
  },
);
