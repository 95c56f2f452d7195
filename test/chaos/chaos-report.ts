/**
 * The suite's report: a table with one row per scenario (alerts expected and received, lost, duplicated,
 * unexpected, the committed-offset gap, processor crashes and peak RSS, the verdict), then the ids behind
 * every non-zero count. Crashes and memory are reported, not judged: the verdict is about the alerts.
 */
import { describeAlert } from './compare-alerts.js';
import type { ScenarioResult } from './run-scenario.js';

const SAMPLE = 5;

export function formatReport(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'mode',
    'faults',
    'expected',
    'received',
    'lost',
    'dup',
    'unexpected',
    'gap',
    'crashes',
    'peak RSS',
    'time',
    'result',
  ];
  const rows = results.map((r) => [
    r.name,
    r.delivery,
    String(r.faults.length),
    String(r.comparison.expected),
    String(r.comparison.received),
    String(r.comparison.lost.length),
    String(r.comparison.duplicated.length),
    String(r.comparison.unexpected.length),
    String(r.offsetGap),
    String(r.unplannedExits),
    r.peakRssBytes > 0 ? `${Math.round(r.peakRssBytes / 1_048_576)} MB` : '-',
    `${Math.round(r.durationMs / 1000)}s`,
    r.passed ? 'PASS' : `FAIL (${r.failures.join('; ')})`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (i === header.length - 1 ? 0 : row[i]!.length))),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ');
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of results) {
    const details: string[] = [];
    const sample = (label: string, events: readonly Parameters<typeof describeAlert>[0][]): void => {
      if (events.length === 0) return;
      details.push(`  ${label} (${events.length}):`);
      for (const e of events.slice(0, SAMPLE)) details.push(`    ${describeAlert(e)}`);
      if (events.length > SAMPLE) details.push(`    … ${events.length - SAMPLE} more`);
    };
    sample('lost', r.comparison.lost);
    sample('duplicated', r.comparison.duplicated);
    sample('unexpected', r.comparison.unexpected);
    if (r.offsetGap !== 0 && r.gapPartitions.length > 0)
      details.push(
        `  committed vs end per partition: ${r.gapPartitions.map((p) => `p${p.partition} ${p.committed}/${p.end}`).join(', ')}`,
      );
    if (r.unplannedExits > 0)
      details.push(
        `  processor exits nobody asked for (restarted by the suite): ${r.unplannedExits}` +
          (r.hangs > 0 ? `, of which ${r.hangs} hung (/healthz unanswered for 30 s, killed)` : ''),
      );
    if (r.error) details.push(`  error: ${r.error}`);
    if (details.length > 0) out.push('', `${r.name}: ${r.faults.join(' → ')}`, ...details, `  logs: ${r.logDir}`);
  }
  const failed = results.filter((r) => !r.passed).length;
  out.push('', `${results.length - failed} passed, ${failed} failed`);
  return out.join('\n');
}
