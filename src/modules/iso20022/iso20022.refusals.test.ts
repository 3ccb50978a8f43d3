import { describe, expect, it } from 'vitest';
import { importMessage, ISO20022_ERROR_STATUS, ISO20022_LIMITS, type Iso20022ErrorCode } from './index.ts';
import { fixture } from './iso20022.test-support.ts';

const PAIN = fixture('pain001-multi.xml');
const PACS = fixture('pacs008-incoming.xml');
const PAIN_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';

/** Replaces the n-th (1-based) occurrence of a text, so a test can break one element among many. */
function replaceNth(text: string, search: string, replacement: string, n: number): string {
  let index = -1;
  for (let seen = 0; seen < n; seen += 1) {
    index = text.indexOf(search, index + 1);
    if (index < 0) throw new Error(`occurrence ${n} of ${search} not found`);
  }
  return text.slice(0, index) + replacement + text.slice(index + search.length);
}

function expectRefusal(input: string | Uint8Array, code: Iso20022ErrorCode, path?: string, reason?: RegExp): void {
  const result = importMessage(input);
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) return;
  // A refusal carries no message at all, so nothing of a refused file can be booked.
  expect('value' in result).toBe(false);
  expect(result.error).toBe(code);
  expect(ISO20022_ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
  expect(ISO20022_ERROR_STATUS[code]).toBeLessThan(500);
  for (const problem of result.problems) {
    expect(problem.path).toMatch(/^\//);
    expect(problem.reason.length).toBeGreaterThan(0);
  }
  const match = result.problems.find((problem) => problem.code === code && (path === undefined || problem.path === path));
  expect(match, JSON.stringify(result.problems)).toBeDefined();
  if (reason) expect(match?.reason).toMatch(reason);
}

describe('unsafe or unreadable XML is refused before any business rule', () => {
  it('refuses a billion-laughs entity bomb as xml_entities_forbidden without expanding it', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level || ''};`.repeat(10)}">`).join('') +
      `]><Document xmlns="${PAIN_NAMESPACE}">&lol9;</Document>`;
    expectRefusal(bomb, 'xml_entities_forbidden', '/', /DOCTYPE/);
  });

  it('refuses an external entity (XXE) that would read a local file', () => {
    expectRefusal('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>', 'xml_entities_forbidden');
  });

  it('refuses any DOCTYPE, even one without entities', () => {
    expectRefusal(PAIN.replace('<Document ', '<!DOCTYPE Document><Document '), 'xml_entities_forbidden');
  });

  it('refuses a reference to an undeclared entity as malformed', () => {
    expectRefusal(PAIN.replace('Invoice 2024-117', 'Invoice &copy; 2024'), 'xml_malformed', '/', /copy/);
  });

  it('refuses a message over the size limit, as text and as bytes', () => {
    const padding = `<!--${'x'.repeat(ISO20022_LIMITS.messageMaxBytes)}-->`;
    expectRefusal(PAIN.replace('<Document ', `${padding}<Document `), 'xml_too_large', '/');
    expectRefusal(Buffer.from(PAIN.replace('<Document ', `${padding}<Document `)), 'xml_too_large', '/');
  });

  it('refuses more transactions than one file may carry before validating them', () => {
    const many = '<CdtTrfTxInf/>'.repeat(ISO20022_LIMITS.transactionsMaxPerMessage + 1);
    const file = `<Document xmlns="${PAIN_NAMESPACE}"><CstmrCdtTrfInitn><PmtInf>${many}</PmtInf></CstmrCdtTrfInitn></Document>`;
    expectRefusal(file, 'too_many_transactions', '/Document/CstmrCdtTrfInitn');
  });

  it.each([
    ['an unclosed element', PAIN.replace('</Nm>', ''), /line \d+/],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from(PAIN.slice(0, 400)), Buffer.from([0xc3, 0x28]), Buffer.from(PAIN.slice(400))]), /UTF-8|Encoding|encoding/],
    ['a declared Latin-1 encoding', PAIN.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), /UTF-8/],
    ['UTF-16 text', Buffer.from(`\ufeff${PAIN.replace('encoding="UTF-8"', 'encoding="UTF-16"')}`, 'utf16le'), /UTF-8/],
    ['empty input', '', /./],
    ['nesting deeper than the limit', `<Document xmlns="${PAIN_NAMESPACE}">${'<a>'.repeat(70)}${'</a>'.repeat(70)}</Document>`, /nested/],
  ])('refuses %s as xml_malformed', (_title, input, reason) => {
    expectRefusal(input, 'xml_malformed', undefined, reason);
  });

  it.each([
    ['an older pain.001 version', PAIN.replaceAll('pain.001.001.09', 'pain.001.001.03'), /pain\.001\.001\.03 is not imported/],
    ['another message', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>', /camt\.053/],
    ['XML that is not ISO 20022', '<invoice><total>12</total></invoice>', /not an ISO 20022 Document/],
    ['an envelope with a pain.001 inside', `<BusinessMessage xmlns="urn:sluice:iso20022:business-message:1"><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"/>${PAIN.replace(/^<\?xml[^>]*>/, '')}</BusinessMessage>`, /without a business application header/],
  ])('refuses %s as unsupported_message', (_title, input, reason) => {
    expectRefusal(input, 'unsupported_message', undefined, reason);
  });
});

