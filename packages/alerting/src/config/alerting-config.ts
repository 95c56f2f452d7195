/**
 * The alerting config file (`config/alerting.yaml`): receivers, the routing tree and service settings,
 * as a zod schema with typed defaults, and the checks that span fields (route → receiver names, secrets
 * from the environment or a file only, the SSRF guard on receiver URLs). Durations are written like `30s`
 * in YAML and become `...Ms` numbers here. Every problem is reported with its path, which
 * `parseConfig` turns into file:line:column.
 *
 * The schema is built per load (`alertingConfigSchema(context)`) because some checks need what the
 * loader found out first: which secrets were literal in the YAML, what receiver host names resolve to.
 * Top-level and receiver schemas are plain (strict) objects, not transforms, so unknown fields get
 * "did you mean" hints; the conversion to `AlertingConfig` happens in `build` after validation.
 *
 * Fields are read with shared's coercions (durations always with a unit, numbers and switches also from
 * `${VAR}` text, checked globs). Every duration has an upper bound, named in the error: `timeout` ≤ 10m,
 * `retry.initialDelay` ≤ 1h, `retry.maxDelay` and `retry.maxRetryAfter` ≤ 1d, `consumer.commitInterval` ≤ 1h,
 * `dedup.window` ≤ 7d, `shutdown.drainTimeout` ≤ 10m. A `secretFile` is read like a config file, at most
 * 64 KiB.
 */
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import {
  booleanField,
  ConfigError,
  describeInput,
  durationMs,
  enumField,
  globList,
  integerField,
  numberField,
  readConfigText,
  stringField,
} from '@sensor-pipeline/shared';
import { z } from 'zod';
import { DEFAULT_PARKED_RETRY_POLICY, type ParkedRetryPolicy } from '../delivery/parked-retry-schedule.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../delivery/retry-schedule.js';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../format/payload-format.js';
import { type AlertMatch, glob } from '../routing/alert-matcher.js';
import type { RouteSpec } from '../routing/route-tree.js';
import { parseWebhookSecrets } from '../signing/parse-webhook-secrets.js';
import { SigningKeys } from '../signing/signing-keys.js';
import { classifyAddress, isIpAddress } from '../ssrf/classify-address.js';
import type { InhibitRule } from '../stages/inhibit-stage.js';
import { inhibitRulesSchema, toInhibitRules } from './inhibit-rules.js';
import { type ReceiverGroupConfig, receiverGroupSchema, toGroupConfig } from './receiver-group.js';
import { checkReceiverKind, type ReceiverType, receiverKindFields, receiverTargets } from './receiver-kind.js';

export type QueueFullPolicy = 'pause' | 'dead-letter';

export interface ReceiverConfig {
  readonly name: string;
  /** `webhook`: one formatted request per alert; `alertmanager`: postable alerts to Alertmanager's API. */
  readonly type: ReceiverType;
  /** The first of `targets`. */
  readonly url: string;
  /** Where requests go: the webhook URL, or each Alertmanager's `/api/v2/alerts` (each gets every alert). */
  readonly targets: readonly string[];
  /** `alertmanager`: how often firing alerts are re-sent (their `endsAt` is 4 intervals ahead). */
  readonly resendIntervalMs: number;
  /** Webhooks: Alertmanager-style grouping; absent = one request per alert. */
  readonly group?: ReceiverGroupConfig | undefined;
  readonly format: PayloadFormat;
  /** Standard Webhooks keys; none → requests are not signed. */
  readonly signingKeys: SigningKeys;
  /** Whole request: connect, send, response headers and body. */
  readonly timeoutMs: number;
  /** Requests in flight at once (also the connection pool size). */
  readonly concurrency: number;
  /** Alerts waiting (queued, in flight or retrying) before the queue counts as full. */
  readonly queueSize: number;
  /** What a full queue does: pause the consumer (default) or dead-letter new alerts for this receiver. */
  readonly onQueueFull: QueueFullPolicy;
  readonly retry: RetryPolicy;
  /** After `retry.maxAttempts` quick attempts: the retry topic's schedule and horizon (when the service has one). */
  readonly parkedRetry: ParkedRetryPolicy;
  /** Extra request headers (e.g. Authorization for a Slack proxy); cannot override the webhook-* ones. */
  readonly headers: Readonly<Record<string, string>>;
  readonly allowPrivateNetwork: boolean;
}

