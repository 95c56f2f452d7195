/**
 * The processor CLI reloads its rules on SIGHUP (a real signal to the real process, against the real
 * broker): a removed rule's FIRING gets its RESOLVED, a broken file is refused and the process goes on with
 * the rules it had. Needs `pnpm build` (it runs dist/).
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, produceRaw, uniqueName } from '../../../../test/kafka.js';
import {
  readAlerts,
  readingCodec,
  rep,
  rulesFile,
  series,
  startCli,
  stopAll,
  topicsFor,
} from './processor-fixtures.js';

afterEach(stopAll);

const RULES = `grace: 2s
rules:
  - name: temp-high
    metric: temperature
    window: 10s
    statistic: mean
    above: 80
    severity: critical
  - name: cpu-high
    metric: cpu
    window: 5s
    statistic: mean
    above: 90
    severity: warning
`;

const produce = (topic: string, readings: ReturnType<typeof series>) =>
  produceRaw(
    topic,
    readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })),
  );

describe('processor CLI: SIGHUP reloads the rules', () => {
  it('resolves a removed rule on SIGHUP, refuses a broken file and keeps running with its rules', async () => {
    const topics = topicsFor('reload-cli');
    await createTopics([topics.readings, topics.alerts], { partitions: 1 });
    const file = rulesFile(false);
    writeFileSync(file, RULES);
    const child = startCli(topics, uniqueName('reload-cli-group'), file, '0');
    await produce(topics.readings, series('site-a/dev-a', 'temperature', rep(3, 90)));
    await produce(topics.readings, series('site-b/dev-b', 'cpu', rep(3, 99)));
    const firing = await readAlerts(topics.alerts, 2);
    expect(firing.map((a) => `${a.rule} ${a.status}`)).toEqual(['temp-high FIRING', 'cpu-high FIRING']);

    writeFileSync(file, RULES.slice(0, RULES.indexOf('  - name: cpu-high')));
    child.kill('SIGHUP');
    const resolved = (await readAlerts(topics.alerts, 3))[2]!;
    expect(resolved).toMatchObject({
      rule: 'cpu-high',
      status: 'RESOLVED',
      deviceId: 'site-b/dev-b',
      startsAt: firing[1]!.startsAt,
      summary: 'cpu-high on site-b/dev-b/cpu: resolved by a rules reload (rule removed)',
    });

    // a file that does not load: refused, the process goes on with temp-high
    writeFileSync(file, 'grace: 2s\nrules: [');
    child.kill('SIGHUP');
    await produce(topics.readings, series('site-a/dev-a', 'temperature', rep(10, 10), 3));
    const last = (await readAlerts(topics.alerts, 4))[3]!;
    expect(`${last.rule} ${last.status}`).toBe('temp-high RESOLVED');
    expect(last.startsAt).toBe(firing[0]!.startsAt);
    expect(child.exitCode).toBeNull();
  });
});
