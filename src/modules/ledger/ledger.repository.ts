import { uuidArray, type Queryable, type SqlValue } from '../../db/index.ts';
import { isUuid, normalizeUuid } from '../../kernel/index.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toLedger, toTransfer, type AccountRow, type LedgerRow, type TransferRow } from './ledger.rows.ts';
import { TransferFlags, type Account, type Ledger, type Transfer } from './ledger.ts';
import { TIMESTAMP_MAX, postingTimestamps } from './ledger.postings.ts';
import type { SeriesTransfer } from './ledger.series.ts';

/**
 * Read-side SQL shared by both dialects (written with `?` placeholders), except for transfers by
 * account on SQLite, which go through its postings (ledger.postings.ts). The write path lives in
 * the per-dialect stores; reads never take the clock lock.
 */
export interface Balances {
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

export interface BalanceSnapshot extends Balances {
  readonly timestamp: bigint;
}

export type SortOrder = 'asc' | 'desc';

export interface TransferFilter {
  readonly accountId?: string;
  /** Only transfers touching one of these accounts (a participant's view); empty means none. */
  readonly accountIds?: readonly string[];
  readonly code?: number;
  readonly ledger?: number;
  readonly fromNs?: bigint;
  readonly toNs?: bigint;
  readonly after?: bigint;
  readonly order: SortOrder;
  readonly limit: number;
}

export interface AccountFilter {
  readonly ledger?: number;
  readonly code?: number;
  readonly partyId?: string;
  /** Restricts to accounts owned by these parties (a participant's view). */
  readonly partyIds?: readonly string[];
  readonly after?: bigint;
  readonly order: SortOrder;
  readonly limit: number;
}

/** Flags whose transfers do not post: a pending transfer holds funds; a void releases them. */
const NOT_POSTING = TransferFlags.pending | TransferFlags.void_pending;

type SeriesRow = {
  timestamp: bigint; debit_account_id: string; credit_account_id: string; amount: bigint; flags: bigint; held: bigint | number; resolved_at: bigint | null;
};

const TWO_TO_32 = 4294967296;
const bigintOf = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(String(value)));
const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');
/**
 * Ids per statement of getAccounts and the lookups: far below SQLite's limit on parameters (32,766),
 * and one PostgreSQL array of a size its planner handles as a handful of index probes.
 */
export const IDS_PER_LOOKUP_STATEMENT = 256;

