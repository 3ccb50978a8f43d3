import type { Queryable } from '../../db/index.ts';
import { createLineDigest, type HashAlgorithm } from '../../crypto/index.ts';
import type { ContentVerifier, JournalEntry } from '../journal/index.ts';
import { accountEventLine, accountLine, expiryLine, sortLines, transferLine, type BatchPayload, type DigestLine } from './ledger.digest.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toTransfer, type AccountRow, type TransferRow } from './ledger.rows.ts';
import { AccountFlags, TransferFlags } from './ledger.ts';

/** The pending transfers that expired within a batch's timestamp range (through ledger_pending_expired). */
export const EXPIRIES_IN_RANGE = "SELECT id, resolved_at FROM ledger_pending WHERE status = 'expired' AND resolved_at >= ? AND resolved_at <= ?";

/** Accounts whose balances disagree with their transfers, listed at most this many per report. */
const MAX_BALANCE_MISMATCHES = 20;

/**
 * Checks the ledger tables against the journal: each batch entry's digest is recomputed from the
 * rows in its timestamp range (an edited, inserted or removed row changes it), every row must fall
 * inside some entry, and every account's balances must equal the sums of its transfers.
 */
export function createLedgerVerifier(db: Queryable, algorithm: HashAlgorithm): ContentVerifier {
  const totals = { accounts: 0, transfers: 0, events: 0, expiries: 0 };
  return {
    kind: 'ledger.batch',
    async checkEntry(entry: JournalEntry) {
      let payload: BatchPayload;
      try {
        payload = JSON.parse(entry.payload) as BatchPayload;
        BigInt(payload.first);
        BigInt(payload.last);
      } catch {
        return ['ledger batch payload is not readable'];
      }
      const range = [BigInt(payload.first), BigInt(payload.last)];
      const lines: DigestLine[] = [];
      const accounts = await db.all<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE timestamp >= ? AND timestamp <= ?`, range);
      for (const row of accounts) lines.push(accountLine(toAccount(row), Number(row.initial_flags)));
      const transfers = await db.all<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE timestamp >= ? AND timestamp <= ?`, range);
      for (const row of transfers) lines.push(transferLine(toTransfer(row)));
      const events = await db.all<{ timestamp: bigint; account_id: string; kind: string }>(
        'SELECT timestamp, account_id, kind FROM ledger_account_events WHERE timestamp >= ? AND timestamp <= ?',
        range,
      );
      for (const row of events) lines.push(accountEventLine({ accountId: row.account_id, kind: row.kind, timestamp: BigInt(row.timestamp) }));
      const expiries = await db.all<{ id: string; resolved_at: bigint }>(EXPIRIES_IN_RANGE, range);
      for (const row of expiries) lines.push(expiryLine(row.id, BigInt(row.resolved_at)));
      totals.accounts += payload.accounts;
      totals.transfers += payload.transfers;
      totals.events += payload.events;
      totals.expiries += payload.expiries;
      const digest = createLineDigest(algorithm);
      for (const line of sortLines(lines)) digest.add(line.line);
      const problems: string[] = [];
      if (digest.hex() !== entry.digest) {
        problems.push(
          `ledger records of this batch do not match its digest (${accounts.length} accounts, ${transfers.length} transfers, ${events.length} events, ${expiries.length} expiries found; ` +
            `${payload.accounts}, ${payload.transfers}, ${payload.events}, ${payload.expiries} recorded)`,
        );
      }
      return problems;
    },
    async finish() {
      const problems: string[] = [];
      const count = async (sql: string) => Number((await db.get<{ n: bigint }>(sql))?.n ?? 0n);
      const found = {
        accounts: await count('SELECT COUNT(*) AS n FROM ledger_accounts'),
        transfers: await count('SELECT COUNT(*) AS n FROM ledger_transfers'),
        events: await count('SELECT COUNT(*) AS n FROM ledger_account_events'),
        expiries: await count("SELECT COUNT(*) AS n FROM ledger_pending WHERE status = 'expired'"),
      };
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) {
        if (found[key] !== totals[key]) problems.push(`the journal records ${totals[key]} ledger ${key} but the tables hold ${found[key]}`);
      }
      problems.push(...(await balanceMismatches(db)), ...(await flagMismatches(db)), ...(await historyMismatches(db)));
      return problems;
    },
  };
}

async function balanceMismatches(db: Queryable): Promise<string[]> {
  const notPosting = TransferFlags.pending | TransferFlags.void_pending;
  const side = (column: 'debit' | 'credit') => `
    SELECT t.${column}_account_id AS id,
           SUM(CASE WHEN (t.flags & ${notPosting}) = 0 THEN t.amount ELSE 0 END) AS posted,
           SUM(CASE WHEN p.status = 'pending' THEN t.amount ELSE 0 END) AS pending
    FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.id = t.id
    GROUP BY t.${column}_account_id`;
  const rows = await db.all<{ id: string }>(
    `SELECT a.id FROM ledger_accounts a
     LEFT JOIN (${side('debit')}) d ON d.id = a.id
     LEFT JOIN (${side('credit')}) c ON c.id = a.id
     WHERE a.debits_posted <> COALESCE(d.posted, 0) OR a.debits_pending <> COALESCE(d.pending, 0)
        OR a.credits_posted <> COALESCE(c.posted, 0) OR a.credits_pending <> COALESCE(c.pending, 0)
     LIMIT ${MAX_BALANCE_MISMATCHES}`,
  );
  return rows.map((row) => `account ${row.id}: balances differ from the sum of its transfers`);
}

