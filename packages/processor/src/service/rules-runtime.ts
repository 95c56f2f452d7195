/**
 * `createRulesRuntime(config)`: the rules as the processor's shell uses them — the windows to hold (one per
 * distinct window: rules that differ only by hop share it, see `heldWindowKey`) and, per assigned partition,
 * a rule engine restored from the alert-state topic, fed through the {@link PartitionRules} interface.
 *
 * Rules reload (`reload(config)`, on SIGHUP or `POST /-/reload`): the new rules are in force at once for
 * partitions assigned from then on; each partition already held takes them between two batches, when the
 * shell calls `update` — its engine is carried over (`carryOverRules`: unchanged rules keep their state, removed
 * and changed ones resolve what they had firing), the RESOLVED events and state records go to that batch's
 * output, and the shell is told the windows to hold now (a window already held serves the new rules as it is).
 */

import { formatDuration, PipelineError } from '@sensor-pipeline/shared/core';
import { type AlertStateRecord, decodeAlertStateRecord, encodeAlertStateRecord } from '../rules/alert-state-record.js';
import { carryOverRules, diffRules, type RulesChange } from '../rules/carry-over-rules.js';
import { type CompiledRules, compileRules } from '../rules/compile-rules.js';
import { GroupAbsenceTracker } from '../rules/group-absence-tracker.js';
import { replayHorizonMs } from '../rules/replay-horizon.js';
import { RuleEngine, type RuleTransition, type Sensor } from '../rules/rule-engine.js';
import type { RulesConfig } from '../rules/rules-schema.js';
import { heldWindowKey, toWindowOptions, type WindowSpec } from '../rules/window-spec.js';
import type { BatchOutput } from './batch-output.js';
import type { PartitionRules, ReadingEnvelope, WindowPlan } from './partition-pipeline.js';
import type { RulesRuntime } from './processor-service.js';

/** The rules runtime, with rules reload. */
export interface ReloadableRulesRuntime extends RulesRuntime {
  /** Counts reloads: 1 for the rules the runtime was created with. */
  readonly generation: number;
  /**
   * Puts `config` in force (see the module comment) and says how it differs from the rules it replaces.
   * Refuses (PipelineError CONFIG_INVALID) a change of `grace`: the windows held keep the lateness they were
   * made with, so that one takes a restart.
   */
  reload(config: RulesConfig): RulesChange;
  /**
   * Between batches: brings a partition's rules (made by `createPartitionRules`) up to the rules in force;
   * transitions go to `out`. Returns the windows the partition must hold now, or undefined when it was up to
   * date already.
   */
  update(rules: PartitionRules, out: BatchOutput): readonly WindowPlan[] | undefined;
}

/** One version of the rules, compiled, with what the shell needs of it. */
interface RulesVersion {
  readonly generation: number;
  readonly compiled: CompiledRules;
  readonly windows: readonly WindowPlan[];
  readonly lookbackMs: number;
  readonly ruleNames: readonly string[];
  readonly groups: GroupAbsenceTracker | undefined;
  /**
   * Group and fleet series the reload to this version ended, by fingerprint: they are the instance's, shared
   * by its partitions' engines, so the first partition to take the reload publishes their RESOLVED.
   */
  readonly endedShared: Set<string>;
}

function prepareRules(config: RulesConfig, generation: number): RulesVersion {
  const compiled = compileRules(config);
  // group and fleet absence span the instance's partitions: one tracker, joined by every partition's engine
  const groups = compiled.rules.some((r) => r.kind === 'absence' && (r.scope === 'group' || r.scope === 'fleet'))
    ? new GroupAbsenceTracker(compiled.graceMs)
    : undefined;
  // one window held per distinct window: specs that differ only by hop share it (the engine applies each hop)
  const plans = new Map<string, WindowPlan>();
  for (const rule of compiled.rules) {
    if (rule.kind !== 'threshold') continue;
    const key = heldWindowKey(rule.window);
    if (!plans.has(key)) plans.set(key, { key, options: toWindowOptions(rule.window, config.graceMs) });
  }
  return {
    generation,
    compiled,
    windows: [...plans.values()],
    lookbackMs: replayHorizonMs(config),
    ruleNames: compiled.rules.map((r) => r.name),
    groups,
    endedShared: new Set(),
  };
}

