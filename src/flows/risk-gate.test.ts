import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, seed, stateOf, uuid, type Fixture } from '../../test/http/harness.ts';
import { byAmount } from '../modules/risk/risk.test-support.ts';
import { createRiskService, NO_FEATURES, NO_LISTS } from '../modules/risk/index.ts';
import { createTransferGate } from './risk-gate.ts';
import { balancesOf, startRiskApi, type RiskApi } from './risk-gate.test-support.ts';

describeEachDialect('risk gate on POST /v1/transfers', ({ open }) => {
  let api: RiskApi;
  let fixture: Fixture;
  beforeAll(async () => {
    api = await startRiskApi(open);
    fixture = await seed(api);
    // Alice may spend up to 10,000; the bank funds her again whenever a test needs more.
  });
  afterAll(async () => api?.close());
  beforeEach(async () => {
    api.rules.script = () => 'approve';
    await api.ok('PUT', '/v1/risk/settings', { enabled: true, fail_mode: 'closed', codes: [], exempt_codes: [], channels: [], exempt_channels: [] });
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '5000', ledger: 1, code: 1 }, 201);
    api.rules.script = byAmount(3_000n, 4_000n);
  });

  const transfer = (amount: string, extra: Record<string, unknown> = {}) => ({ id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount, ledger: 1, code: 1, ...extra });

  it('books nothing for a declined transfer and answers risk_declined with the decision, also when retried', async () => {
    const before = await stateOf(api);
    const request = transfer('4500');
    const problem = expectProblem(await api.call('POST', '/v1/transfers', request), 422, 'risk_declined', '/id');
    expect(problem.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await stateOf(api)).toEqual(before);
    const decision = await api.ok('GET', `/v1/risk/decisions/${problem.decision_id}`);
    expect(decision).toMatchObject({ outcome: 'decline', event_id: request.id, source: 'transfer', reasons: ['Force decline: scripted decline'], event: { amount: '4500', channel: 'api', debit_party_id: 'party-alice', credit_country: 'HK' } });
    // The same request again gets the first answer, even once the rules would approve it.
    api.rules.script = () => 'approve';
    const again = expectProblem(await api.call('POST', '/v1/transfers', request), 422, 'risk_declined');
    expect(again.decision_id).toBe(problem.decision_id);
    expect(await stateOf(api)).toEqual(before);
  });

  it('answers a retried approved transfer as the ledger does and logs no second decision, in this process or another', async () => {
    api.rules.script = () => 'approve';
    const decisionsOf = async (id: string) => {
      await api.platform.risk.flush();
      const feed = await api.ok('GET', '/v1/risk/decisions?order=desc&limit=100');
      return feed.data.filter((decision: { event_id: string }) => decision.event_id === id);
    };
    const request = transfer('20');
    await api.ok('POST', '/v1/transfers', request, 201);
    // Retried at once, while the approval still waits to be written, and once it is written; the
    // rules meanwhile would decline it: the first decision stands and nothing is evaluated again.
    api.rules.script = () => 'decline';
    const seen = api.rules.seen.length;
    await api.ok('POST', '/v1/transfers', request, 200);
    expect(await decisionsOf(request.id)).toMatchObject([{ outcome: 'approve' }]);
    await api.ok('POST', '/v1/transfers', request, 200);
    expect(api.rules.seen.length).toBe(seen);
    expect(await decisionsOf(request.id)).toHaveLength(1);

    // Another process (or this one restarted) remembers nothing: it evaluates the retry, the ledger
    // answers that it booked the transfer before, and the fresh evaluation is not logged.
    api.rules.script = () => 'approve';
    const { platform } = api;
    const risk = createRiskService({ db: platform.db, clock: platform.clock, rules: api.rules, features: NO_FEATURES, lists: NO_LISTS, report: () => undefined });
    await risk.start();
    const other = createTransferGate({ risk, ledger: platform.ledger, parties: platform.parties, clock: platform.clock });
    const [answer] = await other.createTransfers([{ id: request.id, debitAccountId: fixture.alice, creditAccountId: fixture.bob, amount: 20n, ledger: 1, code: 1, flags: 0 }], { channel: 'api' });
    expect(answer).toMatchObject({ result: 'ok', replayed: true });
    expect(api.rules.seen.length).toBe(seen + 1);
    await risk.stop();
    expect(await decisionsOf(request.id)).toHaveLength(1);
  });

  it('answers a retried approved transfer as the ledger does when another process would now hold or decline it, logging nothing', async () => {
    api.rules.script = () => 'approve';
    const request = transfer('30');
    await api.ok('POST', '/v1/transfers', request, 201);
    await api.platform.risk.flush();
    const { platform } = api;
    for (const verdict of ['review', 'decline'] as const) {
      // A process that remembers nothing evaluates the retry afresh, and its rules now object.
      api.rules.script = () => verdict;
      const risk = createRiskService({ db: platform.db, clock: platform.clock, rules: api.rules, features: NO_FEATURES, lists: NO_LISTS, report: () => undefined });
      await risk.start();
      const other = createTransferGate({ risk, ledger: platform.ledger, parties: platform.parties, clock: platform.clock });
      const [answer] = await other.createTransfers([{ id: request.id, debitAccountId: fixture.alice, creditAccountId: fixture.bob, amount: 30n, ledger: 1, code: 1, flags: 0 }], { channel: 'api' });
      expect(answer).toEqual(expect.objectContaining({ result: 'ok', replayed: true }));
      expect(answer).not.toHaveProperty('holdId');
      expect(answer).not.toHaveProperty('decisionId');
      await risk.stop();
    }
    await api.platform.risk.flush();
    const feed = await api.ok('GET', '/v1/risk/decisions?order=desc&limit=100');
    expect(feed.data.filter((decision: { event_id: string }) => decision.event_id === request.id)).toMatchObject([{ outcome: 'approve' }]);
    expect((await api.ok('GET', '/v1/risk/holds')).data.map((hold: { id: string }) => hold.id)).not.toContain(request.id);
  });

  it('holds a reviewed transfer as pending until it is released, then posts it', async () => {
    const alice = await balancesOf(api, fixture.alice);
    const request = transfer('3500');
    const held = await api.ok('POST', '/v1/transfers', request, 201);
    expect(held).toMatchObject({ id: request.id, flags: ['pending'], timeout: 0, risk: { outcome: 'review', hold_id: request.id, decision_id: expect.any(String) } });
    expect(await balancesOf(api, fixture.alice)).toMatchObject({ debitsPending: alice.debitsPending + 3_500n, debitsPosted: alice.debitsPosted });
    const list = await api.ok('GET', '/v1/risk/holds');
    expect(list.data.map((hold: { id: string }) => hold.id)).toContain(request.id);
    // The owner cannot post around the review.
    const post = { id: uuid(), pending_id: request.id, flags: ['post_pending'] };
    expectProblem(await api.call('POST', '/v1/transfers', post), 409, 'held_for_review', '/pending_id');
    // A retry of the first request answers the same hold.
    expect(await api.ok('POST', '/v1/transfers', request, 200)).toMatchObject({ flags: ['pending'], risk: { hold_id: request.id } });

    const released = await api.ok('POST', `/v1/risk/holds/${request.id}/release`, { note: 'customer confirmed by phone' });
    expect(released).toMatchObject({ status: 'released', resolved_by: expect.any(String), note: 'customer confirmed by phone', detail: 'posted 1 transfer(s)' });
    expect(await balancesOf(api, fixture.alice)).toMatchObject({ debitsPending: alice.debitsPending, debitsPosted: alice.debitsPosted + 3_500n });
    expect((await api.ok('GET', `/v1/transfers/${request.id}`)).pending_status).toBe('posted');
    // The same key asking again gets the release as kept; a rejection now is refused.
    expect(await api.ok('POST', `/v1/risk/holds/${request.id}/release`, {})).toEqual(released);
    expectProblem(await api.call('POST', `/v1/risk/holds/${request.id}/reject`, {}), 409, 'hold_not_held');
  });

  it('voids a reviewed transfer that is rejected, giving the funds back', async () => {
    const alice = await balancesOf(api, fixture.alice);
    const request = transfer('3100');
    await api.ok('POST', '/v1/transfers', request, 201);
    const rejected = await api.ok('POST', `/v1/risk/holds/${request.id}/reject`, {});
    expect(rejected).toMatchObject({ status: 'rejected', detail: 'voided 1 transfer(s)' });
    expect(await balancesOf(api, fixture.alice)).toEqual(alice);
    expect((await api.ok('GET', `/v1/transfers/${request.id}`)).pending_status).toBe('voided');
    expect((await api.ok('GET', '/v1/risk/holds?status=rejected')).data.map((hold: { id: string }) => hold.id)).toContain(request.id);
  });

  it('fails a whole linked chain when one of its transfers is declined, and books the rest of the batch', async () => {
    const before = await balancesOf(api, fixture.bob);
    const [first, declined, alone] = [transfer('100', { flags: ['linked'] }), transfer('4100'), transfer('200')];
    const answer = await api.ok('POST', '/v1/transfers', { transfers: [first, declined, alone] });
    expect(answer.results.map((item: { result: string }) => item.result)).toEqual(['linked_event_failed', 'risk_declined', 'ok']);
    expect(answer.results[1].decision_id).toEqual(expect.any(String));
    expect(await balancesOf(api, fixture.bob)).toMatchObject({ creditsPosted: before.creditsPosted + 200n });
    expect((await api.call('GET', `/v1/transfers/${first.id}`)).statusCode).toBe(404);
  });

  it('holds a whole linked chain when one of its transfers is reviewed, and releases it as one', async () => {
    const bob = await balancesOf(api, fixture.bob);
    const [small, reviewed] = [transfer('150', { flags: ['linked'] }), transfer('3200')];
    const answer = await api.ok('POST', '/v1/transfers', { transfers: [small, reviewed] });
    expect(answer.results).toMatchObject([{ result: 'ok', hold_id: small.id }, { result: 'ok', hold_id: small.id, decision_id: expect.any(String) }]);
    expect(await balancesOf(api, fixture.bob)).toMatchObject({ creditsPending: bob.creditsPending + 3_350n, creditsPosted: bob.creditsPosted });
    const hold = await api.ok('GET', `/v1/risk/holds/${small.id}`);
    expect(hold.transfers).toEqual([{ id: small.id, on_release: 'post' }, { id: reviewed.id, on_release: 'post' }]);
    await api.ok('POST', `/v1/risk/holds/${small.id}/release`, {});
    expect(await balancesOf(api, fixture.bob)).toMatchObject({ creditsPending: bob.creditsPending, creditsPosted: bob.creditsPosted + 3_350n });
  });

  it('fails closed or open, as configured, when the rules engine throws', async () => {
    api.rules.script = () => 'throw';
    const declined = expectProblem(await api.call('POST', '/v1/transfers', transfer('10')), 422, 'risk_declined');
    expect(await api.ok('GET', `/v1/risk/decisions/${declined.decision_id}`)).toMatchObject({ outcome: 'decline', fail_mode: 'closed' });
    await api.ok('PUT', '/v1/risk/settings', { fail_mode: 'open' });
    const booked = transfer('10');
    await api.ok('POST', '/v1/transfers', booked, 201);
    const feed = await api.ok('GET', '/v1/risk/decisions?order=desc&limit=5');
    expect(feed.data.find((decision: { event_id: string }) => decision.event_id === booked.id)).toMatchObject({ outcome: 'approve', fail_mode: 'open' });
  });

  it('lets exempt codes, channels outside the settings and a disabled gate through without a decision', async () => {
    api.rules.script = () => 'decline';
    await api.ok('PUT', '/v1/risk/settings', { exempt_codes: [7] });
    const exempt = transfer('10', { code: 7 });
    await api.ok('POST', '/v1/transfers', exempt, 201);
    await api.ok('PUT', '/v1/risk/settings', { exempt_codes: [], channels: ['api'] });
    const batch = await api.ok('POST', '/v1/transfers', { transfers: [transfer('10')] });
    expect(batch.results[0].result).toBe('ok');
    expectProblem(await api.call('POST', '/v1/transfers', transfer('10')), 422, 'risk_declined');
    await api.ok('PUT', '/v1/risk/settings', { channels: [], enabled: false });
    const off = transfer('10');
    await api.ok('POST', '/v1/transfers', off, 201);
    await api.platform.risk.flush();
    const logged = (await api.ok('GET', '/v1/risk/decisions?order=desc&limit=100')).data.map((decision: { event_id: string }) => decision.event_id);
    for (const id of [exempt.id, batch.results[0].id, off.id]) expect(logged).not.toContain(id);
  });

  it('leaves a transfer the ledger refuses for its shape to the ledger, undecided', async () => {
    api.rules.script = () => 'decline';
    expectProblem(await api.call('POST', '/v1/transfers', transfer('10', { credit_account_id: fixture.alice })), 422, 'accounts_must_be_different');
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), amount: '10', ledger: 1, code: 1 }), 422, 'debit_account_id_must_not_be_zero');
  });

  it('does not evaluate posting or voiding a pending transfer, which moves nothing new', async () => {
    api.rules.script = () => 'approve';
    const pending = transfer('3900', { flags: ['pending'], timeout: 3600 });
    await api.ok('POST', '/v1/transfers', pending, 201);
    api.rules.script = () => 'decline';
    await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pending.id, flags: ['post_pending'] }, 201);
    expect((await api.ok('GET', `/v1/transfers/${pending.id}`)).pending_status).toBe('posted');
  });

  it('keeps a client-requested pending transfer under review guarded, and lets its owner post it once released', async () => {
    const pending = transfer('3300', { flags: ['pending'], timeout: 3600 });
    expect(await api.ok('POST', '/v1/transfers', pending, 201)).toMatchObject({ flags: ['pending'], timeout: 3600, risk: { hold_id: pending.id } });
    const post = { id: uuid(), pending_id: pending.id, flags: ['post_pending'] };
    expectProblem(await api.call('POST', '/v1/transfers', post), 409, 'held_for_review');
    expect(await api.ok('POST', `/v1/risk/holds/${pending.id}/release`, {})).toMatchObject({ status: 'released', transfers: [{ id: pending.id, on_release: 'keep' }] });
    await api.ok('POST', '/v1/transfers', post, 201);
  });

  it('answers bad or forbidden risk requests with problems naming the field', async () => {
    expectProblem(await api.call('PUT', '/v1/risk/settings', { fail_mode: 'sideways' }), 400, 'validation_failed', '/fail_mode');
    expectProblem(await api.call('PUT', '/v1/risk/settings', { budget_ms: 0 }), 400, 'validation_failed', '/budget_ms');
    expectProblem(await api.call('POST', '/v1/risk/holds/unknown-hold/release', {}), 404, 'hold_not_found');
    expectProblem(await api.call('GET', '/v1/risk/decisions/0190a000-0000-7000-8000-000000000000'), 404, 'decision_not_found');
    const analyst = await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201);
    expectProblem(await api.call('PUT', '/v1/risk/settings', { enabled: false }, { key: analyst.key }), 403, 'forbidden');
    expect((await api.call('GET', '/v1/risk/settings', undefined, { key: analyst.key })).statusCode).toBe(200);
  });
});
