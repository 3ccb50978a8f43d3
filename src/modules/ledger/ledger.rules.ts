import { AMOUNT_MAX, MAX_UUID, NIL_UUID } from '../../kernel/index.ts';
import { AccountFlags, TransferFlags, type Account, type Transfer, type TransferRequest } from './ledger.ts';
import type { TransferError } from './ledger.errors.ts';

/**
 * The ledger's rules that read a request and the accounts it names but change nothing: each returns
 * the first broken rule in the documented precedence, or null.
 */
export const POST_OR_VOID = TransferFlags.post_pending | TransferFlags.void_pending;
export const BALANCING = TransferFlags.balancing_debit | TransferFlags.balancing_credit;

export function validateShape(request: TransferRequest, failures: ReadonlyMap<string, TransferError>): TransferError | null {
  if (request.id === NIL_UUID) return 'id_must_not_be_zero';
  if (request.id === MAX_UUID) return 'id_must_not_be_int_max';
  const failed = failures.get(request.id);
  if (failed) return failed;
  const flags = request.flags;
  const postOrVoid = flags & POST_OR_VOID;
  if (
    postOrVoid === POST_OR_VOID ||
    (postOrVoid && flags & (TransferFlags.pending | BALANCING))
  ) {
    return 'flags_are_mutually_exclusive';
  }
  if (!postOrVoid) {
    if (!request.debitAccountId || request.debitAccountId === NIL_UUID) return 'debit_account_id_must_not_be_zero';
    if (!request.creditAccountId || request.creditAccountId === NIL_UUID) return 'credit_account_id_must_not_be_zero';
    if (request.debitAccountId === request.creditAccountId) return 'accounts_must_be_different';
    if (request.pendingId !== undefined) return 'pending_id_must_be_zero';
    if (request.timeoutSeconds && !(flags & TransferFlags.pending)) return 'timeout_reserved_for_pending_transfer';
    if (request.amount === 0n || (request.amount === undefined && !(flags & BALANCING))) return 'amount_must_not_be_zero';
    if (!request.ledger) return 'ledger_must_not_be_zero';
    if (!request.code) return 'code_must_not_be_zero';
  } else {
    if (request.pendingId === undefined || request.pendingId === NIL_UUID) return 'pending_id_must_not_be_zero';
    if (request.pendingId === request.id) return 'pending_id_must_be_different';
    if (request.timeoutSeconds) return 'timeout_reserved_for_pending_transfer';
    if (request.amount === 0n) return 'amount_must_not_be_zero';
  }
  return null;
}

/** Idempotency: the same id with the same body is the first result; otherwise name the field. */
export function compareExisting(request: TransferRequest, existing: Transfer): TransferError | null {
  if (request.flags !== existing.flags) return 'exists_with_different_flags';
  if ((request.pendingId ?? null) !== existing.pendingId) return 'exists_with_different_pending_id';
  if ((request.timeoutSeconds ?? 0) !== existing.timeoutSeconds) return 'exists_with_different_timeout';
  if (request.debitAccountId !== undefined && request.debitAccountId !== existing.debitAccountId) return 'exists_with_different_debit_account_id';
  if (request.creditAccountId !== undefined && request.creditAccountId !== existing.creditAccountId) return 'exists_with_different_credit_account_id';
  if (request.amount !== undefined) {
    // A balancing transfer may have moved less than asked; asking again for the same ceiling is the same request.
    const same = request.flags & BALANCING ? request.amount >= existing.amount : request.amount === existing.amount;
    if (!same) return 'exists_with_different_amount';
  }
  if ((request.metadata ?? null) !== existing.metadata) return 'exists_with_different_metadata';
  if (request.ledger !== undefined && request.ledger !== existing.ledger) return 'exists_with_different_ledger';
  if (request.code !== undefined && request.code !== existing.code) return 'exists_with_different_code';
  return null;
}

export function limitsAndOverflow(debit: Account, credit: Account, amount: bigint, pending: boolean, released = 0n): TransferError | null {
  // `x + amount > AMOUNT_MAX` is tested as `x > room`: every bigint sum is a new heap object, and
  // this runs for every transfer of every batch.
  const room = AMOUNT_MAX - amount;
  if (pending) {
    if (debit.debitsPending > room) return 'overflows_debits_pending';
    if (credit.creditsPending > room) return 'overflows_credits_pending';
  } else {
    if (debit.debitsPosted > room) return 'overflows_debits_posted';
    if (credit.creditsPosted > room) return 'overflows_credits_posted';
  }
  const totalRoom = released === 0n ? room : room + released;
  // Accounts without pending amounts, the usual case, need no sum.
  if ((debit.debitsPending === 0n ? debit.debitsPosted : debit.debitsPending + debit.debitsPosted) > totalRoom) return 'overflows_debits';
  if ((credit.creditsPending === 0n ? credit.creditsPosted : credit.creditsPending + credit.creditsPosted) > totalRoom) return 'overflows_credits';
  return null;
}

export function exceeds(debit: Account, credit: Account, amount: bigint): TransferError | null {
  if (debit.flags & AccountFlags.debits_must_not_exceed_credits && debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) {
    return 'exceeds_credits';
  }
  if (credit.flags & AccountFlags.credits_must_not_exceed_debits && credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted) {
    return 'exceeds_debits';
  }
  return null;
}

/**
 * A standalone transfer's failure is remembered, whether it came from its own fields or from the
 * state it met (exceeds_credits too), so a retry with the same id gets the first answer even after
 * the state changed: use a new id for a new attempt. Id checks, idempotency comparisons and linked
 * chain outcomes are not failures of this id and are not remembered.
 */
export function isTransientForIdempotency(code: TransferError): boolean {
  return code.startsWith('exists_with_different_') || code === 'id_must_not_be_zero' || code === 'id_must_not_be_int_max' || code.startsWith('linked_event');
}
