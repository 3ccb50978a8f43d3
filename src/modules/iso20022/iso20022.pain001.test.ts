import { describe, expect, it } from 'vitest';
import { importMessage, importPacs008, importPain001, type CreditTransfer, type PaymentInitiation } from './index.ts';
import { fixture } from './iso20022.test-support.ts';

const UETR_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const anyUetr = expect.stringMatching(UETR_V4);

const europeDebtor = {
  name: 'Huaxin Trading Europe GmbH',
  account: { kind: 'iban', iban: 'DE89370400440532013000' },
  agentBic: 'COBADEFFXXX',
} as const;
const ukDebtor = {
  name: 'Huaxin Trading UK Limited',
  account: { kind: 'iban', iban: 'GB29NWBK60161331926819' },
  agentBic: 'NWBKGB2L',
} as const;

const expected: PaymentInitiation = {
  messageId: 'HXT-PAYRUN-2024-05-0001',
  createdAt: '2024-05-02T09:15:00+08:00',
  numberOfTransactions: 6,
  controlSum: '1525251.215',
  initiatingParty: { name: 'Huaxin Trading Co., Ltd.', id: '91310000MA1FL3XK2B' },
  paymentInformation: [
    {
      paymentInformationId: 'HXT-EUR-20240503',
      batchBooking: false,
      requestedExecutionDate: '2024-05-03',
      debtor: europeDebtor,
      transactions: [
        {
          endToEndId: 'INV-2024-117', instructionId: 'EUR-0001', uetr: anyUetr, uetrDerived: true,
          amount: { amount: 125_000n, currency: 'EUR' }, chargeBearer: 'SLEV', charges: [], debtor: europeDebtor,
          creditor: { name: 'Société Lyonnaise de Mécanique', account: { kind: 'iban', iban: 'FR1420041010050500013M02606' }, agentBic: 'PSSTFRPPPAR' },
          purposeCode: 'SUPP', remittanceInformation: ['Invoice 2024-117', 'Order PO-5531, 12 units'], requestedExecutionDate: '2024-05-03',
        },
        {
          endToEndId: 'SUB-2024-05', uetr: '7a9c3f1e-52d4-4b8a-9e61-0c2f8d4b7a15',
          amount: { amount: 9_999n, currency: 'EUR' }, chargeBearer: 'SLEV', charges: [], debtor: europeDebtor,
          creditor: { name: 'Zoë Müller', account: { kind: 'iban', iban: 'NL91ABNA0417164300' } },
          remittanceInformation: [`R&D licence <Q2> "annual" 'renewal'`], requestedExecutionDate: '2024-05-03',
        },
        {
          endToEndId: 'RENT-2024-05', uetr: anyUetr, uetrDerived: true,
          amount: { amount: 1_500_000n, currency: 'EUR' }, chargeBearer: 'SHAR', charges: [], debtor: europeDebtor,
          creditor: { name: 'Thames Property Holdings Ltd', account: { kind: 'iban', iban: 'GB29NWBK60161331926819' }, agentBic: 'NWBKGB2L' },
          remittanceInformation: [], requestedExecutionDate: '2024-05-03',
        },
      ],
    },
    {
      paymentInformationId: 'HXT-GBP-20240503',
      requestedExecutionDate: '2024-05-03T10:00:00+01:00',
      debtor: ukDebtor,
      transactions: [
        {
          endToEndId: 'JP-PARTS-0042', uetr: anyUetr, uetrDerived: true,
          amount: { amount: 1_500_000n, currency: 'JPY' }, chargeBearer: 'DEBT', charges: [], debtor: ukDebtor,
          creditor: { name: '株式会社サクラ精機', account: { kind: 'other', id: '0012345678' }, agentBic: 'BOTKJPJT' },
          purposeCode: 'GDDS', remittanceInformation: [], requestedExecutionDate: '2024-05-03T10:00:00+01:00',
        },
        {
          endToEndId: 'KW-FEE-7', uetr: anyUetr, uetrDerived: true,
          amount: { amount: 12_345n, currency: 'KWD' }, chargeBearer: 'SHAR', charges: [], debtor: ukDebtor,
          creditor: { name: 'Gulf Logistics W.L.L.', account: { kind: 'iban', iban: 'KW81CBKU0000000000001234560101' }, agentBic: 'CBKUKWKW' },
          remittanceInformation: [], requestedExecutionDate: '2024-05-03T10:00:00+01:00',
        },
        {
          endToEndId: 'CN-SAMPLES-19', uetr: anyUetr, uetrDerived: true,
          amount: { amount: 888_888n, currency: 'CNY' }, chargeBearer: 'SHAR', charges: [], debtor: ukDebtor,
          creditor: { name: '上海华信贸易有限公司', account: { kind: 'other', id: '6217000010001234567' }, agentBic: 'BKCHCNBJ300' },
          remittanceInformation: ['样品费 2024年5月'], requestedExecutionDate: '2024-05-03T10:00:00+01:00',
        },
      ],
    },
  ],
};

