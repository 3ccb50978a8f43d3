import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parseMinorUnits, UUID_PATTERN } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import { FX_ERROR_STATUS, type FxError } from './fx.errors.ts';
import { FX_LIMITS } from './fx.limits.ts';
import type { Quote, RateRecord } from './fx.repository.ts';
import { CURRENCY_PATTERN, formatRate, parseRate, SPREAD_BPS_MAX } from './fx.ts';
import { FxOverloadedError, type FxService } from './fx.service.ts';
import { mayUseQuote } from './fx.access.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['fx'];

const Currency = Type.String({ pattern: CURRENCY_PATTERN, description: 'ISO 4217 currency code with a ledger on this platform.' });
const Mid = Type.String({ maxLength: 32, pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'Mid rate: units of the quote currency per unit of the base currency, as exact decimal text.' });
const Spread = Type.Integer({ minimum: 0, maximum: SPREAD_BPS_MAX, description: 'The desk\'s spread in basis points of the mid rate.' });
const RateBody = Type.Object({ mid: Mid, spread_bps: Type.Optional(Spread) }, { additionalProperties: false });
const RateItem = Type.Object({ base: Currency, quote: Currency, mid: Mid, spread_bps: Type.Optional(Spread) }, { additionalProperties: false });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Positive integer of minor units, as a string.' });
const QuoteBody = Type.Object(
  {
    sell_currency: Currency,
    buy_currency: Currency,
    sell_amount: Type.Optional(Amount),
    buy_amount: Type.Optional(Amount),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: FX_LIMITS.quoteMaxTtlSeconds, description: `How long the price holds; default ${FX_LIMITS.quoteDefaultTtlSeconds} s.` })),
  },
  { additionalProperties: false },
);

const POINTERS: Partial<Record<FxError, string>> = {
  same_currency: '/buy_currency', invalid_rate: '/mid', spread_out_of_range: '/spread_bps', fx_rate_not_available: '/buy_currency',
  amount_too_small_to_convert: '/sell_amount', amount_out_of_range: '/sell_amount', ttl_out_of_range: '/ttl_seconds', unsupported_currency: '/sell_currency',
};

export function fxProblem(code: FxError, pointer = POINTERS[code] ?? '/'): ProblemError {
  const words = code.replace(/_/g, ' ');
  return new ProblemError(FX_ERROR_STATUS[code], code, `refused: ${words}`, [{ pointer, code, detail: words }]);
}

export const renderRate = (record: RateRecord) => ({
  base: record.base, quote: record.quote, mid: record.mid, spread_bps: record.spreadBps, source: record.source, updated_at: record.updatedAt,
});

export const renderQuote = (quote: Quote) => ({
  id: quote.id,
  sell_currency: quote.sellCurrency,
  buy_currency: quote.buyCurrency,
  sell_amount: String(quote.sellAmount),
  buy_amount: String(quote.buyAmount),
  rate: formatRate(quote.rate),
  rate_exact: { numerator: String(quote.rate.numerator), denominator: String(quote.rate.denominator) },
  mid: quote.mid,
  spread_bps: quote.spreadBps,
  created_at: new Date(quote.createdAtMs).toISOString(),
  expires_at: new Date(quote.expiresAtMs).toISOString(),
  used: quote.usedBy !== null,
});

/**
 * The service names the broken rule but not the rate that broke it. The service checks rates in
 * order and stops at the first refusal, so the first rate that breaks the reported rule is the one;
 * this finds it and its field, so a problem about one rate in a batch points at that rate.
 */
async function rateAtFault(fx: FxService, rates: readonly { base: string; quote: string; mid: string }[], error: FxError) {
  for (const [index, rate] of rates.entries()) {
    if (error === 'same_currency' && rate.base === rate.quote) return { index, field: 'quote' };
    if (error === 'unsupported_currency' && !(await fx.currency(rate.base))) return { index, field: 'base' };
    if (error === 'unsupported_currency' && !(await fx.currency(rate.quote))) return { index, field: 'quote' };
    if (error === 'invalid_rate' && !parseRate(rate.mid)) return { index, field: 'mid' };
  }
  return undefined;
}

