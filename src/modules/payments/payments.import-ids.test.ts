import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, type Api } from '../../../test/http/harness.ts';
import { loadXmlLibrary } from '../iso20022/index.ts';
import { importedPaymentId, legacyImportedPaymentId } from './payments.ids.ts';
import { ordersFromXml, withLegacyIds } from './payments.import.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import type { PaymentOrder, PaymentRecord } from './payments.ts';
import { importTools, startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

/**
 * An imported transaction's payment id derives from its debtor agent, its debtor account and its
 * end-to-end id: customers of one bank number their end-to-end ids each on their own, and one can
 * never take the payment id of another's. Payments imported when the id derived from the debtor
 * agent and end-to-end id alone keep that id, and the same file sent again still replays them.
 */
describeEachDialect('payment ids of imported transactions', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const { send, recorded, participantKey } = importTools(() => api);
  const results = (response: { statusCode: number; body: string; json(): any }) => {
    expect(response.statusCode, response.body).toBe(200);
    return response.json().results as { payment_id: string; status: string; replayed: boolean; error: string | null }[];
  };

  /** A customer of the Chinese bank, funded, with its key and a writer of its one-transaction pain.001 files. */
  async function customerOf(tag: string, creditor: string) {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, `CNIDS${tag}`);
    const file = (messageId: string, endToEndId: string, amount = '10.00') => pain001({
      messageId, debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: `Initiator ${tag}`,
      transactions: [{ endToEndId, amount, currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor, creditorName: 'Ningbo Axle' }],
    });
    return { debtor, file, key: await participantKey(debtor.partyId) };
  }

  /** Records a file's payments as an import did before the debtor account was part of their ids, its MsgId claimed. */
  async function importedBeforeTheChange(file: string): Promise<string[]> {
    await loadXmlLibrary();
    const parsed = ordersFromXml(file);
    if (!parsed.ok) throw new Error(parsed.refusal.code);
    const { identity } = parsed;
    await api.platform.db.run('INSERT INTO payment_imported_messages (message_definition, sender, message_id, fingerprint, imported_at) VALUES (?, ?, ?, ?, ?)',
      [identity.definition, identity.sender, identity.messageId, identity.fingerprint, new Date().toISOString()]);
    const ids: string[] = [];
    for (const order of parsed.orders) {
      const id = legacyImportedPaymentId(order.debtorAgent!, order.endToEndId, order.instructionId ?? '');
      const outcome = await api.platform.payments.submit({ ...order, id });
      expect(outcome.ok && outcome.payment.status).toBe('ACCC');
      ids.push(id);
    }
    return ids;
  }

  it('gives two customers of one bank using the same end-to-end id a payment each', async () => {
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNIDSC101');
    const first = await customerOf('A101', creditor.identifier);
    const second = await customerOf('B101', creditor.identifier);

    const mine = results(await send(first.file('IDS-A-1', 'INV-0001'), first.key));
    const theirs = results(await send(second.file('IDS-B-1', 'INV-0001', '20.00'), second.key));
    expect(mine.map((result) => [result.status, result.replayed, result.error])).toEqual([['ACCC', false, null]]);
    expect(theirs.map((result) => [result.status, result.replayed, result.error])).toEqual([['ACCC', false, null]]);
    expect(mine[0]!.payment_id).toBe(importedPaymentId(network.banks.cn, first.debtor.identifier, 'INV-0001', ''));
    expect(theirs[0]!.payment_id).toBe(importedPaymentId(network.banks.cn, second.debtor.identifier, 'INV-0001', ''));
    expect(mine[0]!.payment_id).not.toBe(theirs[0]!.payment_id);
    expect(await network.balance(first.debtor.id)).toBe(1_000_000n - 1_000n - 101n);
    expect(await network.balance(second.debtor.id)).toBe(1_000_000n - 2_000n - 102n);
    expect(await network.balance(creditor.id)).toBe(3_000n);
  });

  it('replays a file imported before the change, booking nothing, and leaves other customers their own ids', async () => {
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNIDSC201');
    const earlier = await customerOf('A201', creditor.identifier);
    const file = earlier.file('IDS-A-2', 'INV-0002');
    const [legacy] = await importedBeforeTheChange(file);
    const balance = await network.balance(earlier.debtor.id);
    const before = await recorded();

    // The same file after the change, by an admin key and by the customer's own key: replays of the payment as recorded.
    for (const key of [undefined, earlier.key]) {
      expect(results(await send(file, key)).map((result) => [result.payment_id, result.status, result.replayed])).toEqual([[legacy, 'ACCC', true]]);
    }
    expect(await recorded()).toBe(before);
    expect(await network.balance(earlier.debtor.id)).toBe(balance);

    // Another customer of the bank using the same end-to-end id gets its own payment, not the older one's.
    const later = await customerOf('B201', creditor.identifier);
    const own = results(await send(later.file('IDS-B-2', 'INV-0002', '30.00'), later.key));
    expect(own.map((result) => [result.status, result.replayed, result.error])).toEqual([['ACCC', false, null]]);
    expect(own[0]!.payment_id).toBe(importedPaymentId(network.banks.cn, later.debtor.identifier, 'INV-0002', ''));
    expect(await recorded()).toBe(before! + 1n);
  });

  it('refuses an API payment under an id an import derives, so no customer can take another\'s id in advance', async () => {
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNIDSC301');
    const victim = await customerOf('A301', creditor.identifier);
    const squatter = await customerOf('B301', creditor.identifier);
    const derived = importedPaymentId(network.banks.cn, victim.debtor.identifier, 'INV-0003', '');
    const before = await recorded();
    const payment = { debtor_account: squatter.debtor.identifier, creditor_account: creditor.identifier, amount: '100', currency: 'CNY', end_to_end_id: 'INV-0003' };
    // Upper case names the same id.
    for (const id of [derived, derived.toUpperCase()]) {
      const problem = expectProblem(await api.call('POST', '/v1/payments', { id, ...payment }, { key: squatter.key }), 422, 'payment_id_reserved', '/id');
      expect(problem.detail).toMatch(/payment id reserved/);
    }
    expect(await recorded()).toBe(before);
    // The customer's own file is booked under its id; any other UUID remains the client's to choose.
    const own = results(await send(victim.file('IDS-A-3', 'INV-0003'), victim.key));
    expect(own.map((result) => [result.payment_id, result.status, result.replayed])).toEqual([[derived, 'ACCC', false]]);
    const chosen = derived.slice(0, 14) + '7' + derived.slice(15);
    expect((await api.ok('POST', '/v1/payments', { id: chosen, ...payment }, 201, { key: squatter.key })).status).toBe('ACCC');
  });
});

