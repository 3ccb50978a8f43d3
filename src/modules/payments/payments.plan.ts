import { AMOUNT_MAX, err, ok, uuidv7, type Result } from '../../kernel/index.ts';
import { convert, minorUnitRate, sellAmountFor, type DeskAccounts, type Rate } from '../fx/index.ts';
import { ISO_AMOUNT_MAX_MINOR } from '../iso20022/index.ts';
import type { PaymentError } from './payments.errors.ts';
import { PAYMENT_CODES } from './payments.limits.ts';
import type { ChargeBearer, FxTerms, Leg, LegRole, Plan } from './payments.ts';

/**
 * The legs of a payment, decided from its order before anything is booked. Pure: given the same
 * accounts, fees and rate it always plans the same transfers, which is what lets a retry, a crash
 * recovery and a verifier agree on what a payment moved.
 *
 * Domestic:      debtor → debtor agent → creditor agent → creditor (no interbank leg when one agent
 *                holds both accounts).
 * Cross-border:  debtor → debtor agent → FX desk (debit currency) ; FX desk → creditor agent →
 *                creditor (credit currency). Whole minor units that buy nothing go to the desk's
 *                rounding account, so both ledgers balance and the conversion creates nothing.
 * Fees are legs of their own, into the charging participant's fee account.
 */
export interface AgentTerms {
  readonly bic: string;
  readonly settlementAccountId: string;
  readonly feeAccountId: string;
  readonly feeFixed: bigint;
  readonly feeBps: number;
}

export interface PlanInput {
  readonly amount: bigint;
  readonly chargeBearer: ChargeBearer;
  readonly debtor: { readonly accountId: string; readonly currency: string; readonly ledger: number };
  readonly creditor: { readonly accountId: string; readonly currency: string; readonly ledger: number };
  readonly debtorAgent: AgentTerms;
  readonly creditorAgent: AgentTerms;
  readonly fx?: {
    readonly quoteId: string | null;
    readonly rate: Rate;
    readonly mid: string;
    readonly spreadBps: number;
    readonly sellScale: number;
    readonly buyScale: number;
    readonly sellDesk: DeskAccounts;
    readonly buyDesk: DeskAccounts;
  };
}

const BPS = 10_000n;

/** A participant's charge on an amount: a fixed part plus basis points, rounded down. */
export function feeOf(terms: AgentTerms, amount: bigint): bigint {
  return terms.feeFixed + (amount * BigInt(terms.feeBps)) / BPS;
}

export function planPayment(input: PlanInput, newId: () => string = uuidv7): Result<Plan, PaymentError> {
  const planned = input.fx ? planCrossBorder(input, input.fx) : planDomestic(input);
  return planned.ok ? ok({ ...planned.value, legs: withIds(planned.value.legs, newId) }) : planned;
}

type Draft = Omit<Leg, 'transferId'>;

function leg(role: LegRole, debitAccountId: string, creditAccountId: string, amount: bigint, side: { ledger: number; currency: string }, code: number): Draft {
  return { role, debitAccountId, creditAccountId, amount, ledger: side.ledger, currency: side.currency, code };
}

/** Zero-amount legs are left out: the ledger refuses them, and they move nothing. */
const nonZero = (legs: readonly Draft[]): Draft[] => legs.filter((item) => item.amount > 0n);
const withIds = (legs: readonly (Draft | Leg)[], newId: () => string): Leg[] => legs.map((item) => ({ transferId: newId(), ...item }));

/**
 * Every amount of a payment is written into its ISO 20022 messages, which carry at most 18 digits
 * (below the ledger's own limit): one beyond that could be booked but never instructed, so it is
 * refused here rather than failing as the pacs.008 is built.
 */
function checkAmounts(values: readonly bigint[]): PaymentError | null {
  return values.some((value) => value > ISO_AMOUNT_MAX_MINOR) ? 'amount_out_of_range' : null;
}

