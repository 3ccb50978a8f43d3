import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_MAX, MAX_UUID, NIL_UUID, msToNs } from '../../kernel/index.ts';
import { createBatchApplier, type BalanceRow, type BatchApplier, type BatchEffects, type ItemResult, type LedgerSnapshot } from './ledger.apply.ts';
import { TRANSFER_RESULT_CODES, ACCOUNT_RESULT_CODES, type TransferError } from './ledger.errors.ts';
import { AccountFlags, TransferFlags, type Account, type PendingState, type Transfer, type TransferRequest } from './ledger.ts';
import { STEP_WINDOW_NS, ZERO_BALANCES, createLedgerModel, pickBalances, type Balances } from './ledger.model.test-support.ts';
import { applyToModel, createAnswerChecker, observedStateProblems, show, createResolver, scenarioArbitrary, stepAdvanceMs, type Command, type Expected, type ScenarioIds } from './ledger.scenario.test-support.ts';

import {
  NS_PER_SECOND, T0, LEDGER, OTHER_LEDGER, BIG, uuid, A, B, D, C, H, X, UNKNOWN, freshId, emptySnapshot, standardLedger, plain, codes, one, balances,
} from './ledger.apply.fixtures.test-support.ts';

describe('createBatchApplier: pending transfers', () => {
  const hold = (amount: bigint, extra: Partial<TransferRequest> = {}) => plain(A, B, amount, { flags: TransferFlags.pending, ...extra });

  it('holds funds and then posts them in full', () => {
    const { applier, balances: of, snapshot } = standardLedger();
    const pending = hold(100n);
    expect(one(applier, pending).result).toBe('ok');
    expect(of(A)).toEqual(balances(100n, 0n, 0n, 0n));
    const post = { id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending };
    expect(one(applier, post).result).toBe('ok');
    expect(of(A)).toEqual(balances(0n, 100n, 0n, 0n));
    expect(of(B)).toEqual(balances(0n, 0n, 0n, 100n));
    expect(snapshot.pending.get(pending.id)?.status).toBe('posted');
    expect(snapshot.transfers.get(post.id)).toMatchObject({ amount: 100n, debitAccountId: A, creditAccountId: B, pendingId: pending.id, ledger: LEDGER, code: 1 });
  });

  it('posts part of a pending amount and releases the rest', () => {
    const { applier, balances: of } = standardLedger();
    const pending = hold(100n);
    one(applier, pending);
    expect(one(applier, { id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending, amount: 30n }).result).toBe('ok');
    expect(of(A)).toEqual(balances(0n, 30n, 0n, 0n));
    expect(of(B)).toEqual(balances(0n, 0n, 0n, 30n));
  });

  it('voids a pending transfer and releases the hold', () => {
    const { applier, balances: of, snapshot } = standardLedger();
    const pending = hold(100n);
    one(applier, pending);
    expect(one(applier, { id: freshId(), pendingId: pending.id, flags: TransferFlags.void_pending, amount: 100n }).result).toBe('ok');
    expect(of(A)).toEqual(ZERO_BALANCES);
    expect(of(B)).toEqual(ZERO_BALANCES);
    expect(snapshot.pending.get(pending.id)?.status).toBe('voided');
  });

  it('refuses a second post or void of a pending transfer that is already resolved', () => {
    const { applier } = standardLedger();
    const posted = hold(10n);
    const voided = hold(10n);
    applier.createTransfers([posted, voided]);
    const post = (pendingId: string) => ({ id: freshId(), pendingId, flags: TransferFlags.post_pending });
    const cancel = (pendingId: string) => ({ id: freshId(), pendingId, flags: TransferFlags.void_pending });
    expect(codes(applier.createTransfers([post(posted.id), cancel(voided.id)]))).toEqual(['ok', 'ok']);
    expect(codes(applier.createTransfers([post(posted.id), cancel(posted.id), post(voided.id), cancel(voided.id)]))).toEqual([
      'pending_transfer_already_posted', 'pending_transfer_already_posted', 'pending_transfer_already_voided', 'pending_transfer_already_voided',
    ]);
  });

  it('checks a post or void against the pending transfer it names, in precedence order', () => {
    const { applier } = standardLedger();
    const pending = hold(10n);
    const settled = plain(A, B, 10n);
    applier.createTransfers([pending, settled]);
    const post = (extra: Partial<TransferRequest>): TransferRequest => ({ id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending, ...extra });
    expect(codes(applier.createTransfers([
      post({ pendingId: UNKNOWN }),
      post({ pendingId: settled.id }),
      post({ debitAccountId: B, creditAccountId: A }),
      post({ creditAccountId: A, ledger: OTHER_LEDGER }),
      post({ ledger: OTHER_LEDGER, code: 2 }),
      post({ code: 2, amount: 11n }),
      post({ amount: 11n }),
      post({ flags: TransferFlags.void_pending, amount: 9n }),
    ]))).toEqual([
      'pending_transfer_not_found', 'pending_transfer_not_pending', 'pending_transfer_has_different_debit_account_id',
      'pending_transfer_has_different_credit_account_id', 'pending_transfer_has_different_ledger', 'pending_transfer_has_different_code',
      'exceeds_pending_transfer_amount', 'pending_transfer_has_different_amount',
    ]);
    expect(one(applier, post({ debitAccountId: A, creditAccountId: B, ledger: LEDGER, code: 1, amount: 10n })).result).toBe('ok');
  });

  it('posts a pending transfer of more than half of 2^63 - 1 without reporting an overflow', () => {
    const { applier, balances: of } = standardLedger();
    const pending = hold(BIG + 1n);
    expect(one(applier, pending).result).toBe('ok');
    // Posting moves money from the pending column to the posted one: no total grows, nothing can overflow.
    expect(one(applier, { id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending }).result).toBe('ok');
    expect(of(A)).toEqual(balances(0n, BIG + 1n, 0n, 0n));
    expect(of(B)).toEqual(balances(0n, 0n, 0n, BIG + 1n));
  });

  it('refuses a post once the timeout has passed, and expire() then releases the hold', () => {
    const { applier, balances: of, snapshot } = standardLedger();
    const pending = hold(40n, { timeoutSeconds: 10 });
    const forever = hold(1n);
    applier.createTransfers([pending, forever]);
    const created = snapshot.transfers.get(pending.id)?.timestamp as bigint;
    expect(snapshot.pending.get(pending.id)?.expiresAt).toBe(created + 10n * NS_PER_SECOND);

    const early = createBatchApplier(snapshot, created + 10n * NS_PER_SECOND - 1n);
    expect(early.expire([pending.id, forever.id])).toEqual([]);

    const late = createBatchApplier(snapshot, created + 10n * NS_PER_SECOND);
    expect(one(late, { id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending }).result).toBe('pending_transfer_expired');
    expect(of(A).debitsPending).toBe(41n);
    expect(late.expire([pending.id, forever.id, UNKNOWN])).toEqual([pending.id]);
    expect(of(A)).toEqual(balances(1n, 0n, 0n, 0n));
    expect(snapshot.pending.get(pending.id)).toMatchObject({ status: 'expired' });
    expect(late.effects().resolvedPending).toEqual(new Set([pending.id]));
    expect(one(late, { id: freshId(), pendingId: pending.id, flags: TransferFlags.void_pending }).result).toBe('pending_transfer_expired');
    // Expiring twice is harmless: the second pass finds nothing pending.
    expect(late.expire([pending.id])).toEqual([]);
  });
});

