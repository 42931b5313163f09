/**
 * The manifest: written last, to a temporary name, fsynced, then renamed, so a backup folder either
 * has a complete manifest or is incomplete by definition (a killed backup leaves no manifest).
 * Reading it checks the format before anything trusts it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BackupError } from '../errors.js';
import { VERSION } from '../version.js';
import type { BackupKey } from './crypto.js';
import type { Manifest } from './types.js';

/**
 * The manifest's file name in a backup folder. It is written last and atomically, so a folder
 * without it is an incomplete backup (running, or killed) and is never restored.
 */
export const MANIFEST_FILE = 'manifest.json';
/** The version recorded in every manifest. */
export const TOOL_VERSION = VERSION;

/**
 * Write `manifest` into `dir` atomically, 0600; with the backup `key` (encrypted backups) it is
 * first signed with its HMAC (`mac`).
 */
export async function writeManifest(dir: string, manifest: Manifest, key?: BackupKey): Promise<void> {
  if (key) manifest.mac = manifestMac(key, manifest);
  const target = path.join(dir, MANIFEST_FILE);
  const temp = `${target}.partial`;
  const handle = await fsp.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, target);
  const dirHandle = await fsp.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * The manifest of the backup in `dir`. Throws E_BACKUP_INCOMPLETE when there is none (a backup
 * that did not finish) and E_BACKUP_CORRUPT when it does not parse or lacks what a restore needs.
 */
export async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const exists = await fsp.stat(dir).then(
      () => true,
      () => false,
    );
    throw new BackupError({
      code: exists ? 'E_BACKUP_INCOMPLETE' : 'E_BACKUP',
      message: exists
        ? `backup ${path.basename(dir)} is incomplete: it has no manifest (the backup did not finish)`
        : `no backup at ${dir}`,
      hint: exists
        ? 'use a complete backup (mysqlops backup list shows which are)'
        : 'name a backup id from `mysqlops backup list`, or a backup folder',
      file: MANIFEST_FILE,
      exitCode: exists ? 1 : 2,
      cause: code,
    });
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw damaged('it is not valid JSON');
  }
  if (m?.format !== 1) throw damaged(`unknown format ${JSON.stringify(m?.format)}`);
  if (!Array.isArray(m.files) || !Array.isArray(m.tables) || typeof m.schemaFile !== 'string')
    throw damaged('files, tables or schemaFile is missing');
  for (const f of m.files) {
    if (
      typeof f.path !== 'string' ||
      f.path.includes('..') ||
      path.isAbsolute(f.path) ||
      typeof f.sha256 !== 'string'
    )
      throw damaged(`bad file entry ${JSON.stringify(f.path)}`);
  }
  return m;
}

/** The HMAC of `manifest` (without its `mac`) under the backup key. */
export function manifestMac(key: BackupKey, manifest: Manifest): string {
  const { mac: _mac, ...rest } = manifest;
  return createHmac('sha256', key.bytes()).update(JSON.stringify(rest)).digest('base64');
}

/** Throws E_BACKUP_CORRUPT unless the manifest of an encrypted backup carries its correct HMAC. */
export function checkManifestMac(key: BackupKey, manifest: Manifest): void {
  const expected = Buffer.from(manifestMac(key, manifest));
  const actual = Buffer.from(manifest.mac ?? '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw damaged('it was changed after the backup was written (its HMAC does not match)');
  }
}

function damaged(detail: string): BackupError {
  return new BackupError({
    code: 'E_BACKUP_CORRUPT',
    message: `backup manifest is damaged: ${detail}`,
    file: MANIFEST_FILE,
  });
}
