import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { formatRate, parseRate } from './fx.ts';

describeEachDialect('FX desk', ({ open }) => {
  let platform: Platform;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = createManualClock(Date.UTC(2026, 0, 1));
    platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    for (const [id, assetCode, scale] of [[1, 'CNY', 2], [2, 'USD', 2], [3, 'JPY', 0]] as const) {
      expect((await platform.ledger.createLedger({ id, assetCode, scale, name: assetCode })).ok).toBe(true);
    }
  });
  afterAll(async () => platform?.close());

  it('prices both directions of a pair from one mid rate, less the spread', async () => {
    expect((await platform.fx.setRates([{ base: 'USD', quote: 'CNY', mid: '7.2', spreadBps: 100 }], 'test')).ok).toBe(true);
    const sell = await platform.fx.price('USD', 'CNY');
    const buy = await platform.fx.price('CNY', 'USD');
    expect(sell.ok && formatRate(sell.value.rate)).toBe('7.128');
    // 1 / 7.2 = 0.13888…, less 1 %: 0.1375.
    expect(buy.ok && formatRate(buy.value.rate, 6)).toBe('0.1375');
    expect(await platform.fx.price('USD', 'JPY')).toEqual({ ok: false, error: 'fx_rate_not_available' });
    expect(await platform.fx.price('USD', 'EUR')).toEqual({ ok: false, error: 'unsupported_currency' });
  });

  it('refuses rates it cannot use, and changes nothing', async () => {
    expect(await platform.fx.setRates([{ base: 'USD', quote: 'USD', mid: '1', spreadBps: 0 }], 'test')).toEqual({ ok: false, error: 'same_currency' });
    expect(await platform.fx.setRates([{ base: 'USD', quote: 'EUR', mid: '0.9', spreadBps: 0 }], 'test')).toEqual({ ok: false, error: 'unsupported_currency' });
    expect(await platform.fx.setRates([{ base: 'USD', quote: 'JPY', mid: '1.5e2', spreadBps: 0 }], 'test')).toEqual({ ok: false, error: 'invalid_rate' });
    expect(await platform.fx.setRates([{ base: 'USD', quote: 'JPY', mid: '150', spreadBps: 1001 }], 'test')).toEqual({ ok: false, error: 'spread_out_of_range' });
    expect((await platform.fx.listRates()).map((rate) => `${rate.base}/${rate.quote}`)).not.toContain('USD/JPY');
  });

  it('holds a firm quote until it expires, converting with the rounding stated', async () => {
    const quote = await platform.fx.quote({ sellCurrency: 'USD', buyCurrency: 'CNY', sellAmount: 10_001n, ttlSeconds: 60 });
    if (!quote.ok) throw new Error(quote.error);
    // 100.01 USD × 7.128 = 712.87128 CNY: 71287 fen, the rest stated, never paid.
    expect(quote.value.buyAmount).toBe(71_287n);
    expect(quote.value.expiresAtMs - quote.value.createdAtMs).toBe(60_000);
    // The desk's price moves; the quote does not.
    await platform.fx.setRates([{ base: 'USD', quote: 'CNY', mid: '7.5', spreadBps: 0 }], 'test');
    expect(await platform.fx.getQuote(quote.value.id)).toMatchObject({ buyAmount: 71_287n, mid: '7.2' });
    await platform.fx.setRates([{ base: 'USD', quote: 'CNY', mid: '7.2', spreadBps: 100 }], 'test');
  });

  it('quotes for an amount to buy: the least that buys at least that much', async () => {
    const quote = await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', buyAmount: 10_000n });
    if (!quote.ok) throw new Error(quote.error);
    expect(quote.value.buyAmount >= 10_000n).toBe(true);
    const smaller = await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: quote.value.sellAmount - 1n });
    expect(smaller.ok && smaller.value.buyAmount < 10_000n).toBe(true);
    expect(await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 1n })).toEqual({ ok: false, error: 'amount_too_small_to_convert' });
    expect(await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 100n, ttlSeconds: 601 })).toEqual({ ok: false, error: 'ttl_out_of_range' });
  });

  it('lets one claimant execute a quote, once', async () => {
    const quote = await platform.fx.quote({ sellCurrency: 'USD', buyCurrency: 'CNY', sellAmount: 500n });
    if (!quote.ok) throw new Error(quote.error);
    const claim = (claimant: string) => platform.db.transaction((tx) => platform.fx.claimQuote(tx, quote.value.id, claimant, clock.nowMs()));
    expect(await claim('payment-1')).toBe('ok');
    expect(await claim('payment-1')).toBe('ok');
    expect(await claim('payment-2')).toBe('quote_already_used');
    expect(await platform.db.transaction((tx) => platform.fx.claimQuote(tx, '00000000-0000-4000-8000-000000000000', 'x', 0))).toBe('quote_not_found');
  });

  it('loads rates from a file, all or nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fx-rates-'));
    const good = join(dir, 'rates.csv');
    writeFileSync(good, 'base,quote,mid,spread_bps\nUSD,JPY,151.37,20\nCNY,JPY,21.2497,30\n');
    const loaded = await platform.fx.loadRatesFile(good);
    expect(loaded.ok && loaded.value.map((rate) => [rate.base, rate.quote, rate.mid, rate.source])).toEqual([['USD', 'JPY', '151.37', 'file:rates.csv'], ['CNY', 'JPY', '21.2497', 'file:rates.csv']]);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'USD,JPY,152,20\nUSD,XXX,1,0\n');
    expect(await platform.fx.loadRatesFile(bad)).toEqual({ ok: false, error: 'unsupported_currency' });
    expect((await platform.fx.listRates()).find((rate) => rate.base === 'USD' && rate.quote === 'JPY')?.mid).toBe('151.37');
  });
});

describe('rates are exact fractions', () => {
  it('inverts without losing anything', () => {
    const mid = parseRate('7.1234')!;
    expect(formatRate({ numerator: mid.denominator, denominator: mid.numerator }, 12)).toBe('0.140382401662');
  });
});