function overloaded(error: unknown): unknown {
  return error instanceof FxOverloadedError ? new ProblemError(503, 'fx_overloaded', error.message, [], { retryable: true }) : error;
}

export function fxRoutes(platform: Platform) {
  const { fx } = platform;
  const access = { findKey: (id: string) => platform.auth.find(id) };
  return async function register(app: App) {
    app.get('/fx/rates', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'List mid rates and spreads' } }, async () => ({
      data: (await fx.listRates()).map(renderRate),
    }));

    app.put('/fx/rates/:base/:quote', {
      config: { permission: 'manage' },
      schema: { tags: TAGS, summary: 'Set the mid rate and spread of a pair (replaces its inverse)', params: Type.Object({ base: Currency, quote: Currency }), body: RateBody },
    }, async (request) => {
      const { base, quote } = request.params;
      const result = await fx.setRates([{ base, quote, mid: request.body.mid, spreadBps: request.body.spread_bps ?? 0 }], 'api');
      if (!result.ok) {
        // The currencies of this route are in its path, not in the body.
        const fault = await rateAtFault(fx, [{ base, quote, mid: request.body.mid }], result.error);
        throw fxProblem(result.error, fault && fault.field !== 'mid' ? `/params/${fault.field}` : undefined);
      }
      return renderRate(result.value[0] as RateRecord);
    });

    app.post('/fx/rates', {
      config: { permission: 'manage' },
      schema: { tags: TAGS, summary: 'Set many rates at once (all or nothing)', body: Type.Object({ rates: Type.Array(RateItem, { minItems: 1, maxItems: FX_LIMITS.ratesPerRequestMax }) }, { additionalProperties: false }) },
    }, async (request) => {
      const result = await fx.setRates(request.body.rates.map((item) => ({ base: item.base, quote: item.quote, mid: item.mid, spreadBps: item.spread_bps ?? 0 })), 'api');
      if (!result.ok) {
        const fault = await rateAtFault(fx, request.body.rates, result.error);
        throw fxProblem(result.error, fault ? `/rates/${fault.index}/${fault.field}` : '/rates');
      }
      return { data: result.value.map(renderRate) };
    });

    app.post('/fx/quotes', {
      config: { permission: 'write' },
      schema: { tags: TAGS, summary: 'A firm quote: the price holds until it expires and is good for one payment', body: QuoteBody },
    }, async (request, reply) => {
      const body = request.body;
      if ((body.sell_amount === undefined) === (body.buy_amount === undefined)) throw fieldProblem(400, 'one_amount_required', '/sell_amount', 'give exactly one of sell_amount and buy_amount');
      const amount = (text: string | undefined) => (text === undefined ? undefined : parseMinorUnits(text));
      let result;
      try {
        result = await fx.quote({
          sellCurrency: body.sell_currency, buyCurrency: body.buy_currency, sellAmount: amount(body.sell_amount), buyAmount: amount(body.buy_amount), ttlSeconds: body.ttl_seconds,
          requestedBy: request.principal?.id ?? null,
        });
      } catch (error) {
        throw overloaded(error);
      }
      if (!result.ok) {
        const unsupported = result.error === 'unsupported_currency' && (await fx.currency(body.sell_currency)) ? '/buy_currency' : undefined;
        throw fxProblem(result.error, unsupported);
      }
      return reply.status(201).send(renderQuote(result.value));
    });

    app.get('/fx/quotes/:id', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'Get a quote', params: Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false }) },
    }, async (request) => {
      const quote = await fx.getQuote(request.params.id.toLowerCase());
      // Another client's quote answers as one that does not exist (fx.access.ts).
      if (!quote || !(await mayUseQuote(access, request.principal, quote))) throw unknownId('quote_not_found', '/params/id', `no quote ${request.params.id}`);
      return renderQuote(quote);
    });

    app.get('/fx/desk/:currency', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'The desk\'s position and rounding accounts in a currency (fund the position through the ledger)', params: Type.Object({ currency: Currency }) },
    }, async (request) => {
      const desk = await fx.desk(request.params.currency);
      if (!desk.ok) throw fxProblem(desk.error, '/params/currency');
      return { currency: desk.value.currency, ledger: desk.value.ledger, position_account_id: desk.value.position, rounding_account_id: desk.value.rounding };
    });
  };
}
