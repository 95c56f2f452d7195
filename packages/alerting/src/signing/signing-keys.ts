/**
 * A receiver's HMAC keys, wrapped so they never reach a log line or an error message: JSON and
 * `util.inspect` render them as `[2 keys redacted]`.
 */
import { inspect } from 'node:util';

export class SigningKeys {
  readonly #keys: readonly Buffer[];

  constructor(keys: readonly Buffer[]) {
    this.#keys = keys;
  }

  static readonly none = new SigningKeys([]);

  /** The raw keys, for signing only. */
  reveal(): readonly Buffer[] {
    return this.#keys;
  }

  get count(): number {
    return this.#keys.length;
  }

  toJSON(): string {
    return `[${this.#keys.length} key${this.#keys.length === 1 ? '' : 's'} redacted]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
