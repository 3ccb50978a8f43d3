import type BetterSqlite3 from 'better-sqlite3';
import { assert } from '../../kernel/index.ts';
import type { Database, Queryable } from '../../db/index.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toPending, toTransfer, type AccountRow, type PendingRow, type TransferRow } from './ledger.rows.ts';
import type { TransferError } from './ledger.errors.ts';
import type { Account } from './ledger.ts';
import { createPostingWriter } from './ledger.postings.ts';

/**
 * Accounts the SQLite writer keeps in memory between batches. An entry costs about 370 bytes of
 * resident memory (the object, four bigints, the id string and the map slot), so this bounds the
 * cache near 25 MB, a small part of the 300 MB a process with a million accounts may use, while the
 * working set of a busy ledger (the accounts that move money every second) stays cached.
 */
const ACCOUNT_CACHE_MAX_ENTRIES = 65_536;

/**
 * Account rows rewritten per statement, as a multi-row upsert that only ever updates (see
 * writeAccounts). One statement per row cost about 40 % more, mostly in binding and stepping the
 * statement; UPDATE … FROM (VALUES …) cost more still, since SQLite collects its rows first.
 */
const ACCOUNT_ROWS_PER_UPDATE = 64;
/** Rows per statement for what is left after the large statements: small transactions use the same path. */
const ACCOUNT_ROWS_PER_SMALL_UPDATE = 4;
const ACCOUNT_UPDATE_PARAMS = 6;
/** The timestamp an upserted account row would get if it were inserted: no account has it (they are positive). */
const MISSING_ACCOUNT_TIMESTAMP = -1n;

/**
 * Ids whose order as JavaScript strings (UTF-16 code units) is the same as SQLite's BINARY order
 * (UTF-8 bytes): the two agree for every character below U+D800, which covers every UUID.
 */
const ORDER_SAFE_ID = /^[\u0000-\ud7ff]*$/;

/**
 * SQLite write path. better-sqlite3 runs each prepared statement synchronously in about a
 * microsecond, so row-at-a-time access inside one transaction is the fast way here.
 *
 * One writer owns a SQLite file (ARCHITECTURE.md, section 4), so this store also remembers what it
 * wrote: the accounts it touched (their balances are then read from memory, not from the table) and
 * the largest transfer id stored, above which a new id cannot exist and needs no lookup. Time-ordered
 * ids make that the common case. Both are dropped whenever the file may have changed behind the
 * store's back: another connection committed (`data_version` moved), a statement of this connection
 * that names a ledger table may have written it (`db.writesTo`), or a batch rolled back. Writes to
 * other tables on this connection leave them be: the payments, risk and feature writers commit
 * between the ledger's batches, and each of their commits used to cost the next batch its accounts
 * (read again from the table) and the postings their noted tail (indexed by a join instead).
 */
