import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrate, openSqlite, type Database, type Queryable } from '../../db/index.ts';
import { ledgerMigrations } from './ledger.migrations.ts';
import { createPostingWriter, sortedEntries, type PostingLimits } from './ledger.postings.ts';
import { createLedgerRepository, type SortOrder } from './ledger.repository.ts';
import { TransferFlags } from './ledger.ts';

/**
 * The SQLite postings replace the account indexes of ledger_transfers. Whatever state their runs,
 * tail and merges are in, a query by account must answer exactly what a scan of the table answers;
 * the scan is the repository's own portable SQL (what PostgreSQL runs), pointed at the same file.
 */

/** Limits tiny enough that a few dozen transfers make runs, merges of every level, and merges left halfway. */
const TINY: PostingLimits = { tailMaxTransfers: 3, mergeFanIn: 2, levelBaseEntries: 2, mergeWorkPerEntry: 1, mergeStepMinEntries: 1 };
const ACCOUNTS = Array.from({ length: 5 }, (_, index) => `00000000-0000-7000-8000-${String(index + 1).padStart(12, '0')}`);
const FIRST_TRANSFER_TIMESTAMP = 1_000n;

type Item = { debit: number; credit: number; amount: number; code: number; pending: boolean; resolvedAfter: number | null };
/** `noted`: the writer is told the transfers' account keys, as the store does; otherwise it must join them in. */
type Step = { kind: 'transfers'; items: Item[]; noted: boolean } | { kind: 'forget' } | { kind: 'delete'; pick: number };

const itemArbitrary: fc.Arbitrary<Item> = fc
  .record({
    debit: fc.nat(ACCOUNTS.length - 1),
    offset: fc.integer({ min: 1, max: ACCOUNTS.length - 1 }),
    amount: fc.integer({ min: 1, max: 1000 }),
    code: fc.integer({ min: 1, max: 3 }),
    pending: fc.boolean(),
    resolvedAfter: fc.option(fc.nat(40), { nil: null }),
  })
  .map(({ debit, offset, ...rest }) => ({ debit, credit: (debit + offset) % ACCOUNTS.length, ...rest }));

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.array(itemArbitrary, { minLength: 0, maxLength: 7 }), fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }))
      .map(([items, noted]) => ({ kind: 'transfers' as const, items, noted })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'forget' as const }) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'delete' as const, pick })) },
);

/** Account timestamps, which the postings use as account keys. */
const accountKey = (index: number) => BigInt(10 + index);

async function openLedgerTables(): Promise<Database> {
  const db = openSqlite(':memory:');
  await migrate(db, ledgerMigrations);
  for (const [index, id] of ACCOUNTS.entries()) {
    await db.run(
      'INSERT INTO ledger_accounts (id, ledger, code, flags, initial_flags, debits_pending, debits_posted, credits_pending, credits_posted, party_id, metadata, timestamp) VALUES (?, 1, 1, 0, 0, 0, 0, 0, 0, NULL, NULL, ?)',
      [id, accountKey(index)],
    );
  }
  return db;
}

/** Writes the steps as the SQLite store would: rows first, then maintain() in the same transaction. */
function apply(db: Database, steps: readonly Step[], limits: PostingLimits): bigint {
  const raw = db.sqlite!;
  const writer = createPostingWriter(raw, limits);
  const insert = raw.prepare(
    'INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata) VALUES (?, ?, ?, ?, ?, NULL, 1, ?, ?, 0, NULL)',
  );
  const insertPending = raw.prepare("INSERT INTO ledger_pending (id, status, expires_at, resolved_at) VALUES (?, 'pending', 0, ?)");
  let timestamp = FIRST_TRANSFER_TIMESTAMP;
  for (const step of steps) {
    if (step.kind === 'forget') writer.forget();
    if (step.kind === 'delete') {
      // As a hand-made repair would: the row goes, its postings stay behind and must be ignored.
      const rows = raw.prepare('SELECT timestamp FROM ledger_transfers ORDER BY timestamp').all() as { timestamp: bigint }[];
      if (rows.length > 0) raw.prepare('DELETE FROM ledger_transfers WHERE timestamp = ?').run((rows[step.pick % rows.length] as { timestamp: bigint }).timestamp);
      writer.forget();
    }
    if (step.kind !== 'transfers') continue;
    raw.transaction(() => {
      for (const item of step.items) {
        const id = `00000000-0000-7000-9000-${timestamp.toString(16).padStart(12, '0')}`;
        insert.run(timestamp, id, ACCOUNTS[item.debit], ACCOUNTS[item.credit], BigInt(item.amount), item.code, item.pending ? TransferFlags.pending : 0);
        if (item.pending) insertPending.run(id, item.resolvedAfter === null ? 0n : timestamp + BigInt(item.resolvedAfter));
        if (step.noted) writer.note(accountKey(item.debit), accountKey(item.credit), timestamp);
        timestamp += 1n;
      }
      writer.maintain(step.items.length);
    })();
  }
  return timestamp;
}

