import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, uuid } from '../../test/http/harness.ts';
import { setUpNetwork, type Network } from '../modules/payments/payments.http.test-support.ts';
import { byAmount } from '../modules/risk/risk.test-support.ts';
import { balancesOf, startRiskApi, type RiskApi } from './risk-gate.test-support.ts';

/** Payments are decided before settlement: declined ones book nothing, reviewed ones wait with their legs reserved. */
describeEachDialect('risk gate on payments', ({ open }) => {
  let api: RiskApi;
  let network: Network;
  beforeAll(async () => {
    api = await startRiskApi(open);
    network = await setUpNetwork(api);
  });
  afterAll(async () => api?.close());
  beforeEach(() => {
    // Funding transfers pass; payments of 3,000.00 or more are reviewed, of 40,000.00 or more declined.
    const payments = byAmount(300_000n, 4_000_000n);
    api.rules.script = (variables) => (variables.event.channel === 'payments' ? payments(variables) : 'approve');
  });

  async function pay(amount: string, extra: Record<string, unknown> = {}) {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 10_000_000n), await network.customer(network.banks.us, 'CNY')];
    const body = { id: uuid(), end_to_end_id: `E2E-${amount}`, debtor_account: from.id, creditor_account: to.identifier, amount, currency: 'CNY', charge_bearer: 'SHAR', ...extra };
    return { from, to, response: await api.call('POST', '/v1/payments', body) };
  }

  it('rejects a declined payment with FRAD and books nothing', async () => {
    const { from, to, response } = await pay('5000000');
    const problem = expectProblem(response, 422, 'risk_declined');
    expect(problem).toMatchObject({ payment_status: 'RJCT', reason_code: 'FRAD' });
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n, creditsPosted: 10_000_000n });
    expect(await network.balance(to.id)).toBe(0n);
    const track = await api.ok('GET', `/v1/payments/${problem.uetr}/track`);
    expect(track.events.map((event: { status: string; reason_code: string | null }) => [event.status, event.reason_code])).toEqual([['RCVD', null], ['ACTC', null], ['RJCT', 'FRAD']]);
  });

  it('holds a reviewed payment with its legs reserved until the review releases it, and only the review may', async () => {
    const { from, to, response } = await pay('350000');
    expect(response.statusCode, response.body).toBe(201);
    const held = response.json();
    // Reserved, but the creditor agent is not instructed while an analyst may still stop it.
    expect(held).toMatchObject({ status: 'ACTC', reached_creditor_agent_at: null });
    expect(held.messages.map((message: { kind: string }) => message.kind)).not.toContain('pacs.008');
    expectProblem(await api.call('GET', `/v1/payments/${held.uetr}/messages/pacs.008`), 404);
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPosted: 0n, debitsPending: BigInt(held.debited.amount) });
    expectProblem(await api.call('POST', `/v1/payments/${held.uetr}/accept`), 409, 'payment_held_for_review');
    const hold = await api.ok('GET', `/v1/risk/holds/${held.uetr}`);
    expect(hold).toMatchObject({ kind: 'payment', status: 'held', amount: '350000', currency: 'CNY', debit_account_id: from.id });
    // Posting a leg through the ledger API would settle around the review.
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), pending_id: hold.transfers[0].id, flags: ['post_pending'] }), 409, 'held_for_review');
    // Nothing times the hold out: only an analyst ends it.
    api.clock.advance(30 * 86_400_000);
    await api.platform.payments.expireDue();
    expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe('ACTC');

    expect(await api.ok('POST', `/v1/risk/holds/${held.uetr}/release`, {})).toMatchObject({ status: 'released', detail: 'settled (ACCC)' });
    const settled = await api.ok('GET', `/v1/payments/${held.uetr}`);
    expect(settled.status).toBe('ACCC');
    // Instructed on release: the pacs.008 and the arrival at the creditor agent date from then.
    expect(settled.messages.map((message: { kind: string }) => message.kind)).toEqual(['pacs.008', 'pacs.002']);
    expect(Date.parse(settled.reached_creditor_agent_at)).toBeGreaterThanOrEqual(Date.parse(held.received_at) + 30 * 86_400_000);
    const track = await api.ok('GET', `/v1/payments/${held.uetr}/track`);
    expect(track.events.map((event: { status: string }) => event.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    expect((await api.call('GET', `/v1/payments/${held.uetr}/messages/pacs.008`)).statusCode).toBe(200);
    expect(await network.balance(to.id)).toBe(BigInt(held.credited.amount));
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: 0n, debitsPosted: BigInt(held.debited.amount) });
  });

  it('rejects a reviewed payment with FRAD when the review rejects it, releasing every leg', async () => {
    const { from, to, response } = await pay('320000');
    const held = response.json();
    expect(held.status).toBe('ACTC');
    expect(await api.ok('POST', `/v1/risk/holds/${held.uetr}/reject`, { note: 'mule pattern' })).toMatchObject({ status: 'rejected', note: 'mule pattern' });
    const payment = await api.ok('GET', `/v1/payments/${held.uetr}`);
    expect(payment).toMatchObject({ status: 'RJCT', reason_code: 'FRAD', reached_creditor_agent_at: null });
    // The creditor agent was never instructed; the debtor's side hears of the rejection.
    expect(payment.messages.map((message: { kind: string; status: string }) => [message.kind, message.status])).toEqual([['pacs.002', 'RJCT']]);
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    expect(await network.balance(to.id)).toBe(0n);
  });

  it('names the analyst\'s key that released or rejected a review on the status changes it caused', async () => {
    const analyst = await api.ok('POST', '/v1/api-keys', { name: 'reviewer', role: 'analyst' }, 201);
    const keyIds = async (uetr: string) =>
      (await api.ok('GET', `/v1/payments/${uetr}/track`)).events.map((event: { status: string; key_id: string | null }) => [event.status, event.key_id]);
    const [released, rejected] = [(await pay('340000')).response.json(), (await pay('340001')).response.json()];
    await api.ok('POST', `/v1/risk/holds/${released.uetr}/release`, {}, 200, { key: analyst.key });
    await api.ok('POST', `/v1/risk/holds/${rejected.uetr}/reject`, {}, 200, { key: analyst.key });
    // Submitted by the admin key the harness sends; settled or rejected by the analyst's.
    const admin = (await api.ok('GET', `/v1/payments/${released.uetr}`)).submitted_by as string;
    expect(admin).toMatch(/^[0-9a-f]{16}$/);
    expect(await keyIds(released.uetr)).toEqual([['RCVD', admin], ['ACTC', admin], ['ACSP', analyst.id], ['ACCC', analyst.id]]);
    expect(await keyIds(rejected.uetr)).toEqual([['RCVD', admin], ['ACTC', admin], ['RJCT', analyst.id]]);
  });

  it('finishes a released review after a crash between the release and the posting, instructing the creditor agent then', async () => {
    const { to, response } = await pay('330000');
    const held = response.json();
    expect(held.status).toBe('ACTC');
    // The state a crash leaves once the release has decided to post (what accept writes first).
    await api.platform.db.run("UPDATE payments SET ledger_state = 'posting', updated_at = '2000-01-01T00:00:00.000Z' WHERE uetr = ?", [held.uetr]);
    await api.platform.payments.recover();
    const settled = await api.ok('GET', `/v1/payments/${held.uetr}`);
    expect(settled.status).toBe('ACCC');
    expect(settled.messages.map((message: { kind: string }) => message.kind)).toEqual(['pacs.008', 'pacs.002']);
    expect(settled.reached_creditor_agent_at).toBe(settled.credited_to_creditor_at);
    const track = await api.ok('GET', `/v1/payments/${held.uetr}/track`);
    expect(track.events.map((event: { status: string }) => event.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    expect(await network.balance(to.id)).toBe(BigInt(held.credited.amount));
  });

  it('refuses a creditor agent rejection of an immediate payment under review, which it was never sent', async () => {
    const { from, to, response } = await pay('340000');
    const held = response.json();
    expect(held.status).toBe('ACTC');
    expectProblem(await api.call('POST', `/v1/payments/${held.uetr}/reject`, { reason: 'AC04' }), 409, 'payment_not_awaiting_acceptance');
    // Nothing moved: the payment still waits for the review, its legs reserved, the hold open.
    expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe('ACTC');
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({ status: 'held' });
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: BigInt(held.debited.amount), debitsPosted: 0n });
    expect(await api.ok('POST', `/v1/risk/holds/${held.uetr}/release`, {})).toMatchObject({ status: 'released' });
    expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe('ACCC');
    expect(await network.balance(to.id)).toBe(BigInt(held.credited.amount));
  });

  it('closes the hold as resolved elsewhere when the debtor side cancels a payment under review, naming the cancellation', async () => {
    const { from, to, response } = await pay('370000');
    const held = response.json();
    expect(held.status).toBe('ACTC');
    expect(await api.ok('POST', `/v1/payments/${held.uetr}/cancel`, { reason: 'DUPL' })).toMatchObject({ status: 'CANC', reason_code: 'DUPL' });
    const closed = await api.ok('GET', `/v1/risk/holds/${held.uetr}`);
    expect(closed).toMatchObject({ status: 'closed', resolved_by: 'payments:cancelled_by_debtor', resolved_at: expect.any(String), detail: 'the payment was cancelled (DUPL)' });
    const queue = await api.ok('GET', '/v1/risk/holds?kind=payment&limit=100');
    expect(queue.data.map((hold: { id: string }) => hold.id)).not.toContain(held.uetr);
    // An analyst who acts afterwards is told it ended elsewhere, and the hold keeps who ended it.
    for (const action of ['release', 'reject']) {
      const problem = expectProblem(await api.call('POST', `/v1/risk/holds/${held.uetr}/${action}`, {}), 409, 'hold_resolved_elsewhere');
      expect(problem.hold).toMatchObject({ status: 'closed', resolved_by: 'payments:cancelled_by_debtor' });
    }
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toEqual(closed);
    expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe('CANC');
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    expect(await network.balance(to.id)).toBe(0n);
  });

  it('cancels a payment under review and closes its hold in one commit, or does neither', async () => {
    const { from, response } = await pay('380000');
    const held = response.json();
    const holds = api.platform.risk.holds;
    const closeResolvedElsewhere = holds.closeResolvedElsewhere;
    (holds as { closeResolvedElsewhere: typeof closeResolvedElsewhere }).closeResolvedElsewhere = () => Promise.reject(new Error('the disk is full'));
    try {
      expect((await api.call('POST', `/v1/payments/${held.uetr}/cancel`, {})).statusCode).toBe(500);
    } finally {
      (holds as { closeResolvedElsewhere: typeof closeResolvedElsewhere }).closeResolvedElsewhere = closeResolvedElsewhere;
    }
    // Neither the cancellation nor the closing was written: the review may still end it.
    expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe('ACTC');
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({ status: 'held' });
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: BigInt(held.debited.amount) });
    expect(await api.ok('POST', `/v1/payments/${held.uetr}/cancel`, {})).toMatchObject({ status: 'CANC', reason_code: 'CUST' });
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({ status: 'closed', detail: 'the payment was cancelled (CUST)' });
  });

  it('closes the hold of a payment held for acceptance that its creditor agent rejects while under review', async () => {
    const { from, response } = await pay('375000', { settlement: 'on_acceptance' });
    const held = response.json();
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({ status: 'held' });
    expect(await api.ok('POST', `/v1/payments/${held.uetr}/reject`, { reason: 'AC04' })).toMatchObject({ status: 'RJCT', reason_code: 'AC04' });
    expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({
      status: 'closed', resolved_by: 'payments:rejected_by_creditor_agent', detail: 'the payment was rejected (AC04): rejected_by_creditor_agent',
    });
    expectProblem(await api.call('POST', `/v1/risk/holds/${held.uetr}/release`, {}), 409, 'hold_resolved_elsewhere');
    expect((await balancesOf(api, from.id)).debitsPending).toBe(0n);
  });

  it('lets a cancellation and a release sent at once agree: the payment and its hold end the same way', async () => {
    for (let round = 0; round < 3; round++) {
      const { from, response } = await pay('390000');
      const held = response.json();
      const [cancelled, released] = await Promise.all([
        api.call('POST', `/v1/payments/${held.uetr}/cancel`, {}),
        api.call('POST', `/v1/risk/holds/${held.uetr}/release`, {}),
      ]);
      const payment = await api.ok('GET', `/v1/payments/${held.uetr}`);
      const hold = await api.ok('GET', `/v1/risk/holds/${held.uetr}`);
      if (payment.status === 'CANC') {
        expect(cancelled.statusCode, cancelled.body).toBe(200);
        expectProblem(released, 409, 'hold_resolved_elsewhere');
        expect(hold.status).toBe('closed');
      } else {
        expect(payment.status).toBe('ACCC');
        expect(released.statusCode, released.body).toBe(200);
        expectProblem(cancelled, 409);
        expect(hold.status).toBe('released');
      }
      expect((await balancesOf(api, from.id)).debitsPending).toBe(0n);
    }
  });

  it('answers two releases, or two rejections, sent at once alike and closes the hold once', async () => {
    for (const [action, hold, payment] of [['release', 'released', 'ACCC'], ['reject', 'rejected', 'RJCT']] as const) {
      const { from, response } = await pay('360000');
      const held = response.json();
      const answers = await Promise.all([1, 2, 3].map(() => api.call('POST', `/v1/risk/holds/${held.uetr}/${action}`, {})));
      for (const answer of answers) {
        expect(answer.statusCode, answer.body).toBe(200);
        expect(answer.json()).toMatchObject({ status: hold });
      }
      expect(await api.ok('GET', `/v1/risk/holds/${held.uetr}`)).toMatchObject({ status: hold });
      expect((await api.ok('GET', `/v1/payments/${held.uetr}`)).status).toBe(payment);
      expect((await balancesOf(api, from.id)).debitsPending).toBe(0n);
    }
  });

  it('rejects with MS03 when evaluation fails and risk control fails closed', async () => {
    api.rules.script = (variables) => (variables.event.channel === 'payments' ? 'throw' : 'approve');
    const { from, response } = await pay('1000');
    expect(expectProblem(response, 422, 'risk_check_failed')).toMatchObject({ reason_code: 'MS03' });
    expect(await balancesOf(api, from.id)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
  });

  it('settles approved payments as before, screening both names and recording the decision', async () => {
    const { response } = await pay('1000');
    const payment = response.json();
    expect(payment.status).toBe('ACCC');
    const feed = await api.ok('GET', '/v1/risk/decisions?order=desc&limit=20');
    const decision = feed.data.find((item: { event_id: string }) => item.event_id === payment.uetr);
    expect(decision).toMatchObject({ outcome: 'approve', source: 'payment', event: { channel: 'payments', code: 830, debit_name: expect.stringMatching(/^Customer /), debit_country: 'CN' } });
  });
});
