import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPICS, pipelineTopicSpecs, READINGS_PARTITIONS, TOPIC_LAYOUT, TOPIC_ROLES } from '../src/index.js';

describe('pipeline topics', () => {
  const specs = pipelineTopicSpecs(DEFAULT_TOPICS);
  const byName = new Map(specs.map((s) => [s.topic, s]));

  it('creates one topic per role, with the default names', () => {
    expect(TOPIC_ROLES).toHaveLength(Object.keys(DEFAULT_TOPICS).length);
    expect(specs.map((s) => s.topic).sort()).toEqual(Object.values(DEFAULT_TOPICS).sort());
  });

  it('gives the readings 6 partitions and a day of retention', () => {
    expect(byName.get(DEFAULT_TOPICS.readings)).toMatchObject({
      numPartitions: 6,
      replicationFactor: 1,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '86400000' },
    });
  });

  it('keeps alerts as a log of events for a week, never compacted', () => {
    expect(byName.get(DEFAULT_TOPICS.alerts)).toMatchObject({
      numPartitions: 3,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 86_400_000) },
    });
  });

  it('keeps stats 6 hours and the DLQs 7 and 30 days on one partition', () => {
    expect(byName.get(DEFAULT_TOPICS.stats)).toMatchObject({
      numPartitions: 3,
      config: { 'retention.ms': String(6 * 3_600_000) },
    });
    expect(byName.get(DEFAULT_TOPICS.readingsDlq)).toMatchObject({
      numPartitions: 1,
      config: { 'retention.ms': String(7 * 86_400_000) },
    });
    expect(byName.get(DEFAULT_TOPICS.deliveriesDlq)).toMatchObject({
      numPartitions: 1,
      config: { 'retention.ms': String(30 * 86_400_000) },
    });
  });

  it('compacts the alert state and co-partitions it with the readings', () => {
    const state = byName.get(DEFAULT_TOPICS.alertState)!;
    expect(state.config?.['cleanup.policy']).toBe('compact');
    expect(state.config?.['retention.ms']).toBeUndefined();
    expect(state.numPartitions).toBe(byName.get(DEFAULT_TOPICS.readings)!.numPartitions);
    expect(TOPIC_LAYOUT.alertState.partitions).toBe(READINGS_PARTITIONS);
  });

  it('takes names from the environment variables of shared', () => {
    const names = pipelineTopicSpecs(undefined as never).map((s) => s.topic);
    expect(names).toContain(process.env['READINGS_TOPIC'] || DEFAULT_TOPICS.readings);
    const custom = pipelineTopicSpecs({ ...DEFAULT_TOPICS, readings: 'r-1', alertState: 's-1' });
    expect(custom.find((s) => s.topic === 's-1')?.numPartitions).toBe(
      custom.find((s) => s.topic === 'r-1')?.numPartitions,
    );
  });

  it('applies a replication factor with min.insync.replicas, and rejects nonsense', () => {
    const replicated = pipelineTopicSpecs(DEFAULT_TOPICS, { replicationFactor: 3 });
    expect(replicated.every((s) => s.replicationFactor === 3 && s.config?.['min.insync.replicas'] === '2')).toBe(true);
    expect(() => pipelineTopicSpecs(DEFAULT_TOPICS, { replicationFactor: 0 })).toThrow(/positive integer/);
  });
});
