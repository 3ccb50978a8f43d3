/**
 * Set-up of the payments HTTP tests, done through the API itself: ledgers, parties, participants
 * with their currencies and charges, the FX desk's rates and liquidity, and funded customers. Also
 * a writer of small, schema-valid pain.001.001.09 files for the import tests, and a webhook
 * receiver on loopback for the notification tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApi, uuid, type Api } from '../../../test/http/harness.ts';
import type { Database } from '../../db/index.ts';

export interface Network {
  /** Issuance accounts (no limits) per currency. */
  readonly source: Record<string, string>;
  readonly banks: { readonly cn: string; readonly us: string };
  customer(bic: string, currency: string, funds?: bigint, identifier?: string): Promise<{ id: string; identifier: string; partyId: string }>;
  fund(accountId: string, currency: string, amount: bigint): Promise<void>;
  /** Posted balance of an account, through the ledger API. */
  balance(accountId: string): Promise<bigint>;
}

const LEDGERS = [[1, 'CNY'], [2, 'USD'], [3, 'JPY']] as const;
const ledgerOf = (currency: string) => LEDGERS.find(([, code]) => code === currency)![0];

export async function setUpNetwork(api: Api): Promise<Network> {
  const source: Record<string, string> = {};
  for (const [id, code] of LEDGERS) {
    await api.ok('POST', '/v1/ledgers', { id, asset_code: code, name: code }, 201);
    source[code] = uuid();
    await api.ok('POST', '/v1/accounts', { id: source[code], ledger: id, code: 1 }, 201);
  }
  const fund = async (accountId: string, currency: string, amount: bigint) => {
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source[currency], credit_account_id: accountId, amount: String(amount), ledger: ledgerOf(currency), code: 1 }, 201);
  };
  await api.ok('PUT', '/v1/fx/rates/USD/CNY', { mid: '7.1234', spread_bps: 25 });
  await api.ok('PUT', '/v1/fx/rates/USD/JPY', { mid: '151.37', spread_bps: 20 });
  await api.ok('PUT', '/v1/fx/rates/CNY/JPY', { mid: '21.2497', spread_bps: 20 });
  for (const [, code] of LEDGERS) {
    const desk = await api.ok('GET', `/v1/fx/desk/${code}`);
    await fund(desk.position_account_id, code, 10n ** 13n);
  }
  const banks = { cn: 'HXCBCNSHXXX', us: 'FNBKUS33XXX' };
  for (const [bic, party, jurisdiction] of [[banks.cn, 'bank-hxcb', 'CN'], [banks.us, 'bank-fnbk', 'US']] as const) {
    await api.ok('POST', '/v1/parties', { id: party, name: `Bank ${bic}`, kind: 'bank', jurisdiction }, 201);
    await api.ok('POST', '/v1/payments/participants', { bic, party_id: party }, 201);
    for (const [, code] of LEDGERS) {
      const terms = await api.ok('PUT', `/v1/payments/participants/${bic}/currencies/${code}`, { fee_fixed: '100', fee_bps: 10 });
      await fund(terms.settlement_account_id, code, 10n ** 12n);
    }
  }
  return {
    source,
    banks,
    fund,
    async customer(bic, currency, funds = 0n, identifier) {
      const partyId = `cust_${randomBytes(4).toString('hex')}`;
      await api.ok('POST', '/v1/parties', { id: partyId, name: `Customer ${partyId}`, kind: 'individual', jurisdiction: 'CN' }, 201);
      const account = await api.ok('POST', '/v1/payments/accounts', { bic, party_id: partyId, currency, ...(identifier ? { identifier } : {}) }, 201);
      if (funds > 0n) await fund(account.account_id, currency, funds);
      return { id: account.account_id, identifier: account.identifier, partyId };
    },
    async balance(accountId) {
      const body = await api.ok('GET', `/v1/accounts/${accountId}/balances`);
      return BigInt(body.credits_posted) - BigInt(body.debits_posted);
    },
  };
}

