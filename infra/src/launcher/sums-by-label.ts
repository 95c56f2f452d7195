/**
 * Sums over parsed `/metrics` samples grouped by one label's value — e.g. the readings set aside to the DLQ
 * per `code` (the same code their `dlq.error.code` header carries) — so the live view can say why, not only
 * how many. Zero groups are left out (services export every known code at 0).
 */
import type { Sample } from '@sensor-pipeline/shared';

/** `{ value of label: sum }` over the samples of the first candidate name present; undefined when none is. */
export function sumsByLabel(
  samples: readonly Sample[],
  names: readonly string[],
  label: string,
): Record<string, number> | undefined {
  for (const name of names) {
    const matching = samples.filter((s) => s.name === name);
    if (matching.length === 0) continue;
    const sums: Record<string, number> = {};
    for (const s of matching) {
      const key = s.labels[label] ?? '(none)';
      sums[key] = (sums[key] ?? 0) + s.value;
    }
    return Object.fromEntries(Object.entries(sums).filter(([, v]) => v > 0));
  }
  return undefined;
}
