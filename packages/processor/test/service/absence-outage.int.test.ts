/**
 * Silence is an alert, against the real broker: readings stamped with the wall clock stop while the processor
 * keeps running, and the device, site and fleet absence alerts fire during the outage (idle partitions follow
 * the wall clock); the first readings after it resolve each of them once and fire nothing. A processor stopped
 * while devices keep reporting catches up without a false silence. A processor killed mid-outage and restarted
 * publishes the same event ids. Readings dated minutes in the past arriving at a processor whose idle clock
 * has run to now (a fast simulator run, a backfill) are judged on their own event time and fire nothing.
 * Waits are polling deadlines (absent + idle interval + a generous margin),
 * never wall-clock assertions; the end of the output is marked by sentinel alerts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Alert,
  createConsumer,
  createRawProducer,
  type RawProducer,
  type SensorReading,
} from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createTopics, kafkaSettings, testLogger, uniqueName, waitFor } from '../../../../test/kafka.js';
import {
  alerts as alertCodec,
  readingCodec,
  startCli,
  startInProcess,
  stopAll,
  topicsFor,
} from './processor-fixtures.js';

afterEach(stopAll);

const ABSENT_MS = 3_000;
const IDLE_MS = 1_000;
const GRACE_MS = 1_000;
/** absent + grace + idle interval, plus a generous margin for a busy machine (a polling deadline, not a bound). */
const FIRE_DEADLINE_MS = ABSENT_MS + GRACE_MS + IDLE_MS + 45_000;
const ABSENCE_RULES = new Set(['device-silent', 'site-silent', 'fleet-silent']);
const DEVICES = ['a/dev-1', 'a/dev-2', 'b/dev-1'];
const SENTINEL = 'zz/sentinel';

function rules(absentMs = ABSENT_MS): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.yaml');
  writeFileSync(
    file,
    `grace: ${GRACE_MS}ms
rules:
  - name: sentinel-high
    metric: cpu
    window: 1s
    statistic: max
    above: 95
    severity: info
    devices: { match: "zz/*" }
  - name: device-silent
    absent: ${absentMs}ms
    scope: device
    severity: warning
    devices: { match: "[ab]/*" }
  - name: site-silent
    absent: ${absentMs}ms
    by: [site]
    severity: critical
    devices: { match: "[ab]/*" }
  - name: fleet-silent
    absent: ${absentMs}ms
    scope: fleet
    severity: critical
    devices: { match: "[ab]/*" }
`,
  );
  return file;
}

/** Devices reporting cpu and temperature every 250 ms, stamped with the wall clock, until stopped. */
class LiveDevices {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: RawProducer,
    private readonly topic: string,
    private readonly devices: readonly string[],
  ) {}

  /** Sends one report now and then every 250 ms; resolves once the first is acknowledged. */
  async start(): Promise<void> {
    await this.send();
    this.timer = setInterval(() => {
      this.sending = this.sending.then(() => this.send()).catch(() => undefined);
    }, 250);
  }

  /** Stops and waits for what was sent to be acknowledged. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
  }

  private send(): Promise<void> {
    const timestamp = Date.now();
    const records = this.devices.flatMap((deviceId) =>
      (['cpu', 'temperature'] as const).map((metric) => {
        const reading: SensorReading = {
          deviceId,
          metric,
          value: metric === 'cpu' ? 40 : 30,
          timestamp,
          seq: this.seq,
          labels: { site: deviceId.split('/')[0]! },
        };
        return { topic: this.topic, key: deviceId, value: readingCodec.encode(reading) };
      }),
    );
    this.seq++;
    return this.producer.produceBatch(records);
  }
}

/** Every alert on the (one-partition) alerts topic, in order, as they come. */
async function tailAlerts(topic: string): Promise<Alert[]> {
  const seen: Alert[] = [];
  const consumer = createConsumer(kafkaSettings('test-tail'), {
    logger: testLogger,
    groupId: uniqueName('tail'),
    readCommitted: true,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  void consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) seen.push(alertCodec.decode(message.value));
    },
  });
  onTestFinished(() => consumer.disconnect());
  return seen;
}

async function producer(): Promise<RawProducer> {
  const p = createRawProducer(kafkaSettings('test-live'), { logger: testLogger, lingerMs: 1 });
  await p.connect();
  onTestFinished(() => p.disconnect());
  return p;
}

/** Series name: rule plus the device, the site or `*` for the fleet. */
const seriesOf = (a: Alert): string => `${a.rule} ${a.deviceId || a.labels['site'] || '*'}`;
const EVERY_SERIES = [
  ...DEVICES.map((d) => `device-silent ${d}`),
  'site-silent a',
  'site-silent b',
  'fleet-silent *',
].sort();

function statusesOf(seen: readonly Alert[], status: 'FIRING' | 'RESOLVED'): string[] {
  return [...new Set(seen.filter((a) => ABSENCE_RULES.has(a.rule) && a.status === status).map(seriesOf))].sort();
}

