import { describe, expect, it } from 'vitest';
import {
  buildCamt053,
  buildPacs002,
  buildPacs004,
  buildPacs008,
  statusReasonFor,
  type OutboundMessage,
  type PaymentReturn,
  type Statement,
  type StatusReport,
} from './index.ts';
import { describeWithXmllint, SAMPLE_HEADER, SAMPLE_TRANSFER } from './iso20022.test-support.ts';
import type { Iso20022Result } from './iso20022.errors.ts';

const REPORT: Omit<StatusReport, 'messageId' | 'createdAt'> = {
  original: { messageId: 'HXT-PAYRUN-2024-05-0001', messageDefinition: 'pain.001.001.09', createdAt: '2024-05-02T09:15:00+08:00', numberOfTransactions: 4 },
  groupStatus: 'ACSP',
  transactions: [
    { originalEndToEndId: 'INV-2024-117', originalInstructionId: 'EUR-0001', originalUetr: SAMPLE_TRANSFER.uetr, status: 'ACCC', acceptedAt: '2024-05-03T08:31:02Z' },
    { originalEndToEndId: 'SUB-2024-05', status: 'RJCT', reason: { code: 'AC04', additionalInformation: ['Account closed on 2024-04-30'] } },
    { originalEndToEndId: 'RENT-2024-05', status: 'RJCT', reason: { code: 'AM04' } },
    { originalEndToEndId: 'JP-PARTS-0042', status: 'ACSP' },
  ],
};

const FILE_REJECTION: Omit<StatusReport, 'messageId' | 'createdAt'> = {
  original: { messageId: 'UNKNOWN-FILE', messageDefinition: 'pain.001.001.09' },
  groupStatus: 'RJCT',
  groupReason: { code: statusReasonFor('schema_invalid'), additionalInformation: ['/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[3]/Amt/InstdAmt: not a decimal'] },
  transactions: [],
};

const RETURN: Omit<PaymentReturn, 'messageId' | 'createdAt'> = {
  settlementMethod: 'INDA',
  transactions: [
    {
      returnId: 'RTR-20240506-0001',
      original: { messageId: SAMPLE_HEADER.businessMessageId, messageDefinition: 'pacs.008.001.08', createdAt: SAMPLE_HEADER.createdAt },
      originalInstructionId: 'EUR-0001',
      originalEndToEndId: 'INV-2024-117',
      originalTransactionId: 'TX-20240503-0001',
      originalUetr: SAMPLE_TRANSFER.uetr,
      originalSettlementAmount: { amount: 975_312n, currency: 'CNY' },
      originalSettlementDate: '2024-05-03',
      returnedAmount: { amount: 970_000n, currency: 'CNY' },
      settlementDate: '2024-05-06',
      chargeBearer: 'CRED',
      charges: [{ amount: { amount: 5_312n, currency: 'CNY' }, agentBic: 'BKCHCNBJ300' }],
      reason: { code: 'AC04', additionalInformation: ['Creditor account closed'] },
    },
  ],
};

const STATEMENT: Omit<Statement, 'messageId' | 'createdAt'> = {
  statementId: 'STMT-DE89-20240503',
  electronicSequenceNumber: 123n,
  account: { identification: { kind: 'iban', iban: 'DE89370400440532013000' }, currency: 'EUR', ownerName: 'Huaxin Trading Europe GmbH', servicerBic: 'COBADEFFXXX' },
  period: { from: '2024-05-03T00:00:00+02:00', to: '2024-05-03T23:59:59+02:00' },
  openingBalance: { amount: -5_000n, date: '2024-05-02' },
  closingBalance: { amount: 183_751n, date: '2024-05-03' },
  entries: [
    {
      amount: { amount: 200_000n, currency: 'EUR' }, creditDebit: 'CRDT', bookingDate: '2024-05-03', valueDate: '2024-05-03',
      accountServicerReference: 'SLUICE-0190f1a2', endToEndId: 'PAYROLL-0501-A', uetr: SAMPLE_TRANSFER.uetr,
      remittanceInformation: ['Salary May 2024 <net> & "bonus"'], bankTransactionCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'XBCT' },
    },
    { amount: { amount: 11_249n, currency: 'EUR' }, creditDebit: 'DBIT', bookingDate: '2024-05-03', entryReference: 'E-2' },
  ],
};

