/**
 * Reading the files a configuration points at: secrets (`DB_PASSWORD_FILE`, `passwordFile`) and PEM
 * certificates and keys (`DB_SSL_*`, `ssl.*File`). Each reader returns the value or a problem in
 * words; a problem names the path and the reason, never the file's content.
 */
import { readFileSync } from 'node:fs';
import { Secret } from '../secret.js';
import { readFailure } from './issues.js';

export type Read<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The whole file as UTF-8 text. */
export function readText(file: string): Read<string> {
  try {
    return { ok: true, value: readFileSync(file, 'utf8') };
  } catch (err) {
    return { ok: false, problem: `cannot read ${file}: ${readFailure(err)}` };
  }
}

/**
 * A secret kept in a file (Docker/Kubernetes secrets, `DB_PASSWORD_FILE=<(pass show db)`). One
 * trailing newline is removed, as `echo secret > file` adds it; other whitespace is part of the
 * secret. An empty file is refused: an empty password is almost always a mistake.
 */
export function readSecretFile(file: string): Read<Secret> {
  const read = readText(file);
  if (!read.ok) return read;
  const value = read.value.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, problem: `${file} is empty` };
  return { ok: true, value: new Secret(value) };
}

/** PEM text (a certificate or key), checked for a `-----BEGIN` line so a wrong path fails here. */
export function readPem(file: string): Read<string> {
  const read = readText(file);
  if (!read.ok) return read;
  if (!read.value.includes('-----BEGIN ')) {
    return { ok: false, problem: `${file} is not a PEM file (no "-----BEGIN" line)` };
  }
  return read;
}

/** A PEM private key, kept as a Secret. */
export function readPemSecret(file: string): Read<Secret> {
  const read = readPem(file);
  return read.ok ? { ok: true, value: new Secret(read.value) } : read;
}
