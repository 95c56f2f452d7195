/**
 * The alerts firing now, as the web console sees them (its `/api/alerts`), for the launcher's live view.
 * The console rebuilds its firing set from the alerts topic, so this is the topic's truth, not only what
 * reached the demo sink. Undefined when the console does not answer within `timeoutMs`.
 */

export interface FiringNow {
  readonly site: string;
  readonly severity: string;
  readonly rule: string;
  readonly deviceId: string;
  readonly metric: string;
  /** What it is about: `site-a/dev-1 cpu`, `site-a/dev-1`, `site=site-b` or `fleet` (absent from older consoles). */
  readonly subject?: string;
  readonly condition: string;
  readonly value: number;
  readonly threshold: number;
  readonly startsAt: number;
}

interface AlertsSnapshot {
  readonly firing?: readonly { readonly site: string; readonly alerts?: readonly FiringNow[] }[];
}

export async function fetchFiringNow(consoleUrl: string, timeoutMs = 1_000): Promise<FiringNow[] | undefined> {
  try {
    const res = await fetch(`${consoleUrl}/api/alerts`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const snapshot = (await res.json()) as AlertsSnapshot;
    return (snapshot.firing ?? []).flatMap((group) => (group.alerts ?? []).map((a) => ({ ...a, site: group.site })));
  } catch {
    return undefined;
  }
}
