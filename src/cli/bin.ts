#!/usr/bin/env node
/** The executable behind the `mysqlops` bin: runs the CLI and sets the exit code. */
import { main } from './main.js';

const code = await main(process.argv);
process.exitCode = code;
// Commands close what they open; this only guards against a forgotten handle keeping the CLI alive.
setTimeout(() => process.exit(code), 3000).unref();
