/**
 * What an alert is about, for the lines and pages that show it: one sensor (`deviceId` and `metric`), one
 * device (`deviceId`, no metric), a label group (no deviceId; its labels, e.g. `site=site-b`) or the whole
 * fleet (no deviceId, no labels). Group and fleet alerts carry an empty `deviceId` and `metric`, so a view
 * that printed those two alone would show nothing; this names them instead. Pure.
 *
 * The labels of a group alert are the group's plus any the rule itself adds (an Alert does not tell them
 * apart), so a fleet rule with `labels:` of its own reads as a group of those labels.
 */
export type AlertScope = 'sensor' | 'device' | 'group' | 'fleet';

export interface AlertSubject {
  readonly scope: AlertScope;
  /** The group's labels, sorted by name (group scope only; empty otherwise). */
  readonly group: Readonly<Record<string, string>>;
  /** `site-a/dev-0007 temperature`, `site-a/dev-0007`, `site=site-b` (several: `region=eu,site=site-b`), `fleet`. */
  readonly text: string;
}

/** Label names that describe the alert itself, never a group (the Alertmanager-style names included). */
const OWN_LABELS = new Set(['rule', 'alertname', 'severity', 'deviceId', 'device', 'metric']);

export function alertSubject(alert: {
  readonly deviceId: string;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
}): AlertSubject {
  if (alert.deviceId !== '') {
    return alert.metric !== ''
      ? { scope: 'sensor', group: {}, text: `${alert.deviceId} ${alert.metric}` }
      : { scope: 'device', group: {}, text: alert.deviceId };
  }
  const group: Record<string, string> = {};
  for (const name of Object.keys(alert.labels).sort()) {
    const value = alert.labels[name];
    if (!OWN_LABELS.has(name) && value !== undefined && value !== '') group[name] = value;
  }
  const names = Object.keys(group);
  if (names.length === 0) return { scope: 'fleet', group, text: 'fleet' };
  return { scope: 'group', group, text: names.map((name) => `${name}=${group[name]}`).join(',') };
}