export function createSqliteLedgerStore(db: Database): LedgerStore {
  const raw = db.sqlite;
  assert(raw, 'SQLite ledger store needs a SQLite database');
  const sql = prepareAll(raw);
  const postings = createPostingWriter(raw);
  const writesToLedger = db.writesTo;
  assert(writesToLedger, 'SQLite ledger store needs the adapter to count writes to its tables');
  // Every table of the ledger's, as the migrations made them (they run before any store is made).
  const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger\\_%' ESCAPE '\\'").all() as { name: string }[]).map((row) => row.name);
  assert(tables.includes('ledger_accounts'), 'the ledger migrations must run before its store is made');
  const memory = createWriterMemory(sql, () => writesToLedger(tables), postings.forget);
  /** Transfers inserted by the transaction in progress, for the postings' tail count. */
  let transfersAdded = 0;
  /**
   * Accounts whose rows the transaction in progress must still rewrite, with their latest values.
   * When several batches share a transaction they touch mostly the same accounts, so each row is
   * written once at the end instead of once per batch (four batches over 10,000 accounts made
   * 32,000 updates of about 10,000 rows). Later batches of the transaction read these objects, not
   * the rows, which are stale until the end.
   */
  let unwritten = new Map<string, Account>();

  function writeAccounts(): void {
    // In key order the updates walk the accounts table from one end to the other instead of
    // jumping between its pages: about half the time of the same updates in arrival order.
    const ids = [...unwritten.keys()].sort();
    let next = 0;
    for (const update of sql.updateAccounts) {
      const params = new Array<string | number | bigint>(ACCOUNT_UPDATE_PARAMS * update.rows);
      for (; next + update.rows <= ids.length; next += update.rows) {
        for (let offset = 0; offset < update.rows; offset++) {
          const id = ids[next + offset] as string;
          const account = unwritten.get(id) as Account;
          const at = ACCOUNT_UPDATE_PARAMS * offset;
          params[at] = id;
          params[at + 1] = account.flags;
          params[at + 2] = account.debitsPending;
          params[at + 3] = account.debitsPosted;
          params[at + 4] = account.creditsPending;
          params[at + 5] = account.creditsPosted;
        }
        update.statement.run(params);
      }
    }
    if (next > 0) {
      // Every row exists (it was read, or created earlier in this transaction), so the upserts only
      // ever update. Were one missing, its insert would carry the timestamp no account has, found
      // here by the unique index, and the transaction would roll back rather than keep it.
      const stray = sql.strayAccount.get(MISSING_ACCOUNT_TIMESTAMP) as { id: string } | undefined;
      assert(!stray, `account ${stray?.id} was written but not stored`);
    }
    for (; next < ids.length; next++) {
      const id = ids[next] as string;
      const account = unwritten.get(id) as Account;
      sql.updateAccount.run(account.flags, account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted, id);
    }
    unwritten = new Map();
  }

  // The transaction's own queryable: statements through `db` would wait for the lock this transaction holds.
  const makeTx = (queryable: Queryable): LedgerWriteTx => ({
    queryable,
    async lockClock() {
      // BEGIN IMMEDIATE already holds the only write lock of the file.
      const row = sql.readClock.get() as { last_timestamp: bigint };
      return BigInt(row.last_timestamp);
    },
    async setClock(lastTimestamp) {
      sql.setClock.run(lastTimestamp);
    },
    async dueExpiries(nowNs, limit) {
      return (sql.due.all(nowNs, limit) as { id: string }[]).map((row) => row.id);
    },
    async loadTransfers(ids) {
      const found = [];
      for (const id of ids) {
        if (!memory.mayBeStored(id)) continue;
        const row = sql.transfer.get(id) as TransferRow | undefined;
        if (row) found.push(toTransfer(row));
      }
      return found;
    },
    async loadAccounts(ids) {
      // The engine changes these objects in place as it applies the batch; that is what keeps the
      // cache current, and why a batch that rolls back clears it. New accounts are not added when
      // they are created but when a later batch first reads them: bulk openings of accounts that
      // nobody uses yet would otherwise push the working set out and keep memory for nothing.
      const found = [];
      for (const id of ids) {
        let account = unwritten.get(id) ?? memory.account(id);
        if (!account) {
          const row = sql.account.get(id) as AccountRow | undefined;
          if (!row) continue;
          account = toAccount(row);
          memory.remember(account);
        }
        found.push(account);
      }
      return found;
    },
    async loadPending(ids) {
      const found = [];
      for (const id of ids) {
        // A pending state is written with its transfer, under the transfer's id: an id above every
        // stored one (a pending transfer this very batch creates, and posts) has none.
        if (!memory.mayBeStored(id)) continue;
        const row = sql.pending.get(id) as PendingRow | undefined;
        if (row) found.push(toPending(row));
      }
      return found;
    },
    async loadFailures(ids) {
      const found = new Map<string, TransferError>();
      for (const id of ids) {
        if (!memory.mayBeStored(id)) continue;
        const row = sql.failure.get(id) as { result: string } | undefined;
        if (row) found.set(id, row.result as TransferError);
      }
      return found;
    },
    async existingLedgers(ids) {
      return new Set(ids.filter((id) => sql.ledger.get(id) !== undefined));
    },
    async write(effects, snapshot) {
      const created = new Set<string>();
      for (const account of effects.newAccounts) {
        const final = snapshot.accounts.get(account.id) ?? account;
        sql.insertAccount.run(
          final.id, final.ledger, final.code, final.flags, account.flags,
          final.debitsPending, final.debitsPosted, final.creditsPending, final.creditsPosted,
          final.partyId, final.metadata, final.timestamp,
        );
        created.add(account.id);
      }
      for (const id of effects.touchedAccounts) {
        if (created.has(id)) continue;
        const account = snapshot.accounts.get(id);
        assert(account, `touched account ${id} not in snapshot`);
        unwritten.set(id, account);
      }
      let largest: string | undefined;
      for (const t of effects.newTransfers) {
        sql.insertTransfer.run(t.timestamp, t.id, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId, t.ledger, t.code, t.flags, t.timeoutSeconds, t.metadata);
        if (largest === undefined || t.id > largest) largest = t.id;
        // Every transfer's accounts are in the snapshot; their timestamps are the postings' account keys.
        const debit = snapshot.accounts.get(t.debitAccountId);
        const credit = snapshot.accounts.get(t.creditAccountId);
        if (debit && credit) postings.note(debit.timestamp, credit.timestamp, t.timestamp);
      }
      if (largest !== undefined) memory.stored(largest);
      transfersAdded += effects.newTransfers.length;
      const newPending = new Set<string>();
      for (const state of effects.newPending) {
        sql.insertPending.run(state.id, state.status, state.expiresAt, state.resolvedAt);
        newPending.add(state.id);
      }
      for (const id of effects.resolvedPending) {
        if (newPending.has(id)) continue;
        const state = snapshot.pending.get(id);
        assert(state, `resolved pending ${id} not in snapshot`);
        sql.updatePending.run(state.status, state.resolvedAt, id);
      }
      for (const row of effects.history) {
        sql.insertBalance.run(row.accountId, row.timestamp, row.debitsPending, row.debitsPosted, row.creditsPending, row.creditsPosted);
      }
      largest = undefined;
      for (const failure of effects.failures) {
        sql.insertFailure.run(failure.id, failure.result, failure.timestamp);
        if (largest === undefined || failure.id > largest) largest = failure.id;
      }
      if (largest !== undefined) memory.stored(largest);
      for (const event of effects.accountEvents) sql.insertEvent.run(event.timestamp, event.accountId, event.kind);
    },
  });

  const transaction = db.pipelinedTransaction ?? (async <T>(work: (tx: Queryable) => Promise<T>) => ({ result: await db.transaction(work), durable: Promise.resolve() }));
  const store: LedgerStore = {
    async writeBatchPipelined(work) {
      try {
        return await transaction(async (queryable) => {
          memory.checkUnchanged();
          transfersAdded = 0;
          unwritten = new Map();
          const result = await work(makeTx(queryable));
          writeAccounts();
          postings.maintain(transfersAdded);
          memory.markUnchanged();
          return result;
        });
      } catch (error) {
        // The engine may have changed cached accounts before the batch failed; none of it happened.
        memory.forget();
        throw error;
      }
    },
    async writeBatch(work) {
      const { result, durable } = await (store.writeBatchPipelined as NonNullable<LedgerStore['writeBatchPipelined']>)(work);
      await durable;
      return result;
    },
  };
  return store;
}

