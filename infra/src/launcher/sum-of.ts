/** Sums over parsed `/metrics` samples (see shared's `parsePrometheusText`), for the launcher's live view. */
import type { Sample } from '@sensor-pipeline/shared';

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
