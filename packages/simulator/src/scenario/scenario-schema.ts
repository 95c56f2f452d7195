/**
 * The scenario file's schema: the fleet (sites, device counts, labels), the report interval, how healthy
 * metrics behave, and which devices get which faults when. Durations are written `30s`, `5m`, `1m30s` — always
 * with a unit (a bare number other than 0 is refused) and bounded: `interval` ≤ 1d, `by` (late delivery) ≤ 1d,
 * a clock-skew `offset` ≤ 30d and its `driftPerHour` ≤ 1h either way, `ramp`/`recover` ≤ 30d, every other
 * duration (run length, fault times, periods) ≤ 366d. Every field is checked with shared's coercions, unknown
 * fields are refused, and cross-field mistakes (a fault naming a device that does not exist) are reported on
 * the offending field, so the loader can say file, line and field.
 */
import { durationMs, enumField, integerField, stringField } from '@sensor-pipeline/shared';
import { z } from 'zod';

export const METRICS = ['temperature', 'cpu', 'memory'] as const;
export type MetricName = (typeof METRICS)[number];

/** Physical limits per metric: values are kept inside them. */
export const METRIC_LIMITS: Readonly<
  Record<MetricName, { readonly min: number; readonly max: number; readonly unit: string }>
> = {
  temperature: { min: -40, max: 125, unit: '°C' }, // the industrial range of electronics
  cpu: { min: 0, max: 100, unit: '%' },
  memory: { min: 0, max: 100, unit: '%' },
};

/** Bounds of the scenario's durations, in milliseconds. */
export const SCENARIO_LIMITS = {
  intervalMs: 86_400_000, // one day between reports
  spanMs: 31_622_400_000, // 366 days: run length, fault start and length, periods
  rampMs: 2_592_000_000, // 30 days
  lateByMs: 86_400_000, // one day
  clockOffsetMs: 2_592_000_000, // 30 days either way
  driftPerHourMs: 3_600_000, // an hour per hour either way
} as const;

function durationField(options: { min?: number; max?: number; signed?: boolean } = {}) {
  return durationMs({
    min: options.min ?? 0,
    max: options.max ?? SCENARIO_LIMITS.spanMs,
    ...(options.signed ? { signed: true } : {}),
  });
}

