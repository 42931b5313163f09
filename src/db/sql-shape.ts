/**
 * Statement shapes: the SQL with literal values replaced by `?`, so that monitoring can group
 * calls by what they do and logs never contain the values (which may be personal data).
 * Shapes are cached per SQL text because parameterized callers repeat the same text.
 */

const MAX_SHAPE_LENGTH = 300;
const CACHE_LIMIT = 5000;

const cache = new Map<string, string>();

/** The shape of a statement: literals become `?`, IN lists collapse, whitespace folds. */
export function sqlShape(sql: string): string {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const shape = computeShape(sql);
  // A bounded cache: unparameterized callers (values in the text) must not grow memory forever.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, shape);
  return shape;
}

function computeShape(sql: string): string {
  let s = sql
    .replace(/\/\*(?!\+)[\s\S]*?\*\//g, ' ') // comments, but keep optimizer hints
    .replace(/(?:--\s|#)[^\n]*/g, ' ')
    .replace(/'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.|"")*"/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/(?<![\w`$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\s+/g, ' ')
    .trim();
  s = s.replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?+)');
  s = s.replace(/(?:\(\?\+?\)\s*,\s*)+\(\?\+?\)/g, '(?+)...');
  return s.length > MAX_SHAPE_LENGTH ? `${s.slice(0, MAX_SHAPE_LENGTH - 1)}…` : s;
}

/** First keyword of a statement, upper-cased (`SELECT`, `INSERT`...), for routing and safety checks. */
export function leadingKeyword(sql: string): string {
  const m = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*|#[^\n]*\n\s*)*\(?\s*([a-z]+)/i.exec(sql);
  return m?.[1]?.toUpperCase() ?? '';
}

const READ_ONLY = new Set(['SELECT', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN']);

/**
 * True for statements that cannot change data, so re-sending one after a lost connection is safe.
 * `WITH` is deliberately excluded: MySQL 8 allows `WITH ... UPDATE/DELETE`.
 */
export function isReadOnlyStatement(sql: string): boolean {
  if (/\bFOR\s+UPDATE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b|\bINTO\s+(?:OUTFILE|DUMPFILE|@)/i.test(sql))
    return false;
  return READ_ONLY.has(leadingKeyword(sql));
}

// Session state and server-local data that a replica would answer differently (or wrongly).
const PRIMARY_ONLY =
  /@|\b(?:GET_LOCK|RELEASE_LOCK|RELEASE_ALL_LOCKS|IS_FREE_LOCK|IS_USED_LOCK|LAST_INSERT_ID|FOUND_ROWS|ROW_COUNT|NEXTVAL|LASTVAL|SETVAL|NEXT\s+VALUE|PREVIOUS\s+VALUE|MASTER_POS_WAIT|MASTER_GTID_WAIT|SOURCE_POS_WAIT|WAIT_FOR_EXECUTED_GTID_SET|CONNECTION_ID|information_schema|performance_schema|mysql\s*\.|sys\s*\.)|\bFOR\s+(?:UPDATE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b|\bINTO\b/i;
const replicaSafe = new Map<string, boolean>();

/**
 * True when a statement may be answered by a replica: a plain SELECT that takes no locks, writes
 * nothing, and reads no session state (`@vars`, `@@vars`, LAST_INSERT_ID(), locks, sequences) or
 * server-local data (information_schema, performance_schema, mysql.*, sys.*). Everything else
 * (SHOW, WITH, SELECT ... FOR UPDATE) stays on the primary. String literals are ignored.
 */
export function isReplicaSafeRead(sql: string): boolean {
  const hit = replicaSafe.get(sql);
  if (hit !== undefined) return hit;
  const bare = sql.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g, "''");
  const safe = leadingKeyword(sql) === 'SELECT' && !PRIMARY_ONLY.test(bare);
  if (replicaSafe.size >= CACHE_LIMIT) replicaSafe.clear();
  replicaSafe.set(sql, safe);
  return safe;
}
