import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { parseWebhookSecrets, SigningKeys, signWebhook, verifyWebhook } from '../src/index.js';

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

describe('signWebhook', () => {
  it('produces headers the reference standardwebhooks library verifies', () => {
    const secret = newSecret();
    const body = JSON.stringify({ type: 'sensor.alert.firing', data: { eventId: 'evt-1' } });
    const nowSeconds = Math.floor(Date.now() / 1_000);
    const headers = signWebhook({ id: 'evt-1', timestampSeconds: nowSeconds, body, keys: parseWebhookSecrets(secret) });
    expect(headers['webhook-id']).toBe('evt-1');
    expect(headers['webhook-timestamp']).toBe(String(nowSeconds));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with the same value as the reference implementation', () => {
    const secret = newSecret();
    const at = new Date(1_736_937_000_000);
    const headers = signWebhook({
      id: 'msg_1',
      timestampSeconds: 1_736_937_000,
      body: '{"a":1}',
      keys: parseWebhookSecrets(secret),
    });
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', at, '{"a":1}'));
  });

  it('signs with every key during a rotation; receivers with either key accept', () => {
    const [oldSecret, newOne] = [newSecret(), newSecret()];
    const body = '{"x":1}';
    const headers = signWebhook({
      id: 'evt-2',
      timestampSeconds: Math.floor(Date.now() / 1_000),
      body,
      keys: parseWebhookSecrets(`${oldSecret} ${newOne}`),
    });
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newOne).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
  });

  it('omits the signature without keys but keeps id and timestamp', () => {
    expect(signWebhook({ id: 'e', timestampSeconds: 1, body: '', keys: [] })).toEqual({
      'webhook-id': 'e',
      'webhook-timestamp': '1',
    });
  });
});

describe('verifyWebhook', () => {
  const secret = newSecret();
  const keys = parseWebhookSecrets(secret);
  const nowMs = 1_736_937_000_000;
  const body = '{"hello":"world"}';
  const signed = signWebhook({ id: 'evt-9', timestampSeconds: nowMs / 1_000, body, keys });

  it('accepts a fresh, correctly signed request', () => {
    expect(verifyWebhook(signed, body, keys, nowMs + 1_000)).toEqual({
      ok: true,
      id: 'evt-9',
      timestampSeconds: nowMs / 1_000,
    });
  });

  it('rejects a tampered body, a wrong key, missing headers, stale and future timestamps', () => {
    expect(verifyWebhook(signed, `${body} `, keys, nowMs)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhook(signed, body, parseWebhookSecrets(newSecret()), nowMs)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyWebhook({ ...signed, 'webhook-signature': undefined }, body, keys, nowMs)).toEqual({
      ok: false,
      reason: 'missing-headers',
    });
    expect(verifyWebhook(signed, body, keys, nowMs + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook(signed, body, keys, nowMs - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook({ ...signed, 'webhook-timestamp': 'soon' }, body, keys, nowMs)).toEqual({
      ok: false,
      reason: 'bad-timestamp',
    });
  });

  it('agrees with the reference library on what it signs', () => {
    const reference = new Webhook(secret).sign('evt-10', new Date(nowMs), body);
    const headers = {
      'webhook-id': 'evt-10',
      'webhook-timestamp': String(nowMs / 1_000),
      'webhook-signature': reference,
    };
    expect(verifyWebhook(headers, body, keys, nowMs).ok).toBe(true);
  });
});

describe('parseWebhookSecrets and SigningKeys', () => {
  it('reads one or several whsec_ secrets', () => {
    expect(parseWebhookSecrets(`${newSecret()}  ${newSecret()}\n`)).toHaveLength(2);
  });

  it('refuses malformed secrets without echoing them', () => {
    expect(() => parseWebhookSecrets('hunter2hunter2hunter2')).toThrow(/whsec_<base64>/);
    expect(() => parseWebhookSecrets('whsec_not*base64')).toThrow(/not valid base64/);
    expect(() => parseWebhookSecrets('whsec_c2hvcnQ=')).toThrow(/at least 16/);
    expect(() => parseWebhookSecrets('  ')).toThrow(/empty/);
    try {
      parseWebhookSecrets('whsec_c2hvcnQ=');
    } catch (err) {
      expect((err as Error).message).not.toContain('c2hvcnQ');
    }
  });

  it('never shows keys in JSON or inspect output', () => {
    const keys = new SigningKeys(parseWebhookSecrets(newSecret()));
    expect(JSON.stringify({ keys })).toBe('{"keys":"[1 key redacted]"}');
    expect(inspect({ keys })).toContain('[1 key redacted]');
    expect(keys.reveal()).toHaveLength(1);
  });
});
