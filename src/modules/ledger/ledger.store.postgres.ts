import { assert } from '../../kernel/index.ts';
import type { Database, Queryable, Row, SqlValue } from '../../db/index.ts';
import type { BatchEffects, LedgerSnapshot } from './ledger.apply.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toPending, toTransfer, type AccountRow, type PendingRow, type TransferRow } from './ledger.rows.ts';
import type { TransferError } from './ledger.errors.ts';

/**
 * PostgreSQL write path. Every batch of every process takes the ledger clock row lock first and holds
 * it until its commit is on disk: that keeps timestamps unique and in commit order across processes,
 * gives the journal its total order, and lets a batch decide on rows no other batch can change
 * meanwhile (idempotency, balance limits, pending transfers). Nothing is cached between batches.
 *
 * The lock is the installation's one serial section, so a batch holds it for as few round trips as
 * possible. Before its transaction begins, the batch's work is run once against a store that answers
 * every read with nothing (a dry run, no database, stopped before anything is applied), only to learn
 * which rows it will read. The transaction then sends, in one round trip after BEGIN, the clock lock,
 * the journal head lock and every one of those reads; the server runs them in that order, so the
 * reads see everything committed before the lock was granted. The work then runs for real, answered
 * from those reads (rows the dry run could not foresee, such as the accounts of a pending transfer
 * posted or expired, are read then), and its writes, the journal append and COMMIT travel together
 * in a second round trip. Two round trips and one WAL flush under the lock, instead of six.
 */

/** The journal's head read inside a ledger batch (journal.service.ts readHead): answered from the read sent ahead. */
const JOURNAL_HEAD_FOR_UPDATE = 'SELECT seq, hash, algorithm FROM journal_head WHERE id = 1 FOR UPDATE';
const CLOCK_FOR_UPDATE = 'SELECT last_timestamp FROM ledger_clock WHERE id = 1 FOR UPDATE';
const DUE_EXPIRIES = "SELECT id, expires_at FROM ledger_pending WHERE status = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?";
/**
 * Pending transfers read ahead as possibly due are those expiring up to this long after the dry run's
 * instant; the real run keeps those due at its own instant, which comes later by the time the lock
 * was granted. Should the wait have been longer, the due ones are read again.
 */
const DUE_READ_AHEAD_NS = 10_000_000_000n;

/** Ends the dry run once the reads of the first batch are known. */
class DryRunComplete extends Error {
  override readonly name = 'DryRunComplete';
}

/** The ids the first batch of a transaction reads, as its dry run asked for them. */
interface ReadPlan {
  expiry?: { readonly nowNs: bigint; readonly limit: number };
  transfers: readonly string[];
  accounts: readonly string[];
  pending: readonly string[];
  failures: readonly string[];
  ledgers: readonly number[];
}

/** Runs `work` against a store without data to learn what its first batch reads; undefined if it fails otherwise. */
async function planReads<T>(work: (tx: LedgerWriteTx) => Promise<T>): Promise<ReadPlan | undefined> {
  const plan: ReadPlan = { transfers: [], accounts: [], pending: [], failures: [], ledgers: [] };
  const stop = async (): Promise<never> => {
    throw new DryRunComplete();
  };
  const nothing: Queryable = { dialect: 'postgres', all: stop, get: stop, run: stop };
  const tx: LedgerWriteTx = {
    queryable: nothing,
    lockClock: async () => 0n,
    setClock: stop,
    write: stop,
    async dueExpiries(nowNs, limit) {
      plan.expiry ??= { nowNs, limit };
      return [];
    },
    async loadTransfers(ids) {
      if (plan.transfers.length === 0) plan.transfers = [...ids];
      return [];
    },
    async loadAccounts(ids) {
      if (plan.accounts.length === 0) plan.accounts = [...ids];
      return [];
    },
    async loadPending(ids) {
      if (plan.pending.length === 0) plan.pending = [...ids];
      return [];
    },
    async loadFailures(ids) {
      if (plan.failures.length === 0) plan.failures = [...ids];
      return new Map();
    },
    async existingLedgers(ids) {
      plan.ledgers = [...ids];
      // The last read of a batch's snapshot: nothing after it would tell more.
      return stop();
    },
  };
  try {
    await work(tx);
  } catch (error) {
    if (!(error instanceof DryRunComplete)) return undefined;
  }
  return plan;
}

