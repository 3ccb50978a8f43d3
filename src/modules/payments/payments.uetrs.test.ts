import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, uuid, type Api } from '../../../test/http/harness.ts';
import { loadXmlLibrary } from '../iso20022/index.ts';
import { derivePaymentsId } from './payments.ids.ts';
import { ordersFromXml } from './payments.import.ts';
import { importTools, startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

/**
 * A UETR names one payment, and nobody but the caller that owns a payment can take its UETR first:
 * a file that names no UETR gets UETRs bound to its own bytes, not only to ids anyone can write into
 * a file of their own; a UETR another caller's payment holds is refused as 409 uetr_already_used
 * revealing nothing of that payment, while its owner's retry still answers with it.
 */
describeEachDialect('UETRs another caller cannot take', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const { send, participantKey } = importTools(() => api);
  const results = (response: { statusCode: number; body: string; json(): any }) => {
    expect(response.statusCode, response.body).toBe(200);
    return response.json().results as { uetr: string; status: string; replayed: boolean; error: string | null }[];
  };

  async function parsed(file: string) {
    await loadXmlLibrary();
    const read = ordersFromXml(file);
    if (!read.ok) throw new Error(read.refusal.code);
    return read;
  }

  it('books a file naming no UETR although another customer took the UETRs its ids would give, in a file and in a payment', async () => {
    const victim = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNUETRV01');
    const intruder = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNUETRI01');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNUETRC01');
    const transaction = (endToEndId: string) => ({ endToEndId, amount: '1.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' });
    const file = (debtorAccount: string, endToEndIds: readonly string[]) => pain001({
      messageId: 'UETR-V-1', debtorAccount, debtorAgent: network.banks.cn, debtorName: 'Victim Holdings', transactions: endToEndIds.map(transaction),
    });
    const own = file(victim.identifier, ['V-1', 'V-2']);
    // What anyone can compute from the ids the victim's file will carry: the UETR the reader derives.
    const guessed = (await parsed(own)).earlierUetrs;
    const intruderKey = await participantKey(intruder.partyId);
    await api.ok('POST', '/v1/payments', { id: uuid(), uetr: guessed[0], debtor_account: intruder.id, creditor_account: creditor.id, amount: '100', currency: 'CNY' }, 201, { key: intruderKey });
    // The intruder's own file names the victim's initiating party, MsgId, block and end-to-end id.
    expect(results(await send(file(intruder.identifier, ['V-2']), intruderKey)).map((result) => result.status)).toEqual(['ACCC']);

    const booked = results(await send(own, await participantKey(victim.partyId)));
    expect(booked.map((result) => [result.status, result.error, result.replayed])).toEqual([['ACCC', null, false], ['ACCC', null, false]]);
    expect(booked.map((result) => result.uetr).some((uetr) => guessed.includes(uetr))).toBe(false);
    // Two transfers of 1.00 CNY, each with the bank's charge of 1.00 (it holds both accounts, so it charges once).
    expect(await network.balance(victim.id)).toBe(1_000_000n - 2n * (100n + 100n));
    // The same file again gives the same UETRs, and replays.
    expect(results(await send(own)).map((result) => [result.uetr, result.replayed])).toEqual(booked.map((result) => [result.uetr, true]));
  });

  it('replays a file imported when its UETRs were derived from its ids alone, with and without an end-to-end id', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNUETRL01');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNUETRL02');
    const file = pain001({
      messageId: 'UETR-L-1', debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: 'Legacy Trading',
      transactions: ['L-1', 'NOTPROVIDED'].map((endToEndId) => ({ endToEndId, amount: '2.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' })),
    });
    const read = await parsed(file);
    const earlier = read.earlierUetrs.map((uetr) => uetr!);
    // Recorded as an earlier release did: under the reader's UETR, and for a transaction without an
    // end-to-end id under the id derived from that UETR.
    for (const [index, order] of read.orders.entries()) {
      const id = order.endToEndId === 'NOTPROVIDED' ? derivePaymentsId('import', earlier[index]!) : order.id;
      const outcome = await api.platform.payments.submit({ ...order, id, uetr: earlier[index]! });
      expect(outcome.ok && outcome.payment.status).toBe('ACCC');
    }
    expect(results(await send(file)).map((result) => [result.uetr, result.replayed])).toEqual(earlier.map((uetr) => [uetr, true]));
    expect(await network.balance(creditor.id)).toBe(400n);
  });

  it('refuses another caller a UETR that a payment holds, revealing nothing of it, and still answers the owner\'s retry', async () => {
    const owner = await network.customer(network.banks.cn, 'CNY', 1_000_000n);
    const other = await network.customer(network.banks.cn, 'CNY', 1_000_000n);
    const creditor = await network.customer(network.banks.cn, 'CNY');
    const uetr = crypto.randomUUID();
    const body = { id: uuid(), uetr, debtor_account: owner.id, creditor_account: creditor.id, amount: '500', currency: 'CNY' };
    const ownerKey = await participantKey(owner.partyId);
    const first = await api.ok('POST', '/v1/payments', body, 201, { key: ownerKey });
    const refused = expectProblem(await api.call('POST', '/v1/payments', { ...body, id: uuid(), debtor_account: other.id }, { key: await participantKey(other.partyId) }), 409, 'uetr_already_used', '/uetr');
    expect(refused).not.toHaveProperty('payment_status');
    expect(JSON.stringify(refused)).not.toContain(first.id);
    const retried = await api.ok('POST', '/v1/payments', body, 200, { key: ownerKey });
    expect(retried).toMatchObject({ id: first.id, uetr, status: 'ACCC', replayed: true });
  });
});
