/**
 * Compiles a rule's device selector (deviceId globs and/or required labels) into one predicate, once, when
 * the rules are compiled. Selection results are cached per device by the rule engine, so this runs once per
 * device (and again only if its labels change), never per reading.
 *
 * Globs are picomatch globs on the deviceId: `*` does not cross `/` (`site-a/*` matches `site-a/dev-1`, not
 * `site-a/x/dev-1`), `**` does. Several globs: any may match. Labels: each must be present with that value.
 */
import picomatch from 'picomatch';
import type { DeviceSelector } from './rules-schema.js';

export type DevicePredicate = (deviceId: string, labels: Readonly<Record<string, string>>) => boolean;

const EVERY_DEVICE: DevicePredicate = () => true;

export function compileDeviceSelector(selector: DeviceSelector | undefined): DevicePredicate {
  if (!selector) return EVERY_DEVICE;
  const isMatch = selector.match ? picomatch(selector.match as string[], { dot: true }) : undefined;
  const required = selector.labels ? Object.entries(selector.labels) : [];
  return (deviceId, labels) => {
    if (isMatch && !isMatch(deviceId)) return false;
    for (const [key, value] of required) {
      if (labels[key] !== value) return false;
    }
    return true;
  };
}
