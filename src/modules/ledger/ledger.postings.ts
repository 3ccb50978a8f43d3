import type BetterSqlite3 from 'better-sqlite3';
import { inEveryRun, indexedThrough, openSortedRuns, runLevel, type SortedRunLimits, type SortedRunTables } from '../../db/index.ts';
import { doubled } from '../../kernel/index.ts';

/**
 * The per-account transfer index on SQLite ("postings": one entry per side of a transfer).
 *
 * An index kept in account order takes each batch's entries at as many places as the batch has
 * accounts: a batch of 8,190 transfers among 10,000 accounts dirtied most leaf pages of the two
 * account indexes on ledger_transfers, 63 MB written per batch against 3 MB for the rows themselves.
 * So the entries are written as sorted runs instead, the way a log-structured merge tree does it
 * (the runs, their levels and merges are db/sorted-runs.ts, shared with the risk graph's edges):
 *
 * - Transfers newer than `indexed_through` (the tail) are in no run; queries scan them by timestamp.
 *   Once the tail holds POSTING_LIMITS.tailMaxTransfers, the write transaction that sees it turns it
 *   into one new run: its entries sorted by (account, timestamp) and appended after every other run.
 * - Runs of about the same size (one level) are merged in groups of POSTING_LIMITS.mergeFanIn into
 *   one run of the next level, a bounded step per write transaction, so no commit stalls on a merge:
 *   indexing the tail incurs merge work in proportion, and each transaction pays off as much of it
 *   as four times what it wrote (or one minimal step), so that a busy ledger keeps abreast while no
 *   single commit of a few transfers carries a merge of tens of thousands of entries.
 *   A step moves a key range out of the input runs into the output run and deletes it from the
 *   inputs in the same transaction: every entry is in exactly one run at every commit.
 * - A query seeks its account in every run (a few dozen at most) and scans the tail: one statement,
 *   so it reads one consistent state while merges go on.
 *
 * Entries name the account by its timestamp (unique and never changed) rather than its 36-character
 * id, which makes them about a third the size. The index is derived data: it is not in the dump,
 * and a transfer written straight into the table (an import, a repair) is in the tail until the
 * next ledger write indexes it.
 */
export interface PostingLimits extends SortedRunLimits {
  readonly tailMaxTransfers: number;
}

export const POSTING_LIMITS: PostingLimits = Object.freeze({
  /** Transfers the tail may hold before a write indexes them; a query scans at most about this many rows. */
  tailMaxTransfers: 4096,
  /**
   * Runs of one level merged into one: more means fewer rewrites of each entry but more runs per
   * query. At 16 a ledger of a million transfers has its entries rewritten about once, and a query
   * seeks its account in at most about 45 runs (15 per level), a fraction of a millisecond.
   */
  mergeFanIn: 16,
  /** Runs below mergeFanIn × this many entries are level 0; each level above is mergeFanIn times larger. */
  levelBaseEntries: 8192,
  /**
   * Entries merged per entry indexed, in the same transaction. Each entry is rewritten once per
   * level it climbs (four levels hold about 500 million entries), so four keeps merging abreast.
   */
  mergeWorkPerEntry: 4,
  /** Fewer entries than this are not worth a merge step of their own. */
  mergeStepMinEntries: 1024,
});

/** The level of a run: 0 below fan-in × base entries, and one more for each further factor of fan-in. */
export function postingLevel(entries: number, limits: PostingLimits = POSTING_LIMITS): number {
  return runLevel(entries, limits);
}

/** The postings as sorted runs (db/sorted-runs.ts): entries keyed by account, then timestamp. */
export const POSTING_TABLES: SortedRunTables = Object.freeze({
  entries: 'ledger_postings',
  runs: 'ledger_posting_runs',
  state: 'ledger_posting_state',
  keys: ['account', 'timestamp'],
  /** Below every account key (account timestamps are not negative): where a merge starts. */
  beforeAll: -1n,
});

/** Entries per multi-row INSERT when the tail is indexed from memory. */
const ENTRIES_PER_INSERT = 256;

