import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startCheckpoints, WAL_KEPT_BYTES } from '../../src/db/sqlite.checkpoints.ts';

/**
 * The checkpointer thread, driven as the adapter drives it: a connection that never checkpoints
 * itself, tells the thread of every commit, and asks before each transaction whether to wait for a
 * drain. These tests look at what the thread did, by its replies.
 */
describe('SQLite checkpointer thread', () => {
  it('keeps checkpointing after a drain, and catches up before every drain', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-checkpoints-')), 'wal.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
    db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const checkpoints = startCheckpoints(file, (message) => {
      throw new Error(message);
    });
    const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
    const prune = db.prepare('DELETE FROM blobs WHERE id < ?');
    const body = Buffer.alloc(64 * 1024, 3);
    let afterFirstDrain: number | null = null;
    try {
      // 64 KiB a transaction, with pauses that let the thread's delayed checkpoints run, until the
      // WAL has been drained three times (a drain comes every 64 MiB or so).
      for (let index = 0; index < 12_000 && checkpoints.counts().drained < 3; index++) {
        await checkpoints.drainIfDue();
        db.transaction(() => {
          insert.run(body);
          prune.run(index - 20);
        })();
        checkpoints.committed();
        if (index % 10 === 0) await sleep(15);
        if (afterFirstDrain === null && checkpoints.counts().drained === 1) afterFirstDrain = checkpoints.counts().checkpointed;
      }
      const counts = checkpoints.counts();
      expect(counts.drained).toBe(3);
      expect(afterFirstDrain).not.toBeNull();
      // Delayed checkpoints go on between drains (a drain takes over the one a commit asked for),
      // and every drain comes after a catch-up that copied most of the WAL while commits went on.
      expect(counts.checkpointed).toBeGreaterThan(afterFirstDrain! + 2);
      expect(counts.caughtUp).toBeGreaterThanOrEqual(counts.drained);
    } finally {
      await checkpoints.close();
      db.close();
    }
  }, 120_000);
});