export function createLedgerRepository(db: Queryable) {
  const cursorClause = (order: SortOrder) => (order === 'asc' ? 'timestamp > ?' : 'timestamp < ?');
  /**
   * The rows of `table` whose id is among `given`, in no particular order, one statement per
   * `idsPerStatement` distinct ids. On SQLite the ids of a statement are padded to a power of two
   * (the last repeated), so that a few statement texts serve every count. PostgreSQL takes them as
   * one uuid[], so there an id not spelled 8-4-4-4-12 is left out rather than failing the statement
   * for the others (a single get reads the other spellings PostgreSQL accepts).
   */
  async function rowsByIds<R extends AccountRow | TransferRow>(table: 'ledger_accounts' | 'ledger_transfers', columns: string, given: readonly string[], idsPerStatement: number): Promise<R[]> {
    const distinct = [...new Set(given)];
    const ids = db.dialect === 'postgres' ? distinct.filter(isUuid) : distinct;
    const found: R[] = [];
    for (let start = 0; start < ids.length; start += idsPerStatement) {
      const chunk = ids.slice(start, start + idsPerStatement);
      if (db.dialect === 'postgres') {
        found.push(...(await db.all<R>(`SELECT ${columns} FROM ${table} WHERE id = ANY(?::uuid[])`, [uuidArray(chunk) as SqlValue])));
      } else {
        let size = 1;
        while (size < chunk.length) size *= 2;
        const padded = chunk.concat(new Array<string>(size - chunk.length).fill(chunk[chunk.length - 1] as string));
        found.push(...(await db.all<R>(`SELECT ${columns} FROM ${table} WHERE id IN (${placeholders(size)})`, padded)));
      }
    }
    return found;
  }

  /**
   * `found` in the order of the ids that name them, each record once, at the first id naming it. A
   * record answers the id it is stored under; on PostgreSQL also any other letter case of it, as
   * the uuid column compares them equal (and as a single get finds it).
   */
  function inOrderOf<T extends { readonly id: string }>(given: readonly string[], found: readonly T[]): T[] {
    const byId = new Map(found.map((record) => [record.id, record]));
    const answered = new Set<string>();
    const ordered: T[] = [];
    for (const id of given) {
      const record = byId.get(db.dialect === 'postgres' ? normalizeUuid(id) : id);
      if (!record || answered.has(record.id)) continue;
      answered.add(record.id);
      ordered.push(record);
    }
    return ordered;
  }

  return {
    async insertLedger(tx: Queryable, ledger: Ledger): Promise<void> {
      await tx.run('INSERT INTO ledger_ledgers (id, asset_code, scale, name, timestamp) VALUES (?, ?, ?, ?, ?)', [
        ledger.id, ledger.assetCode, ledger.scale, ledger.name, ledger.timestamp,
      ]);
    },
    async getLedger(id: number, q: Queryable = db): Promise<Ledger | undefined> {
      const row = await q.get<LedgerRow>('SELECT id, asset_code, scale, name, timestamp FROM ledger_ledgers WHERE id = ?', [id]);
      return row ? toLedger(row) : undefined;
    },
    async listLedgers(): Promise<Ledger[]> {
      const rows = await db.all<LedgerRow>('SELECT id, asset_code, scale, name, timestamp FROM ledger_ledgers ORDER BY id');
      return rows.map(toLedger);
    },
    async getAccount(id: string): Promise<Account | undefined> {
      const row = await db.get<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ?`, [id]);
      return row ? toAccount(row) : undefined;
    },
    /** The accounts among these ids, in no particular order (see rowsByIds). */
    async getAccounts(given: readonly string[], idsPerStatement = IDS_PER_LOOKUP_STATEMENT): Promise<Account[]> {
      return (await rowsByIds<AccountRow>('ledger_accounts', ACCOUNT_COLUMNS, given, idsPerStatement)).map(toAccount);
    },
    /** The accounts these ids name, in the order given, each once, an id not found left out (see inOrderOf). */
    async lookupAccounts(given: readonly string[], idsPerStatement = IDS_PER_LOOKUP_STATEMENT): Promise<Account[]> {
      return inOrderOf(given, (await rowsByIds<AccountRow>('ledger_accounts', ACCOUNT_COLUMNS, given, idsPerStatement)).map(toAccount));
    },
    /** The transfers these ids name, in the order given, each once, an id not found left out (see inOrderOf). */
    async lookupTransfers(given: readonly string[], idsPerStatement = IDS_PER_LOOKUP_STATEMENT): Promise<Transfer[]> {
      return inOrderOf(given, (await rowsByIds<TransferRow>('ledger_transfers', TRANSFER_COLUMNS, given, idsPerStatement)).map(toTransfer));
    },
    async listAccounts(filter: AccountFilter): Promise<Account[]> {
      const where: string[] = [];
      const params: (string | number | bigint)[] = [];
      if (filter.ledger !== undefined) (where.push('ledger = ?'), params.push(filter.ledger));
      if (filter.code !== undefined) (where.push('code = ?'), params.push(filter.code));
      if (filter.partyId !== undefined) (where.push('party_id = ?'), params.push(filter.partyId));
      if (filter.partyIds) {
        if (filter.partyIds.length === 0) return [];
        where.push(`party_id IN (${placeholders(filter.partyIds.length)})`);
        params.push(...filter.partyIds);
      }
      if (filter.after !== undefined) (where.push(cursorClause(filter.order)), params.push(filter.after));
      const rows = await db.all<AccountRow>(
        `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY timestamp ${filter.order} LIMIT ?`,
        [...params, filter.limit],
      );
      return rows.map(toAccount);
    },
    async getTransfer(id: string): Promise<Transfer | undefined> {
      const row = await db.get<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ?`, [id]);
      return row ? toTransfer(row) : undefined;
    },
    async listTransfers(filter: TransferFilter): Promise<Transfer[]> {
      const where: string[] = [];
      const params: (string | number | bigint)[] = [];
      if (filter.accountId !== undefined) {
        where.push('(debit_account_id = ? OR credit_account_id = ?)');
        params.push(filter.accountId, filter.accountId);
      }
      if (filter.accountIds) {
        if (filter.accountIds.length === 0) return [];
        const list = placeholders(filter.accountIds.length);
        where.push(`(debit_account_id IN (${list}) OR credit_account_id IN (${list}))`);
        params.push(...filter.accountIds, ...filter.accountIds);
      }
      if (filter.code !== undefined) (where.push('code = ?'), params.push(filter.code));
      if (filter.ledger !== undefined) (where.push('ledger = ?'), params.push(filter.ledger));
      if (filter.fromNs !== undefined) (where.push('timestamp >= ?'), params.push(filter.fromNs));
      if (filter.toNs !== undefined) (where.push('timestamp < ?'), params.push(filter.toNs));
      if (filter.after !== undefined) (where.push(cursorClause(filter.order)), params.push(filter.after));
      const accounts = filter.accountId !== undefined ? [filter.accountId] : filter.accountIds;
      if (db.dialect === 'sqlite' && accounts) {
        // SQLite has no account index on ledger_transfers; its postings name the candidates (ledger.postings.ts).
        let after = filter.fromNs !== undefined ? filter.fromNs - 1n : -1n;
        let through = filter.toNs !== undefined ? filter.toNs - 1n : TIMESTAMP_MAX;
        if (filter.after !== undefined && filter.order === 'asc' && filter.after > after) after = filter.after;
        if (filter.after !== undefined && filter.order === 'desc' && filter.after - 1n < through) through = filter.after - 1n;
        const postings = postingTimestamps(accounts, after, through);
        where.unshift(`timestamp IN (${postings.sql})`);
        params.unshift(...postings.params);
      }
      const rows = await db.all<TransferRow>(
        `SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY timestamp ${filter.order} LIMIT ?`,
        [...params, filter.limit],
      );
      return rows.map(toTransfer);
    },
    /** Balances of a `history` account as of `at`: one index probe into its balance rows. */
    async recordedBalanceAt(accountId: string, at: bigint): Promise<BalanceSnapshot | undefined> {
      const row = await db.get<Record<string, bigint>>(
        'SELECT timestamp, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_balances WHERE account_id = ? AND timestamp <= ? ORDER BY timestamp DESC LIMIT 1',
        [accountId, at],
      );
      if (!row) return undefined;
      return {
        timestamp: bigintOf(row.timestamp),
        debitsPending: bigintOf(row.debits_pending),
        debitsPosted: bigintOf(row.debits_posted),
        creditsPending: bigintOf(row.credits_pending),
        creditsPosted: bigintOf(row.credits_posted),
      };
    },
    /** Balances of any account as of `at`, summed from its transfers: exact, and linear in their number. */
    async computedBalanceAt(accountId: string, at: bigint): Promise<Balances> {
      if (db.dialect === 'sqlite') return computedBalanceAtSqlite(db, accountId, at);
      const posted = (side: 'debit' | 'credit') =>
        `(SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE ${side}_account_id = ? AND timestamp <= ? AND (flags & ${NOT_POSTING}) = 0)`;
      const pending = (side: 'debit' | 'credit') =>
        `(SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t JOIN ledger_pending p ON p.id = t.id
          WHERE t.${side}_account_id = ? AND t.timestamp <= ? AND (p.resolved_at = 0 OR p.resolved_at > ?))`;
      const row = await db.get<Record<string, unknown>>(
        `SELECT ${pending('debit')} AS debits_pending, ${posted('debit')} AS debits_posted, ${pending('credit')} AS credits_pending, ${posted('credit')} AS credits_posted`,
        [accountId, at, at, accountId, at, accountId, at, at, accountId, at],
      );
      return {
        debitsPending: bigintOf(row?.debits_pending),
        debitsPosted: bigintOf(row?.debits_posted),
        creditsPending: bigintOf(row?.credits_pending),
        creditsPosted: bigintOf(row?.credits_posted),
      };
    },
    /**
     * The transfers of an account in (after, through], oldest first, at most `limit` of them, each
     * with the resolution of its pending state: what a balance series folds in one pass. PostgreSQL
     * walks the debit and the credit index in timestamp order and stops at `limit` on each; SQLite
     * finds them through its postings, as computedBalanceAt does.
     */
    async seriesTransfers(accountId: string, after: bigint, through: bigint, limit: number): Promise<SeriesTransfer[]> {
      const columns = 't.timestamp, t.debit_account_id, t.credit_account_id, t.amount, t.flags, CASE WHEN p.id IS NULL THEN 0 ELSE 1 END AS held, p.resolved_at';
      let rows: SeriesRow[];
      if (db.dialect === 'sqlite') {
        const postings = postingTimestamps([accountId], after, through);
        rows = await db.all<SeriesRow>(
          `SELECT ${columns} FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.id = t.id WHERE t.timestamp IN (${postings.sql}) ORDER BY t.timestamp LIMIT ?`,
          [...postings.params, limit],
        );
      } else {
        const side = (column: string) =>
          `(SELECT id, timestamp, debit_account_id, credit_account_id, amount, flags FROM ledger_transfers WHERE ${column} = ? AND timestamp > ? AND timestamp <= ? ORDER BY timestamp LIMIT ?)`;
        // UNION rather than UNION ALL: a transfer naming the account on both sides is one row, whose two sides the series takes from it.
        rows = await db.all<SeriesRow>(
          `SELECT ${columns} FROM (${side('debit_account_id')} UNION ${side('credit_account_id')}) t LEFT JOIN ledger_pending p ON p.id = t.id ORDER BY t.timestamp LIMIT ?`,
          [accountId, after, through, limit, accountId, after, through, limit, limit],
        );
      }
      return rows.map((row) => ({
        timestamp: bigintOf(row.timestamp),
        debitAccountId: row.debit_account_id,
        creditAccountId: row.credit_account_id,
        amount: bigintOf(row.amount),
        flags: Number(row.flags),
        resolvedAt: Number(row.held) === 1 ? bigintOf(row.resolved_at) : undefined,
      }));
    },
    async balanceHistory(accountId: string, options: { after?: bigint; fromNs?: bigint; toNs?: bigint; order: SortOrder; limit: number }): Promise<BalanceSnapshot[]> {
      const where = ['account_id = ?'];
      const params: (string | bigint | number)[] = [accountId];
      if (options.fromNs !== undefined) (where.push('timestamp >= ?'), params.push(options.fromNs));
      if (options.toNs !== undefined) (where.push('timestamp < ?'), params.push(options.toNs));
      if (options.after !== undefined) (where.push(cursorClause(options.order)), params.push(options.after));
      const rows = await db.all<Record<string, bigint>>(
        `SELECT timestamp, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_balances WHERE ${where.join(' AND ')} ORDER BY timestamp ${options.order} LIMIT ?`,
        [...params, options.limit],
      );
      return rows.map((row) => ({
        timestamp: bigintOf(row.timestamp),
        debitsPending: bigintOf(row.debits_pending),
        debitsPosted: bigintOf(row.debits_posted),
        creditsPending: bigintOf(row.credits_pending),
        creditsPosted: bigintOf(row.credits_posted),
      }));
    },
    async pendingStatus(id: string): Promise<{ status: string; expiresAt: bigint; resolvedAt: bigint } | undefined> {
      const row = await db.get<{ status: string; expires_at: bigint; resolved_at: bigint }>('SELECT status, expires_at, resolved_at FROM ledger_pending WHERE id = ?', [id]);
      return row ? { status: row.status, expiresAt: bigintOf(row.expires_at), resolvedAt: bigintOf(row.resolved_at) } : undefined;
    },
    async totalsByLedger(): Promise<{ ledger: number; debitsPosted: bigint; creditsPosted: bigint; debitsPending: bigint; creditsPending: bigint; accounts: number }[]> {
      // Sums over many accounts can pass 2^63 - 1, where SQLite's SUM fails. Summing the high and low
      // 32 bits separately keeps every partial sum in range; BigInt puts them together exactly.
      const split = (column: string) => `SUM(${column} / ${TWO_TO_32}) AS ${column}_high, SUM(${column} % ${TWO_TO_32}) AS ${column}_low`;
      const rows = await db.all<Record<string, unknown>>(
        `SELECT ledger, COUNT(*) AS accounts, ${split('debits_posted')}, ${split('credits_posted')}, ${split('debits_pending')}, ${split('credits_pending')}
         FROM ledger_accounts GROUP BY ledger ORDER BY ledger`,
      );
      const joined = (row: Record<string, unknown>, column: string) => bigintOf(row[`${column}_high`]) * BigInt(TWO_TO_32) + bigintOf(row[`${column}_low`]);
      return rows.map((row) => ({
        ledger: Number(row.ledger),
        accounts: Number(row.accounts),
        debitsPosted: joined(row, 'debits_posted'),
        creditsPosted: joined(row, 'credits_posted'),
        debitsPending: joined(row, 'debits_pending'),
        creditsPending: joined(row, 'credits_pending'),
      }));
    },
  };
}