export interface Pain001Transaction {
  readonly endToEndId: string;
  readonly amount: string;
  readonly currency: string;
  readonly creditorAgent: string;
  readonly creditorAccount: string;
  readonly creditorName: string;
}

/** A pain.001.001.09 with one payment information block: one debtor account, several transfers. */
export function pain001(options: { messageId: string; debtorAccount: string; debtorAgent: string; debtorName: string; transactions: readonly Pain001Transaction[] }): string {
  const total = options.transactions.reduce((sum, tx) => sum + Number(tx.amount), 0).toFixed(2);
  const transactions = options.transactions.map((tx) => `
      <CdtTrfTxInf>
        <PmtId><EndToEndId>${tx.endToEndId}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="${tx.currency}">${tx.amount}</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>${tx.creditorAgent}</BICFI></FinInstnId></CdtrAgt>
        <Cdtr><Nm>${tx.creditorName}</Nm></Cdtr>
        <CdtrAcct><Id><Othr><Id>${tx.creditorAccount}</Id></Othr></Id></CdtrAcct>
        <Purp><Cd>SUPP</Cd></Purp>
        <RmtInf><Ustrd>Invoice ${tx.endToEndId}</Ustrd></RmtInf>
      </CdtTrfTxInf>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>${options.messageId}</MsgId>
      <CreDtTm>2026-01-01T09:00:00Z</CreDtTm>
      <NbOfTxs>${options.transactions.length}</NbOfTxs>
      <CtrlSum>${total}</CtrlSum>
      <InitgPty><Nm>${options.debtorName}</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>${options.messageId}-1</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <NbOfTxs>${options.transactions.length}</NbOfTxs>
      <ReqdExctnDt><Dt>2026-01-01</Dt></ReqdExctnDt>
      <Dbtr><Nm>${options.debtorName}</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>${options.debtorAccount}</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>${options.debtorAgent}</BICFI></FinInstnId></DbtrAgt>
      <ChrgBr>SHAR</ChrgBr>${transactions}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
`;
}

/** An API on a fresh database with the payment network set up: where most payments suites start. */
export async function startNetworkApi(open: () => Promise<Database>): Promise<{ api: Api; network: Network }> {
  const api = await startApi(open);
  return { api, network: await setUpNetwork(api) };
}

/**
 * What the import suites ask of their running API (reached through `api()`, as it is set in
 * beforeAll): send a file, as a given key; count the payments recorded; make a participant's key.
 */
export function importTools(api: () => Api) {
  return {
    send: (file: string, key?: string) => api().call('POST', '/v1/payments/import', undefined, { key, raw: file, headers: { 'content-type': 'application/xml' } }),
    recorded: async () => (await api().platform.db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM payments'))?.n,
    participantKey: async (partyId: string) => (await api().ok('POST', '/v1/api-keys', { name: `key ${partyId}`, role: 'participant', party_ids: [partyId] }, 201)).key as string,
  };
}

/** A cross-border payment of 100.00 CNY to a new USD customer, through the API. */
export async function payAcrossBorder(api: Api, network: Network): Promise<{ id: string; uetr: string }> {
  const [from, to] = [await network.customer(network.banks.cn, 'CNY', 100_000n), await network.customer(network.banks.us, 'USD')];
  return api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'CNY' }, 201);
}

export interface ReceivedDelivery {
  readonly path: string;
  readonly body: string;
  /** The signature header (SIGNATURE_HEADER) as sent. */
  readonly signature: string;
  readonly eventId: string;
}

/**
 * A webhook receiver on 127.0.0.1 that keeps every delivery it accepts. `status` decides each answer
 * (204 by default); a delivery answered otherwise is not kept, as the sender must try it again.
 */
export async function startWebhookReceiver(signatureHeader: string, status: () => number = () => 204) {
  const received: ReceivedDelivery[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const code = status();
      if (code >= 200 && code < 300) {
        received.push({ path: request.url ?? '', body, signature: String(request.headers[signatureHeader]), eventId: String(request.headers['sluice-event-id']) });
      }
      response.writeHead(code).end(code >= 300 ? 'try later' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
