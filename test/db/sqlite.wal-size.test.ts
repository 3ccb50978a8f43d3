import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { walSizeOf } from '../../src/db/sqlite.wal-size.ts';

/**
 * The checkpointer measures the WAL by the frames of the current log, read from the wal-index, since
 * the file keeps its size once the log starts over in it.
 */
describe('WAL size in use', () => {
  it('follows the log as it grows, and drops when the log starts over in a file that keeps its size', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-wal-size-')), 'wal.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('journal_size_limit = -1');
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const wal = walSizeOf(file);
    try {
      db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
      const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
      for (let index = 0; index < 64; index++) insert.run(Buffer.alloc(16 * 1024, index));
      const grown = wal.used();
      // The log is exactly the file so far: a header and whole frames.
      expect(grown).toBe(statSync(`${file}-wal`).size);
      expect((grown - 32) % (pageSize + 24)).toBe(0);
      expect(grown).toBeGreaterThan(64 * 16 * 1024);
      // Everything copied; the next write starts the log over from the file's beginning.
      expect(db.pragma('wal_checkpoint(PASSIVE)')).toEqual([{ busy: 0, log: expect.any(Number), checkpointed: expect.any(Number) }]);
      insert.run(Buffer.alloc(100, 1));
      expect(statSync(`${file}-wal`).size).toBe(grown);
      expect(wal.used()).toBeGreaterThan(0);
      expect(wal.used()).toBeLessThan(16 * (pageSize + 24));
    } finally {
      wal.close();
      db.close();
    }
  });

  it('falls back to the file size when there is no wal-index to read', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-wal-size-')), 'none.db');
    const wal = walSizeOf(file);
    expect(wal.used()).toBe(0);
    wal.close();
  });
});