/** computedBalanceAt over the postings of the account (SQLite keeps no account index on ledger_transfers). */
async function computedBalanceAtSqlite(db: Queryable, accountId: string, at: bigint): Promise<Balances> {
  const postings = postingTimestamps([accountId], -1n, at);
  const sum = (side: 'debit' | 'credit', test: string) => `COALESCE(SUM(CASE WHEN t.${side}_account_id = ? AND ${test} THEN t.amount END), 0)`;
  const pending = 'p.id IS NOT NULL AND (p.resolved_at = 0 OR p.resolved_at > ?)';
  const posted = `(t.flags & ${NOT_POSTING}) = 0`;
  const row = await db.get<Record<string, unknown>>(
    `SELECT ${sum('debit', pending)} AS debits_pending, ${sum('debit', posted)} AS debits_posted,
            ${sum('credit', pending)} AS credits_pending, ${sum('credit', posted)} AS credits_posted
     FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.id = t.id
     WHERE t.timestamp IN (${postings.sql})`,
    [accountId, at, accountId, accountId, at, accountId, ...postings.params],
  );
  return {
    debitsPending: bigintOf(row?.debits_pending),
    debitsPosted: bigintOf(row?.debits_posted),
    creditsPending: bigintOf(row?.credits_pending),
    creditsPosted: bigintOf(row?.credits_posted),
  };
}

export type LedgerRepository = ReturnType<typeof createLedgerRepository>;
