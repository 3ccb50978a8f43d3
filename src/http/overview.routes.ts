import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { partyScope } from './auth.ts';
import { createPaymentTally } from './payment-tally.ts';
import { ProblemError } from './problem.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

/**
 * Totals for a dashboard: what each ledger has moved, and payments by status and currency. A
 * dashboard polls every few seconds from every open console, so one computation is shared by the
 * requests that arrive while it runs and kept for a short while, and payments are counted
 * incrementally (see payment-tally.ts).
 */
export const OVERVIEW_CACHE_MS = 2_000;

interface OverviewBody {
  readonly at: string;
  readonly ledgers: readonly { ledger: number; currency: string; scale: number; accounts: number; posted: string; pending: string }[];
  readonly payments: {
    readonly counted: number;
    readonly complete: boolean;
    readonly by_status: readonly { status: string; count: number }[];
    readonly by_currency: readonly { currency: string; count: number; settled: number; settled_amount: string }[];
  };
}

export function overviewRoutes(platform: Platform) {
  let cached: { body: OverviewBody; untilMs: number } | null = null;
  let inFlight: Promise<OverviewBody> | null = null;
  const tally = createPaymentTally(platform.payments);

  const compute = async (): Promise<OverviewBody> => {
    const ledgers = await platform.ledger.listLedgers();
    const totals = await platform.ledger.totalsByLedger();
    const payments = await tally.refresh();
    return {
      at: new Date(platform.clock.nowMs()).toISOString(),
      ledgers: totals.map((total) => {
        const ledger = ledgers.find((candidate) => candidate.id === total.ledger);
        return {
          ledger: total.ledger,
          currency: ledger?.assetCode ?? String(total.ledger),
          scale: ledger?.scale ?? 0,
          accounts: total.accounts,
          // Every transfer debits one account of its ledger, so the debits posted over all accounts
          // are the value the ledger has moved.
          posted: String(total.debitsPosted),
          pending: String(total.debitsPending),
        };
      }),
      payments: {
        counted: payments.counted,
        complete: payments.complete,
        by_status: payments.byStatus,
        by_currency: payments.byCurrency.map((row) => ({ currency: row.currency, count: row.count, settled: row.settled, settled_amount: String(row.settledAmount) })),
      },
    };
  };

  const overview = async (): Promise<OverviewBody> => {
    const now = platform.clock.nowMs();
    if (cached && cached.untilMs > now) return cached.body;
    inFlight ??= compute()
      .then((body) => {
        cached = { body, untilMs: platform.clock.nowMs() + OVERVIEW_CACHE_MS };
        return body;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  return async function register(app: App) {
    app.get('/overview', {
      config: { permission: 'read' },
      schema: { tags: ['overview'], summary: 'Totals for dashboards: value moved per ledger, payments by status and by currency' },
    }, async (request) => {
      // Totals over everyone's money are not for a participant, who sees only its own parties.
      if (partyScope(request)) throw new ProblemError(403, 'forbidden', 'the overview covers every party; a participant key sees its own accounts and payments instead');
      return overview();
    });
  };
}