export interface AlertingConfig {
  readonly receivers: readonly ReceiverConfig[];
  readonly route: RouteSpec;
  /** Alertmanager-style inhibition: alerts a firing source alert mutes. */
  readonly inhibitRules?: readonly InhibitRule[];
  readonly consumer: {
    readonly groupId: string;
    /** How often committable offsets are committed. */
    readonly commitIntervalMs: number;
    readonly maxBatchSize: number;
  };
  readonly dedup: { readonly windowMs: number; readonly maxEntries: number };
  readonly links: { readonly externalURL: string; readonly generatorURL: string };
  readonly shutdown: { readonly drainTimeoutMs: number };
}

export const DEFAULTS = {
  receiver: {
    format: 'native' as PayloadFormat,
    timeoutMs: 10_000, // ten seconds per attempt
    concurrency: 4,
    queueSize: 10_000,
    onQueueFull: 'pause' as QueueFullPolicy,
  },
  consumer: { groupId: 'alerting', commitIntervalMs: 1_000, maxBatchSize: 500 },
  dedup: { windowMs: 3_600_000 /* one hour */, maxEntries: 100_000 },
  shutdown: { drainTimeoutMs: 10_000 /* ten seconds */ },
} as const;

/** What the loader learned before validation. */
export interface AlertingConfigContext {
  /** Directory `secretFile` paths are relative to (the config file's). */
  readonly baseDir: string;
  /** Receiver indexes whose `secret` was not exactly one `${VAR}` reference in the YAML. */
  readonly literalSecrets: ReadonlySet<number>;
  /** Host name → its addresses, for receivers without `allowPrivateNetwork` (unresolvable hosts absent). */
  readonly resolvedHosts: ReadonlyMap<string, readonly string[]>;
  readonly readFile?: (path: string) => string;
}

const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
]);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Upper bounds of the durations (see the doc comment above). */
export const LIMITS = {
  timeoutMs: 600_000, // ten minutes
  initialDelayMs: 3_600_000, // one hour
  maxDelayMs: 86_400_000, // one day
  maxRetryAfterMs: 86_400_000, // one day
  retryHorizonMs: 604_800_000, // seven days (the retry topic keeps records a week)
  commitIntervalMs: 3_600_000, // one hour
  dedupWindowMs: 604_800_000, // seven days
  drainTimeoutMs: 600_000, // ten minutes
  secretFileBytes: 65_536, // 64 KiB
  urlLength: 2_048,
  headerValueLength: 8_192,
} as const;