function value(result: Iso20022Result<OutboundMessage>): OutboundMessage {
  if (!result.ok) throw new Error(`build refused: ${JSON.stringify(result.problems)}`);
  return result.value;
}

describe('exported messages', () => {
  it('carry the header for their own message definition, and the header’s id as the group message id', () => {
    const report = value(buildPacs002(SAMPLE_HEADER, REPORT));
    expect(report.header).toContain('<MsgDefIdr>pacs.002.001.10</MsgDefIdr>');
    expect(report.document).toContain(`<MsgId>${SAMPLE_HEADER.businessMessageId}</MsgId>`);
    expect(report.combined).toContain('<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">');
    expect(report.combined).toContain('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10">');
  });

  it('write a debit balance as a magnitude with DBIT, and entry totals per side', () => {
    const statement = value(buildCamt053(SAMPLE_HEADER, STATEMENT)).document;
    expect(statement).toContain('<Amt Ccy="EUR">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>');
    expect(statement).toContain('<TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>2000.00</Sum></TtlCdtNtries>');
    expect(statement).toContain('<Ustrd>Salary May 2024 &lt;net&gt; &amp; "bonus"</Ustrd>');
  });

  it('map each refusal to the ISO reason a rejection reports', () => {
    expect(statusReasonFor('control_sum_mismatch')).toBe('AM10');
    expect(statusReasonFor('invalid_iban')).toBe('AC01');
    expect(statusReasonFor('xml_entities_forbidden')).toBe('FF01');
  });
});

describe('builders refuse input that would make an invalid message, naming the field', () => {
  const cases: Array<[string, Iso20022Result<OutboundMessage>, string, string]> = [
    ['no transfers', buildPacs008(SAMPLE_HEADER, []), 'empty_message', 'transfers'],
    ['a bad header BIC', buildPacs008({ ...SAMPLE_HEADER, toBic: 'BKCH CN' }, [SAMPLE_TRANSFER]), 'invalid_bic', 'header.toBic'],
    ['an unknown currency', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, amount: { amount: 1n, currency: 'XXX' } }]), 'unknown_currency', 'transfers[0].amount.currency'],
    ['a zero amount', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, settlementAmount: { amount: 0n, currency: 'CNY' } }]), 'amount_not_positive', 'transfers[0].settlementAmount.amount'],
    ['an amount beyond 18 digits', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, settlementAmount: { amount: 10n ** 18n, currency: 'CNY' } }]), 'amount_out_of_range', 'transfers[0].settlementAmount.amount'],
    ['a name over 140 characters', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, debtor: { ...SAMPLE_TRANSFER.debtor, name: 'é'.repeat(141) } }]), 'invalid_text', 'transfers[0].debtor.name'],
    ['a control character', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, remittanceInformation: ['bell\u0007'] }]), 'invalid_text', 'transfers[0].remittanceInformation[0]'],
    ['a bad IBAN', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, debtor: { ...SAMPLE_TRANSFER.debtor, account: { kind: 'iban', iban: 'DE89370400440532013001' } } }]), 'invalid_iban', 'transfers[0].debtor.account.iban'],
    ['a missing agent BIC', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, creditor: { name: 'X', account: { kind: 'other', id: '1' } } }]), 'missing_element', 'transfers[0].creditor.agentBic'],
    ['an upper-case UETR', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, uetr: SAMPLE_TRANSFER.uetr.toUpperCase() }]), 'invalid_uetr', 'transfers[0].uetr'],
    ['a cross-currency transfer without rate', buildPacs008(SAMPLE_HEADER, [{ ...SAMPLE_TRANSFER, exchangeRate: undefined }]), 'exchange_rate_required', 'transfers[0].exchangeRate'],
    ['duplicate end-to-end ids', buildPacs008(SAMPLE_HEADER, [SAMPLE_TRANSFER, { ...SAMPLE_TRANSFER, uetr: '9b2d4c6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f' }]), 'duplicate_end_to_end_id', 'transfers[1].endToEndId'],
    ['a rejection without reason', buildPacs002(SAMPLE_HEADER, { ...REPORT, transactions: [{ originalEndToEndId: 'A', status: 'RJCT' }] }), 'missing_element', 'report.transactions[0].reason'],
    ['an unknown status', buildPacs002(SAMPLE_HEADER, { ...REPORT, groupStatus: 'DONE' as never }), 'invalid_code', 'report.groupStatus'],
    ['an empty report', buildPacs002(SAMPLE_HEADER, { original: REPORT.original, transactions: [] }), 'empty_message', 'report.transactions'],
    ['a return larger than the original', buildPacs004(SAMPLE_HEADER, { ...RETURN, transactions: [{ ...RETURN.transactions[0]!, returnedAmount: { amount: 975_313n, currency: 'CNY' } }] }), 'amount_out_of_range', 'return.transactions[0].returnedAmount'],
    ['a statement that does not add up', buildCamt053(SAMPLE_HEADER, { ...STATEMENT, closingBalance: { amount: 183_750n, date: '2024-05-03' } }), 'balances_do_not_reconcile', 'statement.closingBalance.amount'],
    ['an entry in another currency', buildCamt053(SAMPLE_HEADER, { ...STATEMENT, entries: [{ ...STATEMENT.entries[1]!, amount: { amount: 11_249n, currency: 'USD' } }] }), 'currency_mismatch', 'statement.entries[0].amount.currency'],
    ['an impossible date', buildCamt053(SAMPLE_HEADER, { ...STATEMENT, openingBalance: { amount: -5_000n, date: '2024-02-30' } }), 'invalid_date', 'statement.openingBalance.date'],
  ];
  it.each(cases)('%s', (_title, result, code, path) => {
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual(expect.objectContaining({ code, path }));
  });
});

