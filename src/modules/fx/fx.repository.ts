import type { Queryable } from '../../db/index.ts';
import { rate, type Rate } from './fx.ts';

/** SQL of the FX desk, the same text on both dialects. */
export interface RateRecord {
  readonly base: string;
  readonly quote: string;
  /** The mid rate exactly as it was set, e.g. "7.1234". */
  readonly mid: string;
  readonly spreadBps: number;
  readonly source: string;
  readonly updatedAt: string;
}

export interface Quote {
  readonly id: string;
  readonly sellCurrency: string;
  readonly buyCurrency: string;
  readonly sellAmount: bigint;
  readonly buyAmount: bigint;
  /** The customer's rate (mid less spread) in major units, exact. */
  readonly rate: Rate;
  readonly mid: string;
  readonly spreadBps: number;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** Who executed the quote (a payment), once it is used; a quote is good for one execution. */
  readonly usedBy: string | null;
  /**
   * The id of the API key that asked for the quote, which decides who else may read or spend it
   * (fx.access.ts); null when it was asked without a key (in process) or before this was recorded.
   */
  readonly requestedBy: string | null;
}

type Row = Record<string, unknown>;
const QUOTE_COLUMNS = 'id, sell_currency, buy_currency, sell_amount, buy_amount, rate_numerator, rate_denominator, mid, spread_bps, created_at_ms, expires_at_ms, used_by, requested_by';

const toRate = (row: Row): RateRecord => ({
  base: row.base as string, quote: row.quote as string, mid: row.mid as string, spreadBps: Number(row.spread_bps),
  source: row.source as string, updatedAt: row.updated_at as string,
});

const toQuote = (row: Row): Quote => ({
  id: row.id as string,
  sellCurrency: row.sell_currency as string,
  buyCurrency: row.buy_currency as string,
  sellAmount: BigInt(row.sell_amount as bigint),
  buyAmount: BigInt(row.buy_amount as bigint),
  rate: rate(BigInt(row.rate_numerator as string), BigInt(row.rate_denominator as string)),
  mid: row.mid as string,
  spreadBps: Number(row.spread_bps),
  createdAtMs: Number(row.created_at_ms),
  expiresAtMs: Number(row.expires_at_ms),
  usedBy: (row.used_by as string | null) ?? null,
  requestedBy: (row.requested_by as string | null) ?? null,
});

export async function loadRate(q: Queryable, base: string, quote: string): Promise<RateRecord | undefined> {
  const row = await q.get('SELECT base, quote, mid, spread_bps, source, updated_at FROM fx_rates WHERE base = ? AND quote = ?', [base, quote]);
  return row ? toRate(row) : undefined;
}

export async function listRates(q: Queryable): Promise<RateRecord[]> {
  return (await q.all('SELECT base, quote, mid, spread_bps, source, updated_at FROM fx_rates ORDER BY base, quote')).map(toRate);
}

/** Setting a pair replaces its inverse, so that one pair never has two prices. */
export async function upsertRate(q: Queryable, record: RateRecord): Promise<void> {
  await q.run('DELETE FROM fx_rates WHERE (base = ? AND quote = ?) OR (base = ? AND quote = ?)', [record.base, record.quote, record.quote, record.base]);
  await q.run('INSERT INTO fx_rates (base, quote, mid, spread_bps, source, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    record.base, record.quote, record.mid, record.spreadBps, record.source, record.updatedAt,
  ]);
}

export async function insertQuote(q: Queryable, quote: Quote): Promise<void> {
  await q.run(`INSERT INTO fx_quotes (${QUOTE_COLUMNS}, used_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`, [
    quote.id, quote.sellCurrency, quote.buyCurrency, quote.sellAmount, quote.buyAmount, String(quote.rate.numerator), String(quote.rate.denominator),
    quote.mid, quote.spreadBps, quote.createdAtMs, quote.expiresAtMs, quote.usedBy, quote.requestedBy,
  ]);
}

export async function loadQuote(q: Queryable, id: string): Promise<Quote | undefined> {
  const row = await q.get(`SELECT ${QUOTE_COLUMNS} FROM fx_quotes WHERE id = ?`, [id]);
  return row ? toQuote(row) : undefined;
}

/** Frees a quote `claimant` holds; a quote used by another or by nobody is left as it is. */
export async function releaseQuote(q: Queryable, id: string, claimant: string): Promise<void> {
  await q.run('UPDATE fx_quotes SET used_by = NULL, used_at_ms = NULL WHERE id = ? AND used_by = ?', [id, claimant]);
}

/** Marks a quote used by `claimant`; true when it is now (or already was) the claimant's. */
export async function claimQuote(q: Queryable, id: string, claimant: string, nowMs: number): Promise<boolean> {
  const changed = await q.run('UPDATE fx_quotes SET used_by = ?, used_at_ms = ? WHERE id = ? AND used_by IS NULL', [claimant, nowMs, id]);
  if (changed.changes > 0) return true;
  const row = await q.get<{ used_by: string | null }>('SELECT used_by FROM fx_quotes WHERE id = ?', [id]);
  return row?.used_by === claimant;
}
