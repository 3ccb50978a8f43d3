import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../db/index.ts';
import { openSlowDiskSqlite } from '../../db/slow-disk.test-support.ts';
import { createManualClock } from '../../kernel/index.ts';
import { fxMigrations } from './fx.migrations.ts';
import { createFxService, type FxService } from './fx.service.ts';

/**
 * Firm quotes are answered only once they are on disk, also now that the quote writer writes its
 * next batch while the last one is being flushed. The service runs on an in-memory SQLite whose
 * commits reach "the disk" only when the test says so (openSlowDiskSqlite), and on a ledger that
 * knows two currencies.
 */

const ledger = {
  listLedgers: async () => [
    { id: 1, assetCode: 'CNY', scale: 2 },
    { id: 2, assetCode: 'USD', scale: 2 },
  ] as never,
  createAccounts: async (requests: readonly { id: string }[]) => requests.map((request) => ({ id: request.id, result: 'ok' as const })) as never,
};
const settledSoon = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('FX quotes on a database that flushes apart from its commits', () => {
  let disk: ReturnType<typeof openSlowDiskSqlite>;
  let fx: FxService;
  const open = async () => {
    disk = openSlowDiskSqlite();
    await migrate(disk.db, fxMigrations);
    fx = createFxService({ db: disk.db, ledger, clock: createManualClock(Date.UTC(2026, 0, 1)) });
    await disk.db.transaction(async (tx) => {
      await tx.run("INSERT INTO fx_rates (base, quote, mid, spread_bps, source, updated_at) VALUES ('USD', 'CNY', '7.2', 25, 'test', '2026-01-01T00:00:00.000Z')");
    });
  };
  afterEach(async () => {
    disk.flush();
    await fx.stop();
    await disk.close();
  });

  it('writes the next batch while the last is flushed, and answers each quote only once it is on disk', async () => {
    await open();
    let answered = 0;
    const first = fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 100_000n }).then((quote) => (answered += 1, quote));
    await settledSoon();
    const second = fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 200_000n }).then((quote) => (answered += 1, quote));
    await settledSoon();
    // Both batches committed, neither on disk: nobody has a quote yet.
    expect(disk.commits()).toBe(2);
    expect(answered).toBe(0);
    disk.flush();
    const quotes = [await first, await second];
    expect(quotes.map((quote) => quote.ok && quote.value.sellAmount)).toEqual([100_000n, 200_000n]);
    for (const quote of quotes) if (quote.ok) expect((await fx.getQuote(quote.value.id))?.id).toBe(quote.value.id);
  });

  it('fails the quotes of a batch the disk did not confirm', async () => {
    await open();
    const quote = fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 100_000n });
    await settledSoon();
    disk.flush(new Error('disk gone'));
    await expect(quote).rejects.toThrow('disk gone');
  });

  it('stop() returns only once the quotes being flushed have been answered', async () => {
    await open();
    let answered = false;
    const quote = fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 100_000n }).then(() => (answered = true));
    await settledSoon();
    let stopped = false;
    const stopping = fx.stop().then(() => (stopped = true));
    await settledSoon();
    expect(stopped).toBe(false);
    disk.flush();
    await stopping;
    await quote;
    expect(answered).toBe(true);
  });
});
