/** Sums over parsed `/metrics` samples, for the console's health page. */
import type { Sample } from '@sensor-pipeline/shared';

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