describe('schema violations name the element at fault', () => {
  it('names the amount of the third transaction of the first block', () => {
    const broken = PAIN.replace('<InstdAmt Ccy="EUR">15000</InstdAmt>', '<InstdAmt Ccy="EUR">fifteen thousand</InstdAmt>');
    expectRefusal(broken, 'schema_invalid', '/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[3]/Amt/InstdAmt', /not a valid value/);
  });

  it('names an unexpected element in the second block', () => {
    const broken = replaceNth(PAIN, '<Purp>', '<Bogus/><Purp>', 2);
    expectRefusal(broken, 'schema_invalid', '/Document/CstmrCdtTrfInitn/PmtInf[2]/CdtTrfTxInf[1]/Bogus', /not expected/);
  });

  it('names the element found where a required one is missing, and says which was expected', () => {
    expectRefusal(PAIN.replace(/<MsgId>[^<]*<\/MsgId>/, ''), 'schema_invalid', '/Document/CstmrCdtTrfInitn/GrpHdr/CreDtTm', /MsgId/);
  });

  it('names a currency attribute that breaks its pattern', () => {
    expectRefusal(PAIN.replace('Ccy="KWD"', 'Ccy="kwd"'), 'schema_invalid', '/Document/CstmrCdtTrfInitn/PmtInf[2]/CdtTrfTxInf[2]/Amt/InstdAmt', /Ccy/);
  });
});

