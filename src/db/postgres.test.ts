import { Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshPostgresUrl, postgresUrl } from '../../test/support/databases.ts';
import { describeWithPostgres } from '../../test/process/postgres-server.ts';
import { GATHERED_WRITE_MAX_BYTES, openPostgres } from './postgres.ts';
import type { Database } from './port.ts';

/**
 * Counts the writes handed to sockets connected to `port` while `work` runs (each is one system
 * call); `work` may read the count so far.
 */
async function countWrites<T>(port: number, work: (writesSoFar: () => number) => Promise<T>): Promise<{ result: T; writes: number }> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    proto[method] = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === port) writes += 1;
      return original[method].apply(this, args);
    };
  }
  try {
    return { result: await work(() => writes), writes };
  } finally {
    Object.assign(proto, original);
  }
}

describeWithPostgres('a PostgreSQL transaction on the wire', () => {
  let db: Database;
  let port: number;
  beforeAll(async () => {
    const url = postgresUrl() ? await freshPostgresUrl() : '';
    port = Number(new URL(url).port || 5432);
    db = openPostgres(url, { maxConnections: 1 });
    await db.exec('CREATE TABLE wire_probe (id bigint PRIMARY KEY)');
    await db.get('SELECT 1 AS warm');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('sends the statements issued in one stretch of work, and COMMIT after them, in a few writes', async () => {
    const rows = 20;
    const { writes } = await countWrites(port, () =>
      db.transaction(async (tx) => {
        // Issued without waiting, partly from promise reactions: one stretch of work.
        const sent = [tx.run('INSERT INTO wire_probe (id) VALUES (?)', [0])];
        await Promise.resolve();
        for (let id = 1; id < rows; id += 1) sent.push(tx.run('INSERT INTO wire_probe (id) VALUES (?)', [id]));
        await Promise.all(sent);
      }),
    );
    // BEGIN with the 20 inserts, then COMMIT: one write per statement would be 22.
    expect(writes).toBeLessThanOrEqual(3);
    const count = await db.get<{ n: bigint }>('SELECT count(*) AS n FROM wire_probe');
    expect(Number(count?.n)).toBe(rows);
  });

  it('sends a large statement as soon as it is issued, without waiting for the stretch of work to end', async () => {
    const ids = Array.from({ length: 8_000 }, (_, index) => 1_000 + index);
    const literal = `{${ids.join(',')}}`;
    expect(literal.length).toBeGreaterThan(GATHERED_WRITE_MAX_BYTES);
    await countWrites(port, (writesSoFar) =>
      db.transaction(async (tx) => {
        await tx.get('SELECT 1 AS started');
        const before = writesSoFar();
        const small = tx.run('INSERT INTO wire_probe (id) VALUES (?)', [999]);
        // A small statement waits for the others of its stretch…
        expect(writesSoFar()).toBe(before);
        // …a large one (8,000 ids as text, above GATHERED_WRITE_MAX_BYTES) leaves at once, with it.
        const large = tx.run('INSERT INTO wire_probe (id) SELECT unnest(?::bigint[])', [literal]);
        expect(writesSoFar()).toBe(before + 1);
        await Promise.all([small, large]);
      }),
    );
    const count = await db.get<{ n: bigint }>('SELECT count(*) AS n FROM wire_probe WHERE id >= 999 AND id < 9000');
    expect(Number(count?.n)).toBe(8_001);
  });

  it('sends COMMIT at once, without waiting for the rest of the stretch of work', async () => {
    let sentWhileWorkRan = -1;
    await countWrites(port, (writesSoFar) =>
      db.transaction(async (tx) => {
        void tx.run('INSERT INTO wire_probe (id) VALUES (?)', [50]);
        // Work that goes on in promise reactions after the transaction has issued COMMIT.
        let hops = 50;
        const hop = () => (--hops > 0 ? queueMicrotask(hop) : (sentWhileWorkRan = writesSoFar()));
        queueMicrotask(hop);
      }),
    );
    // BEGIN, the insert and COMMIT left together, before that work was done.
    expect(sentWhileWorkRan).toBe(1);
  });

  it('still reports the first failed statement of a gathered stretch and commits nothing', async () => {
    const attempt = db.transaction(async (tx) => {
      const sent = [100, 101, 0, 102].map((id) => tx.run('INSERT INTO wire_probe (id) VALUES (?)', [id]));
      await Promise.allSettled(sent);
    });
    await expect(attempt).rejects.toThrow(/duplicate key/);
    const count = await db.get<{ n: bigint }>('SELECT count(*) AS n FROM wire_probe WHERE id BETWEEN 100 AND 102');
    expect(Number(count?.n)).toBe(0);
    // The connection is whole again: the next transaction commits.
    await db.transaction((tx) => tx.run('INSERT INTO wire_probe (id) VALUES (?)', [200]));
    expect(Number((await db.get<{ n: bigint }>('SELECT count(*) AS n FROM wire_probe WHERE id = 200'))?.n)).toBe(1);
  });
});
