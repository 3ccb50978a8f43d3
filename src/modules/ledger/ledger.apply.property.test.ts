import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_MAX, MAX_UUID, NIL_UUID, msToNs } from '../../kernel/index.ts';
import { createBatchApplier, type BalanceRow, type BatchApplier, type BatchEffects, type ItemResult, type LedgerSnapshot } from './ledger.apply.ts';
import { TRANSFER_RESULT_CODES, ACCOUNT_RESULT_CODES, type TransferError } from './ledger.errors.ts';
import { AccountFlags, TransferFlags, type Account, type PendingState, type Transfer, type TransferRequest } from './ledger.ts';
import { STEP_WINDOW_NS, ZERO_BALANCES, createLedgerModel, pickBalances, type Balances } from './ledger.model.test-support.ts';
import { applyToModel, createAnswerChecker, observedStateProblems, show, createResolver, scenarioArbitrary, stepAdvanceMs, type Command, type Expected, type ScenarioIds } from './ledger.scenario.test-support.ts';


const LEDGER = 1;
const OTHER_LEDGER = 2;

// ---------------------------------------------------------------------------------------------
// Property: the state machine, run batch after batch over a store that keeps what it writes,
// agrees with the reference model and keeps the ledger's invariants.

interface StoredAccount extends Account {
  readonly initialFlags: number;
}

/** Keeps what the engine would write, with the same keys and uniqueness rules as the SQL tables. */
function createMemoryStore() {
  const accounts = new Map<string, StoredAccount>();
  const transfers = new Map<string, Transfer>();
  const pending = new Map<string, PendingState>();
  const history = new Map<string, BalanceRow[]>();
  const failures = new Map<string, TransferError>();
  const events = new Map<bigint, { accountId: string; kind: string }>();
  const recordTimestamps = new Set<bigint>();
  let lastTimestamp = 0n;

  const unique = <K>(keys: { has(key: K): boolean }, key: K, what: string) => {
    if (keys.has(key)) throw new Error(`duplicate key in ${what}: ${String(key)}`);
  };
  const claimTimestamp = (timestamp: bigint, what: string) => {
    unique(recordTimestamps, timestamp, `${what} timestamps (shared by accounts, transfers and events)`);
    recordTimestamps.add(timestamp);
  };

  return {
    accounts, transfers, pending, history, failures,
    lastTimestamp: () => lastTimestamp,
    /** What the engine loads: copies, because the state machine changes the objects it is given. */
    snapshot(ledgers: readonly number[]): LedgerSnapshot {
      return {
        accounts: new Map([...accounts].map(([id, { initialFlags: _, ...account }]) => [id, { ...account }])),
        transfers: new Map(transfers),
        pending: new Map([...pending].map(([id, state]) => [id, { ...state }])),
        failures: new Map(failures),
        ledgers: new Set(ledgers),
        parties: new Set(),
      };
    },
    due(nowNs: bigint): string[] {
      return [...pending.values()]
        .filter((state) => state.status === 'pending' && state.expiresAt > 0n && state.expiresAt <= nowNs)
        .sort((left, right) => (left.expiresAt < right.expiresAt ? -1 : left.expiresAt > right.expiresAt ? 1 : 0))
        .map((state) => state.id);
    },
    write(effects: BatchEffects, snapshot: LedgerSnapshot, nextTimestamp: bigint): void {
      for (const created of effects.newAccounts) {
        unique(accounts, created.id, 'ledger_accounts');
        claimTimestamp(created.timestamp, 'account');
        accounts.set(created.id, { ...(snapshot.accounts.get(created.id) ?? created), initialFlags: created.flags });
      }
      for (const id of effects.touchedAccounts) {
        const current = snapshot.accounts.get(id) as Account;
        accounts.set(id, { ...current, initialFlags: (accounts.get(id) as StoredAccount).initialFlags });
      }
      for (const transfer of effects.newTransfers) {
        unique(transfers, transfer.id, 'ledger_transfers');
        claimTimestamp(transfer.timestamp, 'transfer');
        transfers.set(transfer.id, transfer);
      }
      for (const state of effects.newPending) {
        unique(pending, state.id, 'ledger_pending');
        pending.set(state.id, { ...state });
      }
      for (const id of effects.resolvedPending) pending.set(id, { ...(snapshot.pending.get(id) as PendingState) });
      for (const row of effects.history) {
        const rows = history.get(row.accountId) ?? [];
        if (rows.some((earlier) => earlier.timestamp === row.timestamp)) throw new Error(`duplicate key in ledger_balances: ${row.accountId}@${row.timestamp}`);
        rows.push(row);
        history.set(row.accountId, rows);
      }
      for (const failure of effects.failures) {
        unique(failures, failure.id, 'ledger_transfer_failures');
        failures.set(failure.id, failure.result);
      }
      for (const event of effects.accountEvents) {
        claimTimestamp(event.timestamp, 'event');
        events.set(event.timestamp, event);
      }
      lastTimestamp = nextTimestamp - 1n;
    },
    /** Balances of a history account at `at`, from its recorded rows (as balancesAt does). */
    recordedAt(accountId: string, at: bigint): Balances {
      const rows = (history.get(accountId) ?? []).filter((row) => row.timestamp <= at);
      const last = rows.at(-1);
      return last ? pickBalances(last) : { ...ZERO_BALANCES };
    },
    /** Balances of any account at `at`, summed from the transfers (as balancesAt does without history). */
    computedAt(accountId: string, at: bigint): Balances {
      const sums = { ...ZERO_BALANCES };
      for (const transfer of transfers.values()) {
        if (transfer.timestamp > at) continue;
        const state = pending.get(transfer.id);
        const stillPending = state !== undefined && (state.resolvedAt === 0n || state.resolvedAt > at);
        const posts = (transfer.flags & (TransferFlags.pending | TransferFlags.void_pending)) === 0;
        if (transfer.debitAccountId === accountId) {
          if (stillPending) sums.debitsPending += transfer.amount;
          if (posts) sums.debitsPosted += transfer.amount;
        }
        if (transfer.creditAccountId === accountId) {
          if (stillPending) sums.creditsPending += transfer.amount;
          if (posts) sums.creditsPosted += transfer.amount;
        }
      }
      return sums;
    },
  };
}

