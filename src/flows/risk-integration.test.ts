import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, seed, startApi, uuid, type Api, type Fixture } from '../../test/http/harness.ts';

/**
 * The decision path with the platform's own parts, as an operator sets it up through the API: a
 * ruleset drafted, backtested and made live in the rules engine, feature windows that count what
 * was booked, and a block list. No stand-ins.
 */
describeEachDialect('risk control end to end', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  beforeAll(async () => {
    api = await startApi(open);
    fixture = await seed(api);
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '90000', ledger: 1, code: 1 }, 201);
    const draft = await api.ok('POST', '/v1/risk/rulesets', {
      name: 'integration',
      thresholds: { review_at: 50, decline_at: 100 },
      rules: [
        { id: 'large', name: 'Large amount', expression: 'event.amount >= 20000', score: 60, reason: 'at least 200.00' },
        { id: 'burst', name: 'Burst', expression: 'features.account_out_count_1m >= 3.0', outcome: 'decline', reason: 'three transfers within a minute already' },
        { id: 'blocked', name: 'Blocked', expression: 'lists.blocked', outcome: 'decline', reason: 'on the block list' },
      ],
    }, 201);
    await api.ok('POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 1 });
    await api.ok('POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' });
  });
  afterAll(async () => api?.close());

  const transfer = (amount: string) => ({ id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount, ledger: 1, code: 1 });

  it('holds what the live ruleset scores for review, naming the ruleset and the rule', async () => {
    const held = await api.ok('POST', '/v1/transfers', transfer('25000'), 201);
    expect(held).toMatchObject({ flags: ['pending'], risk: { outcome: 'review' } });
    const decision = await api.ok('GET', `/v1/risk/decisions/${held.risk.decision_id}`);
    expect(decision).toMatchObject({ outcome: 'review', score: 60, ruleset: { version: expect.any(Number) }, fired: [{ rule_id: 'large', reason: 'at least 200.00' }] });
    await api.ok('POST', `/v1/risk/holds/${held.id}/reject`, { note: 'not the customer' });
  });

  it('declines once the feature windows count a burst of booked transfers', async () => {
    api.clock.advance(120_000);
    for (let index = 0; index < 3; index++) await api.ok('POST', '/v1/transfers', transfer('10'), 201);
    const problem = expectProblem(await api.call('POST', '/v1/transfers', transfer('10')), 422, 'risk_declined');
    const decision = await api.ok('GET', `/v1/risk/decisions/${problem.decision_id}`);
    expect(decision.reasons).toEqual(['Burst: three transfers within a minute already']);
    expect(decision.variables.features.account_out_count_1m).toBe(3);
  });

  it('declines a transfer to a block-listed account, with the list entry as the reason', async () => {
    api.clock.advance(120_000);
    await api.ok('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: fixture.bob, reason: 'confirmed mule' }, 201);
    const problem = expectProblem(await api.call('POST', '/v1/transfers', transfer('10')), 422, 'risk_declined');
    const decision = await api.ok('GET', `/v1/risk/decisions/${problem.decision_id}`);
    expect(decision.reasons[0]).toBe(`block list: account ${fixture.bob}: confirmed mule`);
    expect(decision.list_hits).toMatchObject([{ list: 'block', kind: 'account', value: fixture.bob }]);
  });

  it('gives a backtest the decisions taken so far to replay', async () => {
    const draft = await api.ok('POST', '/v1/risk/rulesets', {
      name: 'stricter', thresholds: { review_at: 5, decline_at: 100 }, rules: [{ id: 'any', name: 'Any amount', expression: 'event.amount > 0', score: 10, reason: 'everything' }],
    }, 201);
    const tested = await api.ok('POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 1 });
    expect(tested.backtest.decisions).toBeGreaterThanOrEqual(6);
    expect(tested.backtest.rule_hits).toEqual([{ rule_id: 'any', hits: tested.backtest.decisions }]);
  });
});
