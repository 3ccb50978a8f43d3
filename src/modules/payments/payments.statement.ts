import { createHash } from 'node:crypto';
import type { Database } from '../../db/index.ts';
import { AssertionError, err, ok, isoToNs, LIMITS, msToNs, nsToIso, type Clock, type Result } from '../../kernel/index.ts';
import { TransferFlags, type LedgerService, type Transfer } from '../ledger/index.ts';
import { buildCamt053, ibanProblem, type BankTransactionCode, type StatementEntry } from '../iso20022/index.ts';
import type { Directory } from './payments.directory.ts';
import type { PaymentError } from './payments.errors.ts';
import { PAYMENT_CODES, PAYMENT_LIMITS } from './payments.limits.ts';
import { messageName } from './payments.messages.ts';
import { loadByUetrs } from './payments.repository.ts';

/**
 * A day's statement of a customer account (camt.053): the opening and closing booked balances and
 * every posted movement in between, each linked to its payment by UETR and end-to-end id. Read from
 * the ledger, so the statement reconciles by construction (the builder checks it again).
 */
export interface StatementView {
  readonly accountId: string;
  readonly currency: string;
  readonly date: string;
  readonly opening: bigint;
  readonly closing: bigint;
  /** The day was not over when the statement was made: its closing balance is the balance so far (ITBD). */
  readonly interim: boolean;
  readonly entries: readonly StatementEntry[];
  /** The camt.053 document. */
  readonly xml: string;
}

const DAY_NS = 86_400_000_000_000n;
/** The ledger keeps instants as signed 64-bit nanoseconds since 1970, so no day outside these is on its clock. */
const LEDGER_INSTANT_MIN = 0n;
const LEDGER_INSTANT_MAX = 2n ** 63n - 1n;
/** Flags of transfers that book nothing: a pending hold, and the void that releases one. */
const NOT_BOOKED = TransferFlags.pending | TransferFlags.void_pending;

/**
 * What kind of movement a leg is, as an ISO bank transaction code (external code list): a payment
 * sent or received at home (DMCT) or across borders (XBCT), the charge the customer's agent took
 * (CHRG), and a payment returned (RRTN: a reversal of the credit transfer the customer issued or
 * received). Anything else booked on the account keeps the generic code.
 */
function transactionCode(code: number, credit: boolean, crossBorder: boolean): BankTransactionCode | undefined {
  const family = credit ? 'RCDT' : 'ICDT';
  switch (code) {
    case PAYMENT_CODES.customerDebit:
    case PAYMENT_CODES.customerCredit:
      return { domain: 'PMNT', family, subFamily: crossBorder ? 'XBCT' : 'DMCT' };
    case PAYMENT_CODES.fee:
      return { domain: 'PMNT', family, subFamily: 'CHRG' };
    case PAYMENT_CODES.paymentReturn:
      // The debtor is credited back what it issued; the creditor is debited what it had received.
      return { domain: 'PMNT', family: credit ? 'ICDT' : 'RCDT', subFamily: 'RRTN' };
    default:
      return undefined;
  }
}