type MemoryStore = ReturnType<typeof createMemoryStore>;

/** Runs one batch as the engine does: expire what is due, apply every command, store the effects. */
function runBatch(store: MemoryStore, ledgers: readonly number[], nowNs: bigint, commands: readonly Command[]) {
  const last = store.lastTimestamp();
  const base = nowNs > last ? nowNs : last + 1n;
  const snapshot = store.snapshot(ledgers);
  const applier = createBatchApplier(snapshot, base);
  const expired = applier.expire(store.due(base));
  const answers = commands.map((command): unknown => {
    switch (command.kind) {
      case 'accounts':
        return applier.createAccounts(command.requests);
      case 'transfers':
        return applier.createTransfers(command.requests);
      case 'close':
        return applier.setClosed(command.accountId, command.closed);
      case 'expire':
        return undefined;
    }
  });
  const effects = applier.effects();
  const wrote = effects.newAccounts.length + effects.newTransfers.length + effects.accountEvents.length + expired.length + effects.failures.length > 0;
  if (wrote) store.write(effects, snapshot, applier.nextTimestamp());
  return { answers, expired };
}

describe('createBatchApplier: property', () => {
  const ids: ScenarioIds = { run: 0, ledgers: [LEDGER, OTHER_LEDGER], missingLedger: 3 };

  it('agrees with the reference model and keeps every invariant over generated operation sequences', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxSteps: 12, maxCommandsPerStep: 4 }), (steps) => {
        const store = createMemoryStore();
        const model = createLedgerModel(ids.ledgers);
        const resolver = createResolver(ids, model);
        const checkAnswer = createAnswerChecker();
        const boundaries: { at: bigint; balances: Map<string, Balances> }[] = [];
        let nowMs = Date.UTC(2026, 0, 1);
        steps.forEach((step, stepIndex) => {
          nowMs += stepAdvanceMs(step);
          const nowNs = msToNs(nowMs);
          const expectedExpired = model.expireDue(nowNs);
          const commands: Command[] = [];
          const expected = step.commands.map((spec) => {
            const command = resolver.resolve(spec);
            commands.push(command);
            return applyToModel(model, command, nowNs);
          });
          const { answers, expired } = runBatch(store, ids.ledgers, nowNs, commands);
          const context = `step ${stepIndex}`;
          const problems: string[] = [];
          if (show([...expired].sort()) !== show([...expectedExpired].sort())) problems.push(`${context}: expired ${show(expired)}, the model says ${show(expectedExpired)}`);
          commands.forEach((command, index) => problems.push(...checkAnswer(command, expected[index] as Expected, answers[index], `${context}, command ${index}`)));
          problems.push(...observedStateProblems(model, {
            accounts: [...store.accounts.values()],
            transfers: [...store.transfers.values()],
            pendingStatus: new Map([...store.pending].map(([id, state]) => [id, state.status])),
          }, context));
          expect(problems).toEqual([]);
          boundaries.push({ at: nowNs + STEP_WINDOW_NS, balances: new Map(model.accounts().map((account) => [account.id, pickBalances(account)])) });
        });
        // Balances at every past step boundary: recorded (history rows) and computed (from transfers) agree with the model.
        const problems: string[] = [];
        for (const { at, balances: expectedAt } of boundaries) {
          for (const account of store.accounts.values()) {
            const wanted = show(expectedAt.get(account.id) ?? ZERO_BALANCES);
            const computed = show(store.computedAt(account.id, at));
            if (computed !== wanted) problems.push(`computed balances of ${account.id} at ${at} are ${computed}, the model says ${wanted}`);
            if (account.flags & AccountFlags.history) {
              const recorded = show(store.recordedAt(account.id, at));
              if (recorded !== wanted) problems.push(`recorded balances of ${account.id} at ${at} are ${recorded}, the model says ${wanted}`);
            } else if (store.history.has(account.id)) {
              problems.push(`account ${account.id} has no history flag but balance rows`);
            }
          }
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
