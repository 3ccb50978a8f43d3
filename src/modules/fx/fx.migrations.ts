import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * FX tables: mid rates with their spreads, and firm quotes. Rates are exact fractions written as
 * decimal text (they outgrow 64 bits once inverted or spread); amounts are minor units; instants are
 * milliseconds since the epoch from the injected clock, so expiry compares integers.
 */
const body = (int: string) => `
CREATE TABLE fx_rates (
  base TEXT NOT NULL,
  quote TEXT NOT NULL,
  mid TEXT NOT NULL,
  spread_bps ${int} NOT NULL,
  source TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (base, quote)
);
CREATE TABLE fx_quotes (
  id TEXT PRIMARY KEY,
  sell_currency TEXT NOT NULL,
  buy_currency TEXT NOT NULL,
  sell_amount ${int} NOT NULL,
  buy_amount ${int} NOT NULL,
  rate_numerator TEXT NOT NULL,
  rate_denominator TEXT NOT NULL,
  mid TEXT NOT NULL,
  spread_bps ${int} NOT NULL,
  created_at_ms ${int} NOT NULL,
  expires_at_ms ${int} NOT NULL,
  used_by TEXT,
  used_at_ms ${int}
);
CREATE UNIQUE INDEX fx_quotes_used_by ON fx_quotes (used_by) WHERE used_by IS NOT NULL;
`;

/**
 * Who asked for a quote: the id of the API key, so that only that key, keys acting for the same
 * parties, and staff keys may read or spend it (fx.access.ts). NULL for quotes asked without a key
 * (in-process callers) and for quotes written before this column, which only staff keys may use.
 */
const requester = `ALTER TABLE fx_quotes ADD COLUMN requested_by TEXT;`;

export const fxMigrations: readonly Migration[] = [
  { id: 'fx/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  { id: 'fx/002_quote_requester', sql: { sqlite: requester, postgres: requester } },
];

export const fxTables: readonly TableSpec[] = [
  { name: 'fx_rates', columns: ['base', 'quote', 'mid', 'spread_bps', 'source', 'updated_at'], orderBy: 'base, quote' },
  {
    name: 'fx_quotes',
    columns: ['id', 'sell_currency', 'buy_currency', 'sell_amount', 'buy_amount', 'rate_numerator', 'rate_denominator', 'mid', 'spread_bps', 'created_at_ms', 'expires_at_ms', 'used_by', 'used_at_ms', 'requested_by'],
    orderBy: 'id',
    // Dumps of versions before fx/002 lack it: their quotes import as asked by no key (staff only).
    addedColumns: ['requested_by'],
  },
];
