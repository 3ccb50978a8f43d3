import { expect, it } from 'vitest';
import { describeEachDialect } from './databases.ts';

/** Larger than Number.MAX_SAFE_INTEGER: a number would silently lose the last digits. */
const BEYOND_DOUBLE_PRECISION = 2n ** 53n + 1n;

describeEachDialect('database port', ({ dialect, open }) => {
  it('reports the dialect it was opened for', async () => {
    const db = await open();
    expect(db.dialect).toBe(dialect);
    expect(await db.ping()).toBe(true);
    await db.close();
  });

  it('reads back an integer above 2^53 exactly, as a bigint', async () => {
    const db = await open();
    await db.exec('CREATE TABLE amounts (id BIGINT PRIMARY KEY, amount BIGINT NOT NULL)');
    await db.run('INSERT INTO amounts (id, amount) VALUES (?, ?)', [1n, BEYOND_DOUBLE_PRECISION]);
    const row = await db.get<{ amount: unknown }>('SELECT amount FROM amounts WHERE id = ?', [1n]);
    expect(typeof row?.amount).toBe('bigint');
    expect(row?.amount).toBe(BEYOND_DOUBLE_PRECISION);
    await db.close();
  });

  it('rolls a transaction back when its work throws', async () => {
    const db = await open();
    await db.exec('CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)');
    const failure = new Error('abandon the transaction');
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO notes (id, body) VALUES (?, ?)', [1n, 'written inside']);
        expect(await tx.get('SELECT id FROM notes WHERE id = ?', [1n])).toBeDefined();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await db.get('SELECT id FROM notes WHERE id = ?', [1n])).toBeUndefined();
    expect(await db.all('SELECT id FROM notes')).toEqual([]);
    await db.close();
  });

  it('opens databases that flush every commit to disk', async () => {
    const db = await open();
    if (dialect === 'sqlite') {
      // A real file, not :memory:, so WAL is in force as in production. SQLite commits with NORMAL
      // and the adapter flushes the WAL itself before settling any commit (sqlite.durability.ts).
      expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
      expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 1n });
    } else {
      expect(await db.get('SHOW fsync')).toEqual({ fsync: 'on' });
      expect(await db.get('SHOW synchronous_commit')).toEqual({ synchronous_commit: 'on' });
    }
    await db.close();
  });

  it('gives every open() its own empty database', async () => {
    const first = await open();
    const second = await open();
    await first.exec('CREATE TABLE only_in_first (id BIGINT PRIMARY KEY)');
    await expect(second.all('SELECT id FROM only_in_first')).rejects.toThrow();
    await first.close();
    await second.close();
  });
});
