import { AMOUNT_MAX, MAX_UUID, NIL_UUID, assert } from '../../kernel/index.ts';
import {
  AccountFlags,
  TransferFlags,
  type Account,
  type AccountRequest,
  type PendingState,
  type Transfer,
  type TransferRequest,
} from './ledger.ts';
import type { AccountError, TransferError } from './ledger.errors.ts';
import { BALANCING, POST_OR_VOID, compareExisting, exceeds, isTransientForIdempotency, limitsAndOverflow, validateShape } from './ledger.rules.ts';

/**
 * The ledger's state machine, free of I/O: given what the database holds about the accounts and
 * transfers a batch names, it decides every item in order and lists the writes. The engine loads the
 * snapshot, calls this, and stores the effects in one transaction. Property tests drive it directly.
 */
export interface LedgerSnapshot {
  readonly accounts: Map<string, Account>;
  readonly transfers: Map<string, Transfer>;
  readonly pending: Map<string, PendingState>;
  /** Ids of standalone transfers that failed before, with their first result. */
  readonly failures: Map<string, TransferError>;
  readonly ledgers: ReadonlySet<number>;
  readonly parties: ReadonlySet<string>;
}

export interface BalanceRow {
  readonly accountId: string;
  readonly timestamp: bigint;
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

export interface BatchEffects {
  readonly newAccounts: Account[];
  readonly newTransfers: Transfer[];
  /** Accounts whose balances or flags may have changed (their final values are in the snapshot). */
  readonly touchedAccounts: Set<string>;
  readonly newPending: PendingState[];
  /** Pending transfers resolved by this batch (posted, voided or expired). */
  readonly resolvedPending: Set<string>;
  readonly history: BalanceRow[];
  readonly failures: { readonly id: string; readonly result: TransferError; readonly timestamp: bigint }[];
  readonly accountEvents: { readonly accountId: string; readonly kind: 'closed' | 'reopened'; readonly timestamp: bigint }[];
}

export type ItemResult<E extends string> =
  | { readonly result: 'ok'; readonly id: string; readonly timestamp: bigint; readonly replayed: boolean }
  | { readonly result: E; readonly id: string };

const NS_PER_SECOND = 1_000_000_000n;

export interface BatchApplier {
  createAccounts(requests: readonly AccountRequest[]): ItemResult<AccountError>[];
  createTransfers(requests: readonly TransferRequest[]): ItemResult<TransferError>[];
  /** Releases pending transfers whose timeout has passed; returns the ids expired. */
  expire(ids: readonly string[]): string[];
  setClosed(accountId: string, closed: boolean): 'ok' | 'account_not_found' | 'account_already_closed' | 'account_not_closed' | 'account_has_pending_balance';
  /** The next unused timestamp: the engine persists it so timestamps never repeat. */
  nextTimestamp(): bigint;
  effects(): BatchEffects;
}

export function createBatchApplier(snapshot: LedgerSnapshot, firstTimestamp: bigint): BatchApplier {
  let clock = firstTimestamp;
  const effects: BatchEffects = {
    newAccounts: [],
    newTransfers: [],
    touchedAccounts: new Set(),
    newPending: [],
    resolvedPending: new Set(),
    history: [],
    failures: [],
    accountEvents: [],
  };
  // Undo log of the open linked chain: run in reverse when any member fails. Outside a chain it is
  // null, and the steps are not even made: a closure per change would be thousands per batch.
  let undo: (() => void)[] | null = null;
  const tick = () => clock++;

  function touch(account: Account, timestamp: bigint): void {
    effects.touchedAccounts.add(account.id);
    if (account.flags & AccountFlags.history) {
      effects.history.push({
        accountId: account.id,
        timestamp,
        debitsPending: account.debitsPending,
        debitsPosted: account.debitsPosted,
        creditsPending: account.creditsPending,
        creditsPosted: account.creditsPosted,
      });
      const length = effects.history.length - 1;
      if (undo) undo.push(() => void effects.history.splice(length));
    }
  }

  function change(account: Account, field: 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted', delta: bigint): void {
    const before = account[field];
    account[field] = before + delta;
    if (undo) undo.push(() => void (account[field] = before));
  }

  function record(transfer: Transfer): void {
    snapshot.transfers.set(transfer.id, transfer);
    effects.newTransfers.push(transfer);
    const length = effects.newTransfers.length - 1;
    if (undo) undo.push(() => {
      snapshot.transfers.delete(transfer.id);
      effects.newTransfers.splice(length);
    });
  }

  function resolve(state: PendingState, status: PendingState['status'], timestamp: bigint): void {
    const before = { status: state.status, resolvedAt: state.resolvedAt, listed: effects.resolvedPending.has(state.id) };
    state.status = status;
    state.resolvedAt = timestamp;
    effects.resolvedPending.add(state.id);
    if (undo) undo.push(() => {
      state.status = before.status;
      state.resolvedAt = before.resolvedAt;
      if (!before.listed) effects.resolvedPending.delete(state.id);
    });
  }

  function createPlain(request: TransferRequest, timestamp: bigint): TransferError | null {
    const debit = snapshot.accounts.get(request.debitAccountId as string);
    if (!debit) return 'debit_account_not_found';
    const credit = snapshot.accounts.get(request.creditAccountId as string);
    if (!credit) return 'credit_account_not_found';
    if (debit.ledger !== credit.ledger) return 'accounts_must_have_the_same_ledger';
    if (request.ledger !== debit.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';
    if (debit.flags & AccountFlags.closed) return 'debit_account_already_closed';
    if (credit.flags & AccountFlags.closed) return 'credit_account_already_closed';

    let amount = request.amount ?? AMOUNT_MAX;
    if (request.flags & TransferFlags.balancing_debit) {
      const available = debit.creditsPosted - debit.debitsPosted - debit.debitsPending;
      amount = available > 0n ? (available < amount ? available : amount) : 0n;
      if (amount === 0n) return 'exceeds_credits';
    }
    if (request.flags & TransferFlags.balancing_credit) {
      const available = credit.debitsPosted - credit.creditsPosted - credit.creditsPending;
      amount = available > 0n ? (available < amount ? available : amount) : 0n;
      if (amount === 0n) return 'exceeds_debits';
    }
    const pending = (request.flags & TransferFlags.pending) !== 0;
    const overflow = limitsAndOverflow(debit, credit, amount, pending);
    if (overflow) return overflow;
    const timeoutSeconds = request.timeoutSeconds ?? 0;
    if (timeoutSeconds !== 0 && timestamp + BigInt(timeoutSeconds) * NS_PER_SECOND > AMOUNT_MAX) return 'overflows_timeout';
    const limit = exceeds(debit, credit, amount);
    if (limit) return limit;

    change(debit, pending ? 'debitsPending' : 'debitsPosted', amount);
    change(credit, pending ? 'creditsPending' : 'creditsPosted', amount);
    touch(debit, timestamp);
    touch(credit, timestamp);
    record({
      id: request.id,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount,
      pendingId: null,
      ledger: debit.ledger,
      code: request.code as number,
      flags: request.flags,
      timeoutSeconds,
      metadata: request.metadata ?? null,
      timestamp,
    });
    if (pending) {
      const state: PendingState = {
        id: request.id,
        status: 'pending',
        expiresAt: timeoutSeconds > 0 ? timestamp + BigInt(timeoutSeconds) * NS_PER_SECOND : 0n,
        resolvedAt: 0n,
      };
      snapshot.pending.set(state.id, state);
      effects.newPending.push(state);
      const length = effects.newPending.length - 1;
      if (undo) undo.push(() => {
        snapshot.pending.delete(state.id);
        effects.newPending.splice(length);
      });
    }
    return null;
  }

  function createPostOrVoid(request: TransferRequest, timestamp: bigint): TransferError | null {
    const original = snapshot.transfers.get(request.pendingId as string);
    if (!original) return 'pending_transfer_not_found';
    if (!(original.flags & TransferFlags.pending)) return 'pending_transfer_not_pending';
    if (request.debitAccountId !== undefined && request.debitAccountId !== original.debitAccountId) return 'pending_transfer_has_different_debit_account_id';
    if (request.creditAccountId !== undefined && request.creditAccountId !== original.creditAccountId) return 'pending_transfer_has_different_credit_account_id';
    if (request.ledger !== undefined && request.ledger !== original.ledger) return 'pending_transfer_has_different_ledger';
    if (request.code !== undefined && request.code !== original.code) return 'pending_transfer_has_different_code';
    const posting = (request.flags & TransferFlags.post_pending) !== 0;
    const amount = request.amount ?? original.amount;
    if (posting && amount > original.amount) return 'exceeds_pending_transfer_amount';
    if (!posting && amount !== original.amount) return 'pending_transfer_has_different_amount';
    const state = snapshot.pending.get(original.id);
    assert(state, `pending state missing for ${original.id}`);
    if (state.status === 'posted') return 'pending_transfer_already_posted';
    if (state.status === 'voided') return 'pending_transfer_already_voided';
    if (state.status === 'expired' || (state.expiresAt !== 0n && state.expiresAt <= timestamp)) return 'pending_transfer_expired';
    const debit = snapshot.accounts.get(original.debitAccountId);
    const credit = snapshot.accounts.get(original.creditAccountId);
    assert(debit && credit, `accounts of pending transfer ${original.id} missing`);
    // Voiding releases held funds and is allowed on closed accounts; posting moves money and is not. A post frees its hold as it posts, so the held amount is `released` from the totals it checks.
    if (posting && debit.flags & AccountFlags.closed) return 'debit_account_already_closed';
    if (posting && credit.flags & AccountFlags.closed) return 'credit_account_already_closed';
    if (posting) {
      const overflow = limitsAndOverflow(debit, credit, amount, false, original.amount);
      if (overflow) return overflow;
    }

    change(debit, 'debitsPending', -original.amount);
    change(credit, 'creditsPending', -original.amount);
    if (posting) {
      change(debit, 'debitsPosted', amount);
      change(credit, 'creditsPosted', amount);
    }
    touch(debit, timestamp);
    touch(credit, timestamp);
    resolve(state, posting ? 'posted' : 'voided', timestamp);
    record({
      id: request.id,
      debitAccountId: original.debitAccountId,
      creditAccountId: original.creditAccountId,
      amount,
      pendingId: original.id,
      ledger: original.ledger,
      code: request.code ?? original.code,
      flags: request.flags,
      timeoutSeconds: 0,
      metadata: request.metadata ?? null,
      timestamp,
    });
    return null;
  }

  function createTransfer(request: TransferRequest, timestamp: bigint): ItemResult<TransferError> {
    const shape = validateShape(request, snapshot.failures);
    if (shape) return { result: shape, id: request.id };
    const existing = snapshot.transfers.get(request.id);
    if (existing) {
      const different = compareExisting(request, existing);
      if (different) return { result: different, id: request.id };
      return { result: 'ok', id: request.id, timestamp: existing.timestamp, replayed: true };
    }
    const error = request.flags & POST_OR_VOID ? createPostOrVoid(request, timestamp) : createPlain(request, timestamp);
    if (error) return { result: error, id: request.id };
    return { result: 'ok', id: request.id, timestamp, replayed: false };
  }

  return {
    createTransfers(requests) {
      const results: ItemResult<TransferError>[] = [];
      let chainStart = -1;
      let chainFailed = false;
      for (let index = 0; index < requests.length; index++) {
        const request = requests[index] as TransferRequest;
        const linked = (request.flags & TransferFlags.linked) !== 0;
        if (chainStart < 0 && linked) {
          chainStart = index;
          chainFailed = false;
          undo = [];
        }
        const timestamp = tick();
        let result: ItemResult<TransferError>;
        if (chainStart >= 0 && chainFailed) {
          result = { result: 'linked_event_failed', id: request.id };
        } else if (linked && index === requests.length - 1) {
          result = { result: 'linked_event_chain_open', id: request.id };
        } else {
          result = createTransfer(request, timestamp);
        }
        results.push(result);
        if (chainStart >= 0) {
          if (result.result !== 'ok' && !chainFailed) {
            chainFailed = true;
            for (const step of (undo ?? []).reverse()) step();
            undo = [];
            for (let earlier = chainStart; earlier < index; earlier++) {
              results[earlier] = { result: 'linked_event_failed', id: (requests[earlier] as TransferRequest).id };
            }
          }
          if (!linked) {
            chainStart = -1;
            undo = null;
          }
        } else if (result.result !== 'ok' && !isTransientForIdempotency(result.result) && !snapshot.failures.has(request.id)) {
          // A retried failure is answered from the stored one and must not be stored a second time.
          snapshot.failures.set(request.id, result.result);
          effects.failures.push({ id: request.id, result: result.result, timestamp });
        }
      }
      return results;
    },

    createAccounts(requests) {
      return requests.map((request): ItemResult<AccountError> => {
        const timestamp = tick();
        if (request.id === NIL_UUID) return { result: 'id_must_not_be_zero', id: request.id };
        if (request.id === MAX_UUID) return { result: 'id_must_not_be_int_max', id: request.id };
        const both = AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits;
        if ((request.flags & both) === both) return { result: 'flags_are_mutually_exclusive', id: request.id };
        if (!request.ledger) return { result: 'ledger_must_not_be_zero', id: request.id };
        if (!request.code) return { result: 'code_must_not_be_zero', id: request.id };
        const existing = snapshot.accounts.get(request.id);
        if (existing) {
          const ignoreClosed = ~AccountFlags.closed;
          if ((existing.flags & ignoreClosed) !== (request.flags & ignoreClosed)) return { result: 'exists_with_different_flags', id: request.id };
          if (existing.ledger !== request.ledger) return { result: 'exists_with_different_ledger', id: request.id };
          if (existing.code !== request.code) return { result: 'exists_with_different_code', id: request.id };
          if (existing.partyId !== (request.partyId ?? null)) return { result: 'exists_with_different_party_id', id: request.id };
          if (existing.metadata !== (request.metadata ?? null)) return { result: 'exists_with_different_metadata', id: request.id };
          return { result: 'ok', id: request.id, timestamp: existing.timestamp, replayed: true };
        }
        if (!snapshot.ledgers.has(request.ledger)) return { result: 'ledger_not_found', id: request.id };
        if (request.partyId && !snapshot.parties.has(request.partyId)) return { result: 'party_not_found', id: request.id };
        const account: Account = {
          id: request.id,
          ledger: request.ledger,
          code: request.code,
          flags: request.flags,
          debitsPending: 0n,
          debitsPosted: 0n,
          creditsPending: 0n,
          creditsPosted: 0n,
          partyId: request.partyId ?? null,
          metadata: request.metadata ?? null,
          timestamp,
        };
        snapshot.accounts.set(account.id, account);
        // A copy: later changes in this batch (balances, closing) must not alter the creation record.
        effects.newAccounts.push({ ...account });
        return { result: 'ok', id: request.id, timestamp, replayed: false };
      });
    },

    expire(ids) {
      const expired: string[] = [];
      for (const id of ids) {
        const state = snapshot.pending.get(id);
        const original = snapshot.transfers.get(id);
        if (!state || !original || state.status !== 'pending') continue;
        const timestamp = tick();
        if (state.expiresAt === 0n || state.expiresAt > timestamp) continue;
        const debit = snapshot.accounts.get(original.debitAccountId);
        const credit = snapshot.accounts.get(original.creditAccountId);
        assert(debit && credit, `accounts of pending transfer ${id} missing`);
        change(debit, 'debitsPending', -original.amount);
        change(credit, 'creditsPending', -original.amount);
        touch(debit, timestamp);
        touch(credit, timestamp);
        resolve(state, 'expired', timestamp);
        expired.push(id);
      }
      return expired;
    },

    setClosed(accountId, closed) {
      const account = snapshot.accounts.get(accountId);
      if (!account) return 'account_not_found';
      const isClosed = (account.flags & AccountFlags.closed) !== 0;
      if (closed && isClosed) return 'account_already_closed';
      if (!closed && !isClosed) return 'account_not_closed';
      if (closed && (account.debitsPending !== 0n || account.creditsPending !== 0n)) return 'account_has_pending_balance';
      const timestamp = tick();
      account.flags = closed ? account.flags | AccountFlags.closed : account.flags & ~AccountFlags.closed;
      effects.touchedAccounts.add(account.id);
      effects.accountEvents.push({ accountId: account.id, kind: closed ? 'closed' : 'reopened', timestamp });
      return 'ok';
    },

    nextTimestamp: () => clock,
    effects: () => effects,
  };
}