/** Rows read ahead for a list of ids. */
interface ReadAhead<R> {
  readonly ids: ReadonlySet<string>;
  readonly rows: Promise<R[]>;
}

const handled = <T>(promise: Promise<T>): Promise<T> => {
  promise.catch(() => {});
  return promise;
};

export function createPostgresLedgerStore(db: Database): LedgerStore {
  assert(db.dialect === 'postgres', 'PostgreSQL ledger store needs a PostgreSQL database');
  return {
    async writeBatch(work) {
      const plan = await planReads(work);
      return db.transaction((q) => work(createWriteTx(q, plan)));
    },
  };
}

/**
 * The batch's side of one transaction. With a plan, the clock lock, the journal head lock and the
 * planned reads are sent at once; each read method answers from them until the first write (later
 * batches of the same transaction must see the earlier ones' writes) and reads only what is missing.
 */
function createWriteTx(q: Queryable, plan: ReadPlan | undefined): LedgerWriteTx {
  const byIds = <R extends Row>(sql: string, ids: readonly (string | number)[]) => q.all<R>(sql, [ids as unknown as SqlValue]);
  const readTransfers = (ids: readonly string[]) => byIds<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY(?::uuid[])`, ids);
  const readAccounts = (ids: readonly string[]) => byIds<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ANY(?::uuid[])`, ids);
  const readPending = (ids: readonly string[]) => byIds<PendingRow>('SELECT id, status, expires_at, resolved_at FROM ledger_pending WHERE id = ANY(?::uuid[])', ids);
  const readFailures = (ids: readonly string[]) => byIds<{ id: string; result: string }>('SELECT id, result FROM ledger_transfer_failures WHERE id = ANY(?::uuid[])', ids);
  const readLedgers = (ids: readonly number[]) => byIds<{ id: bigint }>('SELECT id FROM ledger_ledgers WHERE id = ANY(?::bigint[])', ids);

  const ahead = <R>(ids: readonly string[], read: (ids: readonly string[]) => Promise<R[]>): ReadAhead<R> | undefined =>
    ids.length === 0 ? undefined : { ids: new Set(ids), rows: handled(read(ids)) };
  // Sent now, right behind BEGIN, in this order: the locks first, so that every read sees what was
  // committed before they were granted.
  let clock = plan ? handled(q.get<{ last_timestamp: bigint }>(CLOCK_FOR_UPDATE)) : undefined;
  let journalHead = plan ? handled(q.get(JOURNAL_HEAD_FOR_UPDATE)) : undefined;
  let due = plan?.expiry
    ? { ...plan.expiry, bound: plan.expiry.nowNs + DUE_READ_AHEAD_NS, rows: handled(q.all<{ id: string; expires_at: bigint }>(DUE_EXPIRIES, [plan.expiry.nowNs + DUE_READ_AHEAD_NS, plan.expiry.limit])) }
    : undefined;
  let transfersAhead = plan ? ahead(plan.transfers, readTransfers) : undefined;
  let failuresAhead = plan ? ahead(plan.failures, readFailures) : undefined;
  let accountsAhead = plan ? ahead(plan.accounts, readAccounts) : undefined;
  let pendingAhead = plan ? ahead(plan.pending, readPending) : undefined;
  let ledgersAhead = plan && plan.ledgers.length > 0 ? { ids: new Set(plan.ledgers.map(String)), rows: handled(readLedgers(plan.ledgers)) } : undefined;

  /** Rows for `ids`: those read ahead, plus a read of the ids the plan did not foresee. */
  async function through<R>(readAhead: ReadAhead<R> | undefined, ids: readonly string[], read: (ids: readonly string[]) => Promise<R[]>): Promise<R[]> {
    if (ids.length === 0) return [];
    if (!readAhead) return read(ids);
    const missing = ids.filter((id) => !readAhead.ids.has(id));
    // A list the plan did not foresee at all is read as asked, rather than sorted out of the read-ahead.
    if (missing.length === ids.length) return read(ids);
    const [known, extra] = await Promise.all([readAhead.rows, missing.length > 0 ? read(missing) : Promise.resolve([])]);
    if (readAhead.ids.size === ids.length - missing.length) return [...known, ...extra];
    const wanted = new Set(ids);
    return [...known.filter((row) => wanted.has(String((row as { id: unknown }).id))), ...extra];
  }

  // The journal's head read is answered from the one sent ahead, once: a later append of the same
  // transaction must see the head this one moved.
  const queryable: Queryable = {
    dialect: q.dialect,
    all: q.all,
    run: q.run,
    get: <R extends Row>(sql: string, params?: readonly SqlValue[]) => {
      const head = journalHead;
      if (head && sql === JOURNAL_HEAD_FOR_UPDATE && (params === undefined || params.length === 0)) {
        journalHead = undefined;
        return head as Promise<R | undefined>;
      }
      return q.get<R>(sql, params);
    },
  };

  return {
    queryable,
    async lockClock() {
      // Read ahead for the first batch only: a later batch of the transaction must see the clock the
      // earlier ones moved.
      const planned = clock;
      clock = undefined;
      const row = await (planned ?? q.get<{ last_timestamp: bigint }>(CLOCK_FOR_UPDATE));
      assert(row, 'ledger clock row missing');
      return BigInt(row.last_timestamp);
    },
    async setClock(lastTimestamp) {
      // The batch's last statement: not waited for, so that it travels with COMMIT, which the
      // transaction sends only after checking it (src/db/postgres.ts withClient, which also keeps
      // the failure of a statement nobody waited for from going unhandled).
      void q.run('UPDATE ledger_clock SET last_timestamp = ? WHERE id = 1', [lastTimestamp]);
    },
    async dueExpiries(nowNs, limit) {
      const planned = due;
      due = undefined;
      if (planned && limit === planned.limit && nowNs <= planned.bound) {
        // The read ahead is ordered by expiry and reaches past `nowNs`, so those due by `nowNs` are
        // its first rows: exactly what the same query with `nowNs` would return.
        return (await planned.rows).filter((row) => BigInt(row.expires_at) <= nowNs).map((row) => row.id);
      }
      const rows = await q.all<{ id: string }>(DUE_EXPIRIES, [nowNs, limit]);
      return rows.map((row) => row.id);
    },
    async loadTransfers(ids) {
      const planned = transfersAhead;
      transfersAhead = undefined;
      // Without a plan (a later batch of the transaction), the engine asks for the failures of the
      // requested transfers next, and they are among these ids: that read goes out now, with this one.
      if (!planned && ids.length > 0) failuresAhead = ahead(ids, readFailures);
      return (await through(planned, ids, readTransfers)).map(toTransfer);
    },
    async loadAccounts(ids) {
      const rows = await through(accountsAhead, ids, readAccounts);
      accountsAhead = undefined;
      return rows.map(toAccount);
    },
    async loadPending(ids) {
      const rows = await through(pendingAhead, ids, readPending);
      pendingAhead = undefined;
      return rows.map(toPending);
    },
    async loadFailures(ids) {
      const found = new Map<string, TransferError>();
      const rows = await through(failuresAhead, ids, readFailures);
      failuresAhead = undefined;
      for (const row of rows) found.set(row.id, row.result as TransferError);
      return found;
    },
    async existingLedgers(ids) {
      const rows = await through(ledgersAhead, ids.map(String), (list) => readLedgers(list.map(Number)));
      ledgersAhead = undefined;
      return new Set(rows.map((row) => Number(row.id)));
    },
    async write(effects, snapshot) {
      // What was read ahead predates these writes; a later batch of the transaction reads afresh.
      [due, transfersAhead, failuresAhead, accountsAhead, pendingAhead, ledgersAhead] = [undefined, undefined, undefined, undefined, undefined, undefined];
      sendWrites(q, effects, snapshot);
    },
  };
}