const startTimeField = z.union([z.number(), z.string()]).transform((input, ctx) => {
  const ms = typeof input === 'number' ? input : /^\d+$/.test(input.trim()) ? Number(input) : Date.parse(input);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO 8601 time like 2024-01-01T00:00:00Z or Unix epoch milliseconds, got ${JSON.stringify(input)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const siteSchema = z
  .object({
    name: stringField({
      min: 1,
      max: 100,
      pattern: SITE_NAME,
      patternMessage: 'expected a site name of letters, digits, ".", "_" or "-" (it becomes part of device ids)',
    }),
    devices: integerField({ min: 0, max: 10_000_000 }),
    labels: z.record(stringField({ min: 1, max: 100 }), stringField({ max: 1_000 })).default({}),
  })
  .strict();

const profileSchema = z
  .object({
    level: z.number(),
    spread: z.number().min(0),
    dailyAmplitude: z.number().min(0),
    dailyPeakHour: z.number().min(0).max(24),
    dailyPeriod: durationField({ min: 1 }),
    drift: z.number().min(0),
    driftPeriod: durationField({ min: 1 }),
    noise: z.number().min(0),
  })
  .partial()
  .strict();

const metricName = enumField(METRICS);

/** Which devices a fault applies to. */
const selection = {
  /** Exact device ids, e.g. site-a/dev-0007. */
  devices: z.array(z.string()).min(1).optional(),
  /** A deterministic share of the fleet (or of `sites`), drawn from the seed. */
  share: z.number().gt(0).max(1).optional(),
  /** Only devices of these sites (all of them, unless `share` is given). */
  sites: z.array(z.string()).min(1).optional(),
  /** When the fault starts, after the scenario's start. */
  at: durationField().default(0),
  /** How long it lasts; absent: until the end of the run. */
  for: durationField({ min: 1 }).optional(),
  /** Free text: what this fault is for (which rule it should trip). */
  note: z.string().optional(),
};

const burstPattern = {
  /** One burst per slot of this length (absent: one burst over the whole fault). */
  every: durationField({ min: 1 }).optional(),
  length: durationField({ min: 1 }).optional(),
  probability: z.number().min(0).max(1).optional(),
};

const faultSchemas = [
  z
    .object({
      kind: z.literal('overheat'),
      ...selection,
      targetC: z.number().default(95),
      ramp: durationField({ max: SCENARIO_LIMITS.rampMs }).default(120_000),
      recover: durationField({ max: SCENARIO_LIMITS.rampMs }).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('freeze'),
      ...selection,
      targetC: z.number().default(2),
      ramp: durationField({ max: SCENARIO_LIMITS.rampMs }).default(120_000),
      recover: durationField({ max: SCENARIO_LIMITS.rampMs }).optional(),
    })
    .strict(),
  z
    .object({ kind: z.literal('temperature-spikes'), ...selection, ...burstPattern, deltaC: z.number().default(25) })
    .strict(),
  z
    .object({
      kind: z.literal('cpu-burst'),
      ...selection,
      ...burstPattern,
      levelPercent: z.number().min(0).max(100).default(97),
    })
    .strict(),
  z
    .object({
      kind: z.literal('memory-leak'),
      ...selection,
      ratePercentPerMinute: z.number().gt(0).default(20),
      ceilingPercent: z.number().min(0).max(100).default(97),
      restartEvery: durationField({ min: 1 }).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('stuck'),
      ...selection,
      metric: metricName.default('temperature'),
      value: z.number().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('dropout'), ...selection }).strict(),
  /**
   * Every device of `sites` (or of the whole fleet, without `sites`) sends nothing from `at` for `for`, then
   * all resume: a site's gateway, or the producer, going down. `devices` and `share` do not apply.
   */
  z.object({ kind: z.literal('outage'), ...selection }).strict(),
  z
    .object({
      kind: z.literal('clock-skew'),
      ...selection,
      offset: durationField({ signed: true, max: SCENARIO_LIMITS.clockOffsetMs }),
      driftPerHour: durationField({ signed: true, max: SCENARIO_LIMITS.driftPerHourMs }).default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('late-delivery'),
      ...selection,
      /** Share of the selected devices' readings that arrive late. */
      lateShare: z.number().gt(0).max(1),
      /** How late they arrive (emission is delayed; the timestamp is not). */
      by: durationField({ min: 1, max: SCENARIO_LIMITS.lateByMs }),
      metrics: z.array(metricName).min(1).optional(),
    })
    .strict(),
] as const;

export const FAULT_KINDS = faultSchemas.map((s) => s.shape.kind.value);

const faultSchema = z.discriminatedUnion('kind', [...faultSchemas], {
  error: (issue) =>
    issue.code === 'invalid_union' ? `expected kind to be one of ${FAULT_KINDS.join(', ')}` : undefined,
});

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default('scenario'),
    description: z.string().optional(),
    /** Used when no --seed is given. */
    seed: z.union([z.string(), z.number()]).optional(),
    /** Event time of the first report; default: now in real-time mode, DEFAULT_START_TIME otherwise. */
    startTime: startTimeField.optional(),
    /** How often each device reports its three metrics. */
    interval: durationField({ min: 1, max: SCENARIO_LIMITS.intervalMs }).default(1_000),
    /** Event time covered by a run, unless --count/--duration say otherwise; absent: until stopped. */
    duration: durationField({ min: 1 }).optional(),
    fleet: z.object({ sites: z.array(siteSchema).min(1) }).strict(),
    metrics: z
      .object({
        temperature: profileSchema.optional(),
        cpu: profileSchema.optional(),
        memory: profileSchema.optional(),
      })
      .strict()
      .default({}),
    faults: z.array(faultSchema).default([]),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const siteNames = new Set<string>();
    scenario.fleet.sites.forEach((site, i) => {
      if (siteNames.has(site.name))
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'sites', i, 'name'],
          message: `site "${site.name}" is listed twice; site names must be unique`,
        });
      siteNames.add(site.name);
    });
    if (scenario.fleet.sites.every((site) => site.devices === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'sites'],
        message: 'the fleet has no devices: give at least one site a devices count above 0',
      });
    }
    for (const metric of METRICS) {
      const level = scenario.metrics[metric]?.level;
      const { min, max, unit } = METRIC_LIMITS[metric];
      if (level !== undefined && (level < min || level > max)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', metric, 'level'],
          message: `expected a level within [${min}, ${max}] ${unit}, got ${level}`,
        });
      }
    }
    const sitesByName = new Map(scenario.fleet.sites.map((s) => [s.name, s]));
    scenario.faults.forEach((fault, i) => {
      const at = (field: string | number, ...rest: (string | number)[]) => ['faults', i, field, ...rest];
      if (fault.kind === 'outage') {
        for (const key of ['devices', 'share'] as const) {
          if (fault[key] !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: at(key),
              message: `an outage stops whole sites (sites: [site-a]) or, without sites, the whole fleet; remove "${key}" (use kind: dropout for single devices)`,
            });
        }
        if (fault.for === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['faults', i],
            message: 'an outage needs "for": how long the devices stay silent before they all resume, e.g. for: 60s',
          });
      } else if (fault.devices === undefined && fault.share === undefined && fault.sites === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', i],
          message: 'say which devices this fault hits: devices: [site-a/dev-0001], share: 0.05, or sites: [site-a]',
        });
      }
      if (fault.devices !== undefined && (fault.share !== undefined || fault.sites !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: at(fault.share !== undefined ? 'share' : 'sites'),
          message: 'devices names the devices exactly; drop share/sites, or drop devices to pick by share or site',
        });
      }
      fault.sites?.forEach((name, j) => {
        if (!sitesByName.has(name))
          ctx.addIssue({
            code: 'custom',
            path: at('sites', j),
            message: `no site named "${name}" in fleet.sites (have: ${[...sitesByName.keys()].join(', ')})`,
          });
      });
      fault.devices?.forEach((id, j) => {
        const problem = deviceIdProblem(id, sitesByName);
        if (problem) ctx.addIssue({ code: 'custom', path: at('devices', j), message: problem });
      });
      if (
        (fault.kind === 'cpu-burst' || fault.kind === 'temperature-spikes') &&
        fault.every !== undefined &&
        fault.length !== undefined &&
        fault.length > fault.every
      ) {
        ctx.addIssue({
          code: 'custom',
          path: at('length'),
          message: `a burst (${fault.length} ms) cannot be longer than its slot (every: ${fault.every} ms)`,
        });
      }
      if (
        (fault.kind === 'cpu-burst' || fault.kind === 'temperature-spikes') &&
        fault.every === undefined &&
        (fault.length !== undefined || fault.probability !== undefined)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: at(fault.length !== undefined ? 'length' : 'probability'),
          message:
            'length and probability shape repeated bursts: also give every (the slot length), or drop them for one burst over the whole fault',
        });
      }
    });
  });

