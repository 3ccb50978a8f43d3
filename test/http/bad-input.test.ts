/**
 * Bad input over HTTP, on both dialects: every refusal is a 4xx RFC 9457 problem that names the
 * field at fault, and none of them changes the journal, the transfers or any balance.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LIMITS } from '../../src/kernel/index.ts';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, seed, startApi, stateOf, uuid, type Api, type CallOptions, type Fixture, type Method } from './harness.ts';

interface Case {
  readonly name: string;
  readonly method: Method;
  readonly url: string;
  readonly body?: unknown;
  readonly options?: CallOptions;
  readonly status: number;
  readonly code: string;
  /** The pointer some entry of `errors` must carry; omitted for problems about the request as a whole. */
  readonly pointer?: string;
}

/** Builds a cursor the way the API encodes them, around a position it never gave out. */
const cursorOf = (text: string): string => Buffer.from(text).toString('base64url');

describeEachDialect('HTTP API bad input', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let auditorKey: string;
  let aliceKey: string;

  beforeAll(async () => {
    api = await startApi(open);
    fixture = await seed(api);
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    aliceKey = (await api.ok('POST', '/v1/api-keys', { name: 'alice', role: 'participant', party_ids: ['party-alice'] }, 201)).key;
  });
  afterAll(async () => {
    await api.close();
  });

  /** A transfer from alice to bob that the ledger would accept, for mutating one field at a time. */
  const transfer = (overrides: Record<string, unknown> = {}) => ({
    id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '10', ledger: 1, code: 1, ...overrides,
  });

  /** Sends the request and checks the problem, and that nothing in the ledger moved meanwhile. */
  async function refuses(request: Omit<Case, 'name'>): Promise<Record<string, any>> {
    const before = await stateOf(api);
    const response = await api.call(request.method, request.url, request.body, request.options);
    const problem = expectProblem(response, request.status, request.code, request.pointer);
    if (problem.errors !== undefined) {
      for (const error of problem.errors) expect(error).toMatchObject({ pointer: expect.stringMatching(/^\//), code: expect.any(String), detail: expect.any(String) });
    }
    expect(await stateOf(api)).toEqual(before);
    return problem;
  }

  // Each case is built lazily, because the fixture's ids exist only once beforeAll has run.
  const cases: [string, () => Omit<Case, 'name'>][] = [
    ['malformed JSON', () => ({ method: 'POST', url: '/v1/transfers', options: { raw: '{"id": "' }, status: 400, code: 'malformed_json', pointer: '/' })],
    ['an empty JSON body', () => ({ method: 'POST', url: '/v1/transfers', options: { raw: '' }, status: 400, code: 'validation_failed', pointer: '/' })],
    ['a JSON array instead of an object', () => ({ method: 'POST', url: '/v1/transfers', body: [transfer()], status: 400, code: 'validation_failed', pointer: '/' })],
    ['the amount as a number', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: 10 }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['the ledger as a string', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ ledger: '1' }), status: 400, code: 'validation_failed', pointer: '/ledger' })],
    ['a flag that does not exist', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ flags: ['pending', 'instant'] }), status: 400, code: 'validation_failed', pointer: '/flags/1' })],
    ['flags as a string', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ flags: 'pending' }), status: 400, code: 'validation_failed', pointer: '/flags' })],
    ['a repeated flag', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ flags: ['pending', 'pending'] }), status: 400, code: 'validation_failed', pointer: '/flags' })],
    ['an account ledger as a string', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: '1', code: 1 }, status: 400, code: 'validation_failed', pointer: '/ledger' })],
    ['an account flag that does not exist', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: 1, code: 1, flags: ['overdraft'] }, status: 400, code: 'validation_failed', pointer: '/flags/0' })],
    ['a zero amount', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '0' }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['a negative amount', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '-5' }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['a non-numeric amount', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '12.50' }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['an amount with leading zeros', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '007' }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['an amount of 2^63', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '9223372036854775808' }), status: 400, code: 'amount_out_of_range', pointer: '/amount' })],
    ['the largest 19-digit amount', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '9999999999999999999' }), status: 400, code: 'amount_out_of_range', pointer: '/amount' })],
    ['a 30-digit amount', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '123456789012345678901234567890' }), status: 400, code: 'validation_failed', pointer: '/amount' })],
    ['an amount of 2^63 inside a batch', () => ({ method: 'POST', url: '/v1/transfers',
      body: { transfers: [transfer(), transfer(), transfer({ amount: '9223372036854775808' })] }, status: 400, code: 'amount_out_of_range', pointer: '/transfers/2/amount',
    })],
    ['a ledger number beyond u32', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ ledger: 2 ** 32 }), status: 400, code: 'validation_failed', pointer: '/ledger' })],
    ['a code of zero', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ code: 0 }), status: 400, code: 'validation_failed', pointer: '/code' })],
    ['a fractional code', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ code: 1.5 }), status: 400, code: 'validation_failed', pointer: '/code' })],
    ['a transfer id that is no UUID', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ id: 'transfer-1' }), status: 400, code: 'validation_failed', pointer: '/id' })],
    ['a transfer without an id', () => ({ method: 'POST', url: '/v1/transfers', body: (({ id: _, ...rest }) => rest)(transfer()), status: 400, code: 'validation_failed', pointer: '/id' })],
    ['an account on an unknown ledger', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: 99, code: 1 }, status: 422, code: 'ledger_not_found', pointer: '/ledger' })],
    ['an account of an unknown party', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: 1, code: 1, party_id: 'party-ghost' }, status: 422, code: 'party_not_found', pointer: '/party_id' })],
    ['a transfer on an unknown ledger', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ ledger: 99 }), status: 422, code: 'transfer_must_have_the_same_ledger_as_accounts', pointer: '/ledger' })],
    ['an unknown debit account', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ debit_account_id: uuid() }), status: 422, code: 'debit_account_not_found', pointer: '/debit_account_id' })],
    ['an unknown credit account', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ credit_account_id: uuid() }), status: 422, code: 'credit_account_not_found', pointer: '/credit_account_id' })],
    ['accounts on different ledgers', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ credit_account_id: fixture.foreign }), status: 422, code: 'accounts_must_have_the_same_ledger', pointer: '/ledger' })],
    ['a transfer ledger other than its accounts\u2019', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ ledger: 2 }), status: 422, code: 'transfer_must_have_the_same_ledger_as_accounts', pointer: '/ledger' })],
    ['a transfer beyond the debit account\u2019s credits', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: '10001' }), status: 422, code: 'exceeds_credits', pointer: '/amount' })],
    ['the same account on both sides', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ credit_account_id: fixture.alice }), status: 422, code: 'accounts_must_be_different', pointer: '/credit_account_id' })],
    ['a timeout on a plain transfer', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ timeout: 60 }), status: 422, code: 'timeout_reserved_for_pending_transfer', pointer: '/timeout' })],
    ['posting a pending transfer that does not exist', () => ({ method: 'POST', url: '/v1/transfers', body: { id: uuid(), pending_id: uuid(), flags: ['post_pending'] }, status: 422, code: 'pending_transfer_not_found', pointer: '/pending_id' })],
    [`a batch of ${LIMITS.batchMaxItems + 1} transfers`, () => ({ method: 'POST', url: '/v1/transfers',
      body: { transfers: Array.from({ length: LIMITS.batchMaxItems + 1 }, () => transfer({ amount: '1' })) }, status: 400, code: 'validation_failed', pointer: '/transfers',
    })],
    ['an empty batch', () => ({ method: 'POST', url: '/v1/transfers', body: { transfers: [] }, status: 400, code: 'validation_failed', pointer: '/transfers' })],
    ['an unknown top-level field of a batch', () => ({ method: 'POST', url: '/v1/transfers', body: { transfers: [transfer()], dry_run: true }, status: 400, code: 'validation_failed', pointer: '/dry_run' })],
    ['an unknown field of a single transfer', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ currency: 'CNY' }), status: 400, code: 'validation_failed', pointer: '/currency' })],
    ['an unknown field nested in a batch item', () => ({ method: 'POST', url: '/v1/transfers', body: { transfers: [transfer(), transfer({ memo: 'x' })] }, status: 400, code: 'validation_failed', pointer: '/transfers/1/memo' })],
    ['a metadata key with a slash, escaped in the pointer', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ metadata: { 'a/b~c': 'x' } }), status: 400, code: 'validation_failed', pointer: '/metadata/a~1b~0c' })],
    ['a metadata value that is not a string', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ metadata: { order: 7 } }), status: 400, code: 'validation_failed', pointer: '/metadata/order' })],
    ['an unknown field of an account', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: 1, code: 1, balance: '100' }, status: 400, code: 'validation_failed', pointer: '/balance' })],
    ['an unknown field of a party', () => ({ method: 'POST', url: '/v1/parties', body: { id: 'party-x', name: 'X', kind: 'bank', jurisdiction: 'CN', swift: 'X' }, status: 400, code: 'validation_failed', pointer: '/swift' })],
    ['a ledger with an unknown currency and no scale', () => ({ method: 'POST', url: '/v1/ledgers', body: { id: 50, asset_code: 'XYZ', name: 'Unknown' }, status: 400, code: 'scale_required', pointer: '/scale' })],
    ['a ledger redefined with another name', () => ({ method: 'POST', url: '/v1/ledgers', body: { id: 1, asset_code: 'CNY', name: 'Yuan' }, status: 409, code: 'ledger_exists_with_different_name', pointer: '/name' })],
    ['no API key', () => ({ method: 'POST', url: '/v1/transfers', body: transfer(), options: { key: null }, status: 401, code: 'unauthenticated', pointer: '/headers/authorization' })],
    ['a wrong API key', () => ({ method: 'POST', url: '/v1/transfers', body: transfer(), options: { key: `sk_${'A'.repeat(43)}` }, status: 401, code: 'unauthenticated', pointer: '/headers/authorization' })],
    ['a key that is too short to be one', () => ({ method: 'GET', url: '/v1/accounts', options: { key: 'short' }, status: 401, code: 'unauthenticated' })],
    ['an auditor posting a transfer', () => ({ method: 'POST', url: '/v1/transfers', body: transfer(), options: { key: auditorKey }, status: 403, code: 'forbidden' })],
    ['a participant debiting another party\u2019s account', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ debit_account_id: fixture.bob, credit_account_id: fixture.alice }), options: { key: aliceKey }, status: 403, code: 'account_not_owned', pointer: '/debit_account_id' })],
    ['a participant debiting an unknown account', () => ({ method: 'POST', url: '/v1/transfers', body: transfer({ debit_account_id: uuid() }), options: { key: aliceKey }, status: 403, code: 'account_not_owned', pointer: '/debit_account_id' })],
    ['a participant reading another party\u2019s account', () => ({ method: 'GET', url: `/v1/accounts/${fixture.bob}`, options: { key: aliceKey }, status: 404, code: 'account_not_found' })],
    ['a participant reading another party\u2019s balances', () => ({ method: 'GET', url: `/v1/accounts/${fixture.bob}/balances`, options: { key: aliceKey }, status: 404, code: 'account_not_found' })],
    ['a participant opening an account for another party', () => ({ method: 'POST', url: '/v1/accounts', body: { id: uuid(), ledger: 1, code: 1, party_id: 'party-bob' }, options: { key: aliceKey }, status: 403, code: 'party_not_owned', pointer: '/party_id' })],
    ['a cursor this API never gave out', () => ({ method: 'GET', url: '/v1/transfers?cursor=bm90LWEtY3Vyc29y', status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a cursor with characters outside base64url', () => ({ method: 'GET', url: '/v1/accounts?cursor=a%2Bb%2F', status: 400, code: 'validation_failed', pointer: '/query/cursor' })],
    ['a cursor given to the history of an account', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/history?cursor=xyz`, status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a cursor naming a position past 2^64', () => ({ method: 'GET', url: `/v1/transfers?cursor=${cursorOf('v1:99999999999999999999')}`, status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a cursor naming a position of 2^63', () => ({ method: 'GET', url: `/v1/accounts?cursor=${cursorOf('v1:9223372036854775808')}`, status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a history cursor past 2^64', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/history?cursor=${cursorOf('v1:99999999999999999999')}`, status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a party cursor holding a NUL character', () => ({ method: 'GET', url: `/v1/parties?cursor=${cursorOf('v1:\u0000x')}`, status: 400, code: 'invalid_cursor', pointer: '/query/cursor' })],
    ['a journal position beyond 2^63', () => ({ method: 'GET', url: '/v1/journal/entries?after=9999999999999999999', status: 400, code: 'invalid_sequence', pointer: '/query/after' })],
    ['a page larger than allowed', () => ({ method: 'GET', url: `/v1/transfers?limit=${LIMITS.pageMaxItems + 1}`, status: 400, code: 'validation_failed', pointer: '/query/limit' })],
    ['an unknown query parameter', () => ({ method: 'GET', url: '/v1/transfers?colour=red', status: 400, code: 'validation_failed', pointer: '/query/colour' })],
    ['an `at` that is no instant', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=yesterday`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['an `at` of 2^63 nanoseconds', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=9223372036854775808`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['an `at` in month 13', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=2026-13-01T00:00:00Z`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['an `at` without a time zone', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=2026-01-01T00:00:00`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['an `at` on 30 February', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=2026-02-30T00:00:00Z`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['an `at` before 1970', () => ({ method: 'GET', url: `/v1/accounts/${fixture.alice}/balances?at=1969-12-31T23:59:59Z`, status: 400, code: 'invalid_instant', pointer: '/query/at' })],
    ['a `from` in year 0', () => ({ method: 'GET', url: '/v1/transfers?from=0000-01-01T00:00:00Z', status: 400, code: 'invalid_instant', pointer: '/query/from' })],
    ['a `to` in the year 9999', () => ({ method: 'GET', url: '/v1/transfers?to=9999-12-31T23:59:59Z', status: 400, code: 'invalid_instant', pointer: '/query/to' })],
    ['a `from` that is no instant', () => ({ method: 'GET', url: '/v1/transfers?from=last-week', status: 400, code: 'invalid_instant', pointer: '/query/from' })],
    ['a bad UUID in the path of an account', () => ({ method: 'GET', url: '/v1/accounts/not-a-uuid', status: 400, code: 'validation_failed', pointer: '/params/id' })],
    ['a bad UUID in the path of a transfer', () => ({ method: 'GET', url: `/v1/transfers/${uuid()}x`, status: 400, code: 'validation_failed', pointer: '/params/id' })],
    ['a bad UUID in the path of a close', () => ({ method: 'POST', url: '/v1/accounts/123/close', status: 400, code: 'validation_failed', pointer: '/params/id' })],
    ['a ledger id that is no number', () => ({ method: 'GET', url: '/v1/ledgers/one', status: 400, code: 'validation_failed', pointer: '/params/id' })],
    ['an unknown ledger', () => ({ method: 'GET', url: '/v1/ledgers/424242', status: 404, code: 'ledger_not_found' })],
    ['an unknown account', () => ({ method: 'GET', url: `/v1/accounts/${uuid()}`, status: 404, code: 'account_not_found' })],
    ['an unknown transfer', () => ({ method: 'GET', url: `/v1/transfers/${uuid()}`, status: 404, code: 'transfer_not_found' })],
    ['closing an unknown account', () => ({ method: 'POST', url: `/v1/accounts/${uuid()}/close`, status: 404, code: 'account_not_found' })],
    ['a malformed percent-encoding in the path', () => ({ method: 'GET', url: '/v1/accounts/%zz', status: 400, code: 'malformed_url' })],
    ['an overlong path segment', () => ({ method: 'GET', url: `/v1/accounts/${'a'.repeat(500)}/balances`, status: 414, code: 'path_segment_too_long' })],
    ['an unknown route', () => ({ method: 'GET', url: '/v1/nothing-here', status: 404, code: 'route_not_found' })],
    ['a body in another media type', () => ({ method: 'POST', url: '/v1/transfers', options: { raw: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'unsupported_media_type' })],
  ];

  for (const [name, build] of cases) {
    it(`refuses ${name} with a problem and changes nothing`, async () => {
      await refuses(build());
    });
  }

  it('refuses a body over 8 MiB with 413 and changes nothing', async () => {
    const raw = JSON.stringify({ transfers: [transfer({ metadata: { pad: 'x'.repeat(200) } })] }).padEnd(LIMITS.httpBodyMaxBytes + 1, ' ');
    await refuses({ method: 'POST', url: '/v1/transfers', options: { raw }, status: 413, code: 'body_too_large' });
  });

  it('answers a body sent to a path no route serves with 404 before reading it, so no client can make the server parse it', async () => {
    for (const url of ['/nothing-here', '/v1/nothing-here', '/healthz']) {
      for (const key of [null, api.adminKey]) {
        const response = await api.call('POST', url, undefined, { key, raw: '{"not": json' });
        expectProblem(response, 404, 'route_not_found');
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      }
    }
  });

  it('answers 409 and points at the amount when a transfer id is reused with another amount', async () => {
    const body = transfer({ amount: '25' });
    await api.ok('POST', '/v1/transfers', body, 201);
    await refuses({ method: 'POST', url: '/v1/transfers', body: { ...body, amount: '26' }, status: 409, code: 'exists_with_different_amount', pointer: '/amount' });
    await refuses({ method: 'POST', url: '/v1/transfers', body: { ...body, code: 2 }, status: 409, code: 'exists_with_different_code', pointer: '/code' });
    // The original is untouched and still replays.
    expect(await api.ok('POST', '/v1/transfers', body, 200)).toMatchObject({ id: body.id, amount: '25' });
  });

  it('remembers a failed transfer id: the same id fails with its first result even once it could succeed', async () => {
    const body = transfer({ amount: '1000000' });
    await refuses({ method: 'POST', url: '/v1/transfers', body, status: 422, code: 'exceeds_credits', pointer: '/amount' });
    await refuses({ method: 'POST', url: '/v1/transfers', body: { ...body, amount: '1' }, status: 422, code: 'exceeds_credits' });
  });

  it('answers a retried failure from memory without failing the other requests committed with it', async () => {
    const failing = transfer({ amount: '2000000' });
    await refuses({ method: 'POST', url: '/v1/transfers', body: failing, status: 422, code: 'exceeds_credits' });
    // Sent together, the retry and a good transfer share one group-commit batch.
    const good = transfer({ amount: '3' });
    const [retry, booked] = await Promise.all([api.call('POST', '/v1/transfers', failing), api.call('POST', '/v1/transfers', good)]);
    expectProblem(retry, 422, 'exceeds_credits', '/amount');
    expect(booked.statusCode, booked.body).toBe(201);
    // The same failing id twice in one batch fails twice with the same result, and the rest books.
    const twice = transfer({ amount: '3000000' });
    const answer = await api.ok('POST', '/v1/transfers', { transfers: [twice, twice, transfer({ amount: '4' })] });
    expect(answer.results.map((result: { result: string }) => result.result)).toEqual(['exceeds_credits', 'exceeds_credits', 'ok']);
    expect((await api.ok('GET', '/v1/journal/verify')).ok).toBe(true);
  });

  it('names the failing item in the detail of a single transfer without a batch prefix', async () => {
    const problem = await refuses({ method: 'POST', url: '/v1/transfers', body: transfer({ amount: 10 }), status: 400, code: 'validation_failed', pointer: '/amount' });
    expect(problem.detail).not.toContain('/transfers/0');
    expect(problem.detail).toContain('/amount');
  });
});
