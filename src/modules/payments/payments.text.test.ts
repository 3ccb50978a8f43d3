import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, stateOf, uuid, type Api } from '../../../test/http/harness.ts';
import { startNetworkApi, type Network } from './payments.http.test-support.ts';
import { messageName } from './payments.messages.ts';

/**
 * Text a payment carries into its ISO 20022 messages. Remittance text that XML cannot carry used to
 * pass the schema and then fail while the pacs.008 was built, answering 500 settlement_failed; so
 * did a party name longer than a message's 140 characters, which also broke the account's statements.
 */
describeEachDialect('payment text that travels in XML messages', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const payment = (from: string, to: string, remittance: string) =>
    ({ id: uuid(), debtor_account: from, creditor_account: to, amount: '50000', currency: 'CNY', remittance_information: remittance });

  it('refuses remittance text XML cannot carry with a 400 naming the field, and books nothing', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY')];
    const before = await stateOf(api);
    for (const text of ['bell \u0007', 'lone \ud800 surrogate', '\ufeffbyte order mark', 'not a character \uffff', 'escape \u001b[0m']) {
      expectProblem(await api.call('POST', '/v1/payments', payment(from.id, to.id, text)), 400, 'validation_failed', '/remittance_information');
    }
    expect(await stateOf(api)).toEqual(before);
  });

  it('still takes tabs, line breaks and characters beyond the basic plane, and sends them in the pacs.008', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY')];
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, to.id, 'Invoice\t42\nthanks 💸 𝟙'), 201);
    expect(paid.status).toBe('ACCC');
    const message = await api.call('GET', `/v1/payments/${paid.uetr}/messages/pacs.008`);
    expect(message.statusCode).toBe(200);
    expect(message.body).toContain('thanks 💸 𝟙');
  });

  it('cuts a party name longer than a message allows to 140 characters, in the pacs.008 and the camt.053', async () => {
    // 139 letters and then characters beyond the basic plane: the cut counts characters, not UTF-16 units.
    const name = `${'N'.repeat(139)}𝟙𝟚${'M'.repeat(59)}`;
    await api.ok('POST', '/v1/parties', { id: 'long-name', name, kind: 'enterprise', jurisdiction: 'CN' }, 201);
    const account = await api.ok('POST', '/v1/payments/accounts', { bic: network.banks.cn, party_id: 'long-name', currency: 'CNY' }, 201);
    const from = await network.customer(network.banks.cn, 'CNY', 1_000_000n);
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, account.account_id, 'goods'), 201);
    expect(paid).toMatchObject({ status: 'ACCC', creditor: { name } });
    const cut = `<Nm>${'N'.repeat(139)}𝟙</Nm>`;
    const message = await api.call('GET', `/v1/payments/${paid.uetr}/messages/pacs.008`);
    expect(message.statusCode, message.body).toBe(200);
    expect(message.body).toContain(cut);
    const statement = await api.call('GET', `/v1/payments/statements?account=${account.account_id}&date=2026-01-01`);
    expect(statement.statusCode, statement.body).toBe(200);
    expect(statement.body).toContain(cut);
  });

  it('still pays a party registered with a name XML cannot carry, sending it with replacement characters', async () => {
    // Stored through the service, as parties registered before the registration check were.
    const registered = await api.platform.parties.create({ id: 'old-name', name: '\ufeffBell\u0007 & Tab\u000b Ltd', kind: 'enterprise', jurisdiction: 'CN', metadata: null });
    expect(registered.ok).toBe(true);
    const account = await api.ok('POST', '/v1/payments/accounts', { bic: network.banks.cn, party_id: 'old-name', currency: 'CNY' }, 201);
    const from = await network.customer(network.banks.cn, 'CNY', 1_000_000n);
    const paid = await api.ok('POST', '/v1/payments', payment(from.id, account.account_id, 'goods'), 201);
    expect(paid.status).toBe('ACCC');
    const message = await api.call('GET', `/v1/payments/${paid.uetr}/messages/pacs.008`);
    expect(message.statusCode, message.body).toBe(200);
    expect(message.body).toContain('<Nm>Bell\ufffd &amp; Tab\ufffd Ltd</Nm>');
    const statement = await api.call('GET', `/v1/payments/statements?account=${account.account_id}&date=2026-01-01`);
    expect(statement.statusCode, statement.body).toBe(200);
    expect(statement.body).toContain('Bell\ufffd &amp; Tab\ufffd Ltd');
  });

  it('replaces unpaired surrogates and non-characters in a name, and keeps characters beyond the basic plane whole', () => {
    expect(messageName('\ufeffA\u0007B\udc00C\ud800\uffffD 𝟙\ufeff')).toBe('A\ufffdB\ufffdC\ufffd\ufffdD 𝟙\ufeff');
  });
});