export interface PostingWriter {
  /**
   * Tells the writer the account keys (account timestamps) of a transfer just inserted, so that
   * the tail can be indexed from memory rather than by joining the accounts table again.
   */
  note(debitAccountKey: bigint, creditAccountKey: bigint, timestamp: bigint): void;
  /**
   * Runs at the end of each write transaction of the SQLite ledger store, inside it: indexes the
   * tail when it is long enough, which adds merge work in proportion, and does some of the merge
   * work outstanding. Returns how many entries its merge steps moved.
   */
  maintain(transfersAdded: number): number;
  /** Drops what it remembers about the tail (another writer, or a rollback, may have changed it). */
  forget(): void;
}

export function createPostingWriter(raw: BetterSqlite3.Database, limits: PostingLimits = POSTING_LIMITS): PostingWriter {
  const sql = prepare(raw);
  const runs = openSortedRuns(raw, POSTING_TABLES, limits);
  /** Transfers above indexed_through, when known. */
  let tail: number | undefined;
  /**
   * Merge work (entries) that indexing has incurred and no transaction has done yet. Kept in memory
   * only: a restart forgets it, and merging then lags by at most one tail's worth until the next
   * indexing incurs more.
   */
  let mergeDebt = 0;
  /**
   * Entries of the transfers noted since the tail was last indexed or forgotten, in the order they
   * were written: account keys and transfer timestamps, two per transfer. They replace the join
   * only when they are provably the whole tail (see indexNoted).
   */
  const noted = createNotes();
  const clearNoted = () => noted.clear();

  function indexTail(after: bigint): number {
    const through = (sql.lastTransfer.get() as { t: bigint | null }).t;
    if (through === null || through <= after) return 0;
    const run = runs.nextRun();
    const entries = sql.indexTail.run({ run, after, through }).changes;
    runs.addRun(run, entries);
    runs.setIndexedThrough(through);
    return entries;
  }

  /**
   * Indexes the tail from the noted entries, or returns undefined when they may not be all of it:
   * their count must be the tail's and their range the tail's range, which holds whenever every
   * transfer since the last indexing went through this writer (anything else makes it forget).
   */
  function indexNoted(after: bigint, tailTransfers: number): number | undefined {
    const entries = noted.entries();
    if (entries === 0 || entries !== 2 * tailTransfers) return undefined;
    const accounts = noted.accounts();
    const timestamps = noted.timestamps();
    const through = (sql.lastTransfer.get() as { t: bigint | null }).t;
    if (through === null || through !== timestamps[entries - 1] || (timestamps[0] as bigint) <= after) return undefined;
    const order = sortedEntries(accounts, timestamps);
    if (!order) return undefined;
    const run = runs.nextRun();
    const params: bigint[] = new Array<bigint>(3 * ENTRIES_PER_INSERT);
    let next = 0;
    for (; next + ENTRIES_PER_INSERT <= entries; next += ENTRIES_PER_INSERT) {
      for (let offset = 0; offset < ENTRIES_PER_INSERT; offset++) {
        const index = order[next + offset] as number;
        params[3 * offset] = run;
        params[3 * offset + 1] = accounts[index] as bigint;
        params[3 * offset + 2] = timestamps[index] as bigint;
      }
      sql.insertEntries.run(params);
    }
    for (; next < entries; next++) {
      const index = order[next] as number;
      sql.insertEntry.run(run, accounts[index], timestamps[index]);
    }
    runs.addRun(run, entries);
    runs.setIndexedThrough(through);
    return entries;
  }

  return {
    maintain(transfersAdded) {
      const after = runs.state().indexedThrough;
      tail = tail === undefined ? Number((sql.tailCount.get(after) as { n: bigint }).n) : tail + transfersAdded;
      if (tail >= limits.tailMaxTransfers) {
        const indexed = indexNoted(after, tail) ?? indexTail(after);
        tail = 0;
        clearNoted();
        mergeDebt += indexed * limits.mergeWorkPerEntry;
      }
      if (mergeDebt <= 0) return 0;
      // Two entries a transfer: this transaction pays for what it wrote, at the least one step.
      const share = Math.max(limits.mergeStepMinEntries, 2 * transfersAdded * limits.mergeWorkPerEntry);
      const moved = runs.merge(Math.min(mergeDebt, share));
      // Nothing to merge: the work incurred is not owed to any run (as when it was done at once).
      mergeDebt = moved === null ? 0 : Math.max(0, mergeDebt - Math.max(moved, Math.min(mergeDebt, share)));
      return moved ?? 0;
    },
    note(debitAccountKey, creditAccountKey, timestamp) {
      noted.add(debitAccountKey, creditAccountKey, timestamp);
    },
    forget() {
      tail = undefined;
      clearNoted();
    },
  };
}

