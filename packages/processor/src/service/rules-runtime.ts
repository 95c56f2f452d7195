/**
 * `createRulesRuntime(config)`: the rules as the processor's shell uses them — the windows to hold (one per
 * distinct window: rules that differ only by hop share it, see `heldWindowKey`) and, per assigned partition,
 * a rule engine restored from the alert-state topic, fed through the {@link PartitionRules} interface.
 */
import { type AlertStateRecord, decodeAlertStateRecord, encodeAlertStateRecord } from '../rules/alert-state-record.js';
import { compileRules } from '../rules/compile-rules.js';
import { replayHorizonMs } from '../rules/replay-horizon.js';
import { RuleEngine, type RuleTransition, type Sensor } from '../rules/rule-engine.js';
import type { RulesConfig } from '../rules/rules-schema.js';
import { heldWindowKey, toWindowOptions, type WindowSpec } from '../rules/window-spec.js';
import type { BatchOutput } from './batch-output.js';
import type { PartitionRules, ReadingEnvelope, WindowPlan } from './partition-pipeline.js';
import type { RulesRuntime } from './processor-service.js';

export function createRulesRuntime(config: RulesConfig): RulesRuntime {
  const compiled = compileRules(config);
  // one window held per distinct window: specs that differ only by hop share it (the engine applies each hop)
  const plans = new Map<string, WindowPlan>();
  for (const rule of compiled.rules) {
    if (rule.kind !== 'threshold') continue;
    const key = heldWindowKey(rule.window);
    if (!plans.has(key)) plans.set(key, { key, options: toWindowOptions(rule.window, config.graceMs) });
  }
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

  // one key string per sensor, so the windows' map lookups hash a string they have seen before
  const sensorKeys = new WeakMap<Sensor, string>();
  const keyOf = (sensor: Sensor): string => {
    let key = sensorKeys.get(sensor);
    if (key === undefined) {
      key = `${sensor.deviceId}\u0000${sensor.metric}`;
      sensorKeys.set(sensor, key);
    }
    return key;
  };

  return {
    windows: [...plans.values()],
    lookbackMs: replayHorizonMs(config),
    ruleNames: compiled.rules.map((r) => r.name),
    createPartitionRules(restored, log) {
      const engine = new RuleEngine(compiled);
      const records: AlertStateRecord[] = [];
      let firing = 0;
      const firingByRule = new Map<string, number>();
      const count = (rule: string, delta: number) => firingByRule.set(rule, (firingByRule.get(rule) ?? 0) + delta);
      for (const [fingerprint, text] of restored) {
        try {
          const record = decodeAlertStateRecord(text);
          records.push(record);
          if (record.status === 'firing') {
            firing++;
            count(record.rule, 1);
          }
        } catch (err) {
          log.warn({ err, fingerprint }, 'alert state record does not decode; ignoring it');
        }
      }
      const { ignored } = engine.restore(records);
      for (const r of ignored) {
        if (r.status === 'firing') {
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
            firing += t.alert.status === 'FIRING' ? 1 : -1;
            count(t.alert.rule, t.alert.status === 'FIRING' ? 1 : -1);
          }
          // ok records are kept, not tombstoned: their sinceMs makes re-processed older input a no-op, even if a
          // crash left state records newer than the checkpoint
          out.stateChanges.set(t.state.fingerprint, encodeAlertStateRecord(t.state));
        }
      };

      const rules: PartitionRules = {
        observe(envelope: ReadingEnvelope, out: BatchOutput) {
          const { reading } = envelope;
          const sensor = engine.sensor(reading.deviceId, reading.metric, reading.labels);
          envelope.sensorRef = sensor;
          envelope.sensor = keyOf(sensor);
          if (envelope.evaluate) collect(engine.observe(sensor, reading.timestamp), out);
          else engine.warm(sensor, reading.timestamp);
        },
        holds(reading) {
          return engine.hasSensor(reading.deviceId, reading.metric);
        },
        usesWindow(envelope: ReadingEnvelope, windowKey: string) {
          return indexOf(envelope.sensorRef as Sensor).has(windowKey);
        },
        onStats(envelope, windowKey, stats, out) {
          const sensor = envelope.sensorRef as Sensor;
          for (const i of indexOf(sensor).get(windowKey)!) collect(engine.evaluate(sensor, i, stats), out);
        },
        tick(watermarkMs, out) {
          collect(engine.tick(watermarkMs), out);
        },
        get firing() {
          return firing;
        },
        firingByRule,
      };
      return rules;
    },
  };
}
