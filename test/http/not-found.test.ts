import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, startSeededApi, uuid, type Api, type Fixture, type Method } from './harness.ts';
import { callsRoute, openApiOperations } from './openapi-walk.ts';

/** A route with an id in its path, called with an id nobody has: the code it answers, and the parameter it names. */
type Unknown = readonly [method: Method, path: string, code: string, pointer: string, body?: unknown];

/** Per module, a call of each route that looks up an id from its path, with an id that does not exist. */
const UNKNOWN_IDS: Readonly<Record<string, () => Unknown[]>> = {
  ledger: () => [
    ['GET', '/v1/ledgers/999', 'ledger_not_found', '/params/id'],
    ...['', '/balances', '/balances/series', '/history'].map((tail): Unknown => ['GET', `/v1/accounts/${uuid()}${tail}`, 'account_not_found', '/params/id']),
    ...['/close', '/reopen'].map((tail): Unknown => ['POST', `/v1/accounts/${uuid()}${tail}`, 'account_not_found', '/params/id']),
    ['GET', `/v1/transfers/${uuid()}`, 'transfer_not_found', '/params/id'],
  ],
  parties: () => [['GET', '/v1/parties/no-such-party', 'party_not_found', '/params/id']],
  scf: () => {
    const [piece, voucher, program] = [uuid(), uuid(), 'no-such-program'];
    const act = () => ({ id: uuid(), acting_party_id: 'party-alice' });
    return [
      ['GET', `/v1/scf/programs/${program}`, 'program_not_found', '/params/program_id'],
      ['POST', `/v1/scf/programs/${program}/suppliers`, 'program_not_found', '/params/program_id', { supplier_ids: ['party-bob'] }],
      ['GET', `/v1/scf/programs/${program}/overview`, 'program_not_found', '/params/program_id'],
      ['GET', `/v1/scf/programs/${program}/vouchers`, 'program_not_found', '/params/program_id'],
      ['GET', `/v1/scf/vouchers/${voucher}`, 'voucher_not_found', '/params/voucher_id'],
      ['GET', `/v1/scf/vouchers/${voucher}/proof`, 'voucher_not_found', '/params/voucher_id'],
      ['GET', `/v1/scf/vouchers/${voucher}/operations`, 'voucher_not_found', '/params/voucher_id'],
      ['POST', `/v1/scf/vouchers/${voucher}/cancel`, 'voucher_not_found', '/params/voucher_id', act()],
      ['POST', `/v1/scf/vouchers/${voucher}/settle`, 'voucher_not_found', '/params/voucher_id', act()],
      ['GET', `/v1/scf/pieces/${piece}`, 'piece_not_found', '/params/piece_id'],
      ...['sign-off', 'decline', 'repurchase'].map((path): Unknown => ['POST', `/v1/scf/pieces/${piece}/${path}`, 'piece_not_found', '/params/piece_id', act()]),
      ['POST', `/v1/scf/pieces/${piece}/split`, 'piece_not_found', '/params/piece_id', { ...act(), amounts: ['1', '1'] }],
      ['POST', `/v1/scf/pieces/${piece}/transfer`, 'piece_not_found', '/params/piece_id', { ...act(), to_party_id: 'party-bob' }],
      ['POST', `/v1/scf/pieces/${piece}/finance`, 'piece_not_found', '/params/piece_id', { ...act(), bank_id: 'party-bob', annual_rate_bps: 300 }],
      ['POST', `/v1/scf/pieces/${piece}/freeze`, 'piece_not_found', '/params/piece_id', { id: uuid(), reason: 'court order' }],
      ['POST', `/v1/scf/pieces/${piece}/unfreeze`, 'piece_not_found', '/params/piece_id', { id: uuid(), reason: 'lifted' }],
    ];
  },
  payments: () => {
    const [uetr, bic] = [uuid(), 'ZZZZCNBJ'];
    return [
      ['GET', `/v1/payments/${uetr}`, 'payment_not_found', '/params/uetr'],
      ['GET', `/v1/payments/${uetr}/track`, 'payment_not_found', '/params/uetr'],
      ['POST', `/v1/payments/${uetr}/accept`, 'payment_not_found', '/params/uetr'],
      ['POST', `/v1/payments/${uetr}/reject`, 'payment_not_found', '/params/uetr', { reason: 'AC01' }],
      ['POST', `/v1/payments/${uetr}/cancel`, 'payment_not_found', '/params/uetr'],
      ['POST', `/v1/payments/${uetr}/return`, 'payment_not_found', '/params/uetr', { reason: 'AC01' }],
      ['GET', `/v1/payments/${uetr}/messages/pacs.008`, 'payment_not_found', '/params/uetr'],
      ['GET', `/v1/payments/participants/${bic}`, 'participant_not_found', '/params/bic'],
      ['PUT', `/v1/payments/participants/${bic}/currencies/CNY`, 'participant_not_found', '/params/bic', {}],
      ['DELETE', `/v1/payments/webhooks/${uuid()}`, 'webhook_not_found', '/params/id'],
      ['GET', `/v1/payments/webhooks/${uuid()}/deliveries`, 'webhook_not_found', '/params/id'],
    ];
  },
  fx: () => [['GET', `/v1/fx/quotes/${uuid()}`, 'quote_not_found', '/params/id']],
  risk: () => {
    const [hold, ruleset, entry] = [uuid(), uuid(), uuid()];
    return [
      ['GET', `/v1/risk/decisions/${uuid()}`, 'decision_not_found', '/params/id'],
      ['GET', `/v1/risk/holds/${hold}`, 'hold_not_found', '/params/id'],
      ['POST', `/v1/risk/holds/${hold}/release`, 'hold_not_found', '/params/id'],
      ['POST', `/v1/risk/holds/${hold}/reject`, 'hold_not_found', '/params/id', { note: 'no such hold' }],
      ['GET', `/v1/risk/rulesets/${ruleset}`, 'ruleset_not_found', '/params/id'],
      ['PUT', `/v1/risk/rulesets/${ruleset}`, 'ruleset_not_found', '/params/id', { name: 'edited', rules: [], thresholds: { review_at: 1, decline_at: 2 } }],
      ['POST', `/v1/risk/rulesets/${ruleset}/backtest`, 'ruleset_not_found', '/params/id', { days: 1 }],
      ['POST', `/v1/risk/rulesets/${ruleset}/promote`, 'ruleset_not_found', '/params/id', { stage: 'shadow' }],
      ['GET', `/v1/risk/lists/entries/${entry}`, 'entry_not_found', '/params/id'],
      ['DELETE', `/v1/risk/lists/entries/${entry}?reason=gone`, 'entry_not_found', '/params/id'],
      ['DELETE', '/v1/risk/screening/lists/no-such-list', 'list_not_found', '/params/name'],
      ['GET', '/v1/risk/graph/accounts/no-such-account', 'account_not_scored', '/params/id'],
    ];
  },
  cases: () => {
    const id = uuid();
    return [
      ['GET', `/v1/risk/cases/${id}`, 'case_not_found', '/params/id'],
      ['POST', `/v1/risk/cases/${id}/assign`, 'case_not_found', '/params/id', { assignee: 'analyst' }],
      ['POST', `/v1/risk/cases/${id}/notes`, 'case_not_found', '/params/id', { text: 'a note' }],
      ['POST', `/v1/risk/cases/${id}/transition`, 'case_not_found', '/params/id', { to: 'investigating', reason: 'looking' }],
      ['POST', `/v1/risk/cases/${id}/links`, 'case_not_found', '/params/id', { party_ids: ['party-1'] }],
      ['GET', `/v1/risk/cases/${id}/report`, 'case_not_found', '/params/id'],
      ['GET', `/v1/risk/cases/${id}/graph`, 'case_not_found', '/params/id'],
    ];
  },
  admin: () => [
    ['DELETE', '/v1/api-keys/0123456789abcdef', 'api_key_not_found', '/params/id'],
    ['GET', `/v1/journal/verify-jobs/${uuid()}`, 'verify_job_not_found', '/params/id'],
  ],
};