describe('business rules of a pain.001 name the element at fault', () => {
  const tx = (block: number, transaction: number) => `/Document/CstmrCdtTrfInitn/PmtInf[${block}]/CdtTrfTxInf[${transaction}]`;
  it.each<[string, string, Iso20022ErrorCode, string]>([
    ['more decimals than the currency has', PAIN.replace('<InstdAmt Ccy="KWD">12.345</InstdAmt>', '<InstdAmt Ccy="KWD">12.3451</InstdAmt>'), 'amount_scale_exceeds_currency', `${tx(2, 2)}/Amt/InstdAmt`],
    ['decimals on a yen amount, even zeros', PAIN.replace('1500000</InstdAmt>', '1500000.00</InstdAmt>'), 'amount_scale_exceeds_currency', `${tx(2, 1)}/Amt/InstdAmt`],
    ['a zero amount', PAIN.replace('99.99</InstdAmt>', '0.00</InstdAmt>'), 'amount_not_positive', `${tx(1, 2)}/Amt/InstdAmt`],
    ['an unknown currency', PAIN.replace('Ccy="CNY"', 'Ccy="XYZ"'), 'unknown_currency', `${tx(2, 3)}/Amt/InstdAmt`],
    ['a wrong group control sum', PAIN.replace('<CtrlSum>1525251.215</CtrlSum>', '<CtrlSum>1525251.21</CtrlSum>'), 'control_sum_mismatch', '/Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum'],
    ['a wrong block control sum', PAIN.replace('<CtrlSum>16349.99</CtrlSum>', '<CtrlSum>16349.98</CtrlSum>'), 'control_sum_mismatch', '/Document/CstmrCdtTrfInitn/PmtInf[1]/CtrlSum'],
    ['a wrong group transaction count', PAIN.replace('<NbOfTxs>6</NbOfTxs>', '<NbOfTxs>7</NbOfTxs>'), 'number_of_transactions_mismatch', '/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs'],
    ['a wrong block transaction count', replaceNth(PAIN, '<NbOfTxs>3</NbOfTxs>', '<NbOfTxs>2</NbOfTxs>', 2), 'number_of_transactions_mismatch', '/Document/CstmrCdtTrfInitn/PmtInf[2]/NbOfTxs'],
    ['a BIC of no country', PAIN.replace('<BICFI>BOTKJPJT</BICFI>', '<BICFI>BOTKZZJT</BICFI>'), 'invalid_bic', `${tx(2, 1)}/CdtrAgt/FinInstnId/BICFI`],
    ['an IBAN with wrong check digits', PAIN.replace('NL91ABNA0417164300', 'NL91ABNA0417164301'), 'invalid_iban', `${tx(1, 2)}/CdtrAcct/Id/IBAN`],
    ['an IBAN of the wrong length', PAIN.replace('<IBAN>DE89370400440532013000</IBAN>', '<IBAN>DE8937040044053201300</IBAN>'), 'invalid_iban', '/Document/CstmrCdtTrfInitn/PmtInf[1]/DbtrAcct/Id/IBAN'],
    ['a repeated end-to-end id', PAIN.replace('<EndToEndId>KW-FEE-7</EndToEndId>', '<EndToEndId>INV-2024-117</EndToEndId>'), 'duplicate_end_to_end_id', `${tx(2, 2)}/PmtId/EndToEndId`],
    ['a repeated payment information id', PAIN.replace('HXT-GBP-20240503', 'HXT-EUR-20240503'), 'duplicate_payment_information_id', '/Document/CstmrCdtTrfInitn/PmtInf[2]/PmtInfId'],
    ['a repeated UETR', PAIN.replace('<EndToEndId>KW-FEE-7</EndToEndId>', '<EndToEndId>KW-FEE-7</EndToEndId><UETR>7a9c3f1e-52d4-4b8a-9e61-0c2f8d4b7a15</UETR>'), 'duplicate_uetr', `${tx(2, 2)}/PmtId/UETR`],
    ['a creditor without name', PAIN.replace('<Nm>Gulf Logistics W.L.L.</Nm>', ''), 'missing_element', `${tx(2, 2)}/Cdtr/Nm`],
    ['a creditor without account', PAIN.replace(/<CdtrAcct>\s*<Id>\s*<IBAN>KW81CBKU0000000000001234560101<\/IBAN>\s*<\/Id>\s*<\/CdtrAcct>/, ''), 'missing_element', `${tx(2, 2)}/CdtrAcct`],
    ['a cheque payment', replaceNth(PAIN, '<PmtMtd>TRF</PmtMtd>', '<PmtMtd>CHK</PmtMtd>', 2), 'unsupported_feature', '/Document/CstmrCdtTrfInitn/PmtInf[2]/PmtMtd'],
    ['a creation time of a negative year, which no message can carry back', PAIN.replace('<CreDtTm>2024-05-02T09:15:00+08:00</CreDtTm>', '<CreDtTm>-2024-05-02T09:15:00+08:00</CreDtTm>'), 'invalid_date', '/Document/CstmrCdtTrfInitn/GrpHdr/CreDtTm'],
    ['a creation time in year 1', PAIN.replace('<CreDtTm>2024-05-02T09:15:00+08:00</CreDtTm>', '<CreDtTm>0001-01-01T00:00:00Z</CreDtTm>'), 'invalid_date', '/Document/CstmrCdtTrfInitn/GrpHdr/CreDtTm'],
    ['an execution date of a five-digit year', PAIN.replace('<Dt>2024-05-03</Dt>', '<Dt>12024-05-03</Dt>'), 'invalid_date', '/Document/CstmrCdtTrfInitn/PmtInf[1]/ReqdExctnDt/Dt'],
    ['an equivalent amount', PAIN.replace('<InstdAmt Ccy="CNY">8888.88</InstdAmt>', '<EqvtAmt><Amt Ccy="CNY">8888.88</Amt><CcyOfTrf>GBP</CcyOfTrf></EqvtAmt>'), 'unsupported_feature', `${tx(2, 3)}/Amt/EqvtAmt`],
  ])('refuses %s', (_title, input, code, path) => {
    expectRefusal(input, code, path);
  });

  it('lists every problem of a file in one refusal, not only the first', () => {
    const broken = PAIN.replace('NL91ABNA0417164300', 'NL91ABNA0417164301').replace('<NbOfTxs>6</NbOfTxs>', '<NbOfTxs>7</NbOfTxs>').replace('Ccy="CNY"', 'Ccy="XYZ"');
    const result = importMessage(broken);
    expect(result.ok ? [] : result.problems.map((problem) => problem.code).sort()).toEqual(
      ['invalid_iban', 'number_of_transactions_mismatch', 'unknown_currency'],
    );
  });
});

