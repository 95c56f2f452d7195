/** The sink's one-line description of a payload, for each format it knows. */
import { describe, expect, it } from 'vitest';
import { describePayload, formatAlertmanager, formatSlack } from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';

describe('describePayload', () => {
  it('describes every payload format', () => {
    expect(describePayload(JSON.parse(formatSlack(sampleAlert())), 10).format).toBe('slack');
    expect(
      describePayload(
        JSON.parse(formatAlertmanager(sampleAlert(), { receiver: 'am', externalURL: '', generatorURL: '' })),
        10,
      ).text,
    ).toContain('FIRING critical cpu-high device=site-a/dev-0042');
    expect(describePayload('nope', 4)).toEqual({ format: 'unknown', text: '4 bytes' });
  });
});
