/**
 * The building blocks of the config schemas: one zod schema per kind of value (port, duration, name,
 * ...), each with a message that says what was expected and what was found. Messages show the input
 * only for values that can never be secret (numbers, SSL modes); secrets are described by kind only.
 */
import { z } from 'zod';

/**
 * The longest delay Node timers honour: `setTimeout` treats anything above 2^31-1 ms (about 24.8 days)
 * as 1 ms, so a larger timeout would silently become "immediately".
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** What kind of value this is, for messages that must not echo the value itself. */
export function kindOf(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null (remove the key to use the default)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return 'a string';
  if (typeof input === 'number') return 'a number';
  if (typeof input === 'boolean') return 'a boolean';
  return `a ${typeof input}`;
}

/** The value itself, shortened, for values that are never secret (numbers, modes). */
export function show(input: unknown): string {
  if (typeof input === 'number') return String(input);
  if (typeof input === 'string') {
    const text = input.length > 40 ? `${input.slice(0, 39)}…` : input;
    return JSON.stringify(text);
  }
  return kindOf(input);
}

/** An integer in `[min, max]`; the message is the same from a file and from an environment variable. */
export function intIn(min: number, max: number) {
  const expected = `expected an integer from ${min} to ${max}`;
  return z
    .int({ error: (iss) => `${expected}, got ${show(iss.input)}` })
    .min(min)
    .max(max);
}

/** A duration in milliseconds: at least `min`, at most what a Node timer can wait. */
export function millis(min: number) {
  return intIn(min, MAX_TIMER_MS);
}

/** A non-empty string that may be shown in messages (host names, user names, paths). */
export function text(maxLength = 4096) {
  return z
    .string({ error: (iss) => `expected a string, got ${kindOf(iss.input)}` })
    .min(1, { error: 'must not be empty' })
    .max(maxLength, { error: `must be at most ${maxLength} characters` });
}

/** A string that is secret: messages describe its kind, never its value. */
export function secretText() {
  return z
    .string({
      error: (iss) =>
        `expected a string, got ${kindOf(iss.input)}${typeof iss.input === 'number' ? ' (quote it)' : ''}`,
    })
    .min(1, { error: 'must not be empty (remove the key for no password)' });
}

/** A boolean. In YAML 1.2 `yes`/`no`/`on` are strings, not booleans, so they are refused. */
export function flag() {
  return z.boolean({ error: (iss) => `expected true or false, got ${show(iss.input)}` });
}

/** One of a fixed list of words, e.g. SSL modes. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
  return z.enum(values, { error: (iss) => `expected ${list}, got ${show(iss.input)}` });
}

/**
 * A strict object: unknown keys are refused (a typo such as `prot:` must not silently fall back to
 * the default). Each unknown key becomes its own issue, see `issuesFromZod`.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key (allowed: ${allowed})`
        : `expected a mapping, got ${kindOf(iss.input)}`,
  });
}