const intField = (min: number, max: number) => integerField({ min, max });
/** A glob or a list of globs, checked for syntax (shared) and compiled the way routing will. */
const globs = () =>
  globList().superRefine((patterns, ctx) => {
    try {
      glob(patterns);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

const retrySchema = z
  .strictObject({
    initialDelay: durationMs({ min: 1, max: LIMITS.initialDelayMs }).default(DEFAULT_RETRY_POLICY.initialMs),
    multiplier: numberField({ min: 1, max: 100 }).default(DEFAULT_RETRY_POLICY.multiplier),
    maxDelay: durationMs({ min: 1, max: LIMITS.maxDelayMs }).default(DEFAULT_RETRY_POLICY.maxMs),
    maxAttempts: intField(1, 1_000).default(DEFAULT_RETRY_POLICY.maxAttempts),
    jitter: enumField(['full', 'equal', 'none']).default(DEFAULT_RETRY_POLICY.jitter),
    maxRetryAfter: durationMs({ max: LIMITS.maxRetryAfterMs }).default(DEFAULT_RETRY_POLICY.maxRetryAfterMs),
    // non-blocking retries through the retry topic, after maxAttempts (see parked-retry-schedule.ts)
    schedule: z
      .array(durationMs({ min: 1, max: LIMITS.maxDelayMs }))
      .min(1, 'expected at least one delay, e.g. [5m, 30m, 2h]')
      .max(100)
      .default([...DEFAULT_PARKED_RETRY_POLICY.scheduleMs]),
    horizon: durationMs({ max: LIMITS.retryHorizonMs }).default(DEFAULT_PARKED_RETRY_POLICY.horizonMs),
  })
  .superRefine((r, ctx) => {
    if (r.maxDelay < r.initialDelay)
      ctx.addIssue({
        code: 'custom',
        path: ['maxDelay'],
        message: `maxDelay (${r.maxDelay} ms) must be at least initialDelay (${r.initialDelay} ms)`,
      });
  });

const urlField = stringField({ min: 1, max: LIMITS.urlLength }).superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected an absolute http(s) URL like https://hooks.example.com/alerts, got "${text}"`,
    });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `expected an http or https URL, got ${url.protocol.replace(':', '')}` });
  if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'the URL has no host' });
});