function transfersOf(initiation: PaymentInitiation): CreditTransfer[] {
  return initiation.paymentInformation.flatMap((block) => block.transactions);
}

describe('pain.001.001.09 import', () => {
  it('reads a multi-block, multi-currency initiation exactly, amounts in minor units of each currency', () => {
    const imported = importPain001(fixture('pain001-multi.xml'));
    expect(imported).toEqual({ ok: true, value: expected });
  });

  it('reads the same bytes the same way whether given as text or as a UTF-8 buffer with a byte order mark', () => {
    const text = fixture('pain001-multi.xml');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    expect(importPain001(withBom)).toEqual(importPain001(text));
  });

  it('gives every transfer a distinct UUID v4 UETR, the same on every import of the same file', () => {
    const first = importPain001(fixture('pain001-multi.xml'));
    const second = importPain001(fixture('pain001-multi.xml'));
    if (!first.ok || !second.ok) throw new Error('fixture must import');
    const uetrs = transfersOf(first.value).map((transfer) => transfer.uetr);
    expect(new Set(uetrs).size).toBe(6);
    expect(uetrs).toEqual(transfersOf(second.value).map((transfer) => transfer.uetr));
  });

  it('derives different UETRs for the same transfer in a file with another message id', () => {
    const original = importPain001(fixture('pain001-multi.xml'));
    const renamed = importPain001(fixture('pain001-multi.xml').replace('HXT-PAYRUN-2024-05-0001', 'HXT-PAYRUN-2024-05-0002'));
    if (!original.ok || !renamed.ok) throw new Error('both files must import');
    expect(transfersOf(renamed.value)[0]?.uetr).not.toBe(transfersOf(original.value)[0]?.uetr);
    // A UETR the file states itself is kept as it is.
    expect(transfersOf(renamed.value)[1]?.uetr).toBe('7a9c3f1e-52d4-4b8a-9e61-0c2f8d4b7a15');
  });

  it('recognises the message by its namespace through the generic entry point', () => {
    const imported = importMessage(fixture('pain001-multi.xml'));
    expect(imported.ok && imported.value.kind).toBe('pain.001.001.09');
  });

  it('refuses a pain.001 where a pacs.008 is expected, naming what it found', () => {
    const imported = importPacs008(fixture('pain001-multi.xml'));
    expect(imported).toMatchObject({ ok: false, error: 'unsupported_message' });
  });

  it('accepts a file without control sums, block counts or charge bearers, applying the defaults', () => {
    const stripped = fixture('pain001-multi.xml')
      .replace(/<CtrlSum>[^<]*<\/CtrlSum>/g, '')
      .replace(/<ChrgBr>[^<]*<\/ChrgBr>/g, '')
      .replace(/(<\/PmtMtd>\s*(?:<BtchBookg>[^<]*<\/BtchBookg>)?\s*)<NbOfTxs>3<\/NbOfTxs>/g, '$1');
    const imported = importPain001(stripped);
    if (!imported.ok) throw new Error(JSON.stringify(imported.problems));
    expect(imported.value.controlSum).toBeUndefined();
    expect(transfersOf(imported.value).every((transfer) => transfer.chargeBearer === 'SHAR')).toBe(true);
  });
});
