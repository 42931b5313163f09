/**
 * The grant model both sides of a diff are reduced to: one `GrantItem` per privilege, object and
 * (optionally) column, with a stable key. `desiredGrants` expands the access file; `parseShowGrants`
 * normalises the server's `SHOW GRANTS` lines. Pure: no I/O.
 */
import { type Flavor, quoteId } from '../db/index.js';
import type { GrantTarget, RoleSpec } from './spec.js';

/**
 * One privilege on one object (and optionally one column): the unit grants are compared in, whichever way
 * SHOW GRANTS groups them.
 */
export interface GrantItem {
  privilege: string;
  /** `*.*`, `` `db`.* `` or `` `db`.`table` ``. */
  object: string;
  column: string | undefined;
}

/** What a SHOW GRANTS listing says about one account or role. */
export interface ActualGrants {
  grants: GrantItem[];
  /** Roles granted to the subject. */
  roles: string[];
}

export function grantKey(g: GrantItem): string {
  return `${g.privilege} ON ${g.object}${g.column === undefined ? '' : ` (${g.column})`}`;
}

/** The quoted object for a grant target, `database` standing in for "the configured database". */
export function objectOf(target: GrantTarget, database: string): string {
  if (target.level === 'global') return '*.*';
  const schema = target.schema ?? database;
  return target.level === 'schema' ? `${quoteId(schema)}.*` : quoteId(`${schema}.${target.table}`);
}

/**
 * The grants a role should hold, flavor-spelled. `skip(target)` returns true for targets to leave
 * out (optional tables that do not exist yet).
 */
export function desiredGrants(
  role: RoleSpec,
  database: string,
  flavor: Flavor,
  skip: (target: GrantTarget) => boolean = () => false,
): GrantItem[] {
  const out = new Map<string, GrantItem>();
  for (const g of role.grants) {
    if (skip(g.target)) continue;
    const object = objectOf(g.target, database);
    for (const p of g.privileges) {
      const privilege = flavor.privilegeName(p);
      for (const column of g.columns ?? [undefined]) {
        const item = { privilege, object, column };
        out.set(grantKey(item), item);
      }
    }
  }
  return [...out.values()];
}

/** Split `a, b (x, y), c` at top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

const unquote = (s: string) => s.trim().replace(/^`|`$/g, '').replaceAll('``', '`');

/** `` `db`.`t` `` / `` `db`.* `` / `*.*` re-quoted in our canonical form (undefined: not a table-ish object). */
function normaliseObject(text: string): string | undefined {
  if (text === '*.*') return '*.*';
  const m = /^`((?:[^`]|``)+)`\.(\*|`(?:[^`]|``)+`)$/.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const schema = unquote(`\`${m[1]}\``);
  return m[2] === '*' ? `\`${schema}\`.*` : `\`${schema}\`.\`${unquote(m[2])}\``;
}

/** The `` `name` `` or `` `name`@`host` `` a grant line is TO, normalised. */
function normaliseGrantee(text: string): string {
  return text.trim().replace(/\s+(IDENTIFIED|REQUIRE|WITH|PASSWORD|VIA)\b[\s\S]*$/i, '');
}

/**
 * Reduce `SHOW GRANTS FOR subject` lines to grant items and granted roles, keeping only lines
 * addressed to `subject` (MariaDB lists the grants of included roles too, addressed to them).
 * `USAGE` is dropped; routine-level grants are ignored (the file does not manage them).
 */
export function parseShowGrants(lines: readonly string[], subject: string): ActualGrants {
  const grants: GrantItem[] = [];
  const roles: string[] = [];
  const wanted = normaliseGrantee(subject);
  for (const line of lines) {
    const onMatch = /^GRANT (.+?) ON (\S+) TO (.+)$/.exec(line);
    if (onMatch?.[1] && onMatch[2] && onMatch[3]) {
      if (normaliseGrantee(onMatch[3]).replace(/\s+WITH GRANT OPTION$/i, '') !== wanted) continue;
      const object = normaliseObject(onMatch[2]);
      if (!object) continue;
      for (const part of splitTopLevel(onMatch[1])) {
        const pm = /^([A-Z][A-Z ]*?)\s*(?:\((.*)\))?$/.exec(part);
        if (!pm?.[1]) continue;
        const privilege = pm[1].trim();
        if (privilege === 'USAGE') continue;
        if (pm[2] === undefined) grants.push({ privilege, object, column: undefined });
        else for (const c of pm[2].split(',')) grants.push({ privilege, object, column: unquote(c) });
      }
      continue;
    }
    const roleMatch = /^GRANT (.+?) TO (.+?)(?: WITH ADMIN OPTION)?$/.exec(line);
    if (roleMatch?.[1] && roleMatch[2] && normaliseGrantee(roleMatch[2]) === wanted) {
      for (const r of splitTopLevel(roleMatch[1])) roles.push(unquote(r.replace(/@`[^`]*`$/, '')));
    }
  }
  return { grants, roles };
}
