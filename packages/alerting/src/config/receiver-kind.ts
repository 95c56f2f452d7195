/**
 * The receiver kinds and their fields. `type: webhook` (the default) POSTs one formatted, signed request
 * per alert to `url`. `type: alertmanager` pushes to a real Prometheus Alertmanager's API instead of
 * imitating its webhook: `POST <url>/api/v2/alerts` with postable alerts, firing ones re-sent every
 * `resendInterval` (default one minute) with an `endsAt` in the future, as Prometheus does. An HA pair is
 * listed under `urls` (each Alertmanager gets every alert, with its own queue and retries); `url` is the
 * one-instance shorthand. Kept apart from the receiver schema so the kinds can grow without touching it.
 */
import { durationMs, enumField, stringField } from '@sensor-pipeline/shared';
import { z } from 'zod';

export const RECEIVER_TYPES = ['webhook', 'alertmanager'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

/** The path of Alertmanager's API that takes alerts, appended to each Alertmanager URL. */
export const ALERTMANAGER_ALERTS_PATH = '/api/v2/alerts';

export const RECEIVER_KIND_DEFAULTS = {
  type: 'webhook' as ReceiverType,
  resendIntervalMs: 60_000, // one minute, Prometheus' --rules.alert.resend-delay
} as const;

export const RECEIVER_KIND_LIMITS = {
  resendIntervalMs: 3_600_000, // one hour
  minResendIntervalMs: 100,
  urls: 16,
} as const;

/** Fields spread into the receiver schema. */
export const receiverKindFields = {
  type: enumField(RECEIVER_TYPES).default(RECEIVER_KIND_DEFAULTS.type),
  urls: z.array(stringField({ min: 1, max: 2_048 })).optional(),
  resendInterval: durationMs({
    min: RECEIVER_KIND_LIMITS.minResendIntervalMs,
    max: RECEIVER_KIND_LIMITS.resendIntervalMs,
  }).default(RECEIVER_KIND_DEFAULTS.resendIntervalMs),
};

interface KindInput {
  readonly type: ReceiverType;
  readonly url?: string | undefined;
  readonly urls?: readonly string[] | undefined;
}

type Issue = (path: (string | number)[], message: string) => void;

/**
 * Cross-field checks of one receiver's kind: a webhook has exactly `url`; an Alertmanager has `url` or
 * `urls` (absolute http(s); the SSRF guard checks each like `url`).
 */
export function checkReceiverKind(r: KindInput, at: (field: string) => (string | number)[], issue: Issue): void {
  if (r.type === 'webhook') {
    if (r.urls !== undefined) issue(at('urls'), 'urls is for type: alertmanager; a webhook receiver has one url');
    if (r.url === undefined) issue(at('url'), 'expected the receiver URL, e.g. url: https://hooks.example.com/alerts');
    return;
  }
  if (r.url !== undefined && r.urls !== undefined)
    issue(at('urls'), 'set either url (one Alertmanager) or urls (several, e.g. an HA pair), not both');
  else if (r.url === undefined && (r.urls === undefined || r.urls.length === 0))
    issue(at('urls'), "expected the Alertmanager's base URL(s), e.g. urls: [http://alertmanager:9093]");
  if (r.urls && r.urls.length > RECEIVER_KIND_LIMITS.urls)
    issue(at('urls'), `at most ${RECEIVER_KIND_LIMITS.urls} Alertmanager URLs, got ${r.urls.length}`);
  r.urls?.forEach((text, i) => {
    const path = [...at('urls'), i];
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      issue(path, `expected an absolute http(s) URL like http://alertmanager:9093, got "${text}"`);
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      issue(path, `expected an http or https URL, got ${url.protocol.replace(':', '')}`);
  });
}

/** The URLs a receiver sends to: its `url`, or each Alertmanager's alerts API. */
export function receiverTargets(r: KindInput): string[] {
  const bases: readonly string[] = r.urls ?? (r.url !== undefined ? [r.url] : []);
  return r.type === 'alertmanager' ? bases.map(alertmanagerAlertsUrl) : [...bases];
}

/** `http://am:9093` → `http://am:9093/api/v2/alerts` (a path prefix is kept: `http://h/am` → `http://h/am/api/v2/alerts`). */
export function alertmanagerAlertsUrl(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${ALERTMANAGER_ALERTS_PATH}`;
  return url.toString();
}
