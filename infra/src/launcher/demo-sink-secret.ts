/**
 * A Standard Webhooks signing secret for the demo sink when the operator set none: `whsec_` + base64 of 24
 * random bytes. The alerting service signs with it and the sink verifies with it; it lives only as long
 * as the run.
 */
import { randomBytes } from 'node:crypto';

export function demoSinkSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