/** Sends one sentinel reading per readings partition and waits for its alert: everything before it is out. */
async function markEnd(p: RawProducer, topic: string, partitions: number, seen: readonly Alert[]): Promise<void> {
  const marker = `${SENTINEL}-${Date.now()}`;
  await p.produceBatch(
    Array.from({ length: partitions }, (_, partition) => ({
      topic,
      key: marker,
      partition,
      value: readingCodec.encode({
        deviceId: marker,
        metric: 'cpu',
        value: 99,
        timestamp: Date.now(),
        seq: 0,
        labels: { site: 'zz' },
      }),
    })),
  );
  await waitFor(() => seen.filter((a) => a.deviceId === marker).length >= partitions, {
    timeoutMs: 60_000,
    message: 'sentinel alert',
  });
}

describe.each(['at-least-once', 'exactly-once'] as const)('absence during an outage (%s)', (delivery) => {
  it('a total outage fires device, site and fleet alerts while it lasts; the data coming back resolves each once and fires nothing', async () => {
    const topics = topicsFor('outage');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const seen = await tailAlerts(topics.alerts);
    const p = await producer();
    const fleet = new LiveDevices(p, topics.readings, DEVICES);
    const service = startInProcess(topics, uniqueName('outage'), rules(), delivery, { idleAdvanceAfterMs: IDLE_MS });
    await service.start();
    await fleet.start();
    await waitFor(() => service.readiness().ready, { timeoutMs: 60_000, message: 'processor ready' });
    // devices reported for a while: nothing silent
    await markEnd(p, topics.readings, 2, seen);
    expect(seen.filter((a) => ABSENCE_RULES.has(a.rule))).toEqual([]);

    await fleet.stop(); // the outage: nothing arrives any more, the processor keeps running
    await waitFor(() => statusesOf(seen, 'FIRING').length === EVERY_SERIES.length, {
      timeoutMs: FIRE_DEADLINE_MS,
      message: () => `absence alerts during the outage; have ${statusesOf(seen, 'FIRING').join(', ')}`,
    });
    expect(statusesOf(seen, 'FIRING')).toEqual(EVERY_SERIES);
    const firedDuringOutage = seen.length;

    await fleet.start(); // data comes back
    await waitFor(() => statusesOf(seen, 'RESOLVED').length === EVERY_SERIES.length, {
      timeoutMs: 60_000,
      message: () => `resolved after the outage; have ${statusesOf(seen, 'RESOLVED').join(', ')}`,
    });
    await markEnd(p, topics.readings, 2, seen);
    await fleet.stop();
    const after = seen.slice(firedDuringOutage).filter((a) => ABSENCE_RULES.has(a.rule));
    expect(after.filter((a) => a.status === 'FIRING')).toEqual([]);
    // each series resolved once (at-least-once may repeat an event, always with the same id)
    const resolvedIds = new Map<string, Set<string>>();
    for (const a of after) resolvedIds.set(seriesOf(a), (resolvedIds.get(seriesOf(a)) ?? new Set()).add(a.eventId));
    expect([...resolvedIds.keys()].sort()).toEqual(EVERY_SERIES);
    for (const ids of resolvedIds.values()) expect(ids.size).toBe(1);
    // labels follow the scope
    const site = seen.find((a) => a.rule === 'site-silent')!;
    expect(site.labels).toEqual({ site: site.labels['site'], rule: 'site-silent', severity: 'critical' });
    expect(seen.find((a) => a.rule === 'device-silent')!.labels).not.toHaveProperty('metric');
  }, 180_000);

  it('a processor stopped while devices keep reporting catches up without a false silence', async () => {
    const topics = topicsFor('catchup');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const seen = await tailAlerts(topics.alerts);
    const p = await producer();
    const fleet = new LiveDevices(p, topics.readings, DEVICES);
    const group = uniqueName('catchup');
    // idle advance after 1 ms: only the backlog check keeps the catch-up from following the wall clock
    const first = startInProcess(topics, group, rules(), delivery, { idleAdvanceAfterMs: 1 });
    await first.start();
    await fleet.start();
    await markEnd(p, topics.readings, 2, seen);
    await first.stop();
    // devices keep reporting for longer than absent + grace while no processor runs: a backlog builds up
    const stoppedAt = Date.now();
    await waitFor(() => Date.now() - stoppedAt > ABSENT_MS + GRACE_MS + 3_000, { timeoutMs: 30_000, intervalMs: 200 });
    const second = startInProcess(topics, group, rules(), delivery, { idleAdvanceAfterMs: 1 });
    await second.start();
    await markEnd(p, topics.readings, 2, seen);
    await fleet.stop();
    expect(seen.filter((a) => ABSENCE_RULES.has(a.rule))).toEqual([]);
  }, 180_000);

  it('a processor killed during the outage and restarted publishes the same event ids', async () => {
    const topics = topicsFor('crash');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const seen = await tailAlerts(topics.alerts);
    const p = await producer();
    const fleet = new LiveDevices(p, topics.readings, DEVICES);
    const group = uniqueName('crash');
    const file = rules();
    const args = ['--delivery', delivery, '--idle-advance-after', `${IDLE_MS}ms`, '--static-membership'];
    const first = startCli(topics, group, file, '0', args);
    await fleet.start();
    await markEnd(p, topics.readings, 2, seen);
    await fleet.stop();
    await waitFor(() => statusesOf(seen, 'FIRING').length === EVERY_SERIES.length, {
      timeoutMs: FIRE_DEADLINE_MS,
      message: () => `absence alerts during the outage; have ${statusesOf(seen, 'FIRING').join(', ')}`,
    });
    first.kill('SIGKILL'); // no commit, no goodbye: whatever was not persisted is rebuilt from Kafka
    await new Promise((resolve) => first.once('exit', resolve));
    startCli(topics, group, file, '0', args);
    await fleet.start();
    await waitFor(() => statusesOf(seen, 'RESOLVED').length === EVERY_SERIES.length, {
      timeoutMs: 90_000,
      message: () => `resolved after the restart; have ${statusesOf(seen, 'RESOLVED').join(', ')}`,
    });
    await markEnd(p, topics.readings, 2, seen);
    await fleet.stop();
    // every series: one FIRING id and one RESOLVED id, however often a repeat was published
    const ids = new Map<string, Set<string>>();
    for (const a of seen.filter((x) => ABSENCE_RULES.has(x.rule))) {
      const key = `${seriesOf(a)} ${a.status}`;
      ids.set(key, (ids.get(key) ?? new Set()).add(a.eventId));
    }
    expect([...ids.keys()].sort()).toEqual(EVERY_SERIES.flatMap((s) => [`${s} FIRING`, `${s} RESOLVED`]).sort());
    for (const [key, set] of ids) expect(set.size, key).toBe(1);
  }, 240_000);

  it('readings dated minutes in the past reaching an idle processor fire no absence alert', async () => {
    const topics = topicsFor('backdated');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const seen = await tailAlerts(topics.alerts);
    const p = await producer();
    const absentMs = 30_000;
    const service = startInProcess(topics, uniqueName('backdated'), rules(absentMs), delivery, {
      idleAdvanceAfterMs: IDLE_MS,
    });
    await service.start();
    await waitFor(() => service.readiness().ready, { timeoutMs: 60_000, message: 'processor ready' });
    // one device per partition, dated 5 minutes ago: its silence fires once the partition's idle clock has run
    // to now, which shows both partitions are idle past the idle interval before the run below arrives
    const startMs = Date.now();
    await p.produceBatch(
      [0, 1].map((partition) => ({
        topic: topics.readings,
        key: `a/warm-${partition}`,
        partition,
        value: readingCodec.encode({
          deviceId: `a/warm-${partition}`,
          metric: 'cpu',
          value: 40,
          timestamp: startMs - 300_000,
          seq: 0,
          labels: { site: 'w' },
        }),
      })),
    );
    const warmSeries = ['device-silent a/warm-0', 'device-silent a/warm-1', 'fleet-silent *', 'site-silent w'];
    await waitFor(() => statusesOf(seen, 'FIRING').length === warmSeries.length, {
      timeoutMs: FIRE_DEADLINE_MS,
      message: () => `idle clocks at now; have ${statusesOf(seen, 'FIRING').join(', ')}`,
    });
    expect(statusesOf(seen, 'FIRING')).toEqual(warmSeries);
    const before = seen.length;

    // a fast run: every device reports cpu and temperature once a second of event time, dated the last 3 minutes
    const endMs = Date.now();
    const records = [];
    for (let t = endMs - 180_000, seq = 0; t <= endMs; t += 1_000, seq++) {
      for (const deviceId of DEVICES) {
        for (const metric of ['cpu', 'temperature'] as const) {
          const reading: SensorReading = {
            deviceId,
            metric,
            value: metric === 'cpu' ? 40 : 30,
            timestamp: t,
            seq,
            labels: { site: deviceId.split('/')[0]! },
          };
          records.push({ topic: topics.readings, key: deviceId, value: readingCodec.encode(reading) });
        }
      }
    }
    await p.produceBatch(records);
    await markEnd(p, topics.readings, 2, seen);
    const after = seen.slice(before).filter((a) => ABSENCE_RULES.has(a.rule));
    // the run's end is a real silence, but only absent after its last reading (not seen on a machine this fast)
    const falseFirings = after.filter((a) => a.status === 'FIRING' && a.startsAt < endMs + absentMs);
    expect(falseFirings.map(seriesOf)).toEqual([]);
    // the fleet was silent (only the warm-up devices had reported) and resolves once; they stay firing
    expect(statusesOf(after, 'RESOLVED')).toEqual(['fleet-silent *']);
  }, 180_000);
});