function planDomestic(input: PlanInput): Result<Omit<Plan, 'legs'> & { legs: Draft[] }, PaymentError> {
  const { amount, debtorAgent: da, creditorAgent: ca, debtor, creditor } = input;
  const onUs = da.bic === ca.bic;
  const debtorFee = feeOf(da, amount);
  // One participant holding both accounts charges once.
  const creditorFee = onUs ? 0n : feeOf(ca, amount);
  let principal: bigint;
  let credited: bigint;
  switch (input.chargeBearer) {
    case 'SHAR':
      principal = amount;
      credited = amount - creditorFee;
      break;
    case 'DEBT':
      principal = amount + creditorFee;
      credited = amount;
      break;
    case 'CRED':
      principal = amount - debtorFee;
      credited = principal - creditorFee;
      break;
  }
  if (principal <= 0n || credited <= 0n) return err('amount_below_charges');
  // The debtor agent's charge is a leg from the debtor's account whoever bears it; under CRED it
  // comes out of the instructed amount, so the principal is that much smaller.
  const debited = principal + debtorFee;
  const tooLarge = checkAmounts([input.amount, debited, principal]);
  if (tooLarge) return err(tooLarge);
  const side = { ledger: debtor.ledger, currency: debtor.currency };
  const legs = nonZero([
    leg('customer_debit', debtor.accountId, da.settlementAccountId, principal, side, PAYMENT_CODES.customerDebit),
    leg('debtor_agent_fee', debtor.accountId, da.feeAccountId, debtorFee, side, PAYMENT_CODES.fee),
    ...(onUs ? [] : [leg('interbank', da.settlementAccountId, ca.settlementAccountId, principal, side, PAYMENT_CODES.interbank)]),
    leg('creditor_agent_fee', ca.settlementAccountId, ca.feeAccountId, creditorFee, side, PAYMENT_CODES.fee),
    leg('customer_credit', ca.settlementAccountId, creditor.accountId, credited, side, PAYMENT_CODES.customerCredit),
  ]);
  return ok({
    debitCurrency: debtor.currency, creditCurrency: creditor.currency, debited, credited, principal,
    debtorAgentFee: debtorFee, creditorAgentFee: creditorFee, fx: null, legs,
  });
}

function planCrossBorder(input: PlanInput, fx: NonNullable<PlanInput['fx']>): Result<Omit<Plan, 'legs'> & { legs: Draft[] }, PaymentError> {
  const { amount, debtorAgent: da, creditorAgent: ca, debtor, creditor } = input;
  const minorRate = minorUnitRate(fx.rate, fx.sellScale, fx.buyScale);
  const debtorFee = feeOf(da, amount);
  // What the instructed amount alone buys: a firm quote's buy amount, since the quote sold it.
  const gross = convert(amount, minorRate).bought;
  let sold: bigint;
  switch (input.chargeBearer) {
    case 'SHAR':
      sold = amount;
      break;
    case 'CRED':
      sold = amount - debtorFee;
      break;
    case 'DEBT': {
      // The debtor also pays the creditor agent's charge: enough more is converted to buy it on top
      // of what the instructed amount buys, so that the creditor receives exactly the latter.
      if (gross === 0n) return err('amount_too_small_to_convert');
      const needed = sellAmountFor(gross + feeOf(ca, gross), minorRate);
      sold = needed > amount ? needed : amount;
      break;
    }
  }
  if (sold <= 0n) return err('amount_below_charges');
  if (sold > AMOUNT_MAX) return err('amount_out_of_range');
  const conversion = convert(sold, minorRate);
  if (conversion.bought === 0n) return err('amount_too_small_to_convert');
  // Under DEBT the whole minor unit of the debit currency that buys the charge may buy a little more
  // than the charge (at a rate above one minor unit per minor unit): that goes with the charge to the
  // creditor agent, not to the creditor, whose credit stays what the instructed amount bought.
  const creditorFee = input.chargeBearer === 'DEBT' ? conversion.bought - gross : feeOf(ca, conversion.bought);
  const credited = conversion.bought - creditorFee;
  if (credited <= 0n) return err('amount_below_charges');
  const debited = sold + debtorFee;
  const tooLarge = checkAmounts([input.amount, debited, conversion.bought]);
  if (tooLarge) return err(tooLarge);
  const sell = { ledger: debtor.ledger, currency: debtor.currency };
  const buy = { ledger: creditor.ledger, currency: creditor.currency };
  const legs = nonZero([
    leg('customer_debit', debtor.accountId, da.settlementAccountId, sold, sell, PAYMENT_CODES.customerDebit),
    leg('debtor_agent_fee', debtor.accountId, da.feeAccountId, debtorFee, sell, PAYMENT_CODES.fee),
    leg('fx_sell', da.settlementAccountId, fx.sellDesk.position, conversion.converted, sell, PAYMENT_CODES.fxSell),
    leg('fx_rounding', da.settlementAccountId, fx.sellDesk.rounding, conversion.residual, sell, PAYMENT_CODES.fxRounding),
    leg('fx_buy', fx.buyDesk.position, ca.settlementAccountId, conversion.bought, buy, PAYMENT_CODES.fxBuy),
    leg('creditor_agent_fee', ca.settlementAccountId, ca.feeAccountId, creditorFee, buy, PAYMENT_CODES.fee),
    leg('customer_credit', ca.settlementAccountId, creditor.accountId, credited, buy, PAYMENT_CODES.customerCredit),
  ]);
  const terms: FxTerms = {
    quoteId: fx.quoteId, rate: fx.rate, mid: fx.mid, spreadBps: fx.spreadBps, sold, converted: conversion.converted,
    residual: conversion.residual, bought: conversion.bought, remainder: conversion.remainder,
  };
  return ok({
    debitCurrency: debtor.currency, creditCurrency: creditor.currency, debited, credited, principal: sold,
    debtorAgentFee: debtorFee, creditorAgentFee: creditorFee, fx: terms, legs,
  });
}