/** The same database seen through the portable SQL: what the repository runs on PostgreSQL. */
const asPortable = (db: Database): Queryable => ({ dialect: 'postgres', all: db.all, get: db.get, run: db.run });

async function pages(repository: ReturnType<typeof createLedgerRepository>, filter: { accountId: string; order: SortOrder; code?: number; fromNs?: bigint; toNs?: bigint }) {
  const seen: bigint[][] = [];
  let after: bigint | undefined;
  for (;;) {
    const page = await repository.listTransfers({ ...filter, limit: 3, ...(after === undefined ? {} : { after }) });
    seen.push(page.map((transfer) => transfer.timestamp));
    if (page.length < 3) return seen;
    after = page[page.length - 1]?.timestamp;
  }
}

/** Structural promises of the index: entries of live transfers once each, in one run each, in order. */
function checkStructure(db: Database): void {
  const raw = db.sqlite!;
  const orphans = raw.prepare('SELECT COUNT(*) AS n FROM ledger_postings WHERE run NOT IN (SELECT run FROM ledger_posting_runs)').get() as { n: bigint };
  expect(orphans.n).toBe(0n);
  const duplicates = raw.prepare('SELECT COUNT(*) AS n FROM (SELECT account, timestamp FROM ledger_postings GROUP BY account, timestamp HAVING COUNT(*) > 1)').get() as { n: bigint };
  expect(duplicates.n).toBe(0n);
  const missing = raw
    .prepare(
      `SELECT COUNT(*) AS n FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id)
       WHERE t.timestamp <= (SELECT indexed_through FROM ledger_posting_state)
         AND NOT EXISTS (SELECT 1 FROM ledger_postings p WHERE p.run IN (SELECT run FROM ledger_posting_runs) AND p.account = a.timestamp AND p.timestamp = t.timestamp)`,
    )
    .get() as { n: bigint };
  expect(missing.n).toBe(0n);
  const settled = raw
    .prepare('SELECT r.run, r.entries, (SELECT COUNT(*) FROM ledger_postings p WHERE p.run = r.run) AS actual FROM ledger_posting_runs r WHERE r.merging <> 1')
    .all() as { entries: bigint; actual: bigint }[];
  for (const run of settled) expect(run.actual).toBe(run.entries);
}

