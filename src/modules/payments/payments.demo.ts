import { AssertionError } from '../../kernel/index.ts';
import { deskAccountIds, type FxService } from '../fx/index.ts';
import type { LedgerService, TransferRequest } from '../ledger/index.ts';
import { derivePaymentsId } from './payments.ids.ts';
import type { PaymentsService } from './payments.service.ts';
import type { PaymentOrder } from './payments.ts';

/**
 * Demo participants, rates and a few cross-border payments on top of the platform's demo dataset
 * (its banks, customers and one ledger per currency). Ids derive from names, so loading it twice
 * books nothing twice.
 */
const BANKS = [
  { bic: 'HXCBCNSH', partyId: 'bank-cn-icbk', home: 'CNY' },
  { bic: 'HCBKHKHH', partyId: 'bank-hk-hsbh', home: 'HKD' },
  { bic: 'MBBKSGSG', partyId: 'bank-sg-mrbk', home: 'SGD' },
  { bic: 'CPBKTHBK', partyId: 'bank-th-cpbk', home: 'THB' },
  { bic: 'GFBKAEAD', partyId: 'bank-ae-gfbk', home: 'AED' },
] as const;

const CUSTOMERS = [
  { partyId: 'cust-wang-li', bic: 'HXCBCNSH', currency: 'CNY' },
  { partyId: 'cust-chan-mei', bic: 'HCBKHKHH', currency: 'HKD' },
  { partyId: 'cust-tan-wei', bic: 'MBBKSGSG', currency: 'SGD' },
  { partyId: 'cust-somchai', bic: 'CPBKTHBK', currency: 'THB' },
  { partyId: 'cust-fatima', bic: 'GFBKAEAD', currency: 'AED' },
] as const;

/** Mid rates of late 2025, per pair, with the desk's spread in basis points. */
const RATES = [
  ['USD', 'CNY', '7.1234', 25], ['USD', 'HKD', '7.8125', 15], ['USD', 'SGD', '1.3412', 20], ['USD', 'THB', '35.81', 30], ['USD', 'AED', '3.6725', 15],
  ['CNY', 'HKD', '1.0968', 30], ['CNY', 'SGD', '0.1883', 30], ['CNY', 'THB', '5.0271', 35], ['CNY', 'AED', '0.5156', 35], ['SGD', 'THB', '26.70', 35],
  ['AED', 'CNY', '1.9395', 35],
] as const;

const LIQUIDITY = { participant: 1_000_000_000n, desk: 10_000_000_000n, customer: 10_000_000n };

export const demoAccountId = (partyId: string) => derivePaymentsId('demo-account', partyId);

export async function loadPaymentsDemo(
  platform: { readonly payments: PaymentsService; readonly fx: FxService; readonly ledger: LedgerService },
  options: { readonly fundingAccountOf: (ledger: number) => string },
): Promise<{ payments: number }> {
  const { payments, fx, ledger } = platform;
  const must = <T>(result: { ok: true; value: T } | { ok: false; error: string }, what: string): T => {
    if (!result.ok) throw new AssertionError(`demo ${what}: ${result.error}`);
    return result.value;
  };
  const funding: TransferRequest[] = [];
  const fund = (name: string, currency: string, ledgerId: number, accountId: string, amount: bigint) =>
    funding.push({ id: derivePaymentsId('demo-funding', name, currency), debitAccountId: options.fundingAccountOf(ledgerId), creditAccountId: accountId, amount, ledger: ledgerId, code: 2, flags: 0 });

  must(await fx.setRates(RATES.map(([base, quote, mid, spreadBps]) => ({ base, quote, mid, spreadBps })), 'demo'), 'rates');
  for (const bank of BANKS) {
    must(await payments.directory.register({ bic: bank.bic, partyId: bank.partyId }), `participant ${bank.bic}`);
    for (const currency of [bank.home, 'USD']) {
      const terms = must(await payments.directory.enableCurrency(bank.bic, currency, { feeFixed: 500n, feeBps: 5 }), `currency ${bank.bic} ${currency}`);
      fund(bank.bic, currency, terms.ledger, terms.settlementAccountId, LIQUIDITY.participant);
    }
  }
  for (const currency of new Set(RATES.flatMap(([base, quote]) => [base, quote]))) {
    const desk = must(await fx.desk(currency), `desk ${currency}`);
    fund('desk', currency, desk.ledger, deskAccountIds(currency).position, LIQUIDITY.desk);
  }
  for (const customer of CUSTOMERS) {
    const opened = must(await payments.directory.openAccount({ id: demoAccountId(customer.partyId), bic: customer.bic, partyId: customer.partyId, currency: customer.currency }), `account ${customer.partyId}`);
    fund(customer.partyId, customer.currency, opened.account.ledger, opened.account.accountId, LIQUIDITY.customer);
  }
  const funded = await ledger.createTransfers(funding);
  const failed = funded.find((result) => result.result !== 'ok');
  if (failed) throw new AssertionError(`demo funding ${failed.id}: ${failed.result}`);

  const order = (name: string, from: string, to: string, amount: bigint, currency: string, extra: Partial<PaymentOrder> = {}): PaymentOrder => ({
    id: derivePaymentsId('demo-payment', name), endToEndId: name.toUpperCase(), debtorAccount: demoAccountId(from), creditorAccount: demoAccountId(to),
    amount, currency, chargeBearer: 'SHAR', purpose: 'GDDS', remittance: [`Demo ${name}`], settlement: 'immediate', source: 'api', ...extra,
  });
  const orders = [
    order('tuition-hk', 'cust-wang-li', 'cust-chan-mei', 1_200_000n, 'CNY'),
    order('supplier-th', 'cust-tan-wei', 'cust-somchai', 350_000n, 'SGD', { chargeBearer: 'DEBT', purpose: 'SUPP' }),
    order('family-cn', 'cust-fatima', 'cust-wang-li', 250_000n, 'AED', { chargeBearer: 'CRED' }),
    order('held-sg', 'cust-wang-li', 'cust-tan-wei', 80_000n, 'CNY', { settlement: 'on_acceptance' }),
  ];
  let booked = 0;
  for (const item of orders) if ((await payments.submit(item)).ok) booked += 1;
  return { payments: booked };
}
