import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, uuid, type Api } from '../../../test/http/harness.ts';
import { paymentsCommand } from './payments.cli.ts';
import { startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

/**
 * The payments API end to end: set-up of participants and accounts, a quoted cross-border payment,
 * its tracker, its messages exported as XML, a held payment accepted and another cancelled, a
 * day's statement, what a participant's key may see, and the command line against a live server.
 */
describeEachDialect('payments over HTTP', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  it('pays across borders at a quoted rate, and tracks, reports and exports it', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 2_000_000n), await network.customer(network.banks.us, 'JPY')];
    const quote = await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'JPY', sell_amount: '1000000' }, 201);
    expect(quote).toMatchObject({ sell_amount: '1000000', used: false, expires_at: '2026-01-01T00:00:30.000Z' });
    const payment = await api.ok('POST', '/v1/payments', {
      id: uuid(), end_to_end_id: 'INV-2026-0001', debtor_account: from.id, creditor_account: to.identifier, amount: '1000000', currency: 'CNY',
      charge_bearer: 'DEBT', purpose: 'SUPP', remittance_information: 'Invoice 2026-0001', quote_id: quote.id,
    }, 201);
    expect(payment).toMatchObject({
      status: 'ACCC', end_to_end_id: 'INV-2026-0001', charge_bearer: 'DEBT', fx: { quote_id: quote.id, rate: quote.rate },
      debtor: { agent: network.banks.cn }, creditor: { agent: network.banks.us, identifier: to.identifier },
    });
    expect(payment.uetr).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await api.ok('GET', `/v1/fx/quotes/${quote.id}`)).used).toBe(true);
    expect(await network.balance(to.id)).toBe(BigInt(payment.credited.amount));

    const track = await api.ok('GET', `/v1/payments/${payment.uetr}/track`);
    expect(track.hops.map((hop: { role: string; status: string }) => `${hop.role}:${hop.status}`)).toEqual([
      'debtor:settled', 'debtor_agent:settled', 'fx:settled', 'creditor_agent:settled', 'creditor:settled',
    ]);
    expect(track.hops[2]).toMatchObject({ participant: 'FX', amount_in: { currency: 'CNY' }, amount_out: { currency: 'JPY' }, fx: { rate: quote.rate, spread_bps: 20 } });
    expect(track.events.map((event: { status: string }) => event.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    expect(track.reached_creditor_agent_at < track.credited_to_creditor_at).toBe(true);

    const exported = await api.call('GET', `/v1/payments/${payment.uetr}/messages/pacs.008`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/xml/);
    expect(exported.body).toContain('<MsgDefIdr>pacs.008.001.08</MsgDefIdr>');
    expect(exported.body).toContain('<ChrgBr>DEBT</ChrgBr>');
    expect(exported.body).toContain('<EndToEndId>INV-2026-0001</EndToEndId>');
    expect((await api.call('GET', `/v1/payments/${payment.uetr}/messages/pacs.002`)).body).toContain('<TxSts>ACCC</TxSts>');
    expectProblem(await api.call('GET', `/v1/payments/${payment.uetr}/messages/pacs.004`), 404, 'message_not_found');
    expectProblem(await api.call('GET', `/v1/payments/${uuid()}`), 404, 'payment_not_found');
  });

  it('credits the creditor a DEBT payment exactly the buy amount of the quote it executes', async () => {
    // One yen buys several fen, so the charge bought on top can come out above the charge itself.
    const from = await network.customer(network.banks.us, 'JPY', 10_000_000n);
    for (const [sellAmount, chargeBearer] of [['123457', 'DEBT'], ['98765', 'DEBT'], ['123457', 'SHAR']] as const) {
      const to = await network.customer(network.banks.cn, 'CNY');
      const quote = await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'JPY', buy_currency: 'CNY', sell_amount: sellAmount }, 201);
      const payment = await api.ok('POST', '/v1/payments', {
        id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: sellAmount, currency: 'JPY', charge_bearer: chargeBearer, quote_id: quote.id,
      }, 201);
      const [credited, creditorCharge] = [BigInt(payment.credited.amount), BigInt(payment.charges.creditor_agent.amount)];
      if (chargeBearer === 'DEBT') {
        expect(credited).toBe(BigInt(quote.buy_amount));
        // The creditor agent's charge (100 fen and 10 bp here) was bought on top, not taken from the credit.
        expect(creditorCharge >= 100n + (credited * 10n) / 10_000n).toBe(true);
      } else {
        expect(payment.fx.bought.amount).toBe(quote.buy_amount);
        expect(credited).toBe(BigInt(quote.buy_amount) - creditorCharge);
      }
      expect(await network.balance(to.id)).toBe(credited);
    }
  });

  it('holds a payment for the creditor agent, accepts one and cancels another', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'USD', 500_000n), await network.customer(network.banks.us, 'USD')];
    const hold = () => api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'USD', settlement: 'on_acceptance' }, 201);
    const [accepted, cancelled] = [await hold(), await hold()];
    expect(accepted).toMatchObject({ status: 'ACSP', credited_to_creditor_at: null, acceptance_deadline: expect.any(String) });
    expect(await api.ok('POST', `/v1/payments/${accepted.uetr}/accept`)).toMatchObject({ status: 'ACCC' });
    expect(await api.ok('POST', `/v1/payments/${cancelled.uetr}/cancel`, { reason: 'DUPL' })).toMatchObject({ status: 'CANC', reason_code: 'DUPL' });
    expectProblem(await api.call('POST', `/v1/payments/${cancelled.uetr}/cancel`, {}), 409, 'payment_not_cancellable');
    expectProblem(await api.call('POST', `/v1/payments/${accepted.uetr}/cancel`, {}), 409, 'payment_already_settled');
    expectProblem(await api.call('POST', `/v1/payments/${cancelled.uetr}/reject`, { reason: 'WHAT' }), 400, 'validation_failed', '/reason');
    expect(await network.balance(to.id)).toBe(BigInt(accepted.credited.amount));
    expect(await api.ok('POST', `/v1/payments/${accepted.uetr}/return`, { reason: 'CUST' })).toMatchObject({ status: 'RTND', return: { reason_code: 'CUST' } });
    expect((await api.call('GET', `/v1/payments/${accepted.uetr}/messages/pacs.004`)).body).toContain('<Cd>CUST</Cd>');
  });

  it('points every refused move of a payment at the payment in the path', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 500_000n), await network.customer(network.banks.us, 'CNY')];
    const settled = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'CNY' }, 201);
    const held = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'CNY', settlement: 'on_acceptance' }, 201);
    await api.ok('POST', `/v1/payments/${held.uetr}/cancel`, { reason: 'DUPL' });
    expectProblem(await api.call('POST', `/v1/payments/${held.uetr}/cancel`, {}), 409, 'payment_not_cancellable', '/params/uetr');
    expectProblem(await api.call('POST', `/v1/payments/${held.uetr}/accept`), 409, 'payment_not_awaiting_acceptance', '/params/uetr');
    expectProblem(await api.call('POST', `/v1/payments/${held.uetr}/return`, { reason: 'CUST' }), 409, 'payment_not_settled', '/params/uetr');
    expectProblem(await api.call('POST', `/v1/payments/${settled.uetr}/cancel`, {}), 409, 'payment_already_settled', '/params/uetr');
    await api.ok('POST', `/v1/payments/${settled.uetr}/return`, { reason: 'CUST' });
    expectProblem(await api.call('POST', `/v1/payments/${settled.uetr}/return`, { reason: 'CUST' }), 409, 'payment_already_returned', '/params/uetr');
  });

  it('cancels a held payment on a bare POST, with the default reason CUST', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 500_000n), await network.customer(network.banks.us, 'CNY')];
    const held = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'CNY', settlement: 'on_acceptance' }, 201);
    expect(await api.ok('POST', `/v1/payments/${held.uetr}/cancel`)).toMatchObject({ status: 'CANC', reason_code: 'CUST' });
    expect(await network.balance(from.id)).toBe(500_000n);
  });

  it('points a return the ledger refuses at the payment, not at a field the request does not have', async () => {
    const [from, to, elsewhere] = [await network.customer(network.banks.cn, 'CNY', 500_000n), await network.customer(network.banks.us, 'CNY'), await network.customer(network.banks.us, 'CNY')];
    const settled = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '40000', currency: 'CNY' }, 201);
    // The creditor spends nearly all of it, so the return cannot take back what it was credited.
    const spent = String(BigInt(settled.credited.amount) - 1_000n);
    await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: to.id, creditor_account: elsewhere.id, amount: spent, currency: 'CNY' }, 201);
    const problem = expectProblem(await api.call('POST', `/v1/payments/${settled.uetr}/return`, { reason: 'CUST' }), 422, 'insufficient_funds', '/params/uetr');
    expect(problem.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/params/uetr']);
    expect(await api.ok('GET', `/v1/payments/${settled.uetr}`)).toMatchObject({ status: 'ACCC', return: null });
  });

  it('lists payments page by page, and states an account\'s day as camt.053', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 300_000n, 'CNSTMT000001'), await network.customer(network.banks.cn, 'CNY')];
    for (const amount of ['1000', '2000', '3000']) {
      await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount, currency: 'CNY', end_to_end_id: `STMT-${amount}` }, 201);
    }
    const statement = await api.ok('GET', `/v1/payments/statements?account=${from.identifier}&date=2026-01-01&format=json`);
    expect(statement).toMatchObject({ account_id: from.id, currency: 'CNY', date: '2026-01-01', opening: '0', closing: String(await network.balance(from.id)) });
    expect(statement.entries.map((entry: { credit_debit: string }) => entry.credit_debit)).toEqual(['CRDT', 'DBIT', 'DBIT', 'DBIT', 'DBIT', 'DBIT', 'DBIT']);
    // The JSON form speaks the API's snake_case, like every other answer.
    expect(Object.keys(statement.entries[1]).sort()).toEqual([
      'account_servicer_reference', 'amount', 'bank_transaction_code', 'booking_date', 'credit_debit', 'end_to_end_id', 'entry_reference', 'uetr', 'value_date',
    ]);
    expect(statement.entries[1]).toMatchObject({ amount: { amount: '1000', currency: 'CNY' }, end_to_end_id: 'STMT-1000', bank_transaction_code: { domain: 'PMNT', family: 'ICDT', sub_family: 'DMCT' } });
    const xml = await api.call('GET', `/v1/payments/statements?account=${from.id}&date=2026-01-01`);
    expect(xml.body).toContain('<EndToEndId>STMT-2000</EndToEndId>');
    expect(xml.body).toContain('camt.053.001.08');
    expectProblem(await api.call('GET', '/v1/payments/statements?account=NOSUCH&date=2026-01-01'), 404, 'account_not_found');
    const tomorrow = await api.ok('GET', `/v1/payments/statements?account=${from.id}&date=2026-01-02&format=json`);
    expect(tomorrow).toMatchObject({ opening: statement.closing, closing: statement.closing, entries: [] });

    const first = await api.ok('GET', '/v1/payments?limit=2&status=ACCC');
    expect(first.data).toHaveLength(2);
    const second = await api.ok('GET', `/v1/payments?limit=2&status=ACCC&cursor=${first.next_cursor}`);
    expect(second.data[0].id).not.toBe(first.data[1].id);
  });

  it('lists payments newest first with order=desc, page by page, exactly the reverse of oldest first', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.cn, 'CNY')];
    for (const amount of ['101', '102', '103', '104', '105']) {
      await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount, currency: 'CNY' }, 201);
    }
    const walk = async (order: string): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 1_000; pages += 1) {
        const listed: { data: { id: string }[]; next_cursor: string | null } = await api.ok('GET', `/v1/payments?order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        ids.push(...listed.data.map((payment) => payment.id));
        cursor = listed.next_cursor;
        if (cursor === null) return ids;
      }
      throw new Error('the listing did not end');
    };
    const oldestFirst = await walk('asc');
    const newestFirst = await walk('desc');
    expect(oldestFirst.length).toBeGreaterThanOrEqual(5);
    expect(new Set(newestFirst).size).toBe(newestFirst.length);
    expect(newestFirst).toEqual([...oldestFirst].reverse());
    expect(await walk('asc')).toEqual(oldestFirst);
    expectProblem(await api.call('GET', '/v1/payments?order=newest'), 400, 'validation_failed', '/query/order');
  });

  it('refuses a statement day the ledger\'s clock cannot hold as statement_date_invalid, not a 500', async () => {
    const account = await network.customer(network.banks.cn, 'CNY', 1_000n);
    for (const date of ['9999-12-31', '2262-04-11', '0001-01-01', '1969-12-31']) {
      expectProblem(await api.call('GET', `/v1/payments/statements?account=${account.id}&date=${date}`), 400, 'statement_date_invalid', '/query/date');
    }
    expect(await api.ok('GET', `/v1/payments/statements?account=${account.id}&date=2262-04-10&format=json`)).toMatchObject({ entries: [] });
  });

  it('refuses to state an account holding more than a camt.053 can write (18 digits), instead of a 500', async () => {
    const rich = await network.customer(network.banks.cn, 'CNY', 2_000_000_000_000_000_000n);
    for (const format of ['xml', 'json']) {
      expectProblem(await api.call('GET', `/v1/payments/statements?account=${rich.id}&date=2026-01-01&format=${format}`), 422, 'amount_out_of_range', '/query/account');
    }
  });

  it('shows a participant\'s key only the payments of its own parties', async () => {
    const [mine, theirs, payee] = [await network.customer(network.banks.cn, 'CNY', 50_000n), await network.customer(network.banks.cn, 'CNY', 50_000n), await network.customer(network.banks.cn, 'CNY')];
    const key = (await api.ok('POST', '/v1/api-keys', { name: 'customer', role: 'participant', party_ids: [mine.partyId] }, 201)).key as string;
    const own = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: mine.id, creditor_account: payee.id, amount: '100', currency: 'CNY' }, 201, { key });
    expectProblem(await api.call('POST', '/v1/payments', { id: uuid(), debtor_account: theirs.id, creditor_account: payee.id, amount: '100', currency: 'CNY' }, { key }), 403, 'account_not_owned', '/debtor_account');
    const other = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: theirs.id, creditor_account: payee.id, amount: '100', currency: 'CNY' }, 201);
    await api.ok('GET', `/v1/payments/${own.uetr}/track`, undefined, 200, { key });
    // A payment of others answers exactly as an unknown UETR does, but for the UETR itself, on every route that names one.
    const unknown = uuid();
    for (const [method, tail, body] of [['GET', ''], ['GET', '/track'], ['GET', '/messages/pacs.008'], ['POST', '/cancel', {}], ['POST', '/accept']] as const) {
      const [hidden, missing] = [await api.call(method, `/v1/payments/${other.uetr}${tail}`, body, { key }), await api.call(method, `/v1/payments/${unknown}${tail}`, body, { key })];
      expectProblem(missing, 404, 'payment_not_found', '/params/uetr');
      expectProblem(hidden, 404, 'payment_not_found', '/params/uetr');
      expect(JSON.parse(hidden.body.replaceAll(other.uetr, 'UETR')), `${method} ${tail}`).toEqual(JSON.parse(missing.body.replaceAll(unknown, 'UETR')));
    }
    const listed = await api.ok('GET', '/v1/payments?limit=100', undefined, 200, { key });
    expect(listed.data.map((payment: { uetr: string }) => payment.uetr)).toEqual([own.uetr]);
    expectProblem(await api.call('POST', '/v1/payments/webhooks', { url: 'http://127.0.0.1:9/x' }, { key }), 403, 'forbidden');
    // The debtor may cancel but not accept on the creditor agent's behalf, nor return what it paid.
    expectProblem(await api.call('POST', `/v1/payments/${own.uetr}/return`, { reason: 'CUST' }, { key }), 403, 'not_your_side');
    expectProblem(await api.call('POST', `/v1/payments/${own.uetr}/cancel`, {}, { key }), 409, 'payment_already_settled');
  });

  it('imports and exports through the command line', async () => {
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNCLI0000001');
    const creditor = await network.customer(network.banks.us, 'USD', 0n, 'USCLI0000001');
    const dir = mkdtempSync(join(tmpdir(), 'payments-cli-'));
    const file = join(dir, 'run.xml');
    writeFileSync(file, pain001({
      messageId: 'CLI-RUN-1', debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: 'CLI Trading',
      transactions: [{ endToEndId: 'CLI-1', amount: '123.45', currency: 'CNY', creditorAgent: network.banks.us, creditorAccount: creditor.identifier, creditorName: 'CLI Receiver' }],
    }));
    const output: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
    try {
      const common = ['--url', address, '--key', api.adminKey];
      expect(await paymentsCommand('payments', ['import', file, ...common])).toBe(0);
      const imported = JSON.parse(output.join('')) as { results: { uetr: string; status: string }[] };
      expect(imported.results[0]?.status).toBe('ACCC');
      const out = join(dir, 'pacs008.xml');
      expect(await paymentsCommand('payments', ['export', '--uetr', imported.results[0]!.uetr, '--out', out, ...common])).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('<EndToEndId>CLI-1</EndToEndId>');
      output.length = 0;
      const id = uuid();
      const pay = ['pay', '--id', id, '--from', debtor.identifier, '--to', creditor.identifier, '--amount', '50000', '--currency', 'CNY', '--remittance', 'By hand', ...common];
      expect(await paymentsCommand('payments', pay), output.join('')).toBe(0);
      expect(JSON.parse(output.join(''))).toMatchObject({ id, status: 'ACCC', remittance_information: ['By hand'] });
      output.length = 0;
      expect(await paymentsCommand('payments', pay)).toBe(0);
      expect(JSON.parse(output.join(''))).toMatchObject({ id, replayed: true });
      const statement = join(dir, 'camt053.xml');
      expect(await paymentsCommand('statement', ['--account', debtor.identifier, '--date', '2026-01-01', '--out', statement, ...common])).toBe(0);
      expect(readFileSync(statement, 'utf8')).toContain('<EndToEndId>CLI-1</EndToEndId>');
    } finally {
      spy.mockRestore();
      errors.mockRestore();
    }
  });

  it('codes each statement entry by what it is: a payment at home or across borders, a charge, a return', async () => {
    const [from, home, abroad] = [await network.customer(network.banks.cn, 'CNY', 500_000n), await network.customer(network.banks.us, 'CNY'), await network.customer(network.banks.us, 'USD')];
    const paid = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: home.id, amount: '20000', currency: 'CNY' }, 201);
    await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: abroad.id, amount: '30000', currency: 'CNY' }, 201);
    await api.ok('POST', `/v1/payments/${paid.uetr}/return`, { reason: 'AC04' });
    const day = new Date(api.clock.nowMs()).toISOString().slice(0, 10);
    const codes = async (account: string) => {
      const xml = (await api.call('GET', `/v1/payments/statements?account=${account}&date=${day}`)).body;
      return [...xml.matchAll(/<Amt Ccy="[A-Z]{3}">([0-9.]+)<\/Amt><CdtDbtInd>(CRDT|DBIT)<\/CdtDbtInd><Sts>.*?<Fmly><Cd>([A-Z]+)<\/Cd><SubFmlyCd>([A-Z]+)<\/SubFmlyCd>/g)].map((match) => match.slice(1).join(' '));
    };
    expect(await codes(from.id)).toEqual([
      '5000.00 CRDT RCDT OTHR', // funded through the ledger, not by a payment
      '200.00 DBIT ICDT DMCT', '1.20 DBIT ICDT CHRG',
      '300.00 DBIT ICDT XBCT', '1.30 DBIT ICDT CHRG',
      `${(Number(paid.credited.amount) / 100).toFixed(2)} CRDT ICDT RRTN`,
    ]);
    expect(await codes(home.id)).toEqual([`${(Number(paid.credited.amount) / 100).toFixed(2)} CRDT RCDT DMCT`, `${(Number(paid.credited.amount) / 100).toFixed(2)} DBIT RCDT RRTN`]);
    expect((await codes(abroad.id))[0]).toMatch(/ CRDT RCDT XBCT$/);
  });

  // Last: it moves the clock to the next day.
  it('states a day not yet over as interim, under a message id of its own, and a day that is over as one final message', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.cn, 'CNY')];
    const day = new Date(api.clock.nowMs()).toISOString().slice(0, 10);
    const statement = async () => (await api.call('GET', `/v1/payments/statements?account=${from.id}&date=${day}`)).body;
    const messageId = (xml: string) => /<MsgId>([^<]+)<\/MsgId>/.exec(xml)?.[1];
    await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '1000', currency: 'CNY' }, 201);
    const morning = await statement();
    expect(morning).toContain('<Cd>ITBD</Cd>');
    expect(morning).not.toContain('<Cd>CLBD</Cd>');
    expect(morning).toContain(`<CreDtTm>${new Date(api.clock.nowMs()).toISOString()}</CreDtTm>`);
    api.clock.advance(1_000);
    await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '2000', currency: 'CNY' }, 201);
    const noon = await statement();
    expect(messageId(noon)).not.toBe(messageId(morning));
    expect(await api.ok('GET', `/v1/payments/statements?account=${from.id}&date=${day}&format=json`)).toMatchObject({ interim: true });
    api.clock.advance(Date.parse(`${day}T00:00:00Z`) + 86_400_000 - api.clock.nowMs());
    const final = await statement();
    expect(final).toContain('<Cd>CLBD</Cd>');
    expect(final).not.toContain('<Cd>ITBD</Cd>');
    const nextDay = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    expect(final).toContain(`<CreDtTm>${nextDay}T00:00:00Z</CreDtTm>`);
    api.clock.advance(60_000);
    expect(await statement()).toBe(final);
    expect(await api.ok('GET', `/v1/payments/statements?account=${from.id}&date=${day}&format=json`)).toMatchObject({ interim: false });
  });
});