type Statements = ReturnType<typeof prepareAll>;

/** What the single writer remembers between batches; see createSqliteLedgerStore. */
function createWriterMemory(sql: Statements, ledgerWrites: () => number, onForget: () => void) {
  // Two generations approximate "least recently used" at constant cost: accounts are used and
  // added in the young map, and when it is full the old map is dropped whole and the young one
  // takes its place. A used account in the old map moves back to the young one. Evicting entries
  // one by one from the front of a Map instead slows down with every deletion in V8 (the deleted
  // slots are skipped again by each new iterator), which made a million new accounts take minutes.
  let young = new Map<string, Account>();
  let old = new Map<string, Account>();
  const generationMaxEntries = ACCOUNT_CACHE_MAX_ENTRIES / 2;
  /** Largest order-safe id in ledger_transfers and ledger_transfer_failures; null: look every id up. */
  let largestId: string | null = null;
  let known = false;
  let marker: { writes: number; version: bigint } | null = null;

  const forget = () => {
    young = new Map();
    old = new Map();
    largestId = null;
    known = false;
    marker = null;
    onForget();
  };
  const keep = (account: Account) => {
    old.delete(account.id);
    young.set(account.id, account);
    if (young.size >= generationMaxEntries) {
      old = young;
      young = new Map();
    }
  };

  return {
    forget,
    /** Run first in every write transaction, when no other writer can commit until it ends. */
    checkUnchanged() {
      const version = (sql.dataVersion.get() as { version: bigint }).version;
      if (!marker || ledgerWrites() !== marker.writes || version !== marker.version) forget();
      if (!known) {
        const transfer = (sql.largestTransferId.get() as { id: string | null }).id;
        const failure = (sql.largestFailureId.get() as { id: string | null }).id;
        const largest = transfer === null ? failure : failure === null || transfer > failure ? transfer : failure;
        // An id outside the order-safe range would make string comparison disagree with SQLite.
        largestId = largest === null || ORDER_SAFE_ID.test(largest) ? largest ?? '' : null;
        known = true;
      }
    },
    /** Run last in every write transaction: everything changed since is someone else's write. */
    markUnchanged() {
      marker = { writes: ledgerWrites(), version: (sql.dataVersion.get() as { version: bigint }).version };
    },
    /**
     * False only when the id is certainly in neither the transfers nor the failures table. The
     * largest id is order-safe, so an id above it as JavaScript compares strings is above it as
     * SQLite does too, whatever characters the id holds: at the first position where the two
     * differ the id has the larger character, and every character above U+D7FF encodes in UTF-8
     * above every character below it. No test of the id itself is needed.
     */
    mayBeStored(id: string): boolean {
      return largestId === null || id <= largestId;
    },
    /** Records that `id` is stored; an id that is not order-safe ends the shortcut until the next forget. */
    stored(id: string) {
      if (largestId !== null && id > largestId) largestId = ORDER_SAFE_ID.test(id) ? id : null;
    },
    account(id: string): Account | undefined {
      const recent = young.get(id);
      if (recent) return recent;
      const older = old.get(id);
      if (older) keep(older);
      return older;
    },
    remember: keep,
  };
}

