/**
 * Parses the Prometheus text exposition format (what every service's `/metrics` returns) into samples:
 * name, labels, value. Comments, timestamps and exemplars are ignored; a line that does not parse is
 * skipped, so one odd line never blanks the health page.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = m[3] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (!Number.isNaN(value) || raw === 'NaN') samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels match `where` (a value or a test); undefined when none. */
export function sumSamples(
  samples: readonly Sample[],
  name: string,
  where: Readonly<Record<string, string | ((value: string) => boolean)>> = {},
): number | undefined {
  let sum: number | undefined;
  for (const s of samples) {
    if (s.name !== name) continue;
    let match = true;
    for (const [k, v] of Object.entries(where)) {
      const have = s.labels[k] ?? '';
      if (typeof v === 'string' ? have !== v : !v(have)) {
        match = false;
        break;
      }
    }
    if (match) sum = (sum ?? 0) + s.value;
  }
  return sum;
}

/** Sums of the samples named `name` grouped by one label's value. */
export function sumBy(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
