import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl, postgresUrl } from '../../test/support/databases.ts';
import { describeWithPostgres } from '../../test/process/postgres-server.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './port.ts';
import { createStatementNames } from './postgres.statements.ts';

describe('statement names', () => {
  it('names a text from its second use on, the same name every time after', () => {
    const names = createStatementNames();
    const text = 'UPDATE t SET n = $1 WHERE id = $2';
    expect(names.nameOf(text)).toBeUndefined();
    const name = names.nameOf(text);
    expect(name).toMatch(/^sluice_\d+$/);
    expect(names.nameOf(text)).toBe(name);
    expect(names.nameOf('UPDATE t SET m = $1 WHERE id = $2')).toBeUndefined();
    expect(names.nameOf('UPDATE t SET m = $1 WHERE id = $2')).not.toBe(name);
  });

  it('never names a statement whose result names no columns', () => {
    const names = createStatementNames();
    for (const text of ['SELECT * FROM t WHERE id = $1', '  select *, 1 FROM t WHERE id = $1', 'INSERT INTO t (id) VALUES ($1) RETURNING *']) {
      names.nameOf(text);
      expect(names.nameOf(text)).toBeUndefined();
    }
    // A star that is not the result's column list is no reason to leave a statement unnamed.
    names.nameOf('SELECT count(*) AS n FROM t WHERE id = $1');
    expect(names.nameOf('SELECT count(*) AS n FROM t WHERE id = $1')).toMatch(/^sluice_/);
    names.nameOf('INSERT INTO t (id, n) SELECT * FROM UNNEST($1::uuid[], $2::bigint[])');
    expect(names.nameOf('INSERT INTO t (id, n) SELECT * FROM UNNEST($1::uuid[], $2::bigint[])')).toMatch(/^sluice_/);
  });

  it('stops naming at its cap and keeps the names it gave', () => {
    const names = createStatementNames(3);
    const given = new Map<string, string | undefined>();
    for (let index = 0; index < 5; index += 1) {
      const text = `SELECT n FROM t${index} WHERE id = $1`;
      names.nameOf(text);
      given.set(text, names.nameOf(text));
    }
    expect([...given.values()].filter((name) => name !== undefined)).toHaveLength(3);
    expect(new Set(given.values()).size).toBe(4);
    expect(names.size).toBe(3);
    for (const [text, name] of given) expect(names.nameOf(text)).toBe(name);
  });
});

describeWithPostgres('named statements on PostgreSQL', () => {
  let named: Database;
  let unnamed: Database;
  beforeAll(async () => {
    const url = postgresUrl() ? await freshPostgresUrl() : '';
    named = openPostgres(url, { maxConnections: 2 });
    unnamed = openPostgres(url, { maxConnections: 2, namedStatements: false });
    await named.exec('CREATE TABLE statements_probe (id bigint PRIMARY KEY, n bigint NOT NULL)');
  });
  afterAll(async () => {
    await named?.close();
    await unnamed?.close();
  });

  /** Inserts `rows` rows in one transaction and answers what the session has prepared under a name. */
  async function insertAndList(db: Database, first: number, rows: number): Promise<string[]> {
    return db.transaction(async (tx) => {
      for (let id = first; id < first + rows; id += 1) await tx.run('INSERT INTO statements_probe (id, n) VALUES (?, ?)', [id, id * 10]);
      const prepared = await tx.all<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY name');
      return prepared.filter((row) => row.statement.includes('statements_probe')).map((row) => `${row.name}: ${row.statement}`);
    });
  }

  it('prepares a repeated statement of a transaction once under a name, and leaves it unnamed when told to', async () => {
    const prepared = await insertAndList(named, 1, 4);
    expect(prepared).toEqual([expect.stringMatching(/^sluice_\d+: INSERT INTO statements_probe \(id, n\) VALUES \(\$1, \$2\)$/)]);
    expect(await insertAndList(unnamed, 101, 4)).toEqual([]);
    const rows = await named.all<{ id: bigint; n: bigint }>('SELECT id, n FROM statements_probe ORDER BY id');
    expect(rows.map((row) => [Number(row.id), Number(row.n)])).toEqual([1, 2, 3, 4, 101, 102, 103, 104].map((id) => [id, id * 10]));
  });

  it('keeps answering a named statement after a column is added to its table', async () => {
    const read = (db: Database) => db.transaction((tx) => tx.get<{ id: bigint; n: bigint }>('SELECT id, n FROM statements_probe WHERE id = ?', [2]));
    for (let round = 0; round < 3; round += 1) expect(Number((await read(named))?.n)).toBe(20);
    await unnamed.exec('ALTER TABLE statements_probe ADD COLUMN note text');
    // Every connection of the pool, whichever holds the prepared statement.
    const answers = await Promise.all([read(named), read(named), read(named)]);
    expect(answers.map((row) => Number(row?.n))).toEqual([20, 20, 20]);
  });
});
