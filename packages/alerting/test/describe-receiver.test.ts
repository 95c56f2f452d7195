/** What `alerting check` prints for each receiver. */
import { describe, expect, it } from 'vitest';
import { describeReceiver } from '../src/config/describe-receiver.js';
import { parseAlertingConfig } from '../src/config/load-alerting-config.js';

const publicDns = async (): Promise<string[]> => ['93.184.216.34'];

describe('describeReceiver', () => {
  it('names a webhook by its payload format and URL, an Alertmanager receiver by its API and targets', async () => {
    const config = await parseAlertingConfig(
      [
        'receivers:',
        '  - name: hooks',
        '    url: https://hooks.example.com/alerts?x=1',
        '    format: slack',
        '  - name: am',
        '    type: alertmanager',
        '    urls: [https://am-1.example:9093, https://am-2.example:9093]',
        '    resendInterval: 30s',
        'route: { receiver: hooks, routes: [{ receiver: am }] }',
      ].join('\n'),
      'alerting.yaml',
      { env: {}, resolveHost: publicDns },
    );
    const [hooks, am] = config.receivers.map(describeReceiver);
    expect(hooks).toBe(
      '  hooks: slack → https://hooks.example.com/alerts (unsigned, timeout 10000 ms, concurrency 4, 8 attempts)',
    );
    expect(am).toBe(
      '  am: Alertmanager API, postable alerts re-sent every 30s → https://am-1.example:9093/api/v2/alerts, https://am-2.example:9093/api/v2/alerts (unsigned, timeout 10000 ms, concurrency 4, 8 attempts)',
    );
    expect(am).not.toMatch(/native/);
  });
});
