/**
 * Test support for the ledger's property tests: a small reference model written from the rules in
 * ARCHITECTURE.md §4 and ledger.errors.ts (not from ledger.apply.ts). The generated scenarios and
 * the invariant checks that the pure and the database-backed tests share are in
 * ledger.scenario.test-support.ts.
 *
 * The model keeps plain maps of balances. It undoes a failed linked chain by restoring a copy of
 * its state taken when the chain began, which is a different technique from the state machine's
 * undo log, so a slip in either shows up as a disagreement.
 */
import { AMOUNT_MAX, MAX_UUID, NIL_UUID, msToNs } from '../../kernel/index.ts';
import { AccountFlags, TransferFlags, type Account, type AccountRequest, type PendingStatus, type TransferRequest } from './ledger.ts';

const NS_PER_SECOND = 1_000_000_000n;
const POST_OR_VOID = TransferFlags.post_pending | TransferFlags.void_pending;
export const BALANCING = TransferFlags.balancing_debit | TransferFlags.balancing_credit;
export const CONSTRAINTS = AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits;

/** Account slots transfers move money between; a scenario's first step opens all of them. */
export const ACCOUNT_SLOTS = 8;
/** Two more slots that only a later accounts command may open, so "not found" stays reachable. */
export const STRANGER_SLOTS = 2;
/** Every slot a scenario may name. */
export const NAMED_SLOTS = ACCOUNT_SLOTS + STRANGER_SLOTS;
/** Every step moves the clock by whole seconds plus this much, so no pending timeout (whole seconds) ever ends exactly on a batch boundary. */
export const STEP_EXTRA_MS = 1;
/** All timestamps of one step lie within this many nanoseconds of the step's clock reading. */
export const STEP_WINDOW_NS = msToNs(STEP_EXTRA_MS) - 1n;

export interface Balances {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

export const ZERO_BALANCES: Readonly<Balances> = Object.freeze({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });

interface ModelAccount extends Balances {
  readonly id: string;
  readonly ledger: number;
  readonly code: number;
  flags: number;
  readonly metadata: string | null;
}

export interface ModelTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly pendingId: string | null;
  readonly ledger: number;
  readonly code: number;
  readonly flags: number;
  readonly timeoutSeconds: number;
  readonly metadata: string | null;
}

interface ModelPending {
  status: PendingStatus;
  readonly expiresAt: bigint;
}

export type Outcome = { readonly result: 'ok'; readonly replayed: boolean } | { readonly result: string };

export interface LedgerModel {
  /** Expires what is due at `nowNs`, as the engine does at the start of every batch. */
  expireDue(nowNs: bigint): string[];
  createAccounts(requests: readonly AccountRequest[]): Outcome[];
  createTransfers(requests: readonly TransferRequest[], nowNs: bigint): Outcome[];
  setClosed(accountId: string, closed: boolean): string;
  account(id: string): Readonly<ModelAccount> | undefined;
  accounts(): Readonly<ModelAccount>[];
  transfers(): Readonly<ModelTransfer>[];
  pendingStatus(id: string): PendingStatus | undefined;
  balancesOf(id: string): Balances;
}

/** Failures that are not remembered against the id: they say nothing about the request's own body. */
function isTransient(code: string): boolean {
  return code.startsWith('exists_with_different_') || code.startsWith('linked_event_') || code === 'id_must_not_be_zero' || code === 'id_must_not_be_int_max';
}