/**
 * An account's current flags are not in any digest, so they are checked against what is: the flags
 * it was opened with (digested), with the closed bit set by its last journaled close or reopen.
 * Otherwise a limit could be lifted, or a closed account reopened, by editing one column.
 */
async function flagMismatches(db: Queryable): Promise<string[]> {
  const closed = AccountFlags.closed;
  const rows = await db.all<{ id: string }>(
    `SELECT a.id FROM ledger_accounts a
     WHERE (a.flags | ${closed}) <> (a.initial_flags | ${closed})
        OR (a.flags & ${closed}) <> COALESCE(
             (SELECT CASE WHEN e.kind = 'closed' THEN ${closed} ELSE 0 END FROM ledger_account_events e
              WHERE e.account_id = a.id ORDER BY e.timestamp DESC LIMIT 1),
             a.initial_flags & ${closed})
     LIMIT ${MAX_BALANCE_MISMATCHES}`,
  );
  return rows.map((row) => `account ${row.id}: flags differ from its opening flags and journaled closing events`);
}

/**
 * Balance history rows (what balancesAt answers for `history` accounts) are not in any digest either.
 * Each must equal the running sum of its account's changes up to its timestamp, and every change of
 * a history account must have its row: one window pass over the changes, not a sum per row.
 */
async function historyMismatches(db: Queryable): Promise<string[]> {
  const { pending, post_pending: post, void_pending: cancel } = TransferFlags;
  // What one side of each transfer, and of each expiry, does to that side's pending and posted columns.
  const side = (column: 'debit' | 'credit') => `
    SELECT t.${column}_account_id AS account_id, t.timestamp,
           CASE WHEN (t.flags & ${pending}) <> 0 THEN t.amount WHEN (t.flags & ${post | cancel}) <> 0 THEN -o.amount ELSE 0 END AS held,
           CASE WHEN (t.flags & ${pending | cancel}) = 0 THEN t.amount ELSE 0 END AS settled
    FROM ledger_transfers t LEFT JOIN ledger_transfers o ON o.id = t.pending_id
    UNION ALL
    SELECT o.${column}_account_id, p.resolved_at, -o.amount, 0
    FROM ledger_pending p JOIN ledger_transfers o ON o.id = p.id WHERE p.status = 'expired'`;
  const rows = await db.all<{ id: string }>(
    `WITH changes AS (
       SELECT account_id, timestamp, held AS dp, settled AS dpo, 0 AS cp, 0 AS cpo FROM (${side('debit')}) d
       UNION ALL
       SELECT account_id, timestamp, 0, 0, held, settled FROM (${side('credit')}) c
     ), running AS (
       SELECT c.account_id, c.timestamp,
              SUM(c.dp) OVER w AS dp, SUM(c.dpo) OVER w AS dpo, SUM(c.cp) OVER w AS cp, SUM(c.cpo) OVER w AS cpo
       FROM changes c JOIN ledger_accounts a ON a.id = c.account_id
       WHERE (a.flags & ${AccountFlags.history}) <> 0
       WINDOW w AS (PARTITION BY c.account_id ORDER BY c.timestamp ROWS UNBOUNDED PRECEDING)
     )
     SELECT h.account_id AS id FROM ledger_balances h
       LEFT JOIN running r ON r.account_id = h.account_id AND r.timestamp = h.timestamp
     WHERE r.account_id IS NULL OR h.debits_pending <> r.dp OR h.debits_posted <> r.dpo OR h.credits_pending <> r.cp OR h.credits_posted <> r.cpo
     UNION
     SELECT r.account_id FROM running r
       LEFT JOIN ledger_balances h ON h.account_id = r.account_id AND h.timestamp = r.timestamp
     WHERE h.account_id IS NULL
     LIMIT ${MAX_BALANCE_MISMATCHES}`,
  );
  return rows.map((row) => `account ${row.id}: balance history differs from the sum of its transfers`);
}

/** Ledger definitions carry their fields inline; the table must hold exactly what was journaled. */
export function createDefinitionVerifier(db: Queryable): ContentVerifier {
  let journaled = 0;
  return {
    kind: 'ledger.definition',
    async checkEntry(entry: JournalEntry) {
      journaled += 1;
      let payload: { id: number; assetCode: string; scale: number; name: string };
      try {
        payload = JSON.parse(entry.payload) as typeof payload;
      } catch {
        return ['ledger definition payload is not readable'];
      }
      const row = await db.get<{ asset_code: string; scale: bigint; name: string }>('SELECT asset_code, scale, name FROM ledger_ledgers WHERE id = ?', [payload.id]);
      if (!row) return [`ledger ${payload.id} was defined in the journal but is missing from the table`];
      if (row.asset_code !== payload.assetCode || Number(row.scale) !== payload.scale || row.name !== payload.name) {
        return [`ledger ${payload.id} differs from its journaled definition`];
      }
      return [];
    },
    async finish() {
      const count = Number((await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM ledger_ledgers'))?.n ?? 0n);
      return count === journaled ? [] : [`the journal defines ${journaled} ledgers but the table holds ${count}`];
    },
  };
}
