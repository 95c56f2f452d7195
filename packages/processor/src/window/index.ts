/** The processor's window engine: the pure per-sensor core and the RxJS operator around it. */
export * from './add-result.js';
export * from './check-reading.js';
export * from './crosses-hop-boundary.js';
export * from './median-heaps.js';
export * from './monotonic-deque.js';
export * from './running-moments.js';
export * from './sensor-window.js';
export * from './sliding-window.js';
export * from './window-options.js';
export * from './window-options-error.js';
export type * from './window-stats.js';
