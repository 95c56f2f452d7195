/**
 * The tiny template language of a rule's `summary`: literal text with `{{name}}` placeholders, checked when
 * the rules file loads (an unknown placeholder is a config error) and compiled to parts, so rendering an
 * alert is a concatenation. No logic, no escaping: a summary is one line for humans.
 *
 * Placeholders: {{deviceId}} {{metric}} {{statistic}} {{condition}} {{value}} {{threshold}} {{window}}
 * {{severity}} {{rule}} {{status}} and {{labels.NAME}} (the alert's merged labels; empty when missing).
 * Numbers are rounded for reading (2 decimals, 3 significant digits below 1); for absence rules `value`
 * (silence) and `threshold` (the limit) are durations such as `31.5s`.
 */
import { formatDuration } from '@sensor-pipeline/shared/core';

export const SUMMARY_PLACEHOLDERS = [
  'deviceId',
  'metric',
  'statistic',
  'condition',
  'value',
  'threshold',
  'window',
  'severity',
  'rule',
  'status',
] as const;

export type SummaryPlaceholder = (typeof SUMMARY_PLACEHOLDERS)[number];

/** What a summary is rendered from. */
export interface SummaryContext {
  readonly deviceId: string;
  readonly metric: string;
  readonly statistic: string;
  readonly condition: string;
  readonly value: number;
  readonly threshold: number;
  readonly window: string;
  readonly severity: string;
  readonly rule: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Render `value` and `threshold` as durations (milliseconds in, `31.5s` out): absence rules. */
  readonly durations: boolean;
}

type Part = { readonly text: string } | { readonly field: SummaryPlaceholder } | { readonly label: string };

export interface SummaryTemplate {
  readonly source: string;
  render(context: SummaryContext): string;
}

/** A template that could not be compiled; `message` says which placeholder and what is allowed. */
export class SummaryTemplateError extends Error {
  override readonly name = 'SummaryTemplateError';
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const LABEL = /^labels\.([A-Za-z0-9_.\-/]+)$/;
const KNOWN = new Set<string>(SUMMARY_PLACEHOLDERS);

/** Parses and checks a template; throws {@link SummaryTemplateError}. */
export function compileSummaryTemplate(source: string): SummaryTemplate {
  const parts: Part[] = [];
  let last = 0;
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(source); m; m = PLACEHOLDER.exec(source)) {
    const literal = source.slice(last, m.index);
    checkLiteral(literal);
    if (literal) parts.push({ text: literal });
    const name = m[1]!.trim();
    const label = LABEL.exec(name);
    if (label) parts.push({ label: label[1]! });
    else if (KNOWN.has(name)) parts.push({ field: name as SummaryPlaceholder });
    else {
      throw new SummaryTemplateError(
        `unknown placeholder {{${name}}} in summary; use one of ${SUMMARY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')} or {{labels.NAME}}`,
      );
    }
    last = PLACEHOLDER.lastIndex;
  }
  const tail = source.slice(last);
  checkLiteral(tail);
  if (tail) parts.push({ text: tail });
  return {
    source,
    render(context) {
      let out = '';
      for (const part of parts) {
        if ('text' in part) out += part.text;
        else if ('label' in part) out += context.labels[part.label] ?? '';
        else out += renderField(part.field, context);
      }
      return out;
    },
  };
}

function checkLiteral(text: string): void {
  if (text.includes('{{')) throw new SummaryTemplateError('unclosed "{{" in summary; write placeholders as {{name}}');
  if (text.includes('}}'))
    throw new SummaryTemplateError('"}}" without a matching "{{" in summary; write placeholders as {{name}}');
}

function renderField(field: SummaryPlaceholder, c: SummaryContext): string {
  switch (field) {
    case 'value':
      return c.durations ? formatSilence(c.value) : formatNumber(c.value);
    case 'threshold':
      return c.durations ? formatSilence(c.threshold) : formatNumber(c.threshold);
    default:
      return c[field];
  }
}

/** 82.456 → "82.46", 80 → "80", 0.012345 → "0.0123". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  const rounded = Math.abs(value) >= 1 ? Math.round(value * 100) / 100 : Number(value.toPrecision(3));
  return String(rounded);
}

/** 30000 → "30s", 31500 → "31.5s", 90000 → "1m30s", 250 → "250ms". */
export function formatSilence(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const whole = Math.round(ms);
  if (whole < 1_000) return `${whole}ms`;
  if (whole % 1_000 === 0) {
    const minutes = Math.floor(whole / 60_000);
    const seconds = (whole % 60_000) / 1_000;
    if (minutes === 0 || seconds === 0) return formatDuration(whole);
    return `${formatDuration(minutes * 60_000)}${seconds}s`;
  }
  return `${Math.round(whole / 100) / 10}s`;
}
