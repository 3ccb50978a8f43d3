import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, uuid, type Api } from '../../../test/http/harness.ts';
import { startNetworkApi, type Network } from './payments.http.test-support.ts';

/**
 * A firm FX quote belongs to the key that asked for it (docs/security.md, "FX quotes"): another
 * participant's key that learns its id can neither read it nor spend it on a payment of its own,
 * and is answered exactly as for a quote id nobody has. Keys acting for the same parties share
 * their quotes; staff keys read and spend any quote; a quote a staff key asked for is for staff.
 */
describeEachDialect('FX quotes are their requester\'s', ({ open }) => {
  let api: Api;
  let network: Network;
  let payee: { id: string; identifier: string };
  beforeAll(async () => {
    ({ api, network } = await startNetworkApi(open));
    payee = await network.customer(network.banks.us, 'JPY');
  });
  afterAll(async () => api?.close());

  const participant = async (name: string, partyIds: string[]) => (await api.ok('POST', '/v1/api-keys', { name, role: 'participant', party_ids: partyIds }, 201)).key as string;
  const quote = async (key: string | undefined, amount = '100000') =>
    (await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'JPY', sell_amount: amount }, 201, { key })).id as string;
  const pay = (key: string | undefined, debtor: string, quoteId: string, amount = '100000') =>
    api.call('POST', '/v1/payments', { id: uuid(), debtor_account: debtor, creditor_account: payee.identifier, amount, currency: 'CNY', quote_id: quoteId }, { key });
  /** A refused payment's answer without what differs between any two payments (their UETR) and the quote id named. */
  const refusal = (response: LightMyRequestResponse, quoteId: string) => {
    const { uetr: _uetr, ...rest } = JSON.parse(response.body.replaceAll(quoteId, 'QUOTE')) as Record<string, unknown>;
    return { status: response.statusCode, ...rest };
  };

  it('answers another participant\'s key for a quote it may not use exactly as for an unknown quote, and leaves the quote to its owner', async () => {
    const [mine, theirs] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY', 1_000_000n)];
    const [owner, other] = [await participant('owner', [mine.partyId]), await participant('other', [theirs.partyId])];
    const quoteId = await quote(owner);
    const unknown = uuid();

    // Reading: 404 quote_not_found, the same body as for an id nobody has.
    const [hidden, missing] = [await api.call('GET', `/v1/fx/quotes/${quoteId}`, undefined, { key: other }), await api.call('GET', `/v1/fx/quotes/${unknown}`, undefined, { key: other })];
    expectProblem(missing, 404, 'quote_not_found', '/params/id');
    expectProblem(hidden, 404, 'quote_not_found', '/params/id');
    expect(JSON.parse(hidden.body.replaceAll(quoteId, 'ID'))).toEqual(JSON.parse(missing.body.replaceAll(unknown, 'ID')));

    // Spending it on a payment from its own account: refused as an unknown quote, and the quote stays unused.
    const [spent, spentUnknown] = [await pay(other, theirs.id, quoteId), await pay(other, theirs.id, unknown)];
    expectProblem(spentUnknown, 422, 'quote_not_found', '/quote_id');
    expectProblem(spent, 422, 'quote_not_found', '/quote_id');
    expect(refusal(spent, quoteId)).toEqual(refusal(spentUnknown, unknown));
    expect(await api.ok('GET', `/v1/fx/quotes/${quoteId}`, undefined, 200, { key: owner })).toMatchObject({ id: quoteId, used: false });

    // The owner reads and spends it.
    const paid = await pay(owner, mine.id, quoteId);
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({ status: 'ACCC', fx: { quote_id: quoteId } });
    expect(await api.ok('GET', `/v1/fx/quotes/${quoteId}`, undefined, 200, { key: owner })).toMatchObject({ used: true });
    // Once used, still nothing to the other key: not even that it was used.
    expectProblem(await api.call('GET', `/v1/fx/quotes/${quoteId}`, undefined, { key: other }), 404, 'quote_not_found', '/params/id');
  });

  it('lets another key of the same parties read and spend the quote, but only for a party both act for', async () => {
    const [mine, elsewhere] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY', 1_000_000n)];
    const [front, back] = [await participant('front office', [mine.partyId]), await participant('back office', [mine.partyId])];
    const wider = await participant('wider', [mine.partyId, elsewhere.partyId]);

    const first = await quote(front);
    expect(await api.ok('GET', `/v1/fx/quotes/${first}`, undefined, 200, { key: back })).toMatchObject({ id: first, used: false });
    const paid = await pay(back, mine.id, first);
    expect(paid.statusCode, paid.body).toBe(201);

    // A key that shares one party with the requester may read the quote, but not spend it on a
    // payment of a party the requester does not act for.
    const second = await quote(front);
    await api.ok('GET', `/v1/fx/quotes/${second}`, undefined, 200, { key: wider });
    expectProblem(await pay(wider, elsewhere.id, second), 422, 'quote_not_found', '/quote_id');
    const paidForShared = await pay(wider, mine.id, second);
    expect(paidForShared.statusCode, paidForShared.body).toBe(201);
  });

  it('lets staff keys read and spend any quote, and keeps a quote a staff key asked for from participants', async () => {
    const mine = await network.customer(network.banks.cn, 'CNY', 1_000_000n);
    const owner = await participant('owner', [mine.partyId]);
    const auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key as string;

    const participants = await quote(owner);
    await api.ok('GET', `/v1/fx/quotes/${participants}`, undefined, 200, { key: auditor });
    await api.ok('GET', `/v1/fx/quotes/${participants}`);
    const paidByStaff = await pay(undefined, mine.id, participants);
    expect(paidByStaff.statusCode, paidByStaff.body).toBe(201);

    const staffs = await quote(undefined);
    expectProblem(await api.call('GET', `/v1/fx/quotes/${staffs}`, undefined, { key: owner }), 404, 'quote_not_found', '/params/id');
    expectProblem(await pay(owner, mine.id, staffs), 422, 'quote_not_found', '/quote_id');
    const paid = await pay(undefined, mine.id, staffs);
    expect(paid.statusCode, paid.body).toBe(201);
  });
});
