/** Worker-thread entry of the core-thread-bound path: TypeScript sources through tsx, then the worker itself. */
import { register } from 'tsx/esm/api';

register();
await import('./core-thread-worker.ts');
