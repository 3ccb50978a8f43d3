/**
 * Test support for the ledger's property tests: a small reference model written from the rules in
 * ARCHITECTURE.md §4 and ledger.errors.ts (not from ledger.apply.ts), generators of operation
 * sequences, and the invariant checks that the pure and the database-backed tests share.
 *
 * The model keeps plain maps of balances. It undoes a failed linked chain by restoring a copy of
 * its state taken when the chain began, which is a different technique from the state machine's
 * undo log, so a slip in either shows up as a disagreement.
 */
import fc from 'fast-check';
import { AMOUNT_MAX, MAX_UUID, NIL_UUID, msToNs } from '../../kernel/index.ts';
import { AccountFlags, TransferFlags, type Account, type AccountRequest, type PendingStatus, type Transfer, type TransferRequest } from './ledger.ts';

const NS_PER_SECOND = 1_000_000_000n;
const POST_OR_VOID = TransferFlags.post_pending | TransferFlags.void_pending;
const BALANCING = TransferFlags.balancing_debit | TransferFlags.balancing_credit;
const CONSTRAINTS = AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits;

/** Account slots transfers move money between; a scenario's first step opens all of them. */
export const ACCOUNT_SLOTS = 8;
/** Two more slots that only a later accounts command may open, so "not found" stays reachable. */
const STRANGER_SLOTS = 2;
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

interface ModelTransfer {
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

// ---------------------------------------------------------------------------------------------
// Generated scenarios. Specs are abstract (slots and references); they become concrete requests
// only when a step runs, against what the model knows by then, so that shrinking stays meaningful.

export interface AccountSpec {
  readonly slot: number;
  readonly ledger: 'natural' | 'other' | 'missing' | 'zero';
  readonly code: number;
  readonly constraint: number;
  readonly history: boolean;
  readonly metadata: boolean;
}

export interface TransferSpec {
  readonly id: { readonly kind: 'fresh' } | { readonly kind: 'reuse'; readonly index: number } | { readonly kind: 'nil' };
  readonly kind: 'plain' | 'pending' | 'post' | 'void';
  readonly debit: number;
  /** The credit slot, counted on from the debit slot. */
  readonly creditOffset: number;
  /** Replaces one side with an account that may not exist. */
  readonly stranger: 'none' | 'debit' | 'credit';
  readonly ledger: 'accounts' | 'zero' | 'other';
  readonly code: number;
  readonly amount: bigint | undefined;
  readonly balancing: number;
  readonly timeoutSeconds: number;
  /** Whether a transfer that is not pending still names a timeout (which is refused). */
  readonly strayTimeout: boolean;
  readonly pendingRef: number;
  /** Whether a post or void restates the accounts, code and ledger (sometimes wrongly). */
  readonly restate: 'none' | 'same' | 'swapped';
  readonly linked: boolean;
  readonly metadata: boolean;
}

export type CommandSpec =
  | { readonly kind: 'accounts'; readonly items: readonly AccountSpec[] }
  | { readonly kind: 'transfers'; readonly items: readonly TransferSpec[] }
  | { readonly kind: 'retry'; readonly ref: number }
  | { readonly kind: 'close'; readonly slot: number; readonly closed: boolean }
  | { readonly kind: 'expire' };

export interface StepSpec {
  readonly advanceSeconds: number;
  readonly commands: readonly CommandSpec[];
}

const HUGE = [2n ** 62n, 2n ** 62n + 1n, AMOUNT_MAX - 2n, AMOUNT_MAX - 1n, AMOUNT_MAX, AMOUNT_MAX / 2n + 1n];

/** Mostly small amounts; some near 2^63 - 1 to reach the overflow rules; a few omitted or zero. */
export const amountArbitrary: fc.Arbitrary<bigint | undefined> = fc.oneof(
  { weight: 40, arbitrary: fc.bigInt({ min: 1n, max: 1000n }) },
  { weight: 4, arbitrary: fc.constantFrom(...HUGE) },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(0n) },
);

