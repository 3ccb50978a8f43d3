/**
 * Closing and reopening accounts over HTTP, as a sequence of calls: each move the account's state
 * does not allow is refused with a named problem that points at the account in the path, and the
 * account is left as it was.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startSeededApi, uuid, type Api, type Fixture } from '../../../test/http/harness.ts';

describeEachDialect('account close and reopen over HTTP', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => api?.close());

  it('refuses every move the account state does not allow with a 409 naming the account', async () => {
    const account = uuid();
    await api.ok('POST', '/v1/accounts', { id: account, ledger: fixture.ledger, code: 300 }, 201);
    const pending = uuid();
    await api.ok('POST', '/v1/transfers', { id: pending, debit_account_id: fixture.bank, credit_account_id: account, amount: '50', ledger: fixture.ledger, code: 1, flags: ['pending'] }, 201);

    expectProblem(await api.call('POST', `/v1/accounts/${account}/close`, {}), 409, 'account_has_pending_balance', '/params/id');
    expectProblem(await api.call('POST', `/v1/accounts/${account}/reopen`, {}), 409, 'account_not_closed', '/params/id');
    await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pending, flags: ['void_pending'] }, 201);

    const closes = await Promise.all([1, 2].map(() => api.call('POST', `/v1/accounts/${account}/close`, {})));
    expect(closes.map((response) => response.statusCode).sort()).toEqual([200, 409]);
    expectProblem(closes.find((response) => response.statusCode === 409)!, 409, 'account_already_closed', '/params/id');
    expect((await api.ok('GET', `/v1/accounts/${account}`)).flags).toEqual(['closed']);

    await api.ok('POST', `/v1/accounts/${account}/reopen`, {});
    expectProblem(await api.call('POST', `/v1/accounts/${account}/reopen`, {}), 409, 'account_not_closed', '/params/id');
    expect((await api.ok('GET', `/v1/accounts/${account}`)).flags).toEqual([]);
    expectProblem(await api.call('POST', `/v1/accounts/${uuid()}/close`, {}), 404, 'account_not_found', '/params/id');
  });
});