/** A group or fleet series: the instance's, shared by its partitions, so counted once (`sharedFiringByRule`). */
const isShared = (r: AlertStateRecord): boolean => r.scope === 'group' || r.scope === 'fleet';

export function createRulesRuntime(config: RulesConfig): ReloadableRulesRuntime {
  let current = prepareRules(config, 1);
  /** Group trackers joined by a partition's engine, with how many: a reload moves partitions to a new one. */
  const trackersInUse = new Map<GroupAbsenceTracker, number>();
  const useTracker = (tracker: GroupAbsenceTracker | undefined, delta: number): void => {
    if (!tracker) return;
    const n = (trackersInUse.get(tracker) ?? 0) + delta;
    if (n > 0) trackersInUse.set(tracker, n);
    else trackersInUse.delete(tracker);
  };
  const newEngine = (version: RulesVersion): RuleEngine =>
    new RuleEngine(version.compiled, version.groups ? { groups: version.groups } : {});
  /** Per partition: brings it to `version`; false when it is there already. */
  const updaters = new WeakMap<PartitionRules, (version: RulesVersion, out: BatchOutput) => boolean>();
  // a sensor's window list (shared by every sensor with the same rules) → held window key → its indexes in it
  const indexes = new WeakMap<readonly WindowSpec[], Map<string, number[]>>();
  const indexOf = (sensor: Sensor): Map<string, number[]> => {
    let map = indexes.get(sensor.windows);
    if (!map) {
      map = new Map();
      sensor.windows.forEach((spec, i) => {
        const key = heldWindowKey(spec);
        const list = map!.get(key);
        if (list) list.push(i);
        else map!.set(key, [i]);
      });
      indexes.set(sensor.windows, map);
    }
    return map;
  };

  return {
    get windows() {
      return current.windows;
    },
    get lookbackMs() {
      return current.lookbackMs;
    },
    get ruleNames() {
      return current.ruleNames;
    },
    get generation() {
      return current.generation;
    },
    reload(next) {
      const graceMs = current.compiled.graceMs;
      if (next.graceMs !== graceMs) {
        throw new PipelineError(
          'CONFIG_INVALID',
          `grace changed from ${formatDuration(graceMs)} to ${formatDuration(next.graceMs)}: the windows held keep the allowed lateness they were made with, so a change of grace takes a restart of the processor`,
        );
      }
      const version = prepareRules(next, current.generation + 1);
      const change = diffRules(current.compiled, version.compiled);
      current = version;
      return change;
    },
    update(rules, out) {
      return updaters.get(rules)?.(current, out) ? current.windows : undefined;
    },
    sharedFiringByRule() {
      const counts = new Map<string, number>();
      for (const tracker of trackersInUse.keys()) {
        for (const [rule, n] of tracker.firingByRule()) counts.set(rule, (counts.get(rule) ?? 0) + n);
      }
      return counts;
    },
    createPartitionRules(restored, log) {
      let version = current;
      let engine = newEngine(version);
      useTracker(version.groups, 1);
      let closed = false;
      /** The event clock this partition's absence rules were last ticked with. */
      let watermarkMs = -Infinity;
      const records: AlertStateRecord[] = [];
      // this partition's sensor and device series firing now; group and fleet ones are the instance's
      let firing = 0;
      const firingByRule = new Map<string, number>();
      const count = (rule: string, delta: number) => firingByRule.set(rule, (firingByRule.get(rule) ?? 0) + delta);
      for (const [fingerprint, text] of restored) {
        try {
          const record = decodeAlertStateRecord(text);
          records.push(record);
          if (record.status === 'firing' && !isShared(record)) {
            firing++;
            count(record.rule, 1);
          }
        } catch (err) {
          log.warn({ err, fingerprint }, 'alert state record does not decode; ignoring it');
        }
      }
      const { ignored } = engine.restore(records);
      for (const r of ignored) {
        if (r.status === 'firing' && !isShared(r)) {
          firing--;
          count(r.rule, -1);
        }
        log.warn(
          { rule: r.rule, deviceId: r.deviceId, metric: r.metric, status: r.status },
          'restored alert state matches no current rule; dropping it',
        );
      }

      const collect = (transitions: readonly RuleTransition[], out: BatchOutput): void => {
        for (const t of transitions) {
          if (t.alert) {
            out.alerts.push(t.alert);
            if (!isShared(t.state)) {
              firing += t.alert.status === 'FIRING' ? 1 : -1;
              count(t.alert.rule, t.alert.status === 'FIRING' ? 1 : -1);
            }
          }
          // ok records are kept, not tombstoned: their sinceMs makes re-processed older input a no-op, even if a
          // crash left state records newer than the checkpoint
          out.stateChanges.set(t.state.fingerprint, encodeAlertStateRecord(t.state));
        }
      };

      const rules: PartitionRules = {
        observe(envelope: ReadingEnvelope, out: BatchOutput) {
          const { reading } = envelope;
          const found = envelope.sensorRef as Sensor | undefined; // set by holds() when the budget asked
          const sensor = engine.sensor(reading.deviceId, reading.metric, reading.labels, found);
          envelope.sensorRef = sensor;
          envelope.sensor = sensor.key;
          if (envelope.evaluate) collect(engine.observe(sensor, reading.timestamp), out);
          else engine.warm(sensor, reading.timestamp);
        },
        holds(envelope) {
          const found = engine.findSensor(envelope.reading.deviceId, envelope.reading.metric);
          envelope.sensorRef = found;
          return found !== undefined;
        },
        usesWindow(envelope: ReadingEnvelope, windowKey: string) {
          return indexOf(envelope.sensorRef as Sensor).has(windowKey);
        },
        onStats(envelope, windowKey, stats, out) {
          const sensor = envelope.sensorRef as Sensor;
          for (const i of indexOf(sensor).get(windowKey)!) collect(engine.evaluate(sensor, i, stats), out);
        },
        tick(toMs, out) {
          watermarkMs = toMs;
          collect(engine.tick(toMs), out);
        },
        tickGroups(out) {
          collect(engine.tickGroups(), out);
        },
        close() {
          engine.close();
          if (!closed) useTracker(version.groups, -1);
          closed = true;
        },
        get firing() {
          return firing;
        },
        firingByRule,
      };
      updaters.set(rules, (next, out) => {
        if (next === version) return false;
        const carried = carryOverRules(engine, next.compiled, watermarkMs - next.compiled.graceMs, () =>
          newEngine(next),
        );
        engine.close();
        engine = carried.engine;
        useTracker(version.groups, -1);
        useTracker(next.groups, 1);
        version = next;
        let resolved = 0;
        for (const t of carried.transitions) {
          if (isShared(t.state)) {
            if (next.endedShared.has(t.state.fingerprint)) continue;
            next.endedShared.add(t.state.fingerprint);
          }
          if (t.alert) {
            out.alerts.push(t.alert);
            resolved++;
          }
          out.stateChanges.set(t.state.fingerprint, encodeAlertStateRecord(t.state));
        }
        // firing counts as the new engine holds them (rules gone stay listed, at 0, so their gauges drop)
        for (const rule of firingByRule.keys()) firingByRule.set(rule, 0);
        firing = 0;
        for (const r of engine.snapshot()) {
          if (r.status !== 'firing' || isShared(r)) continue;
          firing++;
          count(r.rule, 1);
        }
        log.info({ ...carried.change, resolved }, 'rules reloaded on this partition');
        return true;
      });
      return rules;
    },
  };
}
