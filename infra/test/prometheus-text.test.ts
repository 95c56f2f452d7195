import { parsePrometheusText } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { sumOf } from '../src/launcher/sum-of.js';

const TEXT = `# HELP processor_readings_total Readings consumed
# TYPE processor_readings_total counter
processor_readings_total{outcome="processed",service="processor"} 1200
processor_readings_total{outcome="dead_lettered",service="processor"} 3
processor_readings_total{outcome="replayed",service="processor"} 50
processor_alerts_total{status="FIRING",rule="cpu-high"} 2
processor_alerts_total{status="RESOLVED",rule="cpu-high"} 1
processor_alerts_total{status="FIRING",rule="temp \\"x\\""} 1
processor_alerts_firing 1
process_start_time_seconds 1.7e9
weird_metric{le="+Inf"} +Inf
`;

describe('parsePrometheusText', () => {
  const samples = parsePrometheusText(TEXT);

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(9);
    expect(samples[0]).toEqual({
      name: 'processor_readings_total',
      labels: { outcome: 'processed', service: 'processor' },
      value: 1200,
    });
    expect(samples.find((s) => s.labels['rule']?.startsWith('temp'))?.labels['rule']).toBe('temp "x"');
    expect(samples.find((s) => s.name === 'process_start_time_seconds')?.value).toBe(1.7e9);
    expect(samples.find((s) => s.name === 'weird_metric')?.value).toBe(Infinity);
  });

  it('sums the first name present, filtered by labels', () => {
    expect(sumOf(samples, ['nope_total', 'processor_readings_total'])).toBe(1253);
    expect(sumOf(samples, ['processor_readings_total'], { outcome: /^(processed|dead_lettered)$/ })).toBe(1203);
    expect(sumOf(samples, ['processor_alerts_total'], { status: 'FIRING' })).toBe(3);
    expect(sumOf(samples, ['processor_alerts_total'], { status: 'NOPE' })).toBeUndefined();
    expect(sumOf(samples, ['absent_total'])).toBeUndefined();
  });
});