/** `weights` pairs each value with how often it is drawn, so that rule-breaking values stay rare. */
function weighted<T>(...weights: readonly (readonly [T, number])[]): fc.Arbitrary<T> {
  return fc.oneof(...weights.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));
}

const accountSpec = (slot: fc.Arbitrary<number>, constraint: fc.Arbitrary<number>): fc.Arbitrary<AccountSpec> =>
  fc.record({
    slot,
    ledger: weighted<AccountSpec['ledger']>(['natural', 12], ['other', 1], ['missing', 1], ['zero', 1]),
    code: weighted([1, 12], [2, 1], [0, 1]),
    constraint,
    history: fc.boolean(),
    metadata: fc.boolean(),
  });

const LIMIT_FLAGS = weighted([0, 3], [AccountFlags.debits_must_not_exceed_credits, 1], [AccountFlags.credits_must_not_exceed_debits, 1]);

const transferSpec: fc.Arbitrary<TransferSpec> = fc.record({
  id: fc.oneof(
    { weight: 30, arbitrary: fc.constant({ kind: 'fresh' as const }) },
    { weight: 3, arbitrary: fc.nat(50).map((index) => ({ kind: 'reuse' as const, index })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'nil' as const }) },
  ),
  kind: weighted<TransferSpec['kind']>(['plain', 5], ['pending', 3], ['post', 2], ['void', 1]),
  debit: fc.nat(ACCOUNT_SLOTS - 1),
  // Even offsets keep both accounts on one ledger (slot i lives on ledger i % 2); 0 names the same account.
  creditOffset: weighted([2, 10], [4, 10], [6, 10], [0, 1], [1, 1], [3, 1]),
  stranger: weighted<TransferSpec['stranger']>(['none', 30], ['debit', 1], ['credit', 1]),
  ledger: weighted<TransferSpec['ledger']>(['accounts', 30], ['zero', 1], ['other', 1]),
  code: weighted([1, 30], [2, 2], [0, 1]),
  amount: amountArbitrary,
  balancing: weighted([0, 8], [TransferFlags.balancing_debit, 1], [TransferFlags.balancing_credit, 1], [BALANCING, 1]),
  timeoutSeconds: weighted([0, 2], [1, 1], [2, 1], [3, 1], [5, 1]),
  strayTimeout: weighted([false, 30], [true, 1]),
  pendingRef: fc.nat(50),
  restate: weighted<TransferSpec['restate']>(['none', 8], ['same', 2], ['swapped', 1]),
  linked: weighted([false, 5], [true, 1]),
  metadata: weighted([false, 3], [true, 1]),
});

