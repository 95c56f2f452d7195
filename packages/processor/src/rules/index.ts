/** The processor's rules: config schema and loading, rule selection, alert state machines and alert events (pure core). */

export * from './absence-state-machine.js';
export * from './alert-ids.js';
export * from './alert-state.js';
export * from './alert-state-record.js';
export * from './build-alert.js';
export * from './compile-rules.js';
export * from './device-selector.js';
export * from './load-rules.js';
export * from './replay-horizon.js';
export * from './rule-engine.js';
export * from './rules-schema.js';
export * from './summary-template.js';
export * from './threshold-state-machine.js';
export * from './window-spec.js';