describeWithXmllint('exported messages against the official XSDs with xmllint', (xmllint) => {
  const messages: Array<[string, () => OutboundMessage]> = [
    ['pacs.008.001.08', () => value(buildPacs008(SAMPLE_HEADER, [SAMPLE_TRANSFER], { settlementMethod: 'COVE' }))],
    ['pacs.002.001.10', () => value(buildPacs002(SAMPLE_HEADER, REPORT))],
    ['pacs.002.001.10', () => value(buildPacs002(SAMPLE_HEADER, FILE_REJECTION))],
    ['pacs.004.001.09', () => value(buildPacs004(SAMPLE_HEADER, RETURN))],
    ['camt.053.001.08', () => value(buildCamt053(SAMPLE_HEADER, STATEMENT))],
    ['camt.053.001.08', () => value(buildCamt053(SAMPLE_HEADER, { ...STATEMENT, account: { ...STATEMENT.account, identification: { kind: 'other', id: '0012345678' }, currency: 'JPY' }, openingBalance: { amount: 0n, date: '2024-05-02' }, closingBalance: { amount: 0n, date: '2024-05-03' }, entries: [] }))],
  ];
  messages.push(['camt.053.001.08', () => {
    const interim = value(buildCamt053(SAMPLE_HEADER, { ...STATEMENT, interim: true }));
    expect(interim.document).toContain('<Cd>ITBD</Cd>');
    expect(interim.document).not.toContain('<Cd>CLBD</Cd>');
    return interim;
  }]);
  it.each(messages)('%s document and its head.001.001.02 header validate', (definition, build) => {
    const message = build();
    const document = xmllint.validate(definition, [message.document]);
    expect(document.output).toMatch(/ validates$/);
    expect(document.valid).toBe(true);
    expect(xmllint.validate('head.001.001.02', [message.header]).valid).toBe(true);
  });

  it('rejects a document the schema forbids, so a pass means something', () => {
    const broken = value(buildPacs002(SAMPLE_HEADER, REPORT)).document.replace('<TxSts>ACCC</TxSts>', '<TxSts>ACCEPTED</TxSts>');
    expect(xmllint.validate('pacs.002.001.10', [broken]).valid).toBe(false);
  });
});
