/**
 * The page's files: ours (src/dashboard/static: HTML, JS, CSS) and Chart.js's UMD build from
 * node_modules, so the dashboard works offline and under a CSP that allows only its own origin.
 * Everything is read once, at start, and served from memory.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MysqlopsError } from '../errors.js';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Files under /static/, by name. */
const OWN = ['app.js', 'style.css'];
const PAGES = ['index.html', 'login.html'];

export interface Assets {
  /** `/static/<name>` files, chart.js included. */
  statics: Map<string, Asset>;
  index: Asset;
  login: Asset;
}

export async function loadAssets(): Promise<Assets> {
  const dir = staticDir();
  const read = async (name: string): Promise<Asset> => ({
    body: await fsp.readFile(path.join(dir, name)),
    contentType: TYPES[path.extname(name)] ?? 'application/octet-stream',
  });
  const statics = new Map<string, Asset>();
  for (const name of OWN) statics.set(name, await read(name));
  statics.set('chart.js', { body: await fsp.readFile(chartJsFile()), contentType: TYPES['.js'] as string });
  const [index, login] = await Promise.all(PAGES.map(read));
  if (!index || !login) throw new Error('unreachable: two pages read');
  return { statics, index, login };
}

/**
 * Next to this module when run from source; from the compiled dist/dashboard/, the package's
 * src/dashboard/static (shipped through package.json "files"), since tsc copies no assets.
 */
function staticDir(): string {
  const candidates = [
    fileURLToPath(new URL('./static/', import.meta.url)),
    fileURLToPath(new URL('../../src/dashboard/static/', import.meta.url)),
  ];
  const found = candidates.find((d) => existsSync(path.join(d, 'index.html')));
  if (!found) {
    throw new MysqlopsError({
      code: 'E_DASHBOARD',
      message: `the dashboard's page files are missing (looked in ${candidates.join(', ')})`,
      hint: 'reinstall mysqlops',
    });
  }
  return found;
}

/** chart.js exports no path to its UMD build, so find it next to the file its main entry resolves to. */
function chartJsFile(): string {
  try {
    const main = createRequire(import.meta.url).resolve('chart.js');
    return path.join(path.dirname(main), 'chart.umd.min.js');
  } catch (err) {
    throw new MysqlopsError({
      code: 'E_DASHBOARD',
      message: 'chart.js is not installed',
      hint: 'run npm install (chart.js is a dependency of mysqlops)',
      cause: err,
    });
  }
}
