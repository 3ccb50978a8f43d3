/**
 * Generators of valid neutral data for property tests: any currency Sluice knows (scales 0, 2 and
 * 3), amounts up to the 18 digits ISO 20022 allows, and text drawn from the whole of Unicode that
 * XML can carry, with the characters that need escaping (`<&>"'` and carriage returns) made common.
 */
import fc from 'fast-check';
import { ISO_4217_SCALES, type Money } from '../../kernel/index.ts';
import type { AccountIdentification, InterbankCreditTransfer, Party } from './iso20022.ts';
import { ISO_AMOUNT_MAX_MINOR } from './iso20022.values.ts';

const CURRENCIES = Object.keys(ISO_4217_SCALES);
const VALID_IBANS = [
  'DE89370400440532013000', 'FR1420041010050500013M02606', 'GB29NWBK60161331926819', 'NL91ABNA0417164300',
  'KW81CBKU0000000000001234560101', 'CH9300762011623852957', 'BE68539007547034', 'IT60X0542811101000000123456',
];
const BICS = ['COBADEFFXXX', 'PSSTFRPPPAR', 'NWBKGB2L', 'BOTKJPJT', 'BKCHCNBJ300', 'CBKUKWKW', 'ABNANL2A', 'HSBCHKHH'];

/** One code point XML 1.0 can carry, with escaping-sensitive characters and whitespace over-represented. */
const xmlCharacter = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('<', '&', '>', '"', "'", '\r', '\n', '\t', ' ', ']]>'.charAt(0)) },
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCodePoint(code)) },
  { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((code) => String.fromCodePoint(code)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xfffd }).map((code) => String.fromCodePoint(code)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)) },
);

/**
 * Text of 1..max code points, as MaxNText elements count them. A leading U+FEFF is left to the
 * builder's refusal tests (readers drop it as a byte order mark); elsewhere it stays, and does
 * round-trip.
 */
export function xmlText(max: number): fc.Arbitrary<string> {
  return fc
    .array(xmlCharacter, { minLength: 1, maxLength: max })
    .map((characters) => characters.join(''))
    .filter((text) => !text.startsWith('\uFEFF'));
}

export const currency = fc.constantFrom(...CURRENCIES);

/** Amounts from one minor unit to the largest ISO 20022 can write, with small and huge values both common. */
export const positiveMinor = fc.oneof(
  fc.bigInt({ min: 1n, max: 1_000_000n }),
  fc.bigInt({ min: 1n, max: ISO_AMOUNT_MAX_MINOR }),
  fc.constant(ISO_AMOUNT_MAX_MINOR),
);

export const money: fc.Arbitrary<Money> = fc.record({ amount: positiveMinor, currency });

export const bic = fc.constantFrom(...BICS);

const account: fc.Arbitrary<AccountIdentification> = fc.oneof(
  fc.constantFrom(...VALID_IBANS).map((iban) => ({ kind: 'iban' as const, iban })),
  xmlText(34).map((id) => ({ kind: 'other' as const, id })),
);

const party: fc.Arbitrary<Party> = fc.record({ name: xmlText(140), account, agentBic: bic });

/** A date between 2000 and 2099, as YYYY-MM-DD. */
export const isoDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10));

/** Charges may be zero: an agent states that it took nothing. */
const chargeMinor = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 12n }));

/** A BaseOneRate: at most 11 digits, at most 10 of them after the point. */
const exchangeRate = fc
  .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 1, max: 999_999 }))
  .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(6, '0')}`);

const transfer: fc.Arbitrary<InterbankCreditTransfer> = fc
  .record(
    {
      endToEndId: xmlText(35),
      instructionId: xmlText(35),
      transactionId: xmlText(35),
      uetr: fc.uuid({ version: 4 }).map((uuid) => uuid.toLowerCase()),
      amount: money,
      settlementAmount: money,
      exchangeRate,
      chargeBearer: fc.constantFrom('DEBT', 'CRED', 'SHAR', 'SLEV'),
      charges: fc.array(fc.record({ amount: fc.record({ amount: chargeMinor, currency }), agentBic: bic }), { maxLength: 2 }),
      debtor: party,
      creditor: party,
      purposeCode: fc.constantFrom('SUPP', 'GDDS', 'SALA', 'TRAD'),
      remittanceInformation: fc.array(xmlText(140), { maxLength: 3 }),
      settlementDate: isoDate,
    },
    { requiredKeys: ['endToEndId', 'uetr', 'amount', 'settlementAmount', 'chargeBearer', 'charges', 'debtor', 'creditor', 'remittanceInformation', 'settlementDate'] },
  )
  // Different currencies need a rate (a rule the builder enforces); same-currency transfers may still carry one.
  .map((generated) =>
    generated.amount.currency !== generated.settlementAmount.currency && generated.exchangeRate === undefined
      ? { ...generated, exchangeRate: '1.0000000001' }
      : generated,
  );

/** One to four transfers with distinct end-to-end ids and UETRs, as one message requires. */
export const transfers = fc.uniqueArray(transfer, {
  minLength: 1,
  maxLength: 4,
  comparator: (left, right) => left.endToEndId === right.endToEndId || left.uetr === right.uetr,
});