/** Routes with a path parameter that is not an id looked up, each with what it answers instead (docs/errors.md#not-found). */
const NOT_LOOKED_UP: Readonly<Record<string, string>> = {
  'PUT /v1/fx/rates/{base}/{quote}': 'sets a rate: a currency it does not know is 422 unsupported_currency',
  'GET /v1/fx/desk/{currency}': 'a currency the desk does not trade is 422 unsupported_currency at /params/currency',
  'GET /v1/risk/features/accounts/{id}': 'features of any account id, zero for one never seen',
  'GET /v1/scf/parties/{party_id}/pieces': 'a filter: an unknown party holds no pieces (a participant key gets 404 for a party not its own)',
};

const unknownIds = (): Unknown[] => Object.values(UNKNOWN_IDS).flatMap((calls) => calls());

/**
 * Every route that looks up an id from its path answers an id nobody has 404, with the route's own
 * code and `errors[0].pointer` naming the parameter, so a client can tell which id was unknown; a
 * participant key gets the same answer for an object it may not see (docs/errors.md#not-found).
 */
describeEachDialect('a route naming an unknown id', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => api?.close());

  it('answers 404 with the route\'s code and a pointer at the parameter that held the id', async () => {
    for (const [method, path, code, pointer, body] of unknownIds()) {
      const response = await api.call(method, path, body);
      const problem = response.json() as { code?: string; errors?: unknown };
      // Soft, so that one run names every route that answers otherwise.
      expect.soft({ status: response.statusCode, code: problem.code, errors: problem.errors }, `${method} ${path}`)
        .toEqual({ status: 404, code, errors: [{ pointer, code, detail: expect.any(String) }] });
      expect.soft(response.headers['content-type'], `${method} ${path}`).toMatch(/^application\/problem\+json/);
    }
  });

  it('answers a participant the same for an object it may not see as for an unknown id, but for the id', async () => {
    const key = (await api.ok('POST', '/v1/api-keys', { name: 'bob', role: 'participant', party_ids: ['party-bob'] }, 201)).key as string;
    const transfer = uuid();
    await api.ok('POST', '/v1/transfers', { id: transfer, debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '1', ledger: fixture.ledger, code: 1 }, 201);
    type Pair = [path: (id: string) => string, hidden: string, unknown: string, code: string, pointer: string];
    const pairs: Pair[] = [
      ...['', '/balances', '/balances/series', '/history'].map((tail): Pair => [(id) => `/v1/accounts/${id}${tail}`, fixture.alice, uuid(), 'account_not_found', '/params/id']),
      [(id) => `/v1/transfers?account_id=${id}`, fixture.alice, uuid(), 'account_not_found', '/query/account_id'],
      [(id) => `/v1/transfers/${id}`, transfer, uuid(), 'transfer_not_found', '/params/id'],
      [(id) => `/v1/parties/${id}`, 'party-alice', 'no-such-party', 'party_not_found', '/params/id'],
    ];
    for (const [path, hidden, unknown, code, pointer] of pairs) {
      const [hiddenAnswer, unknownAnswer] = [await api.call('GET', path(hidden), undefined, { key }), await api.call('GET', path(unknown), undefined, { key })];
      expectProblem(unknownAnswer, 404, code, pointer);
      expectProblem(hiddenAnswer, 404, code, pointer);
      expect(JSON.parse(hiddenAnswer.body.replaceAll(hidden, 'ID')), path(hidden)).toEqual(JSON.parse(unknownAnswer.body.replaceAll(unknown, 'ID')));
    }
  });

  it('walks every route of the API with a path parameter', async () => {
    const routes = (await openApiOperations(api)).filter((operation) => operation.path.includes('{')).map((operation) => operation.route);
    const called = unknownIds().map(([method, path]) => `${method} ${path}`);
    const walked = (route: string) => called.some((call) => callsRoute(route, call));
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((route) => !walked(route) && !Object.hasOwn(NOT_LOOKED_UP, route))).toEqual([]);
  });
});