describe('createBatchApplier: balancing transfers', () => {
  it('clamps a balancing_debit transfer to what the debit account holds', () => {
    const { applier, balances: of } = standardLedger();
    applier.createTransfers([plain(B, A, 80n), plain(A, B, 30n, { flags: TransferFlags.pending })]);
    const results = applier.createTransfers([plain(A, B, 1000n, { flags: TransferFlags.balancing_debit })]);
    expect(codes(results)).toEqual(['ok']);
    expect(applier.effects().newTransfers.at(-1)?.amount).toBe(50n);
    expect(of(A)).toEqual(balances(30n, 50n, 0n, 80n));
  });

  it('clamps a balancing_credit transfer to what the credit account owes', () => {
    const { applier, balances: of } = standardLedger();
    applier.createTransfers([plain(C, A, 70n)]);
    expect(codes(applier.createTransfers([plain(A, C, 25n, { flags: TransferFlags.balancing_credit }), plain(B, C, 1000n, { flags: TransferFlags.balancing_credit })]))).toEqual(['ok', 'ok']);
    expect(applier.effects().newTransfers.map((transfer) => transfer.amount)).toEqual([70n, 25n, 45n]);
    expect(of(C)).toEqual(balances(0n, 70n, 0n, 70n));
  });

  it('moves as much as possible when the amount is omitted, by both sides when both flags are set', () => {
    const { applier } = standardLedger();
    applier.createTransfers([plain(B, A, 80n), plain(C, B, 30n)]);
    const both = plain(A, C, undefined, { flags: TransferFlags.balancing_debit | TransferFlags.balancing_credit });
    expect(one(applier, both).result).toBe('ok');
    expect(applier.effects().newTransfers.at(-1)?.amount).toBe(30n);
    expect(one(applier, plain(A, B, undefined, { flags: TransferFlags.balancing_debit | TransferFlags.pending })).result).toBe('ok');
    expect(applier.effects().newTransfers.at(-1)?.amount).toBe(50n);
  });

  it('reports exceeds_credits or exceeds_debits when nothing can be moved', () => {
    const { applier } = standardLedger();
    expect(one(applier, plain(A, B, 10n, { flags: TransferFlags.balancing_debit })).result).toBe('exceeds_credits');
    expect(one(applier, plain(A, B, 10n, { flags: TransferFlags.balancing_credit })).result).toBe('exceeds_debits');
  });
});

