import { readFile, stat } from 'node:fs/promises';
import type { Database, Queryable } from '../../db/index.ts';
import { AMOUNT_MAX, AssertionError, createBatchQueue, createBoundedCache, err, ok, uuidv7, type Clock, type Result } from '../../kernel/index.ts';
import { AccountFlags, type LedgerService } from '../ledger/index.ts';
import type { FxError } from './fx.errors.ts';
import { FX_CODES, FX_LIMITS } from './fx.limits.ts';
import { claimQuote, insertQuote, listRates, loadQuote, loadRate, releaseQuote, upsertRate, type Quote, type RateRecord } from './fx.repository.ts';
import { parseRatesText, type RateInput } from './fx.rates-file.ts';
import { applySpread, convert, formatRate, invert, isCurrencyCode, minorUnitRate, parseRate, sellAmountFor, SPREAD_BPS_MAX, type Rate } from './fx.ts';
import { deriveFxId } from './fx.ids.ts';

/**
 * The FX desk: mid rates per currency pair with a spread each, the price a customer gets from them,
 * firm quotes that hold that price until they expire, and the desk's accounts in every currency
 * through which conversions settle. Quotes are written by a small group commit, so that thousands
 * of quotes a second cost a few durable commits rather than one each.
 */
export interface Currency {
  readonly code: string;
  readonly ledger: number;
  readonly scale: number;
}

export interface Price {
  /** Customer rate in major units: mid less spread. */
  readonly rate: Rate;
  /** The mid rate in the direction sold → bought, as decimal text (cut at 12 digits when inverted). */
  readonly mid: string;
  readonly spreadBps: number;
}

export interface DeskAccounts {
  readonly currency: string;
  readonly ledger: number;
  readonly position: string;
  readonly rounding: string;
}

export interface QuoteInput {
  readonly sellCurrency: string;
  readonly buyCurrency: string;
  /** Exactly one of the two amounts, in minor units. */
  readonly sellAmount?: bigint;
  readonly buyAmount?: bigint;
  readonly ttlSeconds?: number;
  /** The id of the API key asking, recorded so that the quote is good only for it and its parties. */
  readonly requestedBy?: string | null;
}

export type ClaimResult = 'ok' | 'quote_not_found' | 'quote_already_used';

export interface FxService {
  setRates(inputs: readonly RateInput[], source: string): Promise<Result<RateRecord[], FxError>>;
  listRates(): Promise<RateRecord[]>;
  /** Loads rates from a CSV (base,quote,mid,spread_bps) or JSON file; all or nothing. */
  loadRatesFile(path: string): Promise<Result<RateRecord[], FxError>>;
  price(sellCurrency: string, buyCurrency: string): Promise<Result<Price, FxError>>;
  quote(input: QuoteInput): Promise<Result<Quote, FxError>>;
  getQuote(id: string): Promise<Quote | undefined>;
  /** Marks a quote executed by `claimant`, inside the caller's transaction; a quote is good once. */
  claimQuote(tx: Queryable, id: string, claimant: string, nowMs: number): Promise<ClaimResult>;
  /**
   * Gives back a quote `claimant` claimed but never executed (its payment was refused or cancelled
   * and converted nothing), inside the caller's transaction, so that the price can still be used
   * until it expires. A quote claimed by another is left alone.
   */
  releaseQuote(tx: Queryable, id: string, claimant: string): Promise<void>;
  currency(code: string): Promise<Currency | undefined>;
  /** The desk's accounts in a currency, opened on first use. */
  desk(code: string): Promise<Result<DeskAccounts, 'unsupported_currency'>>;
  /** Quotes waiting to be written (FX_LIMITS.writerQueueMax refuses more): for /readyz. */
  queuedQuotes(): number;
  stop(): Promise<void>;
}

export interface FxServiceDeps {
  readonly db: Database;
  readonly ledger: Pick<LedgerService, 'listLedgers' | 'createAccounts'>;
  readonly clock: Clock;
}

export const deskAccountIds = (currency: string) => ({ position: deriveFxId('desk', currency, 'position'), rounding: deriveFxId('desk', currency, 'rounding') });

