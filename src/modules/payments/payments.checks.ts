import { AMOUNT_MAX } from '../../kernel/index.ts';
import type { FxError, FxService, Quote } from '../fx/index.ts';
import type { CustomerAccount, Directory } from './payments.directory.ts';
import type { PaymentError } from './payments.errors.ts';
import { planPayment, type AgentTerms, type PlanInput } from './payments.plan.ts';
import type { Party, PaymentOrder, Plan } from './payments.ts';

/**
 * The technical and business checks a payment passes before anything is reserved (ACTC): the
 * accounts and agents exist and belong together, the currencies are cleared by both agents, the
 * quote (if any) is the one for this payment and still firm, and the plan leaves the creditor
 * something after charges. Each failure names the broken rule; nothing is booked for it.
 */
export interface Checked {
  readonly debtor: Party;
  readonly creditor: Party;
  readonly plan: Plan;
  readonly quoteId: string | null;
}

export interface Refused {
  readonly error: PaymentError;
  /** The request field at fault when the code alone does not say (which agent was unknown). */
  readonly field?: string;
  readonly debtor: Party | null;
  readonly creditor: Party | null;
}

export interface CheckDeps {
  readonly directory: Directory;
  readonly fx: Pick<FxService, 'getQuote' | 'price' | 'currency' | 'desk'>;
}

/**
 * Whether whoever submits the order may spend this quote on a payment from `debtor`'s side; when
 * not, the quote is refused exactly as one that does not exist, so its existence is not told. The
 * API passes the rule of fx.access.ts for the request's key; callers in process pass none.
 */
export type QuoteAccess = (quote: Quote, debtor: Party) => Promise<boolean>;

const FX_ERRORS: Partial<Record<FxError, PaymentError>> = {
  unsupported_currency: 'unsupported_currency',
  fx_rate_not_available: 'fx_rate_not_available',
  same_currency: 'currency_mismatch',
};

/**
 * An eight-character BIC names the same office as the same BIC with branch code XXX (ISO 9362), and
 * senders write either, whichever form the participant was registered under.
 */
export const primaryOffice = (bic: string): string => (bic.length === 11 && bic.endsWith('XXX') ? bic.slice(0, 8) : bic);

/** The participant registered under a BIC, in either of its forms. */
export function participantAt(directory: Directory, bic: string) {
  const office = primaryOffice(bic);
  return directory.participant(office).then((found) => found ?? (office.length === 8 ? directory.participant(`${office}XXX`) : undefined));
}

export async function checkOrder(deps: CheckDeps, order: PaymentOrder, receivedAtMs: number, quoteAccess?: QuoteAccess): Promise<{ ok: true; value: Checked } | { ok: false; value: Refused }> {
  const { directory } = deps;
  let debtor: Party | null = null;
  let creditor: Party | null = null;
  const refuse = (error: PaymentError, field?: string) => ({ ok: false as const, value: { error, debtor, creditor, ...(field ? { field } : {}) } });

  if (order.debtorAgent && !(await participantAt(directory, order.debtorAgent))) return refuse('unknown_participant', '/debtor_agent');
  if (order.creditorAgent && !(await participantAt(directory, order.creditorAgent))) return refuse('unknown_participant', '/creditor_agent');
  const debtorAccount = await directory.account(order.debtorAccount);
  if (!debtorAccount) return refuse('debtor_account_not_found');
  const creditorAccount = await directory.account(order.creditorAccount);
  if (!creditorAccount) return refuse('creditor_account_not_found');
  const debtorAgent = await directory.participant(debtorAccount.bic);
  const creditorAgent = await directory.participant(creditorAccount.bic);
  if (!debtorAgent || !creditorAgent) return refuse('unknown_participant');
  debtor = partyOf(debtorAccount, debtorAgent.partyId);
  creditor = partyOf(creditorAccount, creditorAgent.partyId);
  if (order.debtorAgent && primaryOffice(order.debtorAgent) !== primaryOffice(debtorAccount.bic)) return refuse('account_not_held_at_agent', '/debtor_agent');
  if (order.creditorAgent && primaryOffice(order.creditorAgent) !== primaryOffice(creditorAccount.bic)) return refuse('account_not_held_at_agent', '/creditor_agent');
  if (debtorAccount.accountId === creditorAccount.accountId) return refuse('accounts_must_be_different');
  if (!(await deps.fx.currency(order.currency))) return refuse('unsupported_currency');
  if (order.currency !== debtorAccount.currency) return refuse('currency_mismatch');
  if (order.amount <= 0n || order.amount > AMOUNT_MAX) return refuse('amount_out_of_range');
  const debtorTerms = await directory.terms(debtorAccount.bic, debtorAccount.currency);
  const creditorTerms = await directory.terms(creditorAccount.bic, creditorAccount.currency);
  if (!debtorTerms || !creditorTerms) return refuse('unsupported_currency');

  const input: PlanInput = {
    amount: order.amount,
    chargeBearer: order.chargeBearer,
    debtor: { accountId: debtorAccount.accountId, currency: debtorAccount.currency, ledger: debtorAccount.ledger },
    creditor: { accountId: creditorAccount.accountId, currency: creditorAccount.currency, ledger: creditorAccount.ledger },
    debtorAgent: agentTerms(debtorTerms),
    creditorAgent: agentTerms(creditorTerms),
  };
  let quoteId: string | null = null;
  if (debtorAccount.currency !== creditorAccount.currency) {
    const fx = await fxTerms(deps, order, debtorAccount, creditorAccount, receivedAtMs, (quote) => (quoteAccess ? quoteAccess(quote, debtor as Party) : Promise.resolve(true)));
    if (!fx.ok) return refuse(fx.error);
    quoteId = fx.value.quoteId;
    (input as { fx?: PlanInput['fx'] }).fx = fx.value;
  } else if (order.quoteId) {
    return refuse('quote_does_not_match');
  }
  const plan = planPayment(input);
  if (!plan.ok) return refuse(plan.error);
  return { ok: true, value: { debtor, creditor, plan: plan.value, quoteId } };
}

