/**
 * The product's error vocabulary: the catalogue of codes, `PipelineError` and its kinds, and the exit status
 * a CLI derives from them. One file per concept under `errors/`; this module gathers them.
 */
export * from './errors/config-error.js';
export * from './errors/decode-error.js';
export * from './errors/error-codes.js';
export * from './errors/exit-status.js';
export * from './errors/kafka-client-error.js';
export * from './errors/pipeline-error.js';
export * from './errors/startup-error.js';
export * from './errors/usage-error.js';
export * from './errors/validation-error.js';