export function createLedgerModel(ledgers: readonly number[]): LedgerModel {
  let state = {
    accounts: new Map<string, ModelAccount>(),
    transfers: new Map<string, ModelTransfer>(),
    pending: new Map<string, ModelPending>(),
  };
  const failures = new Map<string, string>();
  const knownLedgers = new Set(ledgers);

  const copyState = () => ({
    accounts: new Map([...state.accounts].map(([id, account]) => [id, { ...account }])),
    transfers: new Map(state.transfers),
    pending: new Map([...state.pending].map(([id, pending]) => [id, { ...pending }])),
  });

  function shape(request: TransferRequest): string | null {
    if (request.id === NIL_UUID) return 'id_must_not_be_zero';
    if (request.id === MAX_UUID) return 'id_must_not_be_int_max';
    const failed = failures.get(request.id);
    if (failed) return failed;
    const postOrVoid = request.flags & POST_OR_VOID;
    if (postOrVoid === POST_OR_VOID) return 'flags_are_mutually_exclusive';
    if (postOrVoid && request.flags & (TransferFlags.pending | BALANCING)) return 'flags_are_mutually_exclusive';
    if (postOrVoid) {
      if (!request.pendingId || request.pendingId === NIL_UUID) return 'pending_id_must_not_be_zero';
      if (request.pendingId === request.id) return 'pending_id_must_be_different';
      if (request.timeoutSeconds) return 'timeout_reserved_for_pending_transfer';
      if (request.amount === 0n) return 'amount_must_not_be_zero';
      return null;
    }
    if (!request.debitAccountId || request.debitAccountId === NIL_UUID) return 'debit_account_id_must_not_be_zero';
    if (!request.creditAccountId || request.creditAccountId === NIL_UUID) return 'credit_account_id_must_not_be_zero';
    if (request.debitAccountId === request.creditAccountId) return 'accounts_must_be_different';
    if (request.pendingId !== undefined) return 'pending_id_must_be_zero';
    if (request.timeoutSeconds && !(request.flags & TransferFlags.pending)) return 'timeout_reserved_for_pending_transfer';
    if (request.amount === 0n) return 'amount_must_not_be_zero';
    if (request.amount === undefined && !(request.flags & BALANCING)) return 'amount_must_not_be_zero';
    if (!request.ledger) return 'ledger_must_not_be_zero';
    if (!request.code) return 'code_must_not_be_zero';
    return null;
  }

  function differingField(request: TransferRequest, stored: ModelTransfer): string | null {
    if (request.flags !== stored.flags) return 'flags';
    if ((request.pendingId ?? null) !== stored.pendingId) return 'pending_id';
    if ((request.timeoutSeconds ?? 0) !== stored.timeoutSeconds) return 'timeout';
    if (request.debitAccountId !== undefined && request.debitAccountId !== stored.debitAccountId) return 'debit_account_id';
    if (request.creditAccountId !== undefined && request.creditAccountId !== stored.creditAccountId) return 'credit_account_id';
    if (request.amount !== undefined) {
      // A balancing transfer states a ceiling; the stored amount is what it actually moved.
      const balancing = (request.flags & BALANCING) !== 0;
      if (balancing ? request.amount < stored.amount : request.amount !== stored.amount) return 'amount';
    }
    if ((request.metadata ?? null) !== stored.metadata) return 'metadata';
    if (request.ledger !== undefined && request.ledger !== stored.ledger) return 'ledger';
    if (request.code !== undefined && request.code !== stored.code) return 'code';
    return null;
  }

  /** Whether adding `amount` to the given side would push a column or the side's total past AMOUNT_MAX. */
  function overflow(debit: ModelAccount, credit: ModelAccount, amount: bigint, pending: boolean): string | null {
    if (pending) {
      if (debit.debitsPending + amount > AMOUNT_MAX) return 'overflows_debits_pending';
      if (credit.creditsPending + amount > AMOUNT_MAX) return 'overflows_credits_pending';
    } else {
      if (debit.debitsPosted + amount > AMOUNT_MAX) return 'overflows_debits_posted';
      if (credit.creditsPosted + amount > AMOUNT_MAX) return 'overflows_credits_posted';
    }
    if (debit.debitsPending + debit.debitsPosted + amount > AMOUNT_MAX) return 'overflows_debits';
    if (credit.creditsPending + credit.creditsPosted + amount > AMOUNT_MAX) return 'overflows_credits';
    return null;
  }

  function createPlain(request: TransferRequest, nowNs: bigint): string | null {
    const debit = state.accounts.get(request.debitAccountId as string);
    if (!debit) return 'debit_account_not_found';
    const credit = state.accounts.get(request.creditAccountId as string);
    if (!credit) return 'credit_account_not_found';
    if (debit.ledger !== credit.ledger) return 'accounts_must_have_the_same_ledger';
    if (request.ledger !== debit.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';
    if (debit.flags & AccountFlags.closed) return 'debit_account_already_closed';
    if (credit.flags & AccountFlags.closed) return 'credit_account_already_closed';
    let amount = request.amount ?? AMOUNT_MAX;
    if (request.flags & TransferFlags.balancing_debit) {
      const room = debit.creditsPosted - debit.debitsPosted - debit.debitsPending;
      amount = room <= 0n ? 0n : room < amount ? room : amount;
      if (amount === 0n) return 'exceeds_credits';
    }
    if (request.flags & TransferFlags.balancing_credit) {
      const room = credit.debitsPosted - credit.creditsPosted - credit.creditsPending;
      amount = room <= 0n ? 0n : room < amount ? room : amount;
      if (amount === 0n) return 'exceeds_debits';
    }
    const pending = (request.flags & TransferFlags.pending) !== 0;
    const overflowed = overflow(debit, credit, amount, pending);
    if (overflowed) return overflowed;
    const timeoutSeconds = request.timeoutSeconds ?? 0;
    if (nowNs + BigInt(timeoutSeconds) * NS_PER_SECOND > AMOUNT_MAX) return 'overflows_timeout';
    if (debit.flags & AccountFlags.debits_must_not_exceed_credits && debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) return 'exceeds_credits';
    if (credit.flags & AccountFlags.credits_must_not_exceed_debits && credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted) return 'exceeds_debits';
    if (pending) {
      debit.debitsPending += amount;
      credit.creditsPending += amount;
      // Creation time is taken as the step's clock reading; see STEP_EXTRA_MS for why that is exact enough.
      state.pending.set(request.id, { status: 'pending', expiresAt: timeoutSeconds > 0 ? nowNs + BigInt(timeoutSeconds) * NS_PER_SECOND : 0n });
    } else {
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    }
    state.transfers.set(request.id, {
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
    });
    return null;
  }

  function createPostOrVoid(request: TransferRequest, nowNs: bigint): string | null {
    const original = state.transfers.get(request.pendingId as string);
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
    const pending = state.pending.get(original.id) as ModelPending;
    if (pending.status === 'posted') return 'pending_transfer_already_posted';
    if (pending.status === 'voided') return 'pending_transfer_already_voided';
    if (pending.status === 'expired' || (pending.expiresAt !== 0n && pending.expiresAt <= nowNs)) return 'pending_transfer_expired';
    const debit = state.accounts.get(original.debitAccountId) as ModelAccount;
    const credit = state.accounts.get(original.creditAccountId) as ModelAccount;
    if (posting && debit.flags & AccountFlags.closed) return 'debit_account_already_closed';
    if (posting && credit.flags & AccountFlags.closed) return 'credit_account_already_closed';
    // Posting moves at most what is already held, so no column and no total can grow past what the
    // pending transfer already occupied: a post never overflows.
    debit.debitsPending -= original.amount;
    credit.creditsPending -= original.amount;
    if (posting) {
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    }
    pending.status = posting ? 'posted' : 'voided';
    state.transfers.set(request.id, {
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
    });
    return null;
  }

  function createOne(request: TransferRequest, nowNs: bigint): Outcome {
    const broken = shape(request);
    if (broken) return { result: broken };
    const stored = state.transfers.get(request.id);
    if (stored) {
      const field = differingField(request, stored);
      return field ? { result: `exists_with_different_${field}` } : { result: 'ok', replayed: true };
    }
    const error = request.flags & POST_OR_VOID ? createPostOrVoid(request, nowNs) : createPlain(request, nowNs);
    return error ? { result: error } : { result: 'ok', replayed: false };
  }

  return {
    expireDue(nowNs) {
      const expired: string[] = [];
      for (const [id, pending] of state.pending) {
        if (pending.status !== 'pending' || pending.expiresAt === 0n || pending.expiresAt > nowNs) continue;
        const transfer = state.transfers.get(id) as ModelTransfer;
        (state.accounts.get(transfer.debitAccountId) as ModelAccount).debitsPending -= transfer.amount;
        (state.accounts.get(transfer.creditAccountId) as ModelAccount).creditsPending -= transfer.amount;
        pending.status = 'expired';
        expired.push(id);
      }
      return expired;
    },

    createAccounts(requests) {
      return requests.map((request): Outcome => {
        if (request.id === NIL_UUID) return { result: 'id_must_not_be_zero' };
        if (request.id === MAX_UUID) return { result: 'id_must_not_be_int_max' };
        if ((request.flags & CONSTRAINTS) === CONSTRAINTS) return { result: 'flags_are_mutually_exclusive' };
        if (!request.ledger) return { result: 'ledger_must_not_be_zero' };
        if (!request.code) return { result: 'code_must_not_be_zero' };
        const stored = state.accounts.get(request.id);
        if (stored) {
          // Closing is a later event, not part of the account's creation body.
          if ((stored.flags & ~AccountFlags.closed) !== (request.flags & ~AccountFlags.closed)) return { result: 'exists_with_different_flags' };
          if (stored.ledger !== request.ledger) return { result: 'exists_with_different_ledger' };
          if (stored.code !== request.code) return { result: 'exists_with_different_code' };
          if ((request.partyId ?? null) !== null) return { result: 'exists_with_different_party_id' };
          if (stored.metadata !== (request.metadata ?? null)) return { result: 'exists_with_different_metadata' };
          return { result: 'ok', replayed: true };
        }
        if (!knownLedgers.has(request.ledger)) return { result: 'ledger_not_found' };
        if (request.partyId) return { result: 'party_not_found' };
        state.accounts.set(request.id, {
          id: request.id, ledger: request.ledger, code: request.code, flags: request.flags, metadata: request.metadata ?? null, ...ZERO_BALANCES,
        });
        return { result: 'ok', replayed: false };
      });
    },

    createTransfers(requests, nowNs) {
      const outcomes: Outcome[] = [];
      let index = 0;
      while (index < requests.length) {
        const first = requests[index] as TransferRequest;
        if (!(first.flags & TransferFlags.linked)) {
          const outcome = createOne(first, nowNs);
          if (outcome.result !== 'ok' && !isTransient(outcome.result) && !failures.has(first.id)) failures.set(first.id, outcome.result);
          outcomes.push(outcome);
          index += 1;
          continue;
        }
        // A chain runs to the first item without the linked flag, or to the end of the request (open).
        let end = index;
        while (end < requests.length && (requests[end] as TransferRequest).flags & TransferFlags.linked) end += 1;
        const members = requests.slice(index, Math.min(end + 1, requests.length));
        const open = end === requests.length;
        const saved = copyState();
        const chainOutcomes: Outcome[] = [];
        let failure: { at: number; result: string } | undefined;
        for (const [offset, member] of members.entries()) {
          if (open && offset === members.length - 1) {
            failure = { at: offset, result: 'linked_event_chain_open' };
            break;
          }
          const outcome = createOne(member, nowNs);
          if (outcome.result !== 'ok') {
            failure = { at: offset, result: outcome.result };
            break;
          }
          chainOutcomes.push(outcome);
        }
        if (failure) {
          state = saved;
          const { at, result } = failure;
          outcomes.push(...members.map((_, offset): Outcome => ({ result: offset === at ? result : 'linked_event_failed' })));
        } else {
          outcomes.push(...chainOutcomes);
        }
        index += members.length;
      }
      return outcomes;
    },

    setClosed(accountId, closed) {
      const account = state.accounts.get(accountId);
      if (!account) return 'account_not_found';
      const isClosed = (account.flags & AccountFlags.closed) !== 0;
      if (closed && isClosed) return 'account_already_closed';
      if (!closed && !isClosed) return 'account_not_closed';
      if (closed && (account.debitsPending !== 0n || account.creditsPending !== 0n)) return 'account_has_pending_balance';
      account.flags = closed ? account.flags | AccountFlags.closed : account.flags & ~AccountFlags.closed;
      return 'ok';
    },

    account: (id) => state.accounts.get(id),
    accounts: () => [...state.accounts.values()],
    transfers: () => [...state.transfers.values()],
    pendingStatus: (id) => state.pending.get(id)?.status,
    balancesOf(id) {
      const account = state.accounts.get(id);
      return account ? pickBalances(account) : { ...ZERO_BALANCES };
    },
  };
}

export function pickBalances(source: Balances): Balances {
  return { debitsPending: source.debitsPending, debitsPosted: source.debitsPosted, creditsPending: source.creditsPending, creditsPosted: source.creditsPosted };
}
