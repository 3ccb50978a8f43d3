import type { Database } from '../../db/index.ts';
import { msToNs, type Clock } from '../../kernel/index.ts';
import type { FxService } from '../fx/index.ts';
import type { Directory } from './payments.directory.ts';
import type { PaymentGate } from './payments.gate.ts';
import { reasonOf, type PaymentError } from './payments.errors.ts';
import type { LedgerPort } from './payments.ledger.ts';
import { issueMessage, type MessageKind } from './payments.messages.ts';
import { loadPayment, updatePayment } from './payments.repository.ts';
import type { LedgerState, MessageRef, PaymentRecord, PaymentStatus } from './payments.ts';
import type { PaymentsWriter } from './payments.writer.ts';

/**
 * What every step of a payment's saga shares: its dependencies, and the few moves each step ends
 * with (build a message, write the new state with its events, answer the caller).
 */
export interface SagaContext {
  readonly db: Database;
  readonly writer: PaymentsWriter;
  readonly ledger: LedgerPort;
  readonly fx: Pick<FxService, 'getQuote' | 'price' | 'currency' | 'desk' | 'claimQuote' | 'releaseQuote'>;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly operatorBic: string;
  /** Builds a message reference; replaceable so that tests can make this step fail. */
  readonly issue: typeof issueMessage;
  readonly report: (message: string) => void;
  /** Payments a saga of this process is working on: recovery leaves them alone. */
  readonly inFlight: Map<string, Promise<Outcome>>;
  /** Risk control's decision before settlement, when the platform runs it. */
  readonly gate?: PaymentGate;
}

export type Outcome =
  | { readonly ok: true; readonly payment: PaymentRecord; readonly replayed: boolean }
  | { readonly ok: false; readonly error: PaymentError; readonly payment: PaymentRecord | null; readonly replayed: boolean; readonly field?: string };

export const nowNs = (context: SagaContext): bigint => msToNs(context.clock.nowMs());
export const nowIso = (context: SagaContext): string => new Date(context.clock.nowMs()).toISOString();

/**
 * The outcome a stored payment stands for: a rejected payment answers with the rule it broke;
 * any other (settled, held, cancelled, returned) answers with the payment.
 */
export function outcomeOf(payment: PaymentRecord, replayed: boolean): Outcome {
  if (payment.status === 'RJCT') return { ok: false, error: (payment.error ?? 'settlement_failed') as PaymentError, payment, replayed };
  return { ok: true, payment, replayed };
}

export function withMessage(context: SagaContext, payment: PaymentRecord, kind: MessageKind, at: bigint, status: string | null = null, reasonCode: string | null = null): PaymentRecord {
  const ref: MessageRef | null = context.issue(payment, kind, at, context.operatorBic, status, reasonCode);
  return ref ? { ...payment, messages: [...payment.messages, ref] } : payment;
}

/** A payment refused for `error`: RJCT with the ISO reason, nothing (more) to do in the ledger. */
export function rejected(context: SagaContext, payment: PaymentRecord, error: PaymentError, at: bigint, reasonCode = reasonOf(error) ?? 'MS03'): PaymentRecord {
  const refused: PaymentRecord = { ...payment, status: 'RJCT', reasonCode, error, ledgerState: payment.ledgerState === 'none' ? 'none' : 'done', decision: null, deadlineMs: null, updatedAt: nowIso(context) };
  return withMessage(context, refused, 'pacs.002', at, 'RJCT', reasonCode);
}

export interface StatusChange {
  readonly status: PaymentStatus;
  readonly at: bigint;
  readonly reasonCode?: string | null;
}

/**
 * A payment held for a risk review has its legs reserved but is not yet instructed: the pacs.008
 * goes to the creditor agent only when the review releases it, so the creditor's bank never hears
 * of a payment an analyst may still stop. Returns the payment instructed at `at` (ACSP, pacs.008
 * issued) with that status change, or unchanged when it was instructed already.
 */
export function instructedBy(context: SagaContext, payment: PaymentRecord, at: bigint): { payment: PaymentRecord; changes: StatusChange[] } {
  if (payment.reachedCreditorAgentAt !== null) return { payment, changes: [] };
  const reached = withMessage(context, { ...payment, status: 'ACSP', reachedCreditorAgentAt: at }, 'pacs.008', at);
  return { payment: reached, changes: [{ status: 'ACSP', at }] };
}

/** The latest instant a payment's recorded events carry: no later event may be stamped before it. */
export function latestInstant(payment: PaymentRecord): bigint {
  let latest = payment.receivedAt;
  for (const at of [payment.reachedCreditorAgentAt, payment.creditedAt, payment.status === 'RTND' ? payment.returned?.returnedAt : null]) if (at && at > latest) latest = at;
  return latest;
}

/**
 * The key on whose request a payment's unfinished ledger work was begun, which the status changes
 * that finish it record (after a crash too): the submitter's while it is reserved, the deciding
 * key's while a decision is carried out, the returning key's while it is returned. `payment` is the
 * record before the step.
 */
export function actorOf(payment: PaymentRecord): string | null {
  switch (payment.ledgerState) {
    case 'reserving':
      return payment.submittedBy;
    case 'posting':
    case 'voiding':
      return payment.decision?.by ?? null;
    case 'returning':
      return payment.returned?.by ?? null;
    default:
      return null;
  }
}

/**
 * Writes the payment's new state and its events, if its row still says `expected` (another process
 * or a recovery may have finished it meanwhile). Answers from the stored state either way. `by` is
 * the key the events record as their cause (actorOf the record before the step). `closesHold`: a
 * payment this refuses had no decision that closed its risk review (recovery refusing what it found
 * half done), so the review still waiting on it closes in the same commit.
 */
export async function finish(
  context: SagaContext, next: PaymentRecord, expected: LedgerState, changes: readonly StatusChange[], by: string | null, floor = 0n, closesHold = false,
): Promise<Outcome> {
  const stamped = { ...next, updatedAt: nowIso(context) };
  const written = await context.writer.run(async ({ tx, planEvents }) => {
    // Each event is at least as late as the one before it: instants come from the ledger's clock
    // (which may run a few nanoseconds ahead) and from the injected clock.
    let last = floor;
    const happened = changes.map((change) => {
      last = change.at > last ? change.at : last;
      return { paymentId: stamped.id, uetr: stamped.uetr, status: change.status, reasonCode: change.reasonCode ?? null, at: last, keyId: by };
    });
    // The row must still say what this step expects (another process or a recovery may have
    // finished the payment meanwhile): the update checks it, and only if it wrote are the events
    // it carries recorded with their numbers.
    const planned = planEvents(happened);
    const full = { ...stamped, events: [...stamped.events, ...planned.numbered] };
    if (!(await updatePayment(tx, full, expected))) return null;
    await planned.record();
    // A payment that ends moving nothing (refused by the ledger or by risk control, rejected, timed
    // out or cancelled: every leg void or never booked) converted nothing at its quote, so the
    // quote is free again for a payment that does, until it expires.
    const quoteId = full.plan?.fx?.quoteId;
    if (quoteId && (full.status === 'RJCT' || full.status === 'CANC')) await context.fx.releaseQuote(tx, quoteId, full.id);
    if (closesHold && context.gate && full.status === 'RJCT') await context.gate.closing(tx, full, { status: 'RJCT', reasonCode: full.reasonCode, error: full.error, by });
    return full;
  });
  if (written) return outcomeOf(written, false);
  const stored = await loadPayment(context.db, stamped.id);
  return stored ? outcomeOf(stored, true) : outcomeOf(stamped, false);
}
