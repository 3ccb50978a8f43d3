import { expect } from 'vitest';
import { createBatchApplier, type BatchApplier, type ItemResult, type LedgerSnapshot } from './ledger.apply.ts';
import type { TransferError } from './ledger.errors.ts';
import { AccountFlags, type Account, type TransferRequest } from './ledger.ts';
import { pickBalances, type Balances } from './ledger.model.test-support.ts';

/** Fixtures shared by the state machine's unit tests: standard accounts and request builders. */
export const NS_PER_SECOND = 1_000_000_000n;
/** 2023-11-14, in nanoseconds: any realistic instant will do. */
export const T0 = 1_700_000_000_000_000_000n;
export const LEDGER = 1;
export const OTHER_LEDGER = 2;
export const BIG = 2n ** 62n;

export const uuid = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
export const A = uuid(0xa1); // ledger 1, no limits
export const B = uuid(0xb1); // ledger 1, no limits
export const D = uuid(0xd1); // ledger 1, debits must not exceed credits
export const C = uuid(0xc1); // ledger 1, credits must not exceed debits
export const H = uuid(0x41); // ledger 1, keeps balance history
export const X = uuid(0xe1); // ledger 2
export const UNKNOWN = uuid(0xfff);
let nextId = 0x1000;
export const freshId = () => uuid(nextId++);

export function emptySnapshot(): LedgerSnapshot {
  return { accounts: new Map(), transfers: new Map(), pending: new Map(), failures: new Map(), ledgers: new Set([LEDGER, OTHER_LEDGER]), parties: new Set() };
}

/** A snapshot holding the standard accounts, and a fresh applier over it. */
export function standardLedger() {
  const snapshot = emptySnapshot();
  const opening = createBatchApplier(snapshot, T0);
  const opened = opening.createAccounts([
    { id: A, ledger: LEDGER, code: 1, flags: 0 },
    { id: B, ledger: LEDGER, code: 1, flags: 0 },
    { id: D, ledger: LEDGER, code: 1, flags: AccountFlags.debits_must_not_exceed_credits },
    { id: C, ledger: LEDGER, code: 1, flags: AccountFlags.credits_must_not_exceed_debits },
    { id: H, ledger: LEDGER, code: 1, flags: AccountFlags.history },
    { id: X, ledger: OTHER_LEDGER, code: 1, flags: 0 },
  ]);
  expect(opened.map((result) => result.result)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  const applier = createBatchApplier(snapshot, opening.nextTimestamp());
  return {
    snapshot,
    applier,
    balances: (id: string): Balances => pickBalances(snapshot.accounts.get(id) as Account),
    /** A later batch over the same state, as the engine would run it. */
    later(seconds: bigint) {
      return createBatchApplier(snapshot, applier.nextTimestamp() + seconds * NS_PER_SECOND);
    },
  };
}

export function plain(debitAccountId: string, creditAccountId: string, amount: bigint | undefined, extra: Partial<TransferRequest> = {}): TransferRequest {
  return { id: freshId(), debitAccountId, creditAccountId, ...(amount === undefined ? {} : { amount }), ledger: LEDGER, code: 1, flags: 0, ...extra };
}

export const codes = (results: readonly ItemResult<string>[]) => results.map((result) => result.result);
export const one = (applier: BatchApplier, request: TransferRequest) => applier.createTransfers([request])[0] as ItemResult<TransferError>;
export const balances = (debitsPending: bigint, debitsPosted: bigint, creditsPending: bigint, creditsPosted: bigint): Balances => ({ debitsPending, debitsPosted, creditsPending, creditsPosted });