export function createFxService(deps: FxServiceDeps): FxService {
  const { db, clock } = deps;
  let currencies = new Map<string, Currency>();
  const rates = new Map<string, { record: RateRecord | undefined; loadedAt: number }>();
  // A quote forgotten here is read from the database (getQuote); claiming one always goes there.
  const quotes = createBoundedCache<string, Quote>(FX_LIMITS.quoteCacheMaxEntries);
  const desks = new Map<string, DeskAccounts>();
  const writer = createQuoteWriter(db);

  async function currency(code: string): Promise<Currency | undefined> {
    // A ledger's asset code and scale never change once it exists, so only a miss is read again:
    // the currency's ledger may have been created since.
    if (!currencies.has(code)) {
      const fresh = new Map<string, Currency>();
      for (const ledger of await deps.ledger.listLedgers()) if (isCurrencyCode(ledger.assetCode)) fresh.set(ledger.assetCode, { code: ledger.assetCode, ledger: ledger.id, scale: ledger.scale });
      currencies = fresh;
    }
    return currencies.get(code);
  }

  async function rateOf(base: string, quote: string): Promise<RateRecord | undefined> {
    const key = `${base}/${quote}`;
    const cached = rates.get(key);
    if (cached && Date.now() - cached.loadedAt < FX_LIMITS.cacheTtlMs) return cached.record;
    const record = await loadRate(db, base, quote);
    rates.set(key, { record, loadedAt: Date.now() });
    return record;
  }

  async function desk(code: string): Promise<Result<DeskAccounts, 'unsupported_currency'>> {
    const known = desks.get(code);
    if (known) return ok(known);
    const found = await currency(code);
    if (!found) return err('unsupported_currency');
    const ids = deskAccountIds(code);
    const results = await deps.ledger.createAccounts([
      { id: ids.position, ledger: found.ledger, code: FX_CODES.deskPosition, flags: AccountFlags.debits_must_not_exceed_credits, partyId: null, metadata: JSON.stringify({ fx_desk: code }) },
      { id: ids.rounding, ledger: found.ledger, code: FX_CODES.deskRounding, flags: AccountFlags.debits_must_not_exceed_credits, partyId: null, metadata: JSON.stringify({ fx_rounding: code }) },
    ]);
    const failed = results.find((result) => result.result !== 'ok');
    if (failed) throw new AssertionError(`the ledger refused FX desk account ${failed.id}: ${failed.result}`);
    const accounts: DeskAccounts = { currency: code, ledger: found.ledger, ...ids };
    desks.set(code, accounts);
    return ok(accounts);
  }

  async function price(sell: string, buy: string): Promise<Result<Price, FxError>> {
    if (sell === buy) return err('same_currency');
    if (!(await currency(sell)) || !(await currency(buy))) return err('unsupported_currency');
    const direct = await rateOf(sell, buy);
    const inverse = direct ? undefined : await rateOf(buy, sell);
    const record = direct ?? inverse;
    if (!record) return err('fx_rate_not_available');
    const stated = parseRate(record.mid);
    if (!stated) throw new AssertionError(`stored rate ${record.base}/${record.quote} is not a rate: ${record.mid}`);
    const mid = direct ? stated : invert(stated);
    return ok({ rate: applySpread(mid, record.spreadBps), mid: direct ? record.mid : formatRate(mid), spreadBps: record.spreadBps });
  }

  const service: FxService = {
    async setRates(inputs, source) {
      if (inputs.length > FX_LIMITS.ratesPerRequestMax) return err('too_many_rates');
      const updatedAt = new Date(clock.nowMs()).toISOString();
      const records: RateRecord[] = [];
      for (const input of inputs) {
        if (input.base === input.quote) return err('same_currency');
        if (!(await currency(input.base)) || !(await currency(input.quote))) return err('unsupported_currency');
        if (!parseRate(input.mid)) return err('invalid_rate');
        if (!Number.isInteger(input.spreadBps) || input.spreadBps < 0 || input.spreadBps > SPREAD_BPS_MAX) return err('spread_out_of_range');
        records.push({ base: input.base, quote: input.quote, mid: input.mid, spreadBps: input.spreadBps, source, updatedAt });
      }
      for (const record of records) for (const code of [record.base, record.quote]) await desk(code);
      await db.transaction(async (tx) => {
        for (const record of records) await upsertRate(tx, record);
      });
      for (const record of records) {
        rates.delete(`${record.base}/${record.quote}`);
        rates.delete(`${record.quote}/${record.base}`);
      }
      return ok(records);
    },
    listRates: () => listRates(db),
    async loadRatesFile(path) {
      const size = (await stat(path)).size;
      if (size > FX_LIMITS.ratesFileMaxBytes) return err('rates_file_malformed');
      const parsed = parseRatesText(await readFile(path, 'utf8'));
      if (!parsed.ok) return err(parsed.error);
      return service.setRates(parsed.value, `file:${path.split('/').pop() ?? path}`);
    },
    price,
    async quote(input) {
      const ttl = input.ttlSeconds ?? FX_LIMITS.quoteDefaultTtlSeconds;
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > FX_LIMITS.quoteMaxTtlSeconds) return err('ttl_out_of_range');
      const priced = await price(input.sellCurrency, input.buyCurrency);
      if (!priced.ok) return priced;
      const [sell, buy] = [(await currency(input.sellCurrency)) as Currency, (await currency(input.buyCurrency)) as Currency];
      for (const code of [sell.code, buy.code]) await desk(code);
      const minorRate = minorUnitRate(priced.value.rate, sell.scale, buy.scale);
      const requested = input.sellAmount ?? input.buyAmount;
      if (requested === undefined || requested <= 0n || requested > AMOUNT_MAX) return err('amount_out_of_range');
      const sellAmount = input.sellAmount ?? sellAmountFor(requested, minorRate);
      if (sellAmount > AMOUNT_MAX) return err('amount_out_of_range');
      const { bought } = convert(sellAmount, minorRate);
      if (bought === 0n) return err('amount_too_small_to_convert');
      // Selling up to the limit can buy more than the limit (a 64-bit column) at a rate above one.
      if (bought > AMOUNT_MAX) return err('amount_out_of_range');
      const nowMs = clock.nowMs();
      const quote: Quote = {
        id: uuidv7(nowMs), sellCurrency: sell.code, buyCurrency: buy.code, sellAmount, buyAmount: bought, rate: priced.value.rate,
        mid: priced.value.mid, spreadBps: priced.value.spreadBps, createdAtMs: nowMs, expiresAtMs: nowMs + ttl * 1000, usedBy: null,
        requestedBy: input.requestedBy ?? null,
      };
      await writer.insert(quote);
      quotes.set(quote.id, quote);
      return ok(quote);
    },
    async getQuote(id) {
      return quotes.get(id) ?? loadQuote(db, id);
    },
    async claimQuote(tx, id, claimant, nowMs) {
      if (await claimQuote(tx, id, claimant, nowMs)) {
        quotes.delete(id);
        return 'ok';
      }
      return (await loadQuote(tx, id)) ? 'quote_already_used' : 'quote_not_found';
    },
    releaseQuote: (tx, id, claimant) => releaseQuote(tx, id, claimant),
    currency,
    desk,
    queuedQuotes: () => writer.queued(),
    stop: () => writer.stop(),
  };
  return service;
}