/** Entries noted before the first growth; the arrays double as a transaction notes more. */
const NOTES_INITIAL_ENTRIES = 16_384;

/**
 * The noted entries, two per transfer, in typed arrays: writing a bigint into a BigInt64Array makes
 * no object, and the sort reads the keys' bits in place. Arrays of bigints took five times as long
 * to fill, and the garbage collector had to walk them. The arrays are kept between transactions
 * (their size is bounded by what one transaction writes) and only their count is reset.
 */
function createNotes() {
  let accounts = new BigInt64Array(NOTES_INITIAL_ENTRIES);
  let timestamps = new BigInt64Array(NOTES_INITIAL_ENTRIES);
  let count = 0;
  return {
    add(debitAccountKey: bigint, creditAccountKey: bigint, timestamp: bigint): void {
      if (count + 2 > accounts.length) {
        accounts = doubled(accounts);
        timestamps = doubled(timestamps);
      }
      accounts[count] = debitAccountKey;
      accounts[count + 1] = creditAccountKey;
      timestamps[count] = timestamp;
      timestamps[count + 1] = timestamp;
      count += 2;
    },
    entries: () => count,
    /** Views of the entries noted so far; valid until the next add or clear. */
    accounts: () => accounts.subarray(0, count),
    timestamps: () => timestamps.subarray(0, count),
    clear(): void {
      count = 0;
    },
  };
}

function prepare(raw: BetterSqlite3.Database) {
  return {
    tailCount: raw.prepare('SELECT COUNT(*) AS n FROM ledger_transfers WHERE timestamp > ?'),
    lastTransfer: raw.prepare('SELECT MAX(timestamp) AS t FROM ledger_transfers'),
    // Sorted before it is inserted, so the new run is written front to back after all others.
    indexTail: raw.prepare(`INSERT INTO ledger_postings (run, account, timestamp)
      SELECT @run, a.timestamp, t.timestamp FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id WHERE t.timestamp > @after AND t.timestamp <= @through
      UNION ALL
      SELECT @run, a.timestamp, t.timestamp FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id WHERE t.timestamp > @after AND t.timestamp <= @through
      ORDER BY 2, 3`),
    insertEntry: raw.prepare('INSERT INTO ledger_postings (run, account, timestamp) VALUES (?, ?, ?)'),
    insertEntries: raw.prepare(`INSERT INTO ledger_postings (run, account, timestamp) VALUES ${Array.from({ length: ENTRIES_PER_INSERT }, () => '(?, ?, ?)').join(', ')}`),
  };
}

/** Which 32-bit half of a BigInt64Array element comes first in memory on this machine. */
const LOW_WORD = new Uint32Array(new BigInt64Array([1n]).buffer)[0] === 1 ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;
/** Bits sorted per pass of the radix sort: four passes cover a 64-bit key. */
const RADIX_BITS = 16;
const RADIX_BUCKETS = 1 << RADIX_BITS;

/**
 * The order of entries by (account, timestamp), as positions into the two arrays, or undefined if
 * the timestamps are not in ascending order (the store notes transfers as it writes them, so they
 * are). Given that, a sort by account that keeps the order of equal accounts is enough: a least
 * significant digit radix sort, which is stable, over the keys as signed 64-bit integers read 16
 * bits at a time from their memory. It makes no bigint per entry and calls no comparison function,
 * and it skips the passes in which every key has the same digit (the high bits of account timestamps
 * created within days of each other); a comparison sort of the keys as numbers took three times as long.
 */