describe('looking up the older ids of imported transactions', () => {
  const BANK = 'HXCBCNSHXXX';
  const order = (index: number, debtorAccount: string): PaymentOrder => ({
    id: importedPaymentId(BANK, debtorAccount, `E2E-${index}`, ''), endToEndId: `E2E-${index}`, debtorAgent: BANK, debtorAccount, creditorAccount: 'CNCRED01',
    amount: 100n, currency: 'CNY', chargeBearer: 'SHAR', remittance: [], settlement: 'immediate', source: 'pain.001',
  });

  it('takes the older id only for a payment of the same debtor account imported from a file, a bounded number of look-ups at a time', async () => {
    const orders = Array.from({ length: 1_000 }, (_, index) => order(index, 'CNMINE01'));
    const stored = new Map<string, PaymentRecord>([
      [legacyImportedPaymentId(BANK, 'E2E-1', ''), { order: order(1, 'CNMINE01') } as PaymentRecord],
      [legacyImportedPaymentId(BANK, 'E2E-2', ''), { order: order(2, 'CNOTHER01') } as PaymentRecord],
      [legacyImportedPaymentId(BANK, 'E2E-3', ''), { order: { ...order(3, 'CNMINE01'), source: 'api' } } as PaymentRecord],
    ]);
    let running = 0;
    let most = 0;
    const mapped = await withLegacyIds(orders, async (id) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running -= 1;
      return stored.get(id);
    });
    expect(most).toBeLessThanOrEqual(PAYMENT_LIMITS.importConcurrency);
    expect(mapped.slice(0, 4).map((each) => each.id)).toEqual([
      orders[0]!.id, legacyImportedPaymentId(BANK, 'E2E-1', ''), orders[2]!.id, orders[3]!.id,
    ]);
    expect(mapped.filter((each, index) => each.id !== orders[index]!.id)).toHaveLength(1);
  });
});
