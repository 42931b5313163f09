/** mysqlops's version, read from package.json (one level above both src/ and dist/) so it is never written twice. */
import { createRequire } from 'node:module';

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