const commandSpec: fc.Arbitrary<CommandSpec> = fc.oneof(
  { weight: 14, arbitrary: fc.array(transferSpec, { minLength: 1, maxLength: 4 }).map((items) => ({ kind: 'transfers' as const, items })) },
  { weight: 2, arbitrary: fc.nat(20).map((ref) => ({ kind: 'retry' as const, ref })) },
  {
    weight: 1,
    arbitrary: fc
      .array(accountSpec(fc.nat(NAMED_SLOTS - 1), weighted([0, 3], [AccountFlags.debits_must_not_exceed_credits, 1], [CONSTRAINTS, 1])), { minLength: 1, maxLength: 2 })
      .map((items) => ({ kind: 'accounts' as const, items })),
  },
  { weight: 1, arbitrary: fc.record({ slot: fc.nat(ACCOUNT_SLOTS - 1), closed: fc.boolean() }).map((close) => ({ kind: 'close' as const, ...close })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
);

const stepSpec = (maxCommands: number): fc.Arbitrary<StepSpec> =>
  fc.record({
    advanceSeconds: weighted([0, 3], [1, 1], [2, 1], [3, 1], [4, 1], [6, 1]),
    commands: fc.array(commandSpec, { minLength: 1, maxLength: maxCommands }),
  });

/** A scenario: a first step that opens most account slots, then random steps. */
export function scenarioArbitrary(options: { maxSteps: number; maxCommandsPerStep: number }): fc.Arbitrary<StepSpec[]> {
  const opening = fc
    .tuple(...Array.from({ length: ACCOUNT_SLOTS }, (_, slot) => accountSpec(fc.constant(slot), LIMIT_FLAGS)))
    .map((items): StepSpec => ({ advanceSeconds: 0, commands: [{ kind: 'accounts', items: items.map((item) => ({ ...item, ledger: 'natural' as const, code: 1 })) }] }));
  return fc
    .tuple(opening, fc.array(stepSpec(options.maxCommandsPerStep), { minLength: 1, maxLength: options.maxSteps }))
    .map(([first, rest]) => [first, ...rest]);
}

export type Command =
  | { readonly kind: 'accounts'; readonly requests: readonly AccountRequest[] }
  | { readonly kind: 'transfers'; readonly requests: readonly TransferRequest[] }
  | { readonly kind: 'close'; readonly accountId: string; readonly closed: boolean }
  | { readonly kind: 'expire' };

/** Distinct, valid UUIDs per scenario run, so that many runs can share one database. */
export function scenarioUuid(run: number, family: 'a' | 'b', index: number): string {
  return `${run.toString(16).padStart(8, '0')}-${family}000-7000-8000-${index.toString(16).padStart(12, '0')}`;
}

export interface ScenarioIds {
  readonly run: number;
  /** The scenario's two ledgers; slot `i` lives on `ledgers[i % 2]`. */
  readonly ledgers: readonly [number, number];
  /** A ledger number that does not exist. */
  readonly missingLedger: number;
}

/** Turns specs into concrete requests, remembering ids and requests for later references. */
export function createResolver(ids: ScenarioIds, model: LedgerModel) {
  let nextTransfer = 0;
  const usedIds: string[] = [];
  const pendingIds: string[] = [];
  const sent: TransferRequest[][] = [];
  const accountId = (slot: number) => scenarioUuid(ids.run, 'a', slot);
  const naturalLedger = (slot: number) => ids.ledgers[slot % 2] as number;
  const pick = <T>(list: readonly T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

  function transferId(spec: TransferSpec): string {
    if (spec.id.kind === 'nil') return NIL_UUID;
    const reused = spec.id.kind === 'reuse' ? pick(usedIds, spec.id.index) : undefined;
    if (reused) return reused;
    const id = scenarioUuid(ids.run, 'b', nextTransfer++);
    usedIds.push(id);
    return id;
  }

  function transfer(spec: TransferSpec): TransferRequest {
    const id = transferId(spec);
    const linked = spec.linked ? TransferFlags.linked : 0;
    const metadata = spec.metadata ? '{"purpose":"test"}' : undefined;
    if (spec.kind === 'post' || spec.kind === 'void') {
      // Mostly a pending transfer that exists, so that posts and voids get past "not found".
      const existing = pendingIds.filter((candidate) => model.pendingStatus(candidate) !== undefined);
      const choices = spec.pendingRef % 4 === 0 || existing.length === 0 ? pendingIds : existing;
      const pendingId = pick(choices, spec.pendingRef) ?? scenarioUuid(ids.run, 'b', 0xfff_fff);
      const original = model.transfers().find((candidate) => candidate.id === pendingId);
      const flags = (spec.kind === 'post' ? TransferFlags.post_pending : TransferFlags.void_pending) | linked;
      const amount = spec.kind === 'void' && spec.amount !== undefined && spec.amount < 1000n ? undefined : spec.amount;
      const restated =
        spec.restate === 'none' || !original
          ? {}
          : spec.restate === 'same'
            ? { debitAccountId: original.debitAccountId, creditAccountId: original.creditAccountId, ledger: original.ledger, code: original.code }
            : { debitAccountId: original.creditAccountId, creditAccountId: original.debitAccountId };
      return { id, pendingId, flags, ...(amount === undefined ? {} : { amount }), ...restated, ...(metadata ? { metadata } : {}) };
    }
    const pending = spec.kind === 'pending';
    if (pending) pendingIds.push(id);
    const stranger = accountId(ACCOUNT_SLOTS + (spec.debit % STRANGER_SLOTS));
    const debitAccountId = spec.stranger === 'debit' ? stranger : accountId(spec.debit);
    const ledger = spec.ledger === 'zero' ? 0 : spec.ledger === 'other' ? naturalLedger(spec.debit + 1) : model.account(debitAccountId)?.ledger ?? naturalLedger(spec.debit);
    return {
      id,
      debitAccountId,
      creditAccountId: spec.stranger === 'credit' ? stranger : accountId((spec.debit + spec.creditOffset) % ACCOUNT_SLOTS),
      ...(spec.amount === undefined ? {} : { amount: spec.amount }),
      ledger,
      code: spec.code,
      flags: (pending ? TransferFlags.pending : 0) | spec.balancing | linked,
      ...(spec.timeoutSeconds > 0 && (pending || spec.strayTimeout) ? { timeoutSeconds: spec.timeoutSeconds } : {}),
      ...(metadata ? { metadata } : {}),
    };
  }

  function account(spec: AccountSpec): AccountRequest {
    const ledger = { natural: naturalLedger(spec.slot), other: naturalLedger(spec.slot + 1), missing: ids.missingLedger, zero: 0 }[spec.ledger];
    return {
      id: accountId(spec.slot),
      ledger,
      code: spec.code,
      flags: spec.constraint | (spec.history ? AccountFlags.history : 0),
      ...(spec.metadata ? { metadata: '{"owner":"test"}' } : {}),
    };
  }

  return {
    accountId,
    resolve(spec: CommandSpec): Command {
      switch (spec.kind) {
        case 'accounts':
          return { kind: 'accounts', requests: spec.items.map(account) };
        case 'transfers': {
          const requests = spec.items.map(transfer);
          sent.push(requests);
          return { kind: 'transfers', requests };
        }
        case 'retry': {
          // Sends an earlier request again, byte for byte: the first results must come back.
          const earlier = pick(sent, spec.ref);
          return earlier ? { kind: 'transfers', requests: earlier } : { kind: 'expire' };
        }
        case 'close':
          return { kind: 'close', accountId: accountId(spec.slot), closed: spec.closed };
        case 'expire':
          return { kind: 'expire' };
      }
    },
  };
}

/** What the model expects one command to answer. */
export type Expected =
  | { readonly kind: 'items'; readonly outcomes: Outcome[] }
  | { readonly kind: 'close'; readonly result: string }
  | { readonly kind: 'expire' };

export function applyToModel(model: LedgerModel, command: Command, nowNs: bigint): Expected {
  switch (command.kind) {
    case 'accounts':
      return { kind: 'items', outcomes: model.createAccounts(command.requests) };
    case 'transfers':
      return { kind: 'items', outcomes: model.createTransfers(command.requests, nowNs) };
    case 'close':
      return { kind: 'close', result: model.setClosed(command.accountId, command.closed) };
    case 'expire':
      return { kind: 'expire' };
  }
}

type AnyItemResult = { readonly result: string; readonly id: string; readonly timestamp?: bigint; readonly replayed?: boolean };

/** Renders values with bigints for problem messages and exact comparison. */
export function show(value: unknown): string {
  return JSON.stringify(value, (_, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner));
}

/**
 * Compares what the ledger answered with what the model expected, item by item, and returns the
 * disagreements. Timestamps of new records must rise strictly in submission order; a replay must
 * return the first timestamp.
 */
export function createAnswerChecker() {
  const firstTimestamps = new Map<string, bigint>();
  let lastTimestamp = -1n;
  return function check(command: Command, expected: Expected, actual: unknown, context: string): string[] {
    if (expected.kind === 'close') {
      return actual === expected.result ? [] : [`${context}: closing answered ${show(actual)}, the model says ${expected.result}`];
    }
    if (expected.kind === 'expire') return [];
    const problems: string[] = [];
    const results = actual as AnyItemResult[];
    const requests = (command as { requests: readonly { id: string }[] }).requests;
    if (results.length !== requests.length) return [`${context}: ${results.length} results for ${requests.length} items`];
    results.forEach((result, index) => {
      const outcome = expected.outcomes[index] as Outcome;
      const request = requests[index] as { id: string };
      const where = `${context}, item ${index} (${command.kind} ${show(request)})`;
      if (result.id !== request.id) problems.push(`${where}: answered for id ${result.id}`);
      if (result.result !== outcome.result) problems.push(`${where}: answered ${result.result}, the model says ${outcome.result}`);
      if (result.result !== 'ok' || !('replayed' in outcome)) return;
      if (result.replayed !== outcome.replayed) problems.push(`${where}: replayed is ${result.replayed}, the model says ${outcome.replayed}`);
      const timestamp = result.timestamp as bigint;
      const key = `${command.kind}:${request.id}`;
      if (outcome.replayed) {
        // Only records this scenario created have a known first timestamp.
        const first = firstTimestamps.get(key);
        if (first !== undefined && first !== timestamp) problems.push(`${where}: a replay answered timestamp ${timestamp}, first was ${first}`);
      } else {
        if (timestamp <= lastTimestamp) problems.push(`${where}: timestamp ${timestamp} does not rise above ${lastTimestamp}`);
        lastTimestamp = timestamp;
        firstTimestamps.set(key, timestamp);
      }
    });
    return problems;
  };
}

export interface ObservedState {
  readonly accounts: readonly Account[];
  readonly transfers: readonly Transfer[];
  readonly pendingStatus: ReadonlyMap<string, PendingStatus>;
}

/**
 * The invariants, checked on what the ledger stored: double entry per ledger, balances equal the
 * sums of transfers, limits hold, and everything equals the model. Returns what is wrong.
 */
export function observedStateProblems(model: LedgerModel, observed: ObservedState, context: string): string[] {
  const problems: string[] = [];
  const perLedger = new Map<number, Balances>();
  for (const account of observed.accounts) {
    const sums = perLedger.get(account.ledger) ?? { ...ZERO_BALANCES };
    sums.debitsPending += account.debitsPending;
    sums.debitsPosted += account.debitsPosted;
    sums.creditsPending += account.creditsPending;
    sums.creditsPosted += account.creditsPosted;
    perLedger.set(account.ledger, sums);
  }
  for (const [ledger, sums] of perLedger) {
    if (sums.debitsPosted !== sums.creditsPosted) problems.push(`${context}: ledger ${ledger} posted debits ${sums.debitsPosted} differ from posted credits ${sums.creditsPosted}`);
    if (sums.debitsPending !== sums.creditsPending) problems.push(`${context}: ledger ${ledger} pending debits ${sums.debitsPending} differ from pending credits ${sums.creditsPending}`);
  }

  const fromTransfers = balancesFromTransfers(observed.transfers, observed.pendingStatus);
  for (const account of observed.accounts) {
    const where = `${context}: account ${account.id}`;
    const summed = fromTransfers.get(account.id) ?? ZERO_BALANCES;
    if (show(pickBalances(account)) !== show(summed)) problems.push(`${where} holds ${show(pickBalances(account))} but its transfers sum to ${show(summed)}`);
    const columns = [account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted];
    if (columns.some((value) => value < 0n || value > AMOUNT_MAX)) problems.push(`${where} has a balance outside [0, 2^63 - 1]: ${show(pickBalances(account))}`);
    if (account.debitsPending + account.debitsPosted > AMOUNT_MAX || account.creditsPending + account.creditsPosted > AMOUNT_MAX) problems.push(`${where} totals overflow`);
    if (account.flags & AccountFlags.debits_must_not_exceed_credits && account.debitsPending + account.debitsPosted > account.creditsPosted) {
      problems.push(`${where} debits exceed its credits: ${show(pickBalances(account))}`);
    }
    if (account.flags & AccountFlags.credits_must_not_exceed_debits && account.creditsPending + account.creditsPosted > account.debitsPosted) {
      problems.push(`${where} credits exceed its debits: ${show(pickBalances(account))}`);
    }
  }

  const stored = new Map(observed.accounts.map((account) => [account.id, account]));
  const modelAccounts = model.accounts();
  if (stored.size !== modelAccounts.length) problems.push(`${context}: ${stored.size} accounts stored, the model has ${modelAccounts.length}`);
  for (const expected of modelAccounts) {
    const account = stored.get(expected.id);
    const actual = account && { ...pickBalances(account), flags: account.flags, ledger: account.ledger, code: account.code, metadata: account.metadata };
    const wanted = { ...pickBalances(expected), flags: expected.flags, ledger: expected.ledger, code: expected.code, metadata: expected.metadata };
    if (show(actual) !== show(wanted)) problems.push(`${context}: account ${expected.id} is ${show(actual)}, the model says ${show(wanted)}`);
  }
  const transfers = new Map(observed.transfers.map((transfer) => [transfer.id, transfer]));
  const modelTransfers = model.transfers();
  if (transfers.size !== modelTransfers.length) problems.push(`${context}: ${transfers.size} transfers stored, the model has ${modelTransfers.length}`);
  for (const expected of modelTransfers) {
    const transfer = transfers.get(expected.id);
    const actual = transfer && transferFields(transfer);
    if (show(actual) !== show(transferFields(expected))) problems.push(`${context}: transfer ${expected.id} is ${show(actual)}, the model says ${show(expected)}`);
    if (expected.flags & TransferFlags.pending && observed.pendingStatus.get(expected.id) !== model.pendingStatus(expected.id)) {
      problems.push(`${context}: pending ${expected.id} is ${observed.pendingStatus.get(expected.id)}, the model says ${model.pendingStatus(expected.id)}`);
    }
  }
  return problems;
}

/** The fields a transfer is compared by, in one fixed order (its timestamp is checked elsewhere). */
function transferFields(transfer: ModelTransfer) {
  const { id, debitAccountId, creditAccountId, amount, pendingId, ledger, code, flags, timeoutSeconds, metadata } = transfer;
  return { id, debitAccountId, creditAccountId, amount, pendingId, ledger, code, flags, timeoutSeconds, metadata };
}

/** Balances recomputed from stored transfers alone: posted from everything that posts, pending from what is still pending. */
export function balancesFromTransfers(transfers: readonly Transfer[], pendingStatus: ReadonlyMap<string, PendingStatus>): Map<string, Balances> {
  const sums = new Map<string, Balances>();
  const of = (id: string) => {
    let entry = sums.get(id);
    if (!entry) sums.set(id, (entry = { ...ZERO_BALANCES }));
    return entry;
  };
  for (const transfer of transfers) {
    if (transfer.flags & TransferFlags.pending) {
      if (pendingStatus.get(transfer.id) !== 'pending') continue;
      of(transfer.debitAccountId).debitsPending += transfer.amount;
      of(transfer.creditAccountId).creditsPending += transfer.amount;
    } else if (!(transfer.flags & TransferFlags.void_pending)) {
      of(transfer.debitAccountId).debitsPosted += transfer.amount;
      of(transfer.creditAccountId).creditsPosted += transfer.amount;
    }
  }
  return sums;
}

/** The clock reading (ms) of each step: whole seconds plus STEP_EXTRA_MS, see there. */
export function stepAdvanceMs(step: StepSpec): number {
  return step.advanceSeconds * 1000 + STEP_EXTRA_MS;
}
