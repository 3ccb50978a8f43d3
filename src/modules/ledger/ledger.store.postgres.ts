import { assert } from '../../kernel/index.ts';
import type { Database, Queryable } from '../../db/index.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toPending, toTransfer, type AccountRow, type PendingRow, type TransferRow } from './ledger.rows.ts';
import type { TransferError } from './ledger.errors.ts';

/**
 * PostgreSQL write path: every read and write of a batch is one statement over arrays, so a batch of
 * 8,190 transfers costs a handful of round trips, and statements that need no answer before the next
 * one share a round trip on the pipelined connection. Nothing is cached between batches: other Sluice
 * processes write the same tables, and the clock row lock orders their batches.
 */
export function createPostgresLedgerStore(db: Database): LedgerStore {
  assert(db.dialect === 'postgres', 'PostgreSQL ledger store needs a PostgreSQL database');

  const makeTx = (q: Queryable): LedgerWriteTx => {
    let failuresAhead: { readonly ids: ReadonlySet<string>; readonly rows: Promise<{ id: string; result: string }[]> } | undefined;
    const readFailures = (ids: readonly string[]) =>
      q.all<{ id: string; result: string }>('SELECT id, result FROM ledger_transfer_failures WHERE id = ANY(?::uuid[])', [ids as unknown as string]);
    return {
      queryable: q,
      async lockClock() {
        const row = await q.get<{ last_timestamp: bigint }>('SELECT last_timestamp FROM ledger_clock WHERE id = 1 FOR UPDATE');
        assert(row, 'ledger clock row missing');
        return BigInt(row.last_timestamp);
      },
      async setClock(lastTimestamp) {
        // The batch's last statement: not waited for, so that it travels with COMMIT, which the
        // transaction sends only after checking it (see write).
        void q.run('UPDATE ledger_clock SET last_timestamp = ? WHERE id = 1', [lastTimestamp]);
      },
      async dueExpiries(nowNs, limit) {
        const rows = await q.all<{ id: string }>(
          "SELECT id FROM ledger_pending WHERE status = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?",
          [nowNs, limit],
        );
        return rows.map((row) => row.id);
      },
      async loadTransfers(ids) {
        if (ids.length === 0) return [];
        // The engine asks for the failures of the requested transfers next, and they are among these
        // ids, so that read goes out now in the same round trip (see loadFailures).
        const failures = readFailures(ids);
        failures.catch(() => {});
        failuresAhead = { ids: new Set(ids), rows: failures };
        const rows = await q.all<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY(?::uuid[])`, [ids as unknown as string]);
        return rows.map(toTransfer);
      },
      async loadAccounts(ids) {
        if (ids.length === 0) return [];
        const rows = await q.all<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ANY(?::uuid[])`, [ids as unknown as string]);
        return rows.map(toAccount);
      },
      async loadPending(ids) {
        if (ids.length === 0) return [];
        const rows = await q.all<PendingRow>('SELECT id, status, expires_at, resolved_at FROM ledger_pending WHERE id = ANY(?::uuid[])', [ids as unknown as string]);
        return rows.map(toPending);
      },
      async loadFailures(ids) {
        const found = new Map<string, TransferError>();
        if (ids.length === 0) return found;
        // Read ahead in this transaction, whose clock row lock keeps every other batch (the only
        // writers of failures) out, so the rows are what a read now would return.
        const ahead = failuresAhead;
        failuresAhead = undefined;
        const covered = ahead !== undefined && ids.every((id) => ahead.ids.has(id));
        const wanted = covered ? new Set(ids) : undefined;
        for (const row of await (covered ? ahead.rows : readFailures(ids))) {
          if (!wanted || wanted.has(row.id)) found.set(row.id, row.result as TransferError);
        }
        return found;
      },
      async existingLedgers(ids) {
        if (ids.length === 0) return new Set();
        const rows = await q.all<{ id: bigint }>('SELECT id FROM ledger_ledgers WHERE id = ANY(?::bigint[])', [ids as unknown as string]);
        return new Set(rows.map((row) => Number(row.id)));
      },
      async write(effects, snapshot) {
        // The writes are sent without waiting for their answers: on the pipelined connection they go
        // out with the journal's next statement and run in the order written. The transaction
        // checks every statement before COMMIT (src/db/postgres.ts withClient), so a failed write
        // still fails the batch and nothing of it is acknowledged.
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
      },
    };
  };

  return {
    writeBatch: (work) => db.transaction((q) => work(makeTx(q))),
  };
}
