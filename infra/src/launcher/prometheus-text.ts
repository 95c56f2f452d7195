/**
 * A small parser for the Prometheus text exposition format (what every service's `/metrics` returns),
 * enough for the launcher's live view: sample name, labels and value. Comments, timestamps and
 * exemplars are ignored.
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
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (!Number.isNaN(value) || raw === 'NaN') samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/**
 * Sum of the samples of the first candidate name that is present (services name things their own way; the
 * view asks for several spellings), optionally only those whose labels match `where`. Undefined when none is.
 */
export function sumOf(
  samples: readonly Sample[],
  names: readonly string[],
  where: Readonly<Record<string, string | RegExp>> = {},
): number | undefined {
  for (const name of names) {
    const matching = samples.filter(
      (s) =>
        s.name === name &&
        Object.entries(where).every(([k, v]) =>
          typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''),
        ),
    );
    if (matching.length > 0) return matching.reduce((acc, s) => acc + s.value, 0);
  }
  return undefined;
}