export interface ReturnInput {
  /** What the creditor received and now gives back, in the credit currency. */
  readonly amount: bigint;
  readonly debtor: PlanInput['debtor'];
  readonly creditor: PlanInput['creditor'];
  readonly debtorAgent: AgentTerms;
  readonly creditorAgent: AgentTerms;
  /** The price of converting back (credit currency sold, debit currency bought), at today's rate. */
  readonly fx?: PlanInput['fx'];
}

/**
 * A return (pacs.004) books the way back: creditor → creditor agent → (FX desk) → debtor agent →
 * debtor. Charges are not refunded, and a cross-border return converts at the rate of the day of
 * the return, so the debtor bears the exchange movement in between, as returns do in practice.
 */
export function planReturn(input: ReturnInput, newId: () => string = uuidv7): Result<{ legs: Leg[]; creditedToDebtor: bigint; fx: FxTerms | null }, PaymentError> {
  const { amount, debtorAgent: da, creditorAgent: ca, debtor, creditor } = input;
  const back = { ledger: creditor.ledger, currency: creditor.currency };
  const home = { ledger: debtor.ledger, currency: debtor.currency };
  const code = PAYMENT_CODES.paymentReturn;
  if (!input.fx) {
    const legs = [
      leg('return_debit', creditor.accountId, ca.settlementAccountId, amount, back, code),
      ...(da.bic === ca.bic ? [] : [leg('return_interbank', ca.settlementAccountId, da.settlementAccountId, amount, back, code)]),
      leg('return_credit', da.settlementAccountId, debtor.accountId, amount, home, code),
    ];
    return ok({ legs: withIds(legs, newId), creditedToDebtor: amount, fx: null });
  }
  const fx = input.fx;
  const conversion = convert(amount, minorUnitRate(fx.rate, fx.sellScale, fx.buyScale));
  if (conversion.bought === 0n) return err('amount_too_small_to_convert');
  const legs = nonZero([
    leg('return_debit', creditor.accountId, ca.settlementAccountId, amount, back, code),
    leg('return_fx_sell', ca.settlementAccountId, fx.sellDesk.position, conversion.converted, back, code),
    leg('return_fx_rounding', ca.settlementAccountId, fx.sellDesk.rounding, conversion.residual, back, code),
    leg('return_fx_buy', fx.buyDesk.position, da.settlementAccountId, conversion.bought, home, code),
    leg('return_credit', da.settlementAccountId, debtor.accountId, conversion.bought, home, code),
  ]);
  const terms: FxTerms = {
    quoteId: null, rate: fx.rate, mid: fx.mid, spreadBps: fx.spreadBps, sold: amount, converted: conversion.converted,
    residual: conversion.residual, bought: conversion.bought, remainder: conversion.remainder,
  };
  return ok({ legs: withIds(legs, newId), creditedToDebtor: conversion.bought, fx: terms });
}