/** What a scenario file holds, durations already in milliseconds. */
export type ScenarioFile = z.output<typeof scenarioSchema>;
export type FaultSpec = ScenarioFile['faults'][number];
export type FaultKind = FaultSpec['kind'];
export type SiteSpec = ScenarioFile['fleet']['sites'][number];
export type ProfileSpec = NonNullable<ScenarioFile['metrics']['temperature']>;

/** The id of device `index` (1-based) at `site`: `site-a/dev-0042` (at least four digits). */
export function deviceId(site: string, index: number): string {
  return `${site}/dev-${String(index).padStart(4, '0')}`;
}

const DEVICE_ID = /^(.+)\/dev-(\d+)$/;

function deviceIdProblem(id: string, sites: ReadonlyMap<string, SiteSpec>): string | undefined {
  const match = DEVICE_ID.exec(id);
  if (!match)
    return `"${id}" is not a device id; expected <site>/dev-<number>, e.g. ${deviceId(sites.keys().next().value ?? 'site-a', 1)}`;
  const site = sites.get(match[1]!);
  if (!site) return `"${id}" names no site of the fleet (have: ${[...sites.keys()].join(', ')})`;
  const index = Number(match[2]);
  if (deviceId(site.name, index) !== id || index < 1 || index > site.devices) {
    return `no device "${id}": site ${site.name} has devices ${deviceId(site.name, 1)} to ${deviceId(site.name, site.devices)}`;
  }
  return undefined;
}
