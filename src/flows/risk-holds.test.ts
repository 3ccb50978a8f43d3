import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, uuid, type Fixture } from '../../test/http/harness.ts';
import { byAmount } from '../modules/risk/risk.test-support.ts';
import { balancesOf, startSeededRiskApi, type RiskApi } from './risk-gate.test-support.ts';

/** A review that finds its transfers already ended elsewhere releases or rejects nothing, and says so. */
describeEachDialect('risk holds on transfers that ended before the review', ({ open }) => {
  let api: RiskApi;
  let fixture: Fixture;
  beforeAll(async () => ({ api, fixture } = await startSeededRiskApi(open)));
  afterAll(async () => api?.close());
  beforeEach(async () => {
    api.rules.script = () => 'approve';
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '5000', ledger: 1, code: 1 }, 201);
    api.rules.script = byAmount(3_000n, 4_000n);
  });

  const transfer = (amount: string, extra: Record<string, unknown> = {}) => ({ id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount, ledger: 1, code: 1, ...extra });
  const heldIds = async (): Promise<string[]> => (await api.ok('GET', '/v1/risk/holds?limit=100')).data.map((hold: { id: string }) => hold.id);

  async function clientPending(timeoutSeconds = 60) {
    const pending = transfer('3300', { flags: ['pending'], timeout: timeoutSeconds });
    expect(await api.ok('POST', '/v1/transfers', pending, 201)).toMatchObject({ risk: { hold_id: pending.id } });
    expect(await heldIds()).toContain(pending.id);
    return pending;
  }

  const voidIt = (pendingId: string) => api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pendingId, flags: ['void_pending'] }, 201);

  for (const action of ['release', 'reject'] as const) {
    it(`answers hold_resolved_elsewhere to a ${action} of a client's pending transfer its owner voided, and closes the hold`, async () => {
      const pending = await clientPending();
      await voidIt(pending.id);
      const alice = await balancesOf(api, fixture.alice);
      expectProblem(await api.call('POST', `/v1/risk/holds/${pending.id}/${action}`, { note: 'looked at it' }), 409, 'hold_resolved_elsewhere');
      const hold = await api.ok('GET', `/v1/risk/holds/${pending.id}`);
      expect(hold).toMatchObject({ status: 'closed', resolved_by: expect.any(String), resolved_at: expect.any(String), detail: `transfer ${pending.id} was voided before the review` });
      expect(await heldIds()).not.toContain(pending.id);
      expect(await balancesOf(api, fixture.alice)).toEqual(alice);
      expect((await api.ok('GET', `/v1/transfers/${pending.id}`)).pending_status).toBe('voided');
    });

    it(`answers hold_resolved_elsewhere to a ${action} of a client's pending transfer that expired, marked or not by the expiry pass`, async () => {
      for (const markExpired of [false, true]) {
        const pending = await clientPending(60);
        api.clock.advance(61_000);
        if (markExpired) await api.platform.ledger.expireDue();
        expectProblem(await api.call('POST', `/v1/risk/holds/${pending.id}/${action}`, {}), 409, 'hold_resolved_elsewhere');
        expect(await api.ok('GET', `/v1/risk/holds/${pending.id}`)).toMatchObject({ status: 'closed', detail: `transfer ${pending.id} was expired before the review` });
        expect(await heldIds()).not.toContain(pending.id);
        // The owner cannot post it either: it expired.
        expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), pending_id: pending.id, flags: ['post_pending'] }), 422, 'pending_transfer_expired');
      }
    });
  }

  it("still releases and rejects a client's pending transfer that is pending", async () => {
    const released = await clientPending(3600);
    expect(await api.ok('POST', `/v1/risk/holds/${released.id}/release`, {})).toMatchObject({ status: 'released', detail: 'released: the owner may post its pending transfers' });
    await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: released.id, flags: ['post_pending'] }, 201);
    const rejected = await clientPending(3600);
    expect(await api.ok('POST', `/v1/risk/holds/${rejected.id}/reject`, {})).toMatchObject({ status: 'rejected', detail: 'voided 1 transfer(s)' });
    expect((await api.ok('GET', `/v1/transfers/${rejected.id}`)).pending_status).toBe('voided');
  });

  it('answers hold_resolved_elsewhere to a rejection of a transfer the review held that its owner voided, as to a release', async () => {
    for (const action of ['release', 'reject'] as const) {
      const request = transfer('3500');
      await api.ok('POST', '/v1/transfers', request, 201);
      await voidIt(request.id);
      expectProblem(await api.call('POST', `/v1/risk/holds/${request.id}/${action}`, {}), 409, 'hold_resolved_elsewhere');
      expect(await api.ok('GET', `/v1/risk/holds/${request.id}`)).toMatchObject({ status: 'closed' });
      expect(await heldIds()).not.toContain(request.id);
    }
  });
});
