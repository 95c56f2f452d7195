/**
 * The scenario used when none is given: 100 healthy devices on two sites reporting every second, no
 * faults. Enough to watch the pipeline run; pass `--scenario` for faults or a bigger fleet.
 */
import { defineScenario } from './load-scenario.js';
import type { ScenarioFile } from './scenario-schema.js';

export const DEFAULT_SCENARIO: ScenarioFile = defineScenario({
  name: 'default',
  description: '100 healthy devices on two sites, reporting every second',
  interval: '1s',
  fleet: {
    sites: [
      { name: 'site-a', devices: 50 },
      { name: 'site-b', devices: 50 },
    ],
  },
});
