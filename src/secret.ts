/**
 * A value that must never reach a log, an error message or a child process's command line.
 * `String(secret)`, `JSON.stringify(secret)` and `util.inspect(secret)` all print `[redacted]`;
 * only `reveal()` gives the value, and only the code that hands it to the driver calls it.
 */
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Wraps a password or key so that printing, logging or serialising it shows `[redacted]`. Call `reveal()`
 * only where the value is handed over (to the driver, a file of mode 0600).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plain value. Call only where it is handed to the driver or written to a 0600 file. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