const receiverSchema = z.strictObject({
  name: stringField({
    min: 1,
    max: 100,
    pattern: NAME,
    patternMessage: 'expected a name of letters, digits, ".", "_" or "-" (at most 100)',
  }),
  url: urlField.optional(),
  ...receiverKindFields,
  group: receiverGroupSchema.optional(),
  format: enumField(PAYLOAD_FORMATS).default(DEFAULTS.receiver.format),
  secret: stringField({ max: LIMITS.secretFileBytes }).optional(),
  secretFile: stringField({ min: 1, max: 4_096 }).optional(),
  timeout: durationMs({ min: 1, max: LIMITS.timeoutMs }).default(DEFAULTS.receiver.timeoutMs),
  concurrency: intField(1, 1_024).default(DEFAULTS.receiver.concurrency),
  queueSize: intField(1, 10_000_000).default(DEFAULTS.receiver.queueSize),
  onQueueFull: enumField(['pause', 'dead-letter']).default(DEFAULTS.receiver.onQueueFull),
  retry: retrySchema.prefault({}),
  headers: z
    .record(stringField({ min: 1, max: 256 }), stringField({ max: LIMITS.headerValueLength }))
    .default({})
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (RESERVED_HEADERS.has(name.toLowerCase()))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `header ${name} is set by the service and cannot be configured`,
          });
        else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid HTTP header name` });
      }
    }),
  allowPrivateNetwork: booleanField().default(false),
});

const STATUSES = ['FIRING', 'RESOLVED', 'firing', 'resolved'] as const;
const statusField = z
  .union([enumField(STATUSES), z.array(enumField(STATUSES)).min(1, 'expected at least one status')], {
    error: (issue) => `expected FIRING or RESOLVED, or a list of them, got ${describeInput(issue.input)}`,
  })
  .transform((v) => (Array.isArray(v) ? v : [v]).map((s) => s.toUpperCase()));

const matchSchema = z.strictObject({
  severity: globs().optional(),
  status: statusField.optional(),
  rule: globs().optional(),
  device: globs().optional(),
  metric: globs().optional(),
  labels: z.record(z.string(), globs()).optional(),
});

interface ChildRoute {
  receiver?: string | undefined;
  match?: AlertMatch | undefined;
  continue?: boolean | undefined;
  routes?: ChildRoute[] | undefined;
}

const childRoute: z.ZodType<ChildRoute> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().optional(),
    match: matchSchema.optional(),
    continue: booleanField().optional(),
    routes: z.array(childRoute).optional(),
  }),
);

const rootRoute = z.strictObject({
  receiver: z.string({ error: 'expected the name of the default receiver' }),
  routes: z.array(childRoute).optional(),
});

const fileSchema = z.strictObject({
  receivers: z.array(receiverSchema).min(1, 'expected at least one receiver'),
  route: rootRoute,
  inhibitRules: inhibitRulesSchema,
  consumer: z
    .strictObject({
      groupId: stringField({ min: 1, max: 255 }).default(DEFAULTS.consumer.groupId),
      commitInterval: durationMs({ min: 10, max: LIMITS.commitIntervalMs }).default(DEFAULTS.consumer.commitIntervalMs),
      maxBatchSize: intField(1, 100_000).default(DEFAULTS.consumer.maxBatchSize),
    })
    .prefault({}),
  dedup: z
    .strictObject({
      window: durationMs({ min: 1, max: LIMITS.dedupWindowMs }).default(DEFAULTS.dedup.windowMs),
      maxEntries: intField(1, 100_000_000).default(DEFAULTS.dedup.maxEntries),
    })
    .prefault({}),
  links: z
    .strictObject({
      externalURL: stringField({ max: LIMITS.urlLength }).default(''),
      generatorURL: stringField({ max: LIMITS.urlLength }).default(''),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      drainTimeout: durationMs({ max: LIMITS.drainTimeoutMs }).default(DEFAULTS.shutdown.drainTimeoutMs),
    })
    .prefault({}),
});

type FileConfig = z.output<typeof fileSchema>;

/**
 * The file schema with the cross-field checks, and `build`, which turns a validated file into the
 * `AlertingConfig` (with the signing keys the checks read). Kept as a plain object schema, not a
 * transform, so `parseConfig` can still suggest field names for typos.
 */
export function alertingConfigSchema(context: AlertingConfigContext) {
  const keys = new Map<number, SigningKeys>();
  const schema = fileSchema.superRefine((file, ctx) => {
    const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });
    checkRoutes(file, issue);
    file.receivers.forEach((r, i) => {
      const found = checkReceiver(r, i, context, issue);
      if (found) keys.set(i, found);
    });
  });
  const build = (file: FileConfig): AlertingConfig => ({
    receivers: file.receivers.map((r, i) => toReceiver(r, keys.get(i) ?? SigningKeys.none)),
    route: file.route,
    inhibitRules: toInhibitRules(file.inhibitRules),
    consumer: {
      groupId: file.consumer.groupId,
      commitIntervalMs: file.consumer.commitInterval,
      maxBatchSize: file.consumer.maxBatchSize,
    },
    dedup: { windowMs: file.dedup.window, maxEntries: file.dedup.maxEntries },
    links: file.links,
    shutdown: { drainTimeoutMs: file.shutdown.drainTimeout },
  });
  return { schema, build };
}

type Issue = (path: (string | number)[], message: string) => void;

function checkRoutes(file: FileConfig, issue: Issue): void {
  const names = new Map<string, number>();
  file.receivers.forEach((r, i) => {
    if (names.has(r.name))
      issue(['receivers', i, 'name'], `duplicate receiver name "${r.name}" (also receivers[${names.get(r.name)}])`);
    else names.set(r.name, i);
  });
  const known = [...names.keys()].join(', ');
  const walk = (route: ChildRoute, path: (string | number)[]): void => {
    if (route.receiver !== undefined && !names.has(route.receiver)) {
      issue([...path, 'receiver'], `unknown receiver "${route.receiver}"; expected one of the receivers: ${known}`);
    }
    route.routes?.forEach((child, i) => {
      walk(child, [...path, 'routes', i]);
    });
  };
  walk(file.route, ['route']);
}

/** Secrets and the SSRF guard for one receiver; returns its signing keys when it has valid ones. */
function checkReceiver(
  r: FileConfig['receivers'][number],
  index: number,
  context: AlertingConfigContext,
  issue: Issue,
): SigningKeys | undefined {
  const at = (field: string): (string | number)[] => ['receivers', index, field];
  checkReceiverKind(r, at, issue);
  if (r.group !== undefined && r.type === 'alertmanager')
    issue(at('group'), 'an Alertmanager groups alerts itself (its route); group is for webhook receivers');
  let signingKeys: SigningKeys | undefined;
  if (r.secret !== undefined && r.secretFile !== undefined) {
    issue(at('secretFile'), 'set either secret (from ${ENV_VAR}) or secretFile, not both');
  } else if (r.secret !== undefined) {
    if (context.literalSecrets.has(index)) {
      issue(
        at('secret'),
        'secrets are never written in the YAML: write secret: ${SOME_ENV_VAR} (exactly one variable reference) or use secretFile',
      );
    } else {
      try {
        signingKeys = new SigningKeys(parseWebhookSecrets(r.secret));
      } catch (err) {
        issue(at('secret'), (err as Error).message);
      }
    }
  } else if (r.secretFile !== undefined) {
    const path = isAbsolute(r.secretFile) ? r.secretFile : resolvePath(context.baseDir, r.secretFile);
    let text: string | undefined;
    try {
      text = (context.readFile ?? ((p: string) => readConfigText(p, { maxBytes: LIMITS.secretFileBytes })))(path);
    } catch (err) {
      const reason =
        err instanceof ConfigError
          ? (err.issues[0]?.message ?? err.message).replace(/^cannot read config file: /, '')
          : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      issue(at('secretFile'), `cannot read secret file ${path}: ${reason}`);
    }
    if (text !== undefined) {
      try {
        signingKeys = new SigningKeys(parseWebhookSecrets(text));
      } catch (err) {
        issue(at('secretFile'), `${path}: ${(err as Error).message}`);
      }
    }
  }

  if (!r.allowPrivateNetwork) {
    const urls: [string | undefined, (string | number)[]][] = [[r.url, at('url')]];
    r.urls?.forEach((u, i) => {
      urls.push([u, [...at('urls'), i]]);
    });
    for (const [url, path] of urls) {
      let host: string | undefined;
      try {
        host = new URL(url ?? '').hostname;
      } catch {
        host = undefined; // reported by the url field itself
      }
      const addresses = host === undefined ? [] : isIpAddress(host) ? [host] : (context.resolvedHosts.get(host) ?? []);
      for (const address of addresses) {
        const verdict = classifyAddress(address);
        if (verdict.blocked) {
          const via = address === host ? '' : ` resolves to ${address} and`;
          issue(
            path,
            `host ${host}${via} is a ${verdict.range} address: refused to prevent SSRF; set allowPrivateNetwork: true on this receiver if it really targets an internal service`,
          );
          break;
        }
      }
    }
  }
  return signingKeys;
}

function toReceiver(r: FileConfig['receivers'][number], signingKeys: SigningKeys): ReceiverConfig {
  const targets = receiverTargets(r);
  return {
    name: r.name,
    type: r.type,
    url: targets[0] ?? '',
    targets,
    resendIntervalMs: r.resendInterval,
    ...(r.group ? { group: toGroupConfig(r.group) } : {}),
    format: r.format,
    signingKeys,
    timeoutMs: r.timeout,
    concurrency: r.concurrency,
    queueSize: r.queueSize,
    onQueueFull: r.onQueueFull,
    retry: {
      initialMs: r.retry.initialDelay,
      multiplier: r.retry.multiplier,
      maxMs: r.retry.maxDelay,
      maxAttempts: r.retry.maxAttempts,
      jitter: r.retry.jitter,
      maxRetryAfterMs: r.retry.maxRetryAfter,
    },
    parkedRetry: { scheduleMs: r.retry.schedule, horizonMs: r.retry.horizon },
    headers: r.headers,
    allowPrivateNetwork: r.allowPrivateNetwork,
  };
}

/** The directory a config file's relative `secretFile` paths start from. */
export function configBaseDir(file: string): string {
  return dirname(resolvePath(file));
}
