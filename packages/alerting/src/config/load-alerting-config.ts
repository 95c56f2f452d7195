/**
 * Loads and checks the alerting config before anything touches Kafka; throws a `ConfigError` naming
 * file:line:column and the field for every problem (unknown receiver in a route, bad URL, missing secret
 * variable, literal secret, private destination...).
 *
 * Three passes over the same small file, because `parseConfig` validates synchronously:
 * 1. with every `${VAR}` replaced by a marker, to see which `secret` values were not exactly one variable
 *    reference (literal secrets are refused: secrets live in the environment or in files);
 * 2. with the real environment and no schema, to collect receiver host names, which are resolved
 *    (all addresses) for the SSRF guard;
 * 3. the real validation, with what passes 1 and 2 found.
 */
import { parseConfig, readConfigText } from '@sensor-pipeline/shared';
import { z } from 'zod';
import { type ResolveHost, resolveHostAddresses } from '../ssrf/check-destination.js';
import { isIpAddress } from '../ssrf/classify-address.js';
import { type AlertingConfig, alertingConfigSchema, configBaseDir } from './alerting-config.js';

export interface LoadAlertingConfigOptions {
  /** Variables for `${VAR}`; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Resolves receiver host names for the SSRF check; defaults to the system resolver. */
  readonly resolveHost?: ResolveHost;
  /** Give up resolving a host after this long (it is checked again at send time). */
  readonly resolveTimeoutMs?: number;
  readonly readFile?: (path: string) => string;
}

const MARK = '\u0000env:';
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL marks a substituted env reference, never found in YAML text
const MARKED = /^\u0000env:[A-Za-z_][A-Za-z0-9_]*\u0000$/;

export async function loadAlertingConfig(
  file: string,
  options: LoadAlertingConfigOptions = {},
): Promise<AlertingConfig> {
  return parseAlertingConfig(readConfigText(file), file, options);
}

export async function parseAlertingConfig(
  text: string,
  file: string,
  options: LoadAlertingConfigOptions = {},
): Promise<AlertingConfig> {
  const env = options.env ?? process.env;

  // pass 1: which secrets came from a variable?
  const marked = new Proxy({} as Record<string, string | undefined>, {
    get: (_t, name) => (typeof name === 'string' ? `${MARK}${name}\u0000` : undefined),
  });
  const shape = parseConfig(text, file, z.unknown(), { env: marked }) as { receivers?: unknown };
  const literalSecrets = new Set<number>();
  receiversOf(shape).forEach((receiver, i) => {
    const secret = receiver['secret'];
    if (secret !== undefined && !(typeof secret === 'string' && MARKED.test(secret))) literalSecrets.add(i);
  });

  // pass 2: resolve receiver hosts for the SSRF guard
  const raw = parseConfig(text, file, z.unknown(), { env }) as { receivers?: unknown };
  const hosts = new Set<string>();
  for (const receiver of receiversOf(raw)) {
    const allow = receiver['allowPrivateNetwork'];
    if (allow === true || allow === 'true') continue;
    const urls = Array.isArray(receiver['urls']) ? receiver['urls'] : [receiver['url']];
    for (const url of urls) {
      if (typeof url !== 'string') continue;
      try {
        const host = new URL(url).hostname;
        if (host && !isIpAddress(host)) hosts.add(host);
      } catch {
        // reported by pass 3
      }
    }
  }
  const resolve = options.resolveHost ?? resolveHostAddresses;
  const timeoutMs = options.resolveTimeoutMs ?? 5_000;
  const resolvedHosts = new Map<string, readonly string[]>();
  await Promise.all(
    [...hosts].map(async (host) => {
      const addresses = await withTimeout(resolve(host), timeoutMs).catch(() => undefined);
      if (addresses) resolvedHosts.set(host, addresses);
    }),
  );

  // pass 3: the real thing
  const { schema, build } = alertingConfigSchema({
    baseDir: configBaseDir(file),
    literalSecrets,
    resolvedHosts,
    ...(options.readFile ? { readFile: options.readFile } : {}),
  });
  return build(parseConfig(text, file, schema, { env }));
}

function receiversOf(data: { receivers?: unknown } | null | undefined): Record<string, unknown>[] {
  const list = data && typeof data === 'object' ? data.receivers : undefined;
  return Array.isArray(list) ? list.map((r) => (r && typeof r === 'object' ? (r as Record<string, unknown>) : {})) : [];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
