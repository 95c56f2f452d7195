/**
 * Puts reloaded rules (RulesRuntime.update) in force in every partition held, between batches: each takes the
 * new rules and holds the windows they need. What the reload resolves (alerts of removed or changed rules)
 * goes out like an idle step's outputs, with the partition's unchanged resume point; the shell sends the
 * batches returned. O(partitions) when nothing was reloaded.
 */
import { BatchOutput } from './batch-output.js';
import { type PartitionBatch, type PartitionState, partitionBatch } from './partition-state.js';
import type { RulesRuntime } from './processor-options.js';

export function applyReloadedRules(
  runtime: RulesRuntime,
  partitions: Iterable<PartitionState>,
  observe: (state: PartitionState, out: BatchOutput) => void,
): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  if (!runtime.update) return batches;
  for (const state of partitions) {
    const out = new BatchOutput();
    const windows = runtime.update(state.rules, out);
    if (!windows) continue;
    state.pipeline.setWindows(windows);
    if (out.isEmpty || state.nextOffset === 0) continue;
    batches.push(partitionBatch(state, out));
    observe(state, out);
  }
  return batches;
}
