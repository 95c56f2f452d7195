/**
 * A webhook receiver's `group` block: Alertmanager's grouping (`group_by`, `group_wait`, `group_interval`,
 * `repeat_interval`, `max_alerts`) under our camelCase names. Without it every alert is its own request.
 * Kept apart from the receiver schema so grouping can grow without touching it.
 */
import { durationMs, integerField, stringField } from '@sensor-pipeline/shared';
import { z } from 'zod';
import type { GroupPolicy } from '../grouping/group-state.js';

export interface ReceiverGroupConfig extends GroupPolicy {
  /** Most alerts in one notification (0 = all); the rest are counted in `truncatedAlerts`. */
  readonly maxAlerts: number;
}

export const GROUP_DEFAULTS = {
  waitMs: 30_000, // thirty seconds, Alertmanager's group_wait
  intervalMs: 300_000, // five minutes, Alertmanager's group_interval
  repeatMs: 14_400_000, // four hours, Alertmanager's repeat_interval
} as const;

const LABEL = /^(\.\.\.|[a-zA-Z_][a-zA-Z0-9_]*)$/;

export const receiverGroupSchema = z
  .strictObject({
    by: z
      .array(
        stringField({
          min: 1,
          max: 100,
          pattern: LABEL,
          patternMessage: 'expected a label name (letters, digits, _) or "..." for all labels',
        }),
      )
      .max(50)
      .default(['alertname']),
    wait: durationMs({ max: 3_600_000 }).default(GROUP_DEFAULTS.waitMs),
    interval: durationMs({ min: 1, max: 86_400_000 }).default(GROUP_DEFAULTS.intervalMs),
    repeat: durationMs({ min: 1, max: 604_800_000 }).default(GROUP_DEFAULTS.repeatMs),
    maxAlerts: integerField({ min: 0, max: 100_000 }).default(0),
  })
  .superRefine((g, ctx) => {
    if (g.by.includes('...') && g.by.length > 1)
      ctx.addIssue({ code: 'custom', path: ['by'], message: '"..." groups by every label; list it alone' });
  });

export function toGroupConfig(g: z.output<typeof receiverGroupSchema>): ReceiverGroupConfig {
  return { by: g.by, waitMs: g.wait, intervalMs: g.interval, repeatMs: g.repeat, maxAlerts: g.maxAlerts };
}
