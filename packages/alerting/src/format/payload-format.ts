/**
 * The payload formats a receiver can ask for, and what every formatter gets besides the alert: the
 * receiver's name and the links Alertmanager-style payloads carry.
 */
export const PAYLOAD_FORMATS = ['native', 'alertmanager', 'slack'] as const;

export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export interface FormatContext {
  /** The receiver's name from the config. */
  readonly receiver: string;
  /** Link to this service or a dashboard (Alertmanager's `externalURL`); empty when not configured. */
  readonly externalURL: string;
  /**
   * Template of each alert's `generatorURL`: `{rule}`, `{deviceId}`, `{metric}`, `{fingerprint}` and
   * `{eventId}` are replaced (URL-encoded); empty when not configured.
   */
  readonly generatorURL: string;
}