/**
 * Group commit for quotes: every quote asked for while a commit is under way waits for the next one,
 * which writes them all. A quote is answered only once it is durable, so a firm price survives a crash.
 */
function createQuoteWriter(db: Database) {
  // On SQLite the next batch is written while the last one is flushed (Database.pipelinedTransaction);
  // its quotes are still answered only once they are on disk.
  const transaction = db.pipelinedTransaction
    ? (work: (tx: Queryable) => Promise<void>) => (db.pipelinedTransaction as NonNullable<Database['pipelinedTransaction']>)(work)
    : async (work: (tx: Queryable) => Promise<void>) => ({ result: await db.transaction(work), durable: Promise.resolve() });
  /** Quotes committed and waiting for their flush: they count against the queue's bound. */
  let flushing = 0;
  let lastFlush: Promise<unknown> = Promise.resolve();
  const queue = createBatchQueue<{ quote: Quote; resolve: () => void; reject: (error: unknown) => void }>({
    maxBatch: FX_LIMITS.writerBatchMax,
    async run(batch) {
      let durable: Promise<void>;
      try {
        ({ durable } = await transaction(async (tx) => {
          for (const item of batch) await insertQuote(tx, item.quote);
        }));
      } catch (error) {
        for (const item of batch) item.reject(error);
        return;
      }
      flushing += batch.length;
      lastFlush = durable.then(
        () => {
          for (const item of batch) item.resolve();
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      ).finally(() => {
        flushing -= batch.length;
      });
    },
  });

  return {
    queued: () => queue.length + flushing,
    insert(quote: Quote): Promise<void> {
      if (queue.length + flushing >= FX_LIMITS.writerQueueMax) return Promise.reject(new FxOverloadedError(`more than ${FX_LIMITS.writerQueueMax} quotes are waiting to be written`));
      return new Promise<void>((resolve, reject) => queue.push({ quote, resolve, reject }));
    },
    async stop() {
      await queue.idle();
      // Flushes complete in commit order, so the last one settles after every earlier one.
      await lastFlush;
    },
  };
}

export class FxOverloadedError extends Error {
  override readonly name = 'FxOverloadedError';
}
