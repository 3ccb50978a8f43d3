import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, startSeededApi, stateOf, uuid, type Api, type Fixture } from '../../test/http/harness.ts';
import { pointerToNul } from './validation.ts';

/**
 * A NUL character anywhere in a JSON body is refused at the edge with a 400 that points at it. On
 * PostgreSQL such text used to reach the database and fail there as a 500 (ledger, party and key
 * names, list reasons, ruleset names); on SQLite it was stored and later broke XML messages.
 */
describeEachDialect('NUL characters in request bodies', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => api?.close());

  it('refuses NUL in any text field with a 400 naming the field, and stores nothing', async () => {
    const before = await stateOf(api);
    expectProblem(await api.call('POST', '/v1/ledgers', { id: 9, asset_code: 'EUR', name: 'Euro\u0000' }), 400, 'validation_failed', '/name');
    expectProblem(await api.call('POST', '/v1/parties', { id: 'nul', name: 'A\u0000B', kind: 'individual', jurisdiction: 'CN' }), 400, 'validation_failed', '/name');
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'key\u0000', role: 'auditor' }), 400, 'validation_failed', '/name');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'device', value: 'd1', reason: '\u0000' }), 400, 'validation_failed', '/reason');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { name: 'r\u0000', rules: [], thresholds: { review_at: 1, decline_at: 2 } }), 400, 'validation_failed', '/name');
    const transfer = { id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '1', ledger: 1, code: 1, metadata: { note: 'a\u0000' } };
    expectProblem(await api.call('POST', '/v1/transfers', { transfers: [transfer] }), 400, 'validation_failed', '/transfers/0/metadata/note');
    expectProblem(await api.call('POST', '/v1/transfers', transfer), 400, 'validation_failed', '/metadata/note');
    expect(await stateOf(api)).toEqual(before);
    expect(await api.platform.parties.get('nul')).toBeUndefined();
  });

  it('still takes a backslash followed by u0000 as plain text', async () => {
    const party = await api.ok('POST', '/v1/parties', { id: 'slash', name: 'A\\u0000B', kind: 'individual', jurisdiction: 'CN' }, 201);
    expect(party.name).toBe('A\\u0000B');
  });
});

describeEachDialect('fields that take one of a list of words', ({ open }) => {
  let api: Api;
  beforeAll(async () => ({ api } = await startSeededApi(open)));
  afterAll(async () => api?.close());

  it('refuses a word not in the list with one error that names the field and lists the words', async () => {
    const problem = expectProblem(await api.call('POST', `/v1/payments/${uuid()}/return`, { reason: 'XX' }), 400, 'validation_failed', '/reason');
    expect(problem.errors).toEqual([{ pointer: '/reason', code: 'invalid_enum', detail: 'must be one of AC01, AC03, AC04, AC06, AG01, AM05, BE04, CUST, FOCR, FRAD, MD07, MS02, MS03, NARR, RR04' }]);
    expect(problem.detail).toBe('/reason must be one of AC01, AC03, AC04, AC06, AG01, AM05, BE04, CUST, FOCR, FRAD, MD07, MS02, MS03, NARR, RR04');
    const query = expectProblem(await api.call('GET', '/v1/payments?status=DONE'), 400, 'validation_failed', '/query/status');
    expect(query.errors).toHaveLength(1);
    expect(query.errors[0].detail).toMatch(/^must be one of RCVD, /);
    const kind = expectProblem(await api.call('GET', `/v1/payments/${uuid()}/messages/pacs.009`), 400, 'validation_failed', '/params/kind');
    expect(kind.errors).toEqual([{ pointer: '/params/kind', code: 'invalid_enum', detail: 'must be one of pacs.008, pacs.002, pacs.004' }]);
  });
});

it('finds NUL in property names and deep inside arrays, with escaped pointers', () => {
  expect(pointerToNul({ a: [1, { 'b/c': ['x', 'y\u0000'] }] })).toBe('/a/1/b~1c/1');
  expect(pointerToNul({ 'k\u0000': 'v' })).toBe('/k\u0000');
  expect(pointerToNul('\u0000')).toBe('/');
  expect(pointerToNul({ a: 'clean', b: [null, 1, true] })).toBeUndefined();
  const deep: unknown[] = [];
  let inner = deep;
  for (let depth = 0; depth < 100_000; depth += 1) inner = (inner[0] = []) as unknown[];
  inner.push('\u0000');
  expect(pointerToNul(deep)?.length).toBe(200_002);
});