describe('createBatchApplier: closing accounts', () => {
  it('closes and reopens accounts by the rules, and refuses transfers on a closed account', () => {
    const { applier, snapshot } = standardLedger();
    const pending = plain(A, B, 5n, { flags: TransferFlags.pending });
    one(applier, pending);
    expect(applier.setClosed(UNKNOWN, true)).toBe('account_not_found');
    expect(applier.setClosed(A, true)).toBe('account_has_pending_balance');
    expect(applier.setClosed(C, false)).toBe('account_not_closed');
    expect(applier.setClosed(C, true)).toBe('ok');
    expect(applier.setClosed(C, true)).toBe('account_already_closed');
    expect(codes(applier.createTransfers([plain(C, A, 1n), plain(A, C, 1n)]))).toEqual(['debit_account_already_closed', 'credit_account_already_closed']);
    expect(applier.setClosed(C, false)).toBe('ok');
    expect(one(applier, plain(C, A, 1n)).result).toBe('ok');
    expect(applier.effects().accountEvents.map((event) => [event.accountId, event.kind])).toEqual([[C, 'closed'], [C, 'reopened']]);
    // Re-creating a closed account with its original body is still the same account.
    applier.setClosed(C, true);
    expect(codes(applier.createAccounts([{ id: C, ledger: LEDGER, code: 1, flags: AccountFlags.credits_must_not_exceed_debits }]))).toEqual(['ok']);
    expect((snapshot.accounts.get(C) as Account).flags & AccountFlags.closed).not.toBe(0);
  });
});

describe('createBatchApplier: balance history', () => {
  it('records one balance row per change of a history account, and none for other accounts', () => {
    const { applier } = standardLedger();
    const pending = plain(A, H, 7n, { flags: TransferFlags.pending });
    applier.createTransfers([plain(A, H, 10n), plain(A, B, 1n), pending, { id: freshId(), pendingId: pending.id, flags: TransferFlags.post_pending, amount: 5n }]);
    const rows = applier.effects().history;
    expect(rows.map((row) => row.accountId)).toEqual([H, H, H]);
    expect(rows.map((row) => pickBalances(row))).toEqual([balances(0n, 0n, 0n, 10n), balances(0n, 0n, 7n, 10n), balances(0n, 0n, 0n, 15n)]);
    const timestamps = rows.map((row) => row.timestamp);
    expect([...timestamps].sort((left, right) => (left < right ? -1 : 1))).toEqual(timestamps);
  });
});