function prepareAll(raw: BetterSqlite3.Database) {
  return {
    readClock: raw.prepare('SELECT last_timestamp FROM ledger_clock WHERE id = 1'),
    setClock: raw.prepare('UPDATE ledger_clock SET last_timestamp = ? WHERE id = 1'),
    due: raw.prepare("SELECT id FROM ledger_pending WHERE status = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?"),
    transfer: raw.prepare(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ?`),
    account: raw.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ?`),
    pending: raw.prepare('SELECT id, status, expires_at, resolved_at FROM ledger_pending WHERE id = ?'),
    failure: raw.prepare('SELECT result FROM ledger_transfer_failures WHERE id = ?'),
    ledger: raw.prepare('SELECT id FROM ledger_ledgers WHERE id = ?'),
    dataVersion: raw.prepare('SELECT data_version AS version FROM pragma_data_version'),
    largestTransferId: raw.prepare('SELECT max(id) AS id FROM ledger_transfers'),
    largestFailureId: raw.prepare('SELECT max(id) AS id FROM ledger_transfer_failures'),
    insertAccount: raw.prepare(`INSERT INTO ledger_accounts (${ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    updateAccount: raw.prepare('UPDATE ledger_accounts SET flags = ?, debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ? WHERE id = ?'),
    updateAccounts: [ACCOUNT_ROWS_PER_UPDATE, ACCOUNT_ROWS_PER_SMALL_UPDATE].map((rows) => ({ rows, statement: prepareAccountUpsert(raw, rows) })),
    strayAccount: raw.prepare('SELECT id FROM ledger_accounts WHERE timestamp = ?'),
    insertTransfer: raw.prepare(
      'INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertPending: raw.prepare('INSERT INTO ledger_pending (id, status, expires_at, resolved_at) VALUES (?, ?, ?, ?)'),
    updatePending: raw.prepare('UPDATE ledger_pending SET status = ?, resolved_at = ? WHERE id = ?'),
    insertBalance: raw.prepare(
      'INSERT INTO ledger_balances (account_id, timestamp, debits_pending, debits_posted, credits_pending, credits_posted) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertFailure: raw.prepare('INSERT INTO ledger_transfer_failures (id, result, timestamp) VALUES (?, ?, ?)'),
    insertEvent: raw.prepare('INSERT INTO ledger_account_events (timestamp, account_id, kind) VALUES (?, ?, ?)'),
  };
}

/** An upsert of `rows` account rows that updates the balances and flags of existing rows (see writeAccounts). */
function prepareAccountUpsert(raw: BetterSqlite3.Database, rows: number) {
  const values = Array.from({ length: rows }, () => `(?, 0, 0, ?, 0, ?, ?, ?, ?, ${MISSING_ACCOUNT_TIMESTAMP})`).join(', ');
  return raw.prepare(
    `INSERT INTO ledger_accounts (id, ledger, code, flags, initial_flags, debits_pending, debits_posted, credits_pending, credits_posted, timestamp) VALUES ${values}
     ON CONFLICT (id) DO UPDATE SET flags = excluded.flags, debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
       credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted`,
  );
}
