import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, type Api } from '../../../test/http/harness.ts';
import { buildPacs008, type HeaderInput, type InterbankCreditTransfer } from '../iso20022/index.ts';
import { importTools, startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

/**
 * A participant key imports only what it may have sent: a pacs.008 as its own bank (the header's
 * Fr and the instructing agent), and any file naming its own bank, or the bank holding its account,
 * as debtor agent. Otherwise the file is refused with 403 naming the element, before its MsgId is
 * claimed or any payment recorded. Admin and operator keys import for anyone.
 */
describeEachDialect('what a participant key may import', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const { send, recorded, participantKey } = importTools(() => api);
  const replays = (response: { json(): any }) => response.json().results.map((result: Record<string, unknown>) => [result.status, result.replayed]);

  async function pacs008Writer(tag: string) {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, `CNACC${tag}01`);
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, `CNACC${tag}02`);
    const transfer = (amount: bigint): InterbankCreditTransfer => ({
      endToEndId: `${tag}-${amount}`, uetr: randomUUID(), amount: { amount, currency: 'CNY' }, settlementAmount: { amount, currency: 'CNY' }, settlementDate: '2026-01-01',
      chargeBearer: 'SHAR', charges: [], remittanceInformation: ['Invoice'],
      debtor: { name: 'Huaxin Trading', account: { kind: 'other', id: debtor.identifier }, agentBic: network.banks.cn },
      creditor: { name: 'Ningbo Axle', account: { kind: 'other', id: creditor.identifier }, agentBic: network.banks.cn },
    });
    return (messageId: string, amount: bigint, fromBic = network.banks.cn) => {
      const header: HeaderInput = { fromBic, toBic: network.banks.us, businessMessageId: messageId, createdAt: '2026-01-01T09:00:00Z' };
      const built = buildPacs008(header, [transfer(amount)]);
      if (!built.ok) throw new Error(built.error);
      return built.value;
    };
  }

  it('lets a bank\'s key send a pacs.008 as itself, and refuses one naming another bank as sender', async () => {
    const bank = await participantKey('bank-hxcb');
    const build = await pacs008Writer('B1');
    expect(replays(await send(build('ACC-B1-1', 100n).combined, bank))).toEqual([['ACCC', false]]);
    // The eight-character BIC names the same bank.
    expect(replays(await send(build('ACC-B1-2', 101n, network.banks.cn.slice(0, 8)).combined, bank))).toEqual([['ACCC', false]]);

    const before = await recorded();
    const spoofed = build('ACC-B1-3', 200n, network.banks.us);
    const problem = expectProblem(await send(spoofed.combined, bank), 403, 'sender_not_owned', '/BusinessMessage/AppHdr/Fr/FIId/FinInstnId/BICFI');
    expect(problem.errors.map((error: { pointer: string }) => error.pointer)).toEqual([
      '/BusinessMessage/AppHdr/Fr/FIId/FinInstnId/BICFI', '/BusinessMessage/Document/FIToFICstmrCdtTrf/GrpHdr/InstgAgt/FinInstnId/BICFI',
    ]);
    expectProblem(await send(spoofed.document, bank), 403, 'sender_not_owned', '/Document/FIToFICstmrCdtTrf/GrpHdr/InstgAgt/FinInstnId/BICFI');
    // Its own header with another bank as instructing agent is refused as well, naming that element alone.
    const mixed = build('ACC-B1-4', 300n).combined.replace(`<InstgAgt><FinInstnId><BICFI>${network.banks.cn}`, `<InstgAgt><FinInstnId><BICFI>${network.banks.us}`);
    const refused = expectProblem(await send(mixed, bank), 403, 'sender_not_owned');
    expect(refused.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/BusinessMessage/Document/FIToFICstmrCdtTrf/GrpHdr/InstgAgt/FinInstnId/BICFI']);
    expect(await recorded()).toBe(before);
    // The refusals claimed no message id: the bank the file named can still use it.
    expect(replays(await send(spoofed.combined))).toEqual([['ACCC', false]]);
  });

  it('refuses a bank\'s key a pacs.008 that names no sender, which an admin key may still import', async () => {
    const bank = await participantKey('bank-hxcb');
    const build = await pacs008Writer('B2');
    const anonymous = build('ACC-B2-1', 100n).document.replace(/<InstgAgt>.*?<\/InstgAgt>/, '');
    expect(anonymous).not.toContain('InstgAgt');
    expectProblem(await send(anonymous, bank), 403, 'sender_not_owned', '/Document/FIToFICstmrCdtTrf/GrpHdr/InstgAgt');
    expect(replays(await send(anonymous))).toEqual([['ACCC', false]]);
  });

  it('refuses a customer\'s key a pacs.008, which only a bank sends', async () => {
    const build = await pacs008Writer('B3');
    const customer = await network.customer(network.banks.cn, 'CNY', 1_000n);
    expectProblem(await send(build('ACC-B3-1', 100n).combined, await participantKey(customer.partyId)), 403, 'sender_not_owned', '/BusinessMessage/AppHdr/Fr/FIId/FinInstnId/BICFI');
  });

  it('lets a pain.001 name the key\'s own bank or the bank holding its account as debtor agent, and no other', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNACCP10001');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNACCP10002');
    const file = (messageId: string, debtorAgent: string) => pain001({
      messageId, debtorAccount: debtor.identifier, debtorAgent, debtorName: 'Access Trading',
      transactions: [{ endToEndId: `${messageId}-E`, amount: '1.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' }],
    });
    const customer = await participantKey(debtor.partyId);
    const bank = await participantKey('bank-hxcb');
    expect(replays(await send(file('ACC-P1-1', network.banks.cn), customer))).toEqual([['ACCC', false]]);
    expect(replays(await send(file('ACC-P1-2', network.banks.cn), bank))).toEqual([['ACCC', false]]);

    const before = await recorded();
    const foreign = file('ACC-P1-3', network.banks.us);
    for (const key of [customer, bank]) {
      expectProblem(await send(foreign, key), 403, 'debtor_agent_not_owned', '/Document/CstmrCdtTrfInitn/PmtInf[1]/DbtrAgt/FinInstnId/BICFI');
    }
    // Nothing was recorded under the other bank's payment ids; an admin key's import is checked as
    // before, and the payment is rejected because the account is not held there.
    expect(await recorded()).toBe(before);
    expect((await send(foreign)).json().results.map((result: Record<string, unknown>) => [result.status, result.error])).toEqual([['RJCT', 'account_not_held_at_agent']]);
    // The account check comes first: another party's account is still account_not_owned, pointing
    // at the element of the file that names it.
    const stranger = await participantKey((await network.customer(network.banks.cn, 'CNY')).partyId);
    const notOwned = expectProblem(await send(file('ACC-P1-4', network.banks.cn), stranger), 403, 'account_not_owned');
    expect(notOwned.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/Document/CstmrCdtTrfInitn/PmtInf[1]/DbtrAcct/Id/Othr/Id']);
    expect(await recorded()).toBe(before! + 1n);
  });

  it('counts a participant key\'s pain.001 MsgIds apart, so another customer naming the same initiating party cannot use them up', async () => {
    const victim = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNACCNS0001');
    const intruder = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNACCNS0002');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNACCNS0003');
    // Both files name the victim as initiating party; each pays from its own key's account.
    const file = (debtorAccount: string, amount: string) => pain001({
      messageId: 'ACC-NS-1', debtorAccount, debtorAgent: network.banks.cn, debtorName: 'Victim Holdings',
      transactions: [{ endToEndId: `NS-${amount}`, amount, currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' }],
    });
    const intruderKey = await participantKey(intruder.partyId);
    const victimKey = await participantKey(victim.partyId);
    expect(replays(await send(file(intruder.identifier, '1.00'), intruderKey))).toEqual([['ACCC', false]]);
    // The victim's own file under its own MsgId is booked, and replays when sent again, also by
    // another key of the same party.
    const own = file(victim.identifier, '2.00');
    expect(replays(await send(own, victimKey))).toEqual([['ACCC', false]]);
    expect(replays(await send(own, await participantKey(victim.partyId)))).toEqual([['ACCC', true]]);
    // Within its own namespace the MsgId still names one file.
    expectProblem(await send(file(victim.identifier, '3.00'), victimKey), 409, 'duplicate_message_id', '/Document/CstmrCdtTrfInitn/GrpHdr/MsgId');
    expect(await network.balance(creditor.id)).toBe(300n);
  });

  it('points account_not_owned of a pacs.008 at the debtor account element of the transfer at fault', async () => {
    const build = await pacs008Writer('B4');
    const elsewhere = await network.customer(network.banks.us, 'CNY', 1_000n, 'USACCB401');
    const built = build('ACC-B4-1', 100n);
    const foreign = built.combined.replace(/<DbtrAcct><Id><Othr><Id>[^<]+<\/Id>/, `<DbtrAcct><Id><Othr><Id>${elsewhere.identifier}</Id>`);
    expect(foreign).toContain(elsewhere.identifier);
    const problem = expectProblem(await send(foreign, await participantKey('bank-hxcb')), 403, 'account_not_owned');
    expect(problem.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/BusinessMessage/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/DbtrAcct/Id/Othr/Id']);
  });
});