export function sortedEntries(accounts: BigInt64Array, timestamps: BigInt64Array): Uint32Array | undefined {
  const entries = accounts.length;
  if (!ascending(timestamps)) return undefined;
  const words = new Uint32Array(accounts.buffer, accounts.byteOffset, 2 * entries);
  let order = new Uint32Array(entries);
  for (let index = 0; index < entries; index++) order[index] = index;
  let scratch = new Uint32Array(entries);
  const starts = new Uint32Array(RADIX_BUCKETS + 1);
  for (let pass = 0; pass < 64 / RADIX_BITS; pass++) {
    const word = pass < 2 ? LOW_WORD : HIGH_WORD;
    const shift = (pass % 2) * RADIX_BITS;
    // Flipping the sign bit orders negative keys before positive ones, as signed integers are.
    const flip = pass === 3 ? 1 << (RADIX_BITS - 1) : 0;
    const digit = (index: number) => (((words[2 * index + word] as number) >>> shift) & (RADIX_BUCKETS - 1)) ^ flip;
    starts.fill(0);
    for (let index = 0; index < entries; index++) {
      const at = digit(index) + 1;
      starts[at] = (starts[at] as number) + 1;
    }
    if (starts[digit(0) + 1] === entries) continue;
    for (let bucket = 1; bucket <= RADIX_BUCKETS; bucket++) starts[bucket] = (starts[bucket] as number) + (starts[bucket - 1] as number);
    for (let position = 0; position < entries; position++) {
      const index = order[position] as number;
      const at = digit(index);
      scratch[starts[at] as number] = index;
      starts[at] = (starts[at] as number) + 1;
    }
    [order, scratch] = [scratch, order];
  }
  return order;
}

/** Whether the values never decrease, compared as signed 64-bit integers word by word (reading them as bigints would make one object each). */
function ascending(values: BigInt64Array): boolean {
  const high = new Int32Array(values.buffer, values.byteOffset, 2 * values.length);
  const low = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
  for (let index = 1; index < values.length; index++) {
    const previousHigh = high[2 * (index - 1) + HIGH_WORD] as number;
    const currentHigh = high[2 * index + HIGH_WORD] as number;
    if (currentHigh < previousHigh || (currentHigh === previousHigh && (low[2 * index + LOW_WORD] as number) < (low[2 * (index - 1) + LOW_WORD] as number))) return false;
  }
  return true;
}

/** Above every timestamp: int64's largest value, the upper bound of an open range. */
export const TIMESTAMP_MAX = 2n ** 63n - 1n;

/**
 * A subquery (with its parameters) selecting the timestamps of the transfers of the accounts with
 * these ids in (after, through]: their entries in every run and, by a scan, the tail. Wrapped in
 * `timestamp IN (...)` it leaves one statement, which reads one consistent state of the index
 * while merges move entries between runs. A caller still tests the account columns of the rows it
 * reads: an entry outlives a transfer deleted by hand, and such rows are not the account's.
 */
export function postingTimestamps(ids: readonly string[], after: bigint, through: bigint): { sql: string; params: (string | bigint)[] } {
  const list = ids.map(() => '?').join(', ');
  return {
    sql: `SELECT timestamp FROM ledger_postings
        WHERE ${inEveryRun(POSTING_TABLES)} AND account IN (SELECT timestamp FROM ledger_accounts WHERE id IN (${list}))
          AND timestamp > ? AND timestamp <= ?
      UNION ALL
      SELECT timestamp FROM ledger_transfers
        WHERE timestamp > MAX(?, ${indexedThrough(POSTING_TABLES)}) AND timestamp <= ?
          AND (debit_account_id IN (${list}) OR credit_account_id IN (${list}))`,
    params: [...ids, after, through, after, through, ...ids, ...ids],
  };
}
