import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, uuid, type Api } from '../../../test/http/harness.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

/**
 * Every refusal the issue names is a named 4xx problem, and books nothing: no ledger transfer, no
 * balance moved, the journal untouched. Idempotency: the same request, or the same file, books once.
 */
describeEachDialect('payment refusals and idempotency over HTTP', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  /** Runs `attempt` and checks that the books did not move: the journal head and the named balances. */
  async function booksNothing(accounts: readonly string[], attempt: () => Promise<void>): Promise<void> {
    const before = [(await api.platform.journal.head()).seq, ...(await Promise.all(accounts.map((id) => network.balance(id))))];
    const transfers = await api.platform.db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM ledger_transfers');
    await attempt();
    expect([(await api.platform.journal.head()).seq, ...(await Promise.all(accounts.map((id) => network.balance(id))))]).toEqual(before);
    expect(await api.platform.db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM ledger_transfers')).toEqual(transfers);
  }

  const payment = (from: string, to: string, amount: string, currency: string, extra: Record<string, unknown> = {}) =>
    ({ id: uuid(), end_to_end_id: `E2E-${uuid().slice(0, 8)}`, debtor_account: from, creditor_account: to, amount, currency, ...extra });

  it('refuses an expired quote (quote_expired, 422), a used one and a mismatched one', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.us, 'USD')];
    const quote = await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'USD', sell_amount: '50000', ttl_seconds: 30 }, 201);
    api.clock.advance(30_000);
    await booksNothing([from.id, to.id], async () => {
      const problem = expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id })), 422, 'quote_expired', '/quote_id');
      expect(problem).toMatchObject({ reason_code: 'MS03', payment_status: 'RJCT', uetr: expect.any(String) });
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50001', 'CNY', { quote_id: quote.id })), 422, 'quote_does_not_match', '/quote_id');
    });
    const fresh = await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'USD', sell_amount: '50000' }, 201);
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: fresh.id }), 201);
    expect(paid).toMatchObject({ status: 'ACCC', fx: { quote_id: fresh.id, bought: { amount: fresh.buy_amount, currency: 'USD' } } });
    await booksNothing([from.id, to.id], async () => {
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: fresh.id })), 409, 'quote_already_used', '/quote_id');
    });
  });

  it('refuses an amount no ISO 20022 message can carry (more than 18 digits) as amount_out_of_range, not a 500', async () => {
    const [from, to, abroad] = [await network.customer(network.banks.cn, 'USD'), await network.customer(network.banks.us, 'USD'), await network.customer(network.banks.us, 'CNY')];
    await booksNothing([from.id, to.id, abroad.id], async () => {
      // 10^18 minor units: 19 digits, within what the ledger holds but not what a pacs.008 can say.
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '1000000000000000000', 'USD')), 422, 'amount_out_of_range', '/amount');
      // 18 digits sold, but what they buy in yuan has 19.
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, abroad.id, '200000000000000000', 'USD')), 422, 'amount_out_of_range', '/amount');
    });
  });

  it('leaves a firm quote usable when the payment that claimed it moved nothing (refused by the ledger, or cancelled)', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY'), await network.customer(network.banks.us, 'USD')];
    const quote = await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'USD', sell_amount: '50000' }, 201);
    const used = async () => (await api.ok('GET', `/v1/fx/quotes/${quote.id}`)).used as boolean;
    expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id })), 422, 'insufficient_funds', '/amount');
    expect(await used()).toBe(false);
    await network.fund(from.id, 'CNY', 200_000n);
    const held = await api.ok('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id, settlement: 'on_acceptance' }), 201);
    expect(await used()).toBe(true);
    expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id })), 409, 'quote_already_used', '/quote_id');
    await api.ok('POST', `/v1/payments/${held.uetr}/cancel`, { reason: 'DUPL' });
    expect(await used()).toBe(false);
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id }), 201);
    expect(paid).toMatchObject({ status: 'ACCC', fx: { quote_id: quote.id, bought: { amount: quote.buy_amount, currency: 'USD' } } });
    expect(await used()).toBe(true);
    expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '50000', 'CNY', { quote_id: quote.id })), 409, 'quote_already_used', '/quote_id');
  });

  it('refuses insufficient funds (insufficient_funds, 422, AM04)', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 9_999n), await network.customer(network.banks.us, 'USD')];
    await booksNothing([from.id, to.id], async () => {
      const problem = expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '9900', 'CNY')), 422, 'insufficient_funds', '/amount');
      expect(problem.reason_code).toBe('AM04');
      const tracked = await api.ok('GET', `/v1/payments/${problem.uetr}/track`);
      expect(tracked.events.map((event: { status: string }) => event.status)).toEqual(['RCVD', 'ACTC', 'RJCT']);
      expect(tracked.hops.every((hop: { status: string }) => hop.status === 'not_booked')).toBe(true);
    });
  });

  it('refuses an unknown participant (unknown_participant, 422, RC01)', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.us, 'USD')];
    await booksNothing([from.id, to.id], async () => {
      const debtorSide = expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'CNY', { debtor_agent: 'ZZZZCNSHXXX' })), 422, 'unknown_participant', '/debtor_agent');
      expect(debtorSide.reason_code).toBe('RC01');
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'CNY', { creditor_agent: 'ZZZZUS33' })), 422, 'unknown_participant', '/creditor_agent');
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'CNY', { creditor_agent: network.banks.cn })), 422, 'account_not_held_at_agent', '/creditor_agent');
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, uuid(), '100', 'CNY')), 422, 'creditor_account_not_found', '/creditor_account');
    });
  });

  it('takes an eight-character BIC and the same BIC with branch XXX as one agent, in a request and in a file', async () => {
    // The test network registers its banks with eleven characters (HXCBCNSHXXX); senders often write eight.
    const primaryOffice = network.banks.cn.slice(0, 8);
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n, 'CNBIC8000001'), await network.customer(network.banks.cn, 'CNY', 0n, 'CNBIC8000002')];
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, to.id, '100', 'CNY', { debtor_agent: primaryOffice, creditor_agent: primaryOffice }), 201);
    expect(paid).toMatchObject({ status: 'ACCC', debtor: { agent: network.banks.cn } });
    const file = pain001({
      messageId: 'BIC8-1', debtorAccount: from.identifier, debtorAgent: primaryOffice, debtorName: 'Huaxin Trading',
      transactions: [{ endToEndId: 'BIC8-1-A', amount: '2.00', currency: 'CNY', creditorAgent: primaryOffice, creditorAccount: to.identifier, creditorName: 'Ningbo Axle' }],
    });
    const imported = await api.ok('POST', '/v1/payments/import', undefined, 200, { raw: file, headers: { 'content-type': 'application/xml' } });
    expect(imported.results.map((result: Record<string, unknown>) => [result.status, result.error])).toEqual([['ACCC', null]]);
    // Another branch of the same bank is another agent.
    expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'CNY', { debtor_agent: `${primaryOffice}001` })), 422, 'unknown_participant', '/debtor_agent');
  });

  it('refuses a closed account (account_closed, 422, AC04)', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.us, 'USD')];
    await api.ok('POST', `/v1/accounts/${to.id}/close`);
    await booksNothing([from.id, to.id], async () => {
      const problem = expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '5000', 'CNY')), 422, 'account_closed');
      expect(problem.reason_code).toBe('AC04');
    });
  });

  it('refuses an unsupported currency (unsupported_currency, 422, AM03)', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.us, 'USD')];
    await booksNothing([from.id, to.id], async () => {
      expect(expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'EUR')), 422, 'unsupported_currency', '/currency').reason_code).toBe('AM03');
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, '100', 'USD')), 422, 'currency_mismatch', '/currency');
    });
    // A participant cannot open accounts in a currency the platform has no ledger for.
    expectProblem(await api.call('PUT', `/v1/payments/participants/${network.banks.cn}/currencies/EUR`, {}), 422, 'unsupported_currency');
  });

  it('refuses XML with entity declarations, oversized XML and malformed XML, booking nothing', async () => {
    const from = await network.customer(network.banks.cn, 'CNY', 100_000n, 'CN1234567890');
    const xml = (body: string) => api.call('POST', '/v1/payments/import', undefined, { raw: body, headers: { 'content-type': 'application/xml' } });
    await booksNothing([from.id], async () => {
      const entity = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">&x;</Document>';
      expect(expectProblem(await xml(entity), 400, 'xml_entity_forbidden').reason_code).toBe('FF01');
      expect(expectProblem(await xml(`<Document>${'x'.repeat(PAYMENT_LIMITS.xmlMaxBytes)}</Document>`), 413, 'xml_too_large').reason_code).toBe('FF01');
      expect(expectProblem(await xml('<Document><CstmrCdtTrfInitn></Document>'), 400, 'xml_malformed').reason_code).toBe('FF01');
      expectProblem(await xml('<Other xmlns="urn:example"/>'), 422, 'xml_unsupported_message');
      expectProblem(await api.call('POST', '/v1/payments/import', { not: 'xml' }), 415, 'unsupported_media_type');
    });
  });

  it('refuses a file that is not UTF-8 instead of booking it with its letters replaced', async () => {
    const from = await network.customer(network.banks.cn, 'CNY', 100_000n, 'CNLATIN00001');
    const to = await network.customer(network.banks.cn, 'CNY', 0n, 'CNLATIN00002');
    const file = pain001({
      messageId: 'LATIN-1', debtorAccount: from.identifier, debtorAgent: network.banks.cn, debtorName: 'Café Zürich',
      transactions: [{ endToEndId: 'LATIN-1-A', amount: '10.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: to.identifier, creditorName: 'Société Générale' }],
    });
    const send = (bytes: Buffer) => api.call('POST', '/v1/payments/import', undefined, { raw: bytes, headers: { 'content-type': 'application/xml' } });
    await booksNothing([from.id, to.id], async () => {
      // Saved by a tool that writes Latin-1 and keeps the UTF-8 declaration: é is the single byte 0xE9.
      const latin1 = expectProblem(await send(Buffer.from(file, 'latin1')), 400, 'xml_malformed');
      expect(latin1.detail).toMatch(/line \d+, column \d+: Invalid bytes in character encoding/);
      const utf16 = expectProblem(await send(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(file, 'utf16le')])), 400, 'xml_malformed');
      expect(utf16.detail).toMatch(/UTF-16/);
    });
  });

  it('books the same request once, refuses the same id with another body, and books concurrent repeats once', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY')];
    const body = payment(from.id, to.id, '25000', 'CNY');
    const first = await api.ok('POST', '/v1/payments', body, 201);
    expect(await api.ok('POST', '/v1/payments', body, 200)).toEqual({ ...first, replayed: true });
    expectProblem(await api.call('POST', '/v1/payments', { ...body, amount: '25001' }), 409, 'payment_exists_with_different_fields', '/id');
    expectProblem(await api.call('POST', '/v1/payments', { ...payment(from.id, to.id, '1', 'CNY'), uetr: first.uetr }), 409, 'uetr_already_used', '/uetr');
    expect(await network.balance(to.id)).toBe(BigInt(first.credited.amount));

    const again = payment(from.id, to.id, '1000', 'CNY');
    const answers = await Promise.all(Array.from({ length: 6 }, () => api.call('POST', '/v1/payments', again)));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(await network.balance(to.id)).toBe(BigInt(first.credited.amount) + BigInt(answers[0]!.json().credited.amount));

    // A refused payment is refused again, as a replay, even once the money is there.
    const poor = await network.customer(network.banks.cn, 'CNY');
    const refusedBody = payment(poor.id, to.id, '500', 'CNY');
    expectProblem(await api.call('POST', '/v1/payments', refusedBody), 422, 'insufficient_funds');
    await network.fund(poor.id, 'CNY', 10_000n);
    expect(expectProblem(await api.call('POST', '/v1/payments', refusedBody), 422, 'insufficient_funds').replayed).toBe(true);
  });

  it('books the same import file once', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 10_000_000n, 'CNIMPORT0001');
    const creditors = [await network.customer(network.banks.us, 'USD', 0n, 'USIMPORT0001'), await network.customer(network.banks.cn, 'CNY', 0n, 'CNIMPORT0002')];
    const file = pain001({
      messageId: 'RUN-2026-0001', debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: 'Huaxin Trading',
      transactions: [
        { endToEndId: 'INV-1', amount: '1250.00', currency: 'CNY', creditorAgent: network.banks.us, creditorAccount: creditors[0]!.identifier, creditorName: 'First National' },
        { endToEndId: 'INV-2', amount: '99.99', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditors[1]!.identifier, creditorName: 'Ningbo Axle' },
        { endToEndId: 'INV-3', amount: '1.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: 'NOSUCHACCOUNT', creditorName: 'Nobody' },
      ],
    });
    const send = () => api.call('POST', '/v1/payments/import', undefined, { raw: file, headers: { 'content-type': 'application/xml' } });
    const first = (await send()).json();
    expect(first.results.map((result: Record<string, unknown>) => [result.status, result.error, result.replayed])).toEqual([
      ['ACCC', null, false], ['ACCC', null, false], ['RJCT', 'creditor_account_not_found', false],
    ]);
    const balances = [await network.balance(debtor.id), ...(await Promise.all(creditors.map((creditor) => network.balance(creditor.id))))];
    const second = (await send()).json();
    expect(second.results.map((result: Record<string, unknown>) => [result.status, result.replayed, result.uetr])).toEqual(
      first.results.map((result: Record<string, unknown>) => [result.status, true, result.uetr]),
    );
    expect([await network.balance(debtor.id), ...(await Promise.all(creditors.map((creditor) => network.balance(creditor.id))))]).toEqual(balances);
  });
});