/**
 * Sends a batch's writes without waiting for their answers: on the pipelined connection they go out
 * with the journal's statements and COMMIT, and run in the order written. The transaction checks
 * every statement before COMMIT (src/db/postgres.ts withClient), so a failed write still fails the
 * batch and nothing of it is acknowledged.
 */
function sendWrites(q: Queryable, effects: BatchEffects, snapshot: LedgerSnapshot): void {
  const send = (statement: Promise<unknown>) => void statement;
  const arrays = (count: number) => Array.from({ length: count }, () => [] as unknown[]);
  const params = (columns: unknown[][]) => columns as unknown as string[];

  if (effects.newAccounts.length > 0) {
    const c = arrays(12);
    for (const initial of effects.newAccounts) {
      const a = snapshot.accounts.get(initial.id) ?? initial;
      [a.id, a.ledger, a.code, a.flags, initial.flags, a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted, a.partyId, a.metadata, a.timestamp]
        .forEach((value, index) => c[index]?.push(value));
    }
    send(q.run(
      `INSERT INTO ledger_accounts (${ACCOUNT_COLUMNS}) SELECT * FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])`,
      params(c),
    ));
  }
  const created = new Set(effects.newAccounts.map((account) => account.id));
  const updated = [...effects.touchedAccounts].filter((id) => !created.has(id)).sort();
  if (updated.length > 0) {
    const c = arrays(6);
    for (const id of updated) {
      const a = snapshot.accounts.get(id);
      assert(a, `touched account ${id} not in snapshot`);
      [a.id, a.flags, a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted].forEach((value, index) => c[index]?.push(value));
    }
    send(q.run(
      `UPDATE ledger_accounts AS a SET flags = u.flags, debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp, credits_posted = u.cpo
       FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS u(id, flags, dp, dpo, cp, cpo) WHERE a.id = u.id`,
      params(c),
    ));
  }
  if (effects.newTransfers.length > 0) {
    const c = arrays(11);
    for (const t of effects.newTransfers) {
      [t.id, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId, t.ledger, t.code, t.flags, t.timeoutSeconds, t.metadata, t.timestamp].forEach((value, index) => c[index]?.push(value));
    }
    send(q.run(
      `INSERT INTO ledger_transfers (${TRANSFER_COLUMNS}) SELECT * FROM UNNEST(?::uuid[], ?::uuid[], ?::uuid[], ?::bigint[], ?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[])`,
      params(c),
    ));
  }
  if (effects.newPending.length > 0) {
    const c = arrays(4);
    for (const s of effects.newPending) [s.id, s.status, s.expiresAt, s.resolvedAt].forEach((value, index) => c[index]?.push(value));
    send(q.run('INSERT INTO ledger_pending (id, status, expires_at, resolved_at) SELECT * FROM UNNEST(?::uuid[], ?::text[], ?::bigint[], ?::bigint[])', params(c)));
  }
  const newPending = new Set(effects.newPending.map((state) => state.id));
  const resolved = [...effects.resolvedPending].filter((id) => !newPending.has(id));
  if (resolved.length > 0) {
    const c = arrays(3);
    for (const id of resolved) {
      const s = snapshot.pending.get(id);
      assert(s, `resolved pending ${id} not in snapshot`);
      [s.id, s.status, s.resolvedAt].forEach((value, index) => c[index]?.push(value));
    }
    send(q.run(
      'UPDATE ledger_pending AS p SET status = u.status, resolved_at = u.resolved_at FROM UNNEST(?::uuid[], ?::text[], ?::bigint[]) AS u(id, status, resolved_at) WHERE p.id = u.id',
      params(c),
    ));
  }
  if (effects.history.length > 0) {
    const c = arrays(6);
    for (const h of effects.history) [h.accountId, h.timestamp, h.debitsPending, h.debitsPosted, h.creditsPending, h.creditsPosted].forEach((value, index) => c[index]?.push(value));
    send(q.run(
      'INSERT INTO ledger_balances (account_id, timestamp, debits_pending, debits_posted, credits_pending, credits_posted) SELECT * FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])',
      params(c),
    ));
  }
  if (effects.failures.length > 0) {
    const c = arrays(3);
    for (const f of effects.failures) [f.id, f.result, f.timestamp].forEach((value, index) => c[index]?.push(value));
    send(q.run('INSERT INTO ledger_transfer_failures (id, result, timestamp) SELECT * FROM UNNEST(?::uuid[], ?::text[], ?::bigint[])', params(c)));
  }
  for (const event of effects.accountEvents) {
    send(q.run('INSERT INTO ledger_account_events (timestamp, account_id, kind) VALUES (?, ?, ?)', [event.timestamp, event.accountId, event.kind]));
  }
}