const partyOf = (account: CustomerAccount, agentPartyId: string): Party => ({
  name: account.ownerName, accountId: account.accountId, identifier: account.identifier, partyId: account.partyId, agent: account.bic, agentPartyId, currency: account.currency,
});

const agentTerms = (terms: { bic: string; settlementAccountId: string; feeAccountId: string; feeFixed: bigint; feeBps: number }): AgentTerms => ({
  bic: terms.bic, settlementAccountId: terms.settlementAccountId, feeAccountId: terms.feeAccountId, feeFixed: terms.feeFixed, feeBps: terms.feeBps,
});

type FxResult = { ok: true; value: NonNullable<PlanInput['fx']> } | { ok: false; error: PaymentError };

/** The price of the conversion: the firm quote the client executes, or the desk's price now. */
async function fxTerms(
  deps: CheckDeps, order: PaymentOrder, debtor: CustomerAccount, creditor: CustomerAccount, receivedAtMs: number, mayUse: (quote: Quote) => Promise<boolean>,
): Promise<FxResult> {
  const [sell, buy] = [await deps.fx.currency(debtor.currency), await deps.fx.currency(creditor.currency)];
  if (!sell || !buy) return { ok: false, error: 'unsupported_currency' };
  let priced: { quoteId: string | null; rate: Quote['rate']; mid: string; spreadBps: number };
  if (order.quoteId) {
    const quote = await deps.fx.getQuote(order.quoteId);
    // Before any other check of the quote, so that nothing about another's quote is told.
    if (!quote || !(await mayUse(quote))) return { ok: false, error: 'quote_not_found' };
    if (quote.sellCurrency !== debtor.currency || quote.buyCurrency !== creditor.currency || quote.sellAmount !== order.amount) return { ok: false, error: 'quote_does_not_match' };
    if (receivedAtMs >= quote.expiresAtMs) return { ok: false, error: 'quote_expired' };
    if (quote.usedBy !== null && quote.usedBy !== order.id) return { ok: false, error: 'quote_already_used' };
    priced = { quoteId: quote.id, rate: quote.rate, mid: quote.mid, spreadBps: quote.spreadBps };
  } else {
    const price = await deps.fx.price(debtor.currency, creditor.currency);
    if (!price.ok) return { ok: false, error: FX_ERRORS[price.error] ?? 'fx_rate_not_available' };
    priced = { quoteId: null, ...price.value };
  }
  const [sellDesk, buyDesk] = [await deps.fx.desk(debtor.currency), await deps.fx.desk(creditor.currency)];
  if (!sellDesk.ok || !buyDesk.ok) return { ok: false, error: 'unsupported_currency' };
  return { ok: true, value: { ...priced, sellScale: sell.scale, buyScale: buy.scale, sellDesk: sellDesk.value, buyDesk: buyDesk.value } };
}
