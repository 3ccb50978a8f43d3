import { assert } from '../../kernel/index.ts';
import { int8Array, textArray, uuidArray, type Queryable, type SqlValue } from '../../db/index.ts';
import type { BatchEffects, LedgerSnapshot } from './ledger.apply.ts';
import type { Account } from './ledger.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS } from './ledger.rows.ts';

/**
 * A batch's column as one array parameter: in binary (src/db/postgres.arrays.ts) unless it holds a
 * value only the server's text input takes, in which case the plain array goes, as it always did.
 */
export const uuids = (values: readonly (string | null)[]): SqlValue => uuidArray(values) ?? (values as unknown as SqlValue);
export const int8s = (values: readonly (bigint | number | null)[]): SqlValue => int8Array(values) ?? (values as unknown as SqlValue);
export const texts = (values: readonly (string | null)[]): SqlValue => textArray(values) ?? (values as unknown as SqlValue);

/**
 * Sends a batch's writes without waiting for their answers: on the pipelined connection they go out
 * with the journal's statements and COMMIT, and run in the order written. The transaction checks
 * every statement before COMMIT (src/db/postgres.ts withClient), so a failed write still fails the
 * batch and nothing of it is acknowledged. Existing accounts the batch changed are not written here
 * but added to `unwritten`, whose rows writeAccounts() rewrites once for the whole transaction.
 */
export function sendWrites(q: Queryable, effects: BatchEffects, snapshot: LedgerSnapshot, unwritten: Map<string, Account>): void {
  const send = (sql: string, params: readonly SqlValue[]) => void q.run(sql, params);

  if (effects.newAccounts.length > 0) {
    const rows = effects.newAccounts.map((initial) => ({ initial, a: snapshot.accounts.get(initial.id) ?? initial }));
    send(`INSERT INTO ledger_accounts (${ACCOUNT_COLUMNS}) SELECT * FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])`, [
      uuids(rows.map((r) => r.a.id)), int8s(rows.map((r) => r.a.ledger)), int8s(rows.map((r) => r.a.code)), int8s(rows.map((r) => r.a.flags)),
      int8s(rows.map((r) => r.initial.flags)), int8s(rows.map((r) => r.a.debitsPending)), int8s(rows.map((r) => r.a.debitsPosted)),
      int8s(rows.map((r) => r.a.creditsPending)), int8s(rows.map((r) => r.a.creditsPosted)), texts(rows.map((r) => r.a.partyId)),
      texts(rows.map((r) => r.a.metadata)), int8s(rows.map((r) => r.a.timestamp)),
    ]);
  }
  // Rows of existing accounts are rewritten once, at the end of the transaction (writeAccounts).
  const created = new Set(effects.newAccounts.map((account) => account.id));
  for (const id of effects.touchedAccounts) {
    if (created.has(id)) continue;
    const account = snapshot.accounts.get(id);
    assert(account, `touched account ${id} not in snapshot`);
    unwritten.set(id, account);
  }
  const transfers = effects.newTransfers;
  if (transfers.length > 0) {
    send(`INSERT INTO ledger_transfers (${TRANSFER_COLUMNS}) SELECT * FROM UNNEST(?::uuid[], ?::uuid[], ?::uuid[], ?::bigint[], ?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[])`, [
      uuids(transfers.map((t) => t.id)), uuids(transfers.map((t) => t.debitAccountId)), uuids(transfers.map((t) => t.creditAccountId)),
      int8s(transfers.map((t) => t.amount)), uuids(transfers.map((t) => t.pendingId)), int8s(transfers.map((t) => t.ledger)),
      int8s(transfers.map((t) => t.code)), int8s(transfers.map((t) => t.flags)), int8s(transfers.map((t) => t.timeoutSeconds)),
      texts(transfers.map((t) => t.metadata)), int8s(transfers.map((t) => t.timestamp)),
    ]);
  }
  if (effects.newPending.length > 0) {
    const states = effects.newPending;
    send('INSERT INTO ledger_pending (id, status, expires_at, resolved_at) SELECT * FROM UNNEST(?::uuid[], ?::text[], ?::bigint[], ?::bigint[])', [
      uuids(states.map((s) => s.id)), texts(states.map((s) => s.status)), int8s(states.map((s) => s.expiresAt)), int8s(states.map((s) => s.resolvedAt)),
    ]);
  }
  const newPending = new Set(effects.newPending.map((state) => state.id));
  const resolved = [...effects.resolvedPending].filter((id) => !newPending.has(id)).map((id) => {
    const state = snapshot.pending.get(id);
    assert(state, `resolved pending ${id} not in snapshot`);
    return state;
  });
  if (resolved.length > 0) {
    send(
      'UPDATE ledger_pending AS p SET status = u.status, resolved_at = u.resolved_at FROM UNNEST(?::uuid[], ?::text[], ?::bigint[]) AS u(id, status, resolved_at) WHERE p.id = u.id',
      [uuids(resolved.map((s) => s.id)), texts(resolved.map((s) => s.status)), int8s(resolved.map((s) => s.resolvedAt))],
    );
  }
  const history = effects.history;
  if (history.length > 0) {
    send(
      'INSERT INTO ledger_balances (account_id, timestamp, debits_pending, debits_posted, credits_pending, credits_posted) SELECT * FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])',
      [
        uuids(history.map((h) => h.accountId)), int8s(history.map((h) => h.timestamp)), int8s(history.map((h) => h.debitsPending)),
        int8s(history.map((h) => h.debitsPosted)), int8s(history.map((h) => h.creditsPending)), int8s(history.map((h) => h.creditsPosted)),
      ],
    );
  }
  const failures = effects.failures;
  if (failures.length > 0) {
    send('INSERT INTO ledger_transfer_failures (id, result, timestamp) SELECT * FROM UNNEST(?::uuid[], ?::text[], ?::bigint[])', [
      uuids(failures.map((f) => f.id)), texts(failures.map((f) => f.result)), int8s(failures.map((f) => f.timestamp)),
    ]);
  }
  for (const event of effects.accountEvents) {
    send('INSERT INTO ledger_account_events (timestamp, account_id, kind) VALUES (?, ?, ?)', [event.timestamp, event.accountId, event.kind]);
  }
}

/**
 * Rewrites the rows of the accounts the transaction's batches changed, each once, with its latest
 * values, in key order (the order every process locks rows in). When several batches share a
 * transaction they touch mostly the same accounts: four full batches over 10,000 accounts made
 * about 32,000 row updates of about 10,000 rows, now about 10,000.
 */
export function writeAccounts(q: Queryable, unwritten: ReadonlyMap<string, Account>): void {
  if (unwritten.size === 0) return;
  const accounts = [...unwritten.keys()].sort().map((id) => unwritten.get(id) as Account);
  void q.run(
    `UPDATE ledger_accounts AS a SET flags = u.flags, debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp, credits_posted = u.cpo
     FROM UNNEST(?::uuid[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS u(id, flags, dp, dpo, cp, cpo) WHERE a.id = u.id`,
    [
      uuids(accounts.map((a) => a.id)), int8s(accounts.map((a) => a.flags)), int8s(accounts.map((a) => a.debitsPending)),
      int8s(accounts.map((a) => a.debitsPosted)), int8s(accounts.map((a) => a.creditsPending)), int8s(accounts.map((a) => a.creditsPosted)),
    ],
  );
}
