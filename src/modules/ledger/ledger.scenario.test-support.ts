/**
 * Generated scenarios for the ledger's property tests, and the checks that the pure and the
 * database-backed tests share: specs (abstract slots and references) become concrete requests only
 * when a step runs, against what the reference model (ledger.model.test-support.ts) knows by then,
 * so that shrinking stays meaningful.
 */
import fc from 'fast-check';
import { AMOUNT_MAX, NIL_UUID, type ManualClock } from '../../kernel/index.ts';
import type { LedgerService } from './ledger.service.ts';
import { AccountFlags, TransferFlags, type Account, type AccountRequest, type PendingStatus, type Transfer, type TransferRequest } from './ledger.ts';
import {
  BALANCING, CONSTRAINTS, ACCOUNT_SLOTS, STRANGER_SLOTS, NAMED_SLOTS, STEP_EXTRA_MS, ZERO_BALANCES, pickBalances,
  type Balances, type ModelTransfer, type Outcome, type LedgerModel,
} from './ledger.model.test-support.ts';

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

/** Scenario runs start far apart on the clock, so a run never sees the previous run's timeouts fall due. */
export const RUN_SPACING_MS = 3_600_000;

/**
 * Plays generated scenarios against a ledger service that many runs share: each run gets its own id
 * space and two ledgers of its own, on a clock moved well past the last run. `ledger` is read when a
 * run starts, so that a suite can make its platform after creating the driver.
 */
export function createScenarioDriver(ledger: () => LedgerService, clock: ManualClock) {
  let nextRun = 1;
  return {
    async newRun(): Promise<ScenarioIds> {
      const run = nextRun++;
      clock.advance(RUN_SPACING_MS);
      const ledgers: [number, number] = [run * 10 + 1, run * 10 + 2];
      for (const id of ledgers) {
        const created = await ledger().createLedger({ id, assetCode: 'CNY', scale: 2, name: `run ${run} ledger ${id}` });
        if (!created.ok) throw new Error(`ledger ${id} of run ${run} could not be created: ${created.error}`);
      }
      return { run, ledgers, missingLedger: run * 10 + 3 };
    },
    execute(command: Command): Promise<unknown> {
      switch (command.kind) {
        case 'accounts':
          return ledger().createAccounts(command.requests);
        case 'transfers':
          return ledger().createTransfers(command.requests);
        case 'close':
          return ledger().setAccountClosed(command.accountId, command.closed);
        case 'expire':
          return ledger().expireDue();
      }
    },
  };
}
