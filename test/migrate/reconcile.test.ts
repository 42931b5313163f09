import { describe, expect, it } from 'vitest';
import { checksumOf, type HistoryRow, type MigrationFile, splitStatements } from '../../src/migrate/index.js';
import { reconcile } from '../../src/migrate/reconcile.js';

function file(script: string, text = `SELECT '${script}';`): MigrationFile {
  const m = /^V(\d+)__/.exec(script);
  return {
    type: m ? 'versioned' : 'repeatable',
    version: m ? String(Number(m[1])) : null,
    description: script,
    script,
    path: `/x/${script}`,
    flavor: null,
    checksum: checksumOf(text),
    statements: splitStatements(text),
  };
}

let rank = 0;
function ran(f: MigrationFile, overrides: Partial<HistoryRow> = {}): HistoryRow {
  rank++;
  return {
    installedRank: rank,
    version: f.version,
    description: f.description,
    type: f.type,
    script: f.script,
    checksum: f.checksum,
    installedBy: 'root@localhost',
    installedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, rank)),
    executionMs: 5,
    success: true,
    statementsApplied: f.statements.length,
    errorMessage: null,
    ...overrides,
  };
}

describe('reconcile', () => {
  it('plans everything on an empty history: versioned by version, then repeatables', () => {
    const files = [file('V1__a.sql'), file('V2__b.sql', 'SELECT 1; SELECT 2;'), file('R__v.sql')];
    const r = reconcile(files, []);
    expect(r.plan.map((p) => [p.script, p.reason, p.statements])).toEqual([
      ['V1__a.sql', 'pending', 1],
      ['V2__b.sql', 'pending', 2],
      ['R__v.sql', 'pending', 1],
    ]);
    expect(r.status.map((s) => s.state)).toEqual(['pending', 'pending', 'pending']);
    expect(r.problems).toEqual([]);
  });

  it('plans nothing when everything is applied and unchanged', () => {
    const files = [file('V1__a.sql'), file('R__v.sql')];
    const r = reconcile(
      files,
      files.map((f) => ran(f)),
    );
    expect(r.plan).toEqual([]);
    expect(r.status.map((s) => s.state)).toEqual(['applied', 'applied']);
  });

  it('re-plans a changed repeatable and judges it by its latest run', () => {
    const old = file('R__v.sql', 'SELECT 1;');
    const now = file('R__v.sql', 'SELECT 2;');
    const r = reconcile([now], [ran(old), ran(now), ran(old)]);
    expect(r.status[0]?.state).toBe('changed');
    expect(r.plan.map((p) => p.reason)).toEqual(['changed']);
    expect(r.problems).toEqual([]);
    expect(reconcile([now], [ran(old), ran(now)]).plan).toEqual([]);
  });

  it('reports a versioned file edited after it was applied', () => {
    const applied = file('V1__a.sql', 'SELECT 1;');
    const r = reconcile([file('V1__a.sql', 'SELECT 1; -- edited')], [ran(applied)]);
    expect(r.status[0]?.state).toBe('drifted');
    expect(r.problems).toMatchObject([{ kind: 'checksum', script: 'V1__a.sql' }]);
    expect(r.problems[0]?.message).toContain('V1__a.sql was edited after it was applied');
    expect(r.plan).toEqual([]);
  });

  it('reports an applied versioned file missing on disk, but not a missing repeatable', () => {
    const r = reconcile([], [ran(file('V1__a.sql')), ran(file('R__gone.sql'))]);
    expect(r.status.map((s) => [s.script, s.state])).toEqual([
      ['V1__a.sql', 'missing'],
      ['R__gone.sql', 'missing'],
    ]);
    expect(r.problems.map((p) => p.kind)).toEqual(['missing']);
  });

  it('reports a pending version below the highest applied one as out of order', () => {
    const files = [file('V1__a.sql'), file('V2__b.sql'), file('V3__c.sql')];
    const r = reconcile(files, [ran(files[0] as MigrationFile), ran(files[2] as MigrationFile)]);
    expect(r.problems).toMatchObject([{ kind: 'out-of-order', script: 'V2__b.sql', version: '2' }]);
    expect(r.problems[0]?.message).toContain('version 3 is already applied');
  });

  it('reports failed runs with their statement and error, and marks them failed', () => {
    const f = file('V1__a.sql', 'SELECT 1; SELECT nope; SELECT 3;');
    const r = reconcile(
      [f],
      [ran(f, { success: false, statementsApplied: 1, errorMessage: 'Unknown column' })],
    );
    expect(r.failed).toHaveLength(1);
    expect(r.status[0]).toMatchObject({ state: 'failed', error: 'Unknown column' });
    expect(r.problems[0]?.message).toContain('V1__a.sql failed at statement 2');
    expect(r.plan).toEqual([]);
  });
});
