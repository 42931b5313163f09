/** The access module's error: E_ACCESS (operational by default), with its hint and cause. */
import { type ErrorCode, MysqlopsError } from '../errors.js';

/**
 * An access-management failure (code E_ACCESS or a more specific E_ACCESS_*). Exit 1 by default: pass
 * `exitCode: 2` when the user asked for something invalid.
 */
export class AccessError extends MysqlopsError {
  constructor(
    message: string,
    options: {
      hint?: string;
      cause?: unknown;
      exitCode?: 1 | 2;
      code?: Extract<ErrorCode, `E_ACCESS${string}`>;
    } = {},
  ) {
    super({
      code: options.code ?? 'E_ACCESS',
      message,
      hint: options.hint,
      cause: options.cause,
      exitCode: options.exitCode,
    });
  }
}
