import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, openSqlite } from '../../src/db/index.ts';
import { createWalDurability, type WalFlusher } from '../../src/db/sqlite.durability.ts';

/**
 * The SQLite adapter commits with synchronous=NORMAL and flushes the WAL itself, off the event
 * loop, and checkpoints in a worker thread. What it promises: nothing settles before the flush
 * that covers it, flushes are shared, a failed flush fails everything after it, and the WAL does
 * not grow without bound while commits keep coming.
 */

/** A flusher the test finishes by hand, recording when each flush began. */
function manualFlusher() {
  const started: (() => void)[] = [];
  const failures: ((error: Error) => void)[] = [];
  const flusher: WalFlusher = {
    flush: () => new Promise<void>((resolve, reject) => (started.push(resolve), failures.push(reject))),
    close: async () => undefined,
  };
  return {
    flusher,
    get flushes() {
      return started.length;
    },
    finish(index: number) {
      started[index]?.();
    },
    fail(index: number) {
      failures[index]?.(new Error('EIO'));
    },
  };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('WAL durability tracker', () => {
  it('settles a commit only after a flush that began after it, and shares flushes between commits', async () => {
    const disk = manualFlusher();
    const durability = createWalDurability(disk.flusher);
    const first = durability.durable(durability.committed());
    expect(disk.flushes).toBe(1);
    // Two commits while the first flush runs: that flush began before them and cannot cover them.
    const second = durability.durable(durability.committed());
    const third = durability.durable(durability.committed());
    expect(disk.flushes).toBe(1);
    disk.finish(0);
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    // One more flush covers both.
    expect(disk.flushes).toBe(2);
    disk.finish(1);
    expect(await settled(second)).toBe(true);
    expect(await settled(third)).toBe(true);
    // Nothing new committed: nothing to wait for.
    expect(await settled(durability.durable())).toBe(true);
    expect(disk.flushes).toBe(2);
  });

  it('fails the commits a failed flush covered and every operation after it', async () => {
    const disk = manualFlusher();
    const durability = createWalDurability(disk.flusher);
    const covered = durability.durable(durability.committed());
    disk.fail(0);
    await expect(covered).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(durability.durable(durability.committed())).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(disk.flushes).toBe(1);
  });
});

describe('SQLite adapter on a file', () => {
  const open = () => openSqlite(join(mkdtempSync(join(tmpdir(), 'sluice-sqlite-')), 'sluice.db'));

  it('keeps the WAL near its restart size while transactions keep coming, and removes it on close', async () => {
    const db = open();
    const file = join(db.sqlite!.name);
    await db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const body = Buffer.alloc(64 * 1024, 7);
    // 2,400 transactions of 64 KiB back to back (each begins as soon as the one before has
    // committed, as the ledger engine's do): 150 MiB through a WAL that restarts every 64 MiB or so.
    const flushed: Promise<void>[] = [];
    for (let index = 0; index < 2400; index++) {
      const { durable } = await db.pipelinedTransaction!(async (tx) => {
        await tx.run('INSERT INTO blobs (body) VALUES (?)', [body]);
        if (index % 10 === 0) await tx.run('DELETE FROM blobs WHERE id < ?', [index - 20]);
      });
      flushed.push(durable);
    }
    await Promise.all(flushed);
    expect(statSync(`${file}-wal`).size).toBeLessThan(100 * 1024 * 1024);
    expect(await db.get('SELECT COUNT(*) AS n FROM blobs')).toEqual({ n: 31n });
    await db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = openSqlite(file);
    expect(await again.get('SELECT COUNT(*) AS n FROM blobs')).toEqual({ n: 31n });
    await again.close();
  }, 120_000);

  it('counts the statements that may write given tables: not reads, not other tables, not columns named like them, not statements on the raw handle', async () => {
    const db = open();
    try {
      await db.exec('CREATE TABLE ledger_things (id INTEGER PRIMARY KEY, n INTEGER); CREATE TABLE other_things (id INTEGER PRIMARY KEY, ledger_things_seen INTEGER)');
      const ledger = ['ledger_things'];
      const before = db.writesTo!(ledger);
      await db.run('INSERT INTO other_things (id, ledger_things_seen) VALUES (?, 0)', [1]);
      await db.all('SELECT * FROM ledger_things');
      await db.get('SELECT count(*) AS n FROM ledger_things');
      db.sqlite!.prepare('INSERT INTO ledger_things (id, n) VALUES (9, 9)').run();
      expect(db.writesTo!(ledger)).toBe(before);
      await db.run('INSERT INTO ledger_things (id, n) VALUES (1, 1)');
      await db.transaction(async (tx) => {
        await tx.run('UPDATE LEDGER_THINGS SET n = 2 WHERE id = 1');
        await tx.get('DELETE FROM ledger_things WHERE id = 9 RETURNING id');
      });
      await db.exec('UPDATE ledger_things SET n = 3');
      expect(db.writesTo!(ledger)).toBe(before + 4);
      // Tables asked for late count from then on, statements seen before included.
      const others = db.writesTo!(['other_things']);
      await db.run('INSERT INTO other_things (id, ledger_things_seen) VALUES (?, 0)', [2]);
      await db.run('INSERT INTO other_things (id, ledger_things_seen) VALUES (?, 0)', [3]);
      expect(db.writesTo!(['other_things'])).toBe(others + 2);
    } finally {
      await db.close();
    }
  });

  it('answers a transaction started while another is flushed, in order, with every write kept', async () => {
    const db = open();
    await db.exec('CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)');
    await db.run('INSERT INTO counters (id, value) VALUES (1, 0)');
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        db.transaction(async (tx) => {
          await tx.run('UPDATE counters SET value = value + 1 WHERE id = 1');
          return index;
        }).then((value) => order.push(value))),
    );
    expect(order).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(await db.get('SELECT value FROM counters WHERE id = 1')).toEqual({ value: 50n });
    const pipelined = await db.pipelinedTransaction!(async (tx) => tx.run('UPDATE counters SET value = 0 WHERE id = 1'));
    expect(pipelined.result.changes).toBe(1);
    await pipelined.durable;
    await db.close();
  });

  it('makes a new data folder and database readable by their owner only, the WAL included', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-modes-'));
    const file = join(parent, 'nested', 'data', 'sluice.db');
    const db = openSqlite(file);
    await db.exec('CREATE TABLE secrets (value TEXT)');
    await db.run("INSERT INTO secrets (value) VALUES ('balance')");
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(parent, 'nested', 'data'))).toBe(0o700);
    expect(mode(join(parent, 'nested'))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
    await db.close();
  });
});
