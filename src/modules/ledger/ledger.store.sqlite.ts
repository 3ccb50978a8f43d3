import type BetterSqlite3 from 'better-sqlite3';
import { assert } from '../../kernel/index.ts';
import type { Database, Queryable } from '../../db/index.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toPending, toTransfer, type AccountRow, type PendingRow, type TransferRow } from './ledger.rows.ts';
import type { TransferError } from './ledger.errors.ts';

/**
 * SQLite write path. better-sqlite3 runs each prepared statement synchronously in about a
 * microsecond, so row-at-a-time access inside one transaction is the fast way here.
 */
export function createSqliteLedgerStore(db: Database): LedgerStore {
  const raw = db.sqlite;
  assert(raw, 'SQLite ledger store needs a SQLite database');
  const sql = prepareAll(raw);

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
        const row = sql.transfer.get(id) as TransferRow | undefined;
        if (row) found.push(toTransfer(row));
      }
      return found;
    },
    async loadAccounts(ids) {
      const found = [];
      for (const id of ids) {
        const row = sql.account.get(id) as AccountRow | undefined;
        if (row) found.push(toAccount(row));
      }
      return found;
    },
    async loadPending(ids) {
      const found = [];
      for (const id of ids) {
        const row = sql.pending.get(id) as PendingRow | undefined;
        if (row) found.push(toPending(row));
      }
      return found;
    },
    async loadFailures(ids) {
      const found = new Map<string, TransferError>();
      for (const id of ids) {
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
        sql.updateAccount.run(account.flags, account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted, id);
      }
      for (const t of effects.newTransfers) {
        sql.insertTransfer.run(t.timestamp, t.id, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId, t.ledger, t.code, t.flags, t.timeoutSeconds, t.metadata);
      }
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
      for (const failure of effects.failures) sql.insertFailure.run(failure.id, failure.result, failure.timestamp);
      for (const event of effects.accountEvents) sql.insertEvent.run(event.timestamp, event.accountId, event.kind);
    },
  });

  return {
    writeBatch: (work) => db.transaction((queryable) => work(makeTx(queryable))),
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
    insertAccount: raw.prepare(`INSERT INTO ledger_accounts (${ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    updateAccount: raw.prepare('UPDATE ledger_accounts SET flags = ?, debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ? WHERE id = ?'),
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
