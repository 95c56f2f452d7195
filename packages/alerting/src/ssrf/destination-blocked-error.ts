/**
 * A webhook destination refused by the SSRF guard: its host is, or resolves to, an address that is not
 * public (loopback, private, link-local, metadata...), or its address could not be checked at all. Never
 * retriable; the fix is in the config (a
 * public URL, or `allowPrivateNetwork: true` on a receiver that really targets an internal service).
 */
import { DeliveryError } from '../delivery/delivery-error.js';
import type { AddressVerdict } from './classify-address.js';

export class DestinationBlockedError extends DeliveryError {
  readonly host: string;
  readonly verdict: AddressVerdict;

  constructor(host: string, verdict: AddressVerdict) {
    super(
      'WEBHOOK_DESTINATION_BLOCKED',
      verdict.range === 'invalid'
        ? `destination ${host} refused: its address cannot be checked (${verdict.address})`
        : `destination ${host} resolves to ${verdict.address} (${verdict.range}), which is not a public address; set allowPrivateNetwork: true on the receiver if this is intended`,
      { retriable: false },
    );
    this.host = host;
    this.verdict = verdict;
  }
}