describe('business rules of a pacs.008 name the element at fault', () => {
  const tx = (transaction: number) => `/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[${transaction}]`;
  it.each<[string, string, Iso20022ErrorCode, string]>([
    ['a cross-currency transfer without rate', PACS.replace('<XchgRate>0.8579</XchgRate>', ''), 'exchange_rate_required', `${tx(2)}/XchgRate`],
    ['a zero exchange rate', PACS.replace('<XchgRate>0.8579</XchgRate>', '<XchgRate>0</XchgRate>'), 'invalid_exchange_rate', `${tx(2)}/XchgRate`],
    ['a wrong total settlement amount', PACS.replace('<TtlIntrBkSttlmAmt Ccy="GBP">2500.50</TtlIntrBkSttlmAmt>', '<TtlIntrBkSttlmAmt Ccy="GBP">2500.51</TtlIntrBkSttlmAmt>'), 'total_settlement_amount_mismatch', '/Document/FIToFICstmrCdtTrf/GrpHdr/TtlIntrBkSttlmAmt'],
    ['a total in another currency than a transfer', PACS.replace('<IntrBkSttlmAmt Ccy="GBP">500.5</IntrBkSttlmAmt>', '<IntrBkSttlmAmt Ccy="EUR">500.5</IntrBkSttlmAmt>'), 'currency_mismatch', `${tx(2)}/IntrBkSttlmAmt`],
    ['no settlement date anywhere', PACS.replace('<IntrBkSttlmDt>2024-05-03</IntrBkSttlmDt>', ''), 'missing_element', `${tx(1)}/IntrBkSttlmDt`],
    ['an agent named without BIC', PACS.replace('<CdtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></CdtrAgt>', '<CdtrAgt><FinInstnId><Nm>Commerzbank</Nm></FinInstnId></CdtrAgt>'), 'missing_element', `${tx(1)}/CdtrAgt/FinInstnId/BICFI`],
    ['a creation time of a negative year', PACS.replace('<CreDtTm>2024-05-03T07:02:11.250Z</CreDtTm>', '<CreDtTm>-2024-05-03T07:02:11.250Z</CreDtTm>'), 'invalid_date', '/Document/FIToFICstmrCdtTrf/GrpHdr/CreDtTm'],
    ['a settlement date of a five-digit year', PACS.replace('<IntrBkSttlmDt>2024-05-03</IntrBkSttlmDt>', '<IntrBkSttlmDt>12024-05-03</IntrBkSttlmDt>'), 'invalid_date', '/Document/FIToFICstmrCdtTrf/GrpHdr/IntrBkSttlmDt'],
    ['a wrong control sum', PACS.replace('<CtrlSum>2500.50</CtrlSum>', '<CtrlSum>2500.5000001</CtrlSum>'), 'control_sum_mismatch', '/Document/FIToFICstmrCdtTrf/GrpHdr/CtrlSum'],
  ])('refuses %s', (_title, input, code, path) => {
    expectRefusal(input, code, path);
  });
});
