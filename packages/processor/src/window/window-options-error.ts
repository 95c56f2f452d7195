/**
 * Thrown at once, when a window is configured, for options that cannot work (non-positive size, negative
 * grace, fractional count, ...). Carries a stable `code`, the offending `field`, and `retriable: false`
 * (the same options fail the same way), matching the shape of the pipeline's other errors.
 */
export class WindowOptionsError extends RangeError {
  override readonly name = 'WindowOptionsError';
  readonly code = 'WINDOW_OPTIONS_INVALID';
  readonly retriable = false;
  /** The option at fault, e.g. `sizeMs`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}