describe('SQLite postings (the account index of ledger_transfers)', () => {
  it('answers every query by account exactly as a scan of the table does, in any state of runs, tail and merges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }), fc.nat(), async (steps, seed) => {
        const db = await openLedgerTables();
        try {
          const end = apply(db, steps, TINY);
          checkStructure(db);
          const indexed = createLedgerRepository(db);
          const scanned = createLedgerRepository(asPortable(db));
          const span = Number(end - FIRST_TRANSFER_TIMESTAMP) + 2;
          const at = (salt: number) => FIRST_TRANSFER_TIMESTAMP - 1n + BigInt((seed + salt * 7919) % span);
          for (const [index, accountId] of ACCOUNTS.entries()) {
            for (const order of ['asc', 'desc'] as const) {
              expect(await pages(indexed, { accountId, order })).toEqual(await pages(scanned, { accountId, order }));
              const filter = { accountId, order, code: 1 + (index % 3), fromNs: at(index), toNs: at(index + 11) };
              expect(await pages(indexed, filter)).toEqual(await pages(scanned, filter));
            }
            for (const salt of [1, 2, 3]) expect(await indexed.computedBalanceAt(accountId, at(salt))).toEqual(await scanned.computedBalanceAt(accountId, at(salt)));
          }
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('indexes the tail from the noted account keys when they cover all of it, and joins the accounts otherwise', async () => {
    const limits: PostingLimits = { ...TINY, tailMaxTransfers: 4, levelBaseEntries: 1000 };
    const db = openSqlite(':memory:');
    await migrate(db, ledgerMigrations);
    const raw = db.sqlite!;
    // No ledger_accounts rows: a join finds nothing, so entries can only have come from the notes.
    const insert = raw.prepare(
      "INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, ledger, code, flags, timeout_seconds) VALUES (?, ?, 'd', 'c', 1, 1, 1, 0, 0)",
    );
    const writer = createPostingWriter(raw, limits);
    const write = (first: number, count: number, noted: boolean) =>
      raw.transaction(() => {
        for (let timestamp = first; timestamp < first + count; timestamp++) {
          insert.run(BigInt(timestamp), `t${timestamp}`);
          if (noted) writer.note(BigInt(900 - timestamp), 5n, BigInt(timestamp));
        }
        writer.maintain(count);
      })();
    const entries = () => raw.prepare('SELECT account, timestamp FROM ledger_postings ORDER BY run, account, timestamp').all();
    write(100, 4, true);
    expect(entries()).toEqual([
      { account: 5n, timestamp: 100n }, { account: 5n, timestamp: 101n }, { account: 5n, timestamp: 102n }, { account: 5n, timestamp: 103n },
      { account: 797n, timestamp: 103n }, { account: 798n, timestamp: 102n }, { account: 799n, timestamp: 101n }, { account: 800n, timestamp: 100n },
    ]);
    // One transfer of the next tail was not noted: the notes are not the whole tail, so the join decides (and finds no accounts).
    write(104, 1, false);
    write(105, 3, true);
    expect(entries()).toHaveLength(8);
    expect(raw.prepare('SELECT indexed_through FROM ledger_posting_state').get()).toEqual({ indexed_through: 107n });
    await db.close();
  });

  it('indexes from the notes a transaction that notes more entries than the notes first hold', async () => {
    const db = openSqlite(':memory:');
    await migrate(db, ledgerMigrations);
    const raw = db.sqlite!;
    const insert = raw.prepare(
      "INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, ledger, code, flags, timeout_seconds) VALUES (?, ?, 'd', 'c', 1, 1, 1, 0, 0)",
    );
    // Default limits: 9,000 transfers make 18,000 entries, past the notes' first 16,384, and one run.
    const writer = createPostingWriter(raw);
    const transfers = 9000;
    const expected: { account: bigint; timestamp: bigint }[] = [];
    raw.transaction(() => {
      for (let index = 0; index < transfers; index++) {
        const timestamp = BigInt(5000 + index);
        const debit = BigInt(1 + ((index * 7919) % 61)) * 2n ** 33n;
        const credit = BigInt(index % 13);
        insert.run(timestamp, `t${index}`);
        writer.note(debit, credit, timestamp);
        expected.push({ account: debit, timestamp }, { account: credit, timestamp });
      }
      writer.maintain(transfers);
    })();
    expected.sort((left, right) => (left.account < right.account ? -1 : left.account > right.account ? 1 : left.timestamp < right.timestamp ? -1 : 1));
    // No ledger_accounts rows, so a join would have found nothing: these entries came from the notes.
    expect(raw.prepare('SELECT account, timestamp FROM ledger_postings ORDER BY run, account, timestamp').all()).toEqual(expected);
    expect(raw.prepare('SELECT run, entries FROM ledger_posting_runs').all()).toEqual([{ run: 1n, entries: BigInt(2 * transfers) }]);
    await db.close();
  });

  it('finds notes out of timestamp order, whatever the words of the timestamps', () => {
    const timestamp = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 2n ** 32n - 3n, max: 2n ** 32n + 3n }), fc.bigInt({ min: -3n, max: 3n }));
    fc.assert(
      fc.property(fc.array(timestamp, { minLength: 1, maxLength: 40 }), (timestamps) => {
        const inOrder = timestamps.every((value, index) => index === 0 || (timestamps[index - 1] as bigint) <= value);
        const order = sortedEntries(new BigInt64Array(timestamps.length), BigInt64Array.from(timestamps));
        expect(order !== undefined).toBe(inOrder);
      }),
    );
  });

  it('orders entries by account and then timestamp, however far apart the account keys are', () => {
    // Keys that differ only in one 16-bit digit of the radix sort, in several, in the sign, or anywhere.
    const key = fc.oneof(
      fc.bigInt({ min: 0n, max: 40n }),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      fc.bigInt({ min: 2n ** 60n, max: 2n ** 60n + 5n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(-1n, 0n, 1n, 2n ** 16n, 2n ** 32n, 2n ** 48n, 2n ** 63n - 1n, -(2n ** 63n)),
      fc.bigInt({ min: 0n, max: 40n }).map((low) => 1_790_000_000_000_000_000n + low * 65_536n),
    );
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 300 }), (accounts) => {
        const timestamps = accounts.map((_, index) => BigInt(1000 + Math.floor(index / 2)));
        const expected = accounts
          .map((account, index) => ({ account, index }))
          .sort((left, right) => (left.account < right.account ? -1 : left.account > right.account ? 1 : left.index - right.index))
          .map((entry) => entry.index);
        expect(Array.from(sortedEntries(BigInt64Array.from(accounts), BigInt64Array.from(timestamps)) ?? [])).toEqual(expected);
      }),
    );
    expect(sortedEntries(BigInt64Array.of(1n, 2n), BigInt64Array.of(5n, 4n))).toBeUndefined();
    expect(sortedEntries(BigInt64Array.of(1n, 2n), BigInt64Array.of(-1n, 2n ** 40n))).toEqual(Uint32Array.of(0, 1));
    expect(sortedEntries(BigInt64Array.of(1n, 2n), BigInt64Array.of(2n ** 32n, 2n ** 32n - 1n))).toBeUndefined();
  });

  /**
   * 1,200 transactions of 4 transfers among 256 accounts, with limits under which every 16th
   * indexes 64 entries and so owes 256 entries of merging; a transaction of 4 transfers pays off at
   * most 32 of it (or one step of 8), so that no commit carries the whole merge. Returns what each
   * transaction's merging moved and the database, checked.
   */
  async function mergeUnderLoad(pick: (transaction: number, item: number) => [number, number]) {
    const limits: PostingLimits = { tailMaxTransfers: 64, mergeFanIn: 4, levelBaseEntries: 16, mergeWorkPerEntry: 4, mergeStepMinEntries: 8 };
    const db = await openLedgerTables();
    const raw = db.sqlite!;
    const keys = Array.from({ length: 256 }, (_, index) => BigInt(1_000 + index));
    const ids = keys.map((key) => `00000000-0000-7000-a000-${key.toString(16).padStart(12, '0')}`);
    for (const [index, id] of ids.entries()) {
      raw.prepare(
        'INSERT INTO ledger_accounts (id, ledger, code, flags, initial_flags, debits_pending, debits_posted, credits_pending, credits_posted, party_id, metadata, timestamp) VALUES (?, 1, 1, 0, 0, 0, 0, 0, 0, NULL, NULL, ?)',
      ).run(id, keys[index]);
    }
    const writer = createPostingWriter(raw, limits);
    const insert = raw.prepare(
      'INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata) VALUES (?, ?, ?, ?, 1, NULL, 1, 1, 0, 0, NULL)',
    );
    const moved: number[] = [];
    let timestamp = FIRST_TRANSFER_TIMESTAMP;
    for (let transaction = 0; transaction < 1_200; transaction++) {
      raw.transaction(() => {
        for (let item = 0; item < 4; item++) {
          const [debit, credit] = pick(transaction, item);
          insert.run(timestamp, `00000000-0000-7000-9000-${timestamp.toString(16).padStart(12, '0')}`, ids[debit], ids[credit]);
          writer.note(keys[debit]!, keys[credit]!, timestamp);
          timestamp += 1n;
        }
        moved.push(writer.maintain(4));
      })();
    }
    checkStructure(db);
    // Abreast: 75 runs of 128 entries were written; merging leaves a handful waiting, as doing it all
    // at once did (one 512 and seven 128 at the end, either way), where no merging would leave 75.
    const runs = raw.prepare('SELECT COUNT(*) AS n FROM ledger_posting_runs WHERE merging = 0').get() as { n: bigint };
    expect(Number(runs.n)).toBeLessThanOrEqual(2 * limits.mergeFanIn);
    const indexed = raw.prepare('SELECT COUNT(*) AS n FROM ledger_postings').get() as { n: bigint };
    expect(Number(indexed.n)).toBeGreaterThanOrEqual(2 * (4 * 1_200 - limits.tailMaxTransfers));
    await db.close();
    return moved;
  }

  it('spreads the merge work that indexing incurs over the transactions after it, and keeps abreast', async () => {
    // Many accounts, as a ledger has: a step's key range then holds about as many entries of every input.
    const moved = await mergeUnderLoad((transaction, item) => {
      const debit = (transaction * 37 + item * 101) % 256;
      return [debit, (debit + 1 + item) % 256];
    });
    // A step takes at most its share from each input, so it moves at most about twice what was asked.
    expect(Math.max(...moved)).toBeLessThanOrEqual(2 * 32);
    expect(moved.filter((entries) => entries > 0).length).toBeGreaterThan(100);
  });

  it('keeps merge steps small when one account is busy in every run', async () => {
    // Every transfer pays into account 0, as a bank's settlement account or an FX desk is paid into:
    // half of every run is that account's, at the timestamps of that run alone, so the runs differ
    // completely within it.
    const moved = await mergeUnderLoad((transaction, item) => [1 + ((transaction * 4 + item) % 255), 0]);
    expect(Math.max(...moved)).toBeLessThanOrEqual(2 * 32);
    expect(moved.filter((entries) => entries > 0).length).toBeGreaterThan(100);
  });

  it('indexes the transfers already stored when an installation upgrades to postings', async () => {
    const db = openSqlite(':memory:');
    await migrate(db, ledgerMigrations.slice(0, 1));
    await db.run("INSERT INTO ledger_accounts (id, ledger, code, flags, initial_flags, debits_pending, debits_posted, credits_pending, credits_posted, timestamp) VALUES ('a', 1, 1, 0, 0, 0, 0, 0, 0, 1), ('b', 1, 1, 0, 0, 0, 0, 0, 0, 2)");
    for (let index = 0; index < 10; index++) {
      await db.run("INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, ledger, code, flags, timeout_seconds) VALUES (?, ?, 'a', 'b', 5, 1, 1, 0, 0)", [BigInt(100 + index), `t${index}`]);
    }
    await migrate(db, ledgerMigrations);
    expect(await db.get('SELECT indexed_through, merge_run FROM ledger_posting_state')).toEqual({ indexed_through: 109n, merge_run: null });
    expect(await db.get('SELECT run, level, entries, merging FROM ledger_posting_runs')).toEqual({ run: 1n, level: 0n, entries: 20n, merging: 0n });
    const repository = createLedgerRepository(db);
    const listed = await repository.listTransfers({ accountId: 'b', order: 'desc', limit: 4 });
    expect(listed.map((transfer) => transfer.timestamp)).toEqual([109n, 108n, 107n, 106n]);
    expect((await repository.computedBalanceAt('a', 104n)).debitsPosted).toBe(25n);
    await db.close();
  });
});