export async function buildStatement(
  deps: { db: Database; ledger: Pick<LedgerService, 'listTransfers' | 'balancesAt' | 'lookupTransfers'>; directory: Directory; operatorBic: string; clock: Clock },
  accountReference: string,
  date: string,
): Promise<Result<StatementView, PaymentError>> {
  const account = await deps.directory.account(accountReference);
  if (!account) return err('account_not_found');
  const fromNs = /^\d{4}-\d{2}-\d{2}$/.test(date) ? isoToNs(`${date}T00:00:00Z`) : undefined;
  if (fromNs === undefined) return err('statement_date_invalid');
  const toNs = fromNs + DAY_NS;
  // A day beyond the clock's range failed the database query with a 500 (year 9999 or 0001).
  if (fromNs < LEDGER_INSTANT_MIN || toNs > LEDGER_INSTANT_MAX) return err('statement_date_invalid');
  const balance = async (at: bigint) => {
    const found = await deps.ledger.balancesAt(account.accountId, at);
    if (!found.ok) throw new AssertionError(`statement account ${account.accountId} vanished from the ledger`);
    return found.value.creditsPosted - found.value.debitsPosted;
  };
  const transfers: Transfer[] = [];
  for (let after: bigint | undefined; ;) {
    const page = await deps.ledger.listTransfers({ accountId: account.accountId, fromNs, toNs, order: 'asc', limit: PAYMENT_LIMITS.pageMaxItems, ...(after === undefined ? {} : { after }) });
    transfers.push(...page.filter((transfer) => (transfer.flags & NOT_BOOKED) === 0));
    if (transfers.length > PAYMENT_LIMITS.statementMaxEntries) return err('statement_too_large');
    if (page.length < PAYMENT_LIMITS.pageMaxItems) break;
    after = (page.at(-1) as Transfer).timestamp;
  }
  // A posted leg names its payment through the pending transfer it posted: those are looked up, and
  // the payments named, a batch at a time rather than one by one (a statement lists up to 10,000).
  const pendingIds = [...new Set(transfers.flatMap((transfer) => (transfer.pendingId ? [transfer.pendingId] : [])))];
  const pendingById = new Map<string, Transfer>();
  for (let start = 0; start < pendingIds.length; start += LIMITS.batchMaxItems) {
    for (const pending of await deps.ledger.lookupTransfers(pendingIds.slice(start, start + LIMITS.batchMaxItems))) pendingById.set(pending.id, pending);
  }
  const named = transfers.map((transfer) => (transfer.pendingId ? (pendingById.get(transfer.pendingId) ?? transfer) : transfer));
  const uetrs = named.map((transfer) => (transfer.metadata ? (JSON.parse(transfer.metadata) as Record<string, string>).payment_uetr : undefined));
  const found = await loadByUetrs(deps.db, [...new Set(uetrs.filter((uetr): uetr is string => typeof uetr === 'string'))]);
  const payments = new Map<string, { endToEndId: string; crossBorder: boolean }>();
  for (const uetr of uetrs) {
    if (uetr === undefined || payments.has(uetr)) continue;
    const payment = found.get(uetr);
    payments.set(uetr, { endToEndId: payment?.order.endToEndId ?? '', crossBorder: Boolean(payment?.plan?.fx) });
  }
  const entries: StatementEntry[] = [];
  for (const [index, transfer] of transfers.entries()) {
    const uetr = uetrs[index];
    const paid = uetr ? payments.get(uetr) : undefined;
    const credit = transfer.creditAccountId === account.accountId;
    const code = paid ? transactionCode((named[index] as Transfer).code, credit, paid.crossBorder) : undefined;
    entries.push({
      amount: { amount: transfer.amount, currency: account.currency },
      creditDebit: credit ? 'CRDT' : 'DBIT',
      bookingDate: date,
      valueDate: date,
      entryReference: transfer.id.replace(/-/g, ''),
      accountServicerReference: String(transfer.timestamp),
      ...(uetr ? { uetr } : {}),
      ...(paid?.endToEndId ? { endToEndId: paid.endToEndId } : {}),
      ...(code ? { bankTransactionCode: code } : {}),
    });
  }
  const [opening, closing] = [await balance(fromNs - 1n), await balance(toNs - 1n)];
  // A day that is over always states the same, so its statement is one message, created at the
  // day's end. A day not over (today, or later) is stated as of now: it is made now, its last
  // balance is interim, and its message id names the moment, so that a later statement of the same
  // day, with more entries, is not taken for a duplicate of this one.
  const nowMs = deps.clock.nowMs();
  const interim = msToNs(nowMs) < toNs;
  const createdAt = interim ? new Date(nowMs).toISOString() : `${nsToIso(toNs).slice(0, 19)}Z`;
  const messageId = createHash('sha256').update(`statement:${account.accountId}:${date}${interim ? `:${createdAt}` : ''}`).digest('hex').slice(0, 32).toUpperCase();
  const identification = ibanProblem(account.identifier) === undefined ? { kind: 'iban' as const, iban: account.identifier } : { kind: 'other' as const, id: account.identifier };
  const built = buildCamt053(
    { fromBic: account.bic, toBic: deps.operatorBic, businessMessageId: messageId, createdAt },
    {
      statementId: `STMT${date.replace(/-/g, '')}${messageId.slice(0, 8)}`,
      account: { identification, currency: account.currency, ownerName: messageName(account.ownerName), servicerBic: account.bic },
      period: { from: `${date}T00:00:00Z`, to: `${date}T23:59:59Z` },
      openingBalance: { amount: opening, date },
      closingBalance: { amount: closing, date },
      interim,
      entries,
    },
  );
  // The ledger holds amounts of up to 19 digits, a camt.053 at most 18: an account holding (or
  // moving) that much cannot be stated, which is the account's doing, not a fault of Sluice.
  if (!built.ok && built.problems.every((problem) => problem.code === 'amount_out_of_range')) return err('amount_out_of_range');
  if (!built.ok) throw new AssertionError(`statement of ${account.accountId} on ${date} does not build: ${built.problems.map((p) => `${p.path} ${p.reason}`).join('; ')}`);
  return ok({ accountId: account.accountId, currency: account.currency, date, opening, closing, interim, entries, xml: built.value.document });
}
