/**
 * The error a failed sandbox start throws: E_SANDBOX_START, with the error log's last lines both in
 * the message (so the CLI shows them) and as a field (so callers and tests can inspect them).
 */
import { MysqlopsError } from '../errors.js';
import { readLastLines } from './fs-util.js';
import type { SandboxPaths } from './paths.js';
import { ERROR_LOG_TAIL_LINES } from './status.js';

export class SandboxStartError extends MysqlopsError {
  readonly errorLog: string;
  readonly errorLogTail: string[];

  constructor(paths: SandboxPaths, problem: string, hint?: string, cause?: unknown) {
    const tail = readLastLines(paths.errorLog, ERROR_LOG_TAIL_LINES);
    const shown = tail.slice(-10);
    super({
      code: 'E_SANDBOX_START',
      message: `sandbox "${paths.name}" did not start: ${problem}${
        shown.length > 0 ? `\n  last lines of ${paths.errorLog}:\n    ${shown.join('\n    ')}` : ''
      }`,
      hint:
        hint ??
        `fix the cause shown in ${paths.errorLog}, then run: mysqlops sandbox start --name ${paths.name}`,
      cause,
    });
    this.errorLog = paths.errorLog;
    this.errorLogTail = tail;
  }
}
