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


describe('createBatchApplier: accounts', () => {
  it('creates accounts with zero balances and answers one result per item, in order', () => {
    const snapshot = emptySnapshot();
    const applier = createBatchApplier(snapshot, T0);
    const results = applier.createAccounts([
      { id: A, ledger: LEDGER, code: 1, flags: 0 },
      { id: NIL_UUID, ledger: LEDGER, code: 1, flags: 0 },
      { id: B, ledger: LEDGER, code: 7, flags: AccountFlags.history },
    ]);
    expect(results).toEqual([
      { result: 'ok', id: A, timestamp: T0, replayed: false },
      { result: 'id_must_not_be_zero', id: NIL_UUID },
      { result: 'ok', id: B, timestamp: T0 + 2n, replayed: false },
    ]);
    expect(pickBalances(snapshot.accounts.get(B) as Account)).toEqual(ZERO_BALANCES);
    expect(applier.effects().newAccounts.map((account) => account.id)).toEqual([A, B]);
  });

  it.each([
    { name: 'nil id', request: { id: NIL_UUID, ledger: 0, code: 0, flags: 0 }, expected: 'id_must_not_be_zero' },
    { name: 'max id', request: { id: MAX_UUID, ledger: 0, code: 0, flags: 0 }, expected: 'id_must_not_be_int_max' },
    { name: 'both limits', request: { id: C, ledger: 0, code: 0, flags: AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits }, expected: 'flags_are_mutually_exclusive' },
    { name: 'ledger zero', request: { id: C, ledger: 0, code: 0, flags: 0 }, expected: 'ledger_must_not_be_zero' },
    { name: 'code zero', request: { id: C, ledger: 99, code: 0, flags: 0 }, expected: 'code_must_not_be_zero' },
    { name: 'unknown ledger', request: { id: C, ledger: 99, code: 1, flags: 0, partyId: 'nobody' }, expected: 'ledger_not_found' },
    { name: 'unknown party', request: { id: C, ledger: LEDGER, code: 1, flags: 0, partyId: 'nobody' }, expected: 'party_not_found' },
  ])('reports $expected for an account with $name, before any later rule', ({ request, expected }) => {
    const applier = createBatchApplier(emptySnapshot(), T0);
    expect(codes(applier.createAccounts([request]))).toEqual([expected]);
    expect(applier.effects().newAccounts).toEqual([]);
  });

  it('replays an account created with the same body and names the first differing field otherwise', () => {
    const { applier } = standardLedger();
    const first = { id: D, ledger: LEDGER, code: 1, flags: AccountFlags.debits_must_not_exceed_credits };
    const results = applier.createAccounts([
      first,
      { ...first, flags: 0, ledger: OTHER_LEDGER },
      { ...first, ledger: OTHER_LEDGER, code: 2 },
      { ...first, code: 2, partyId: 'someone' },
      { ...first, partyId: 'someone', metadata: '{"a":"b"}' },
      { ...first, metadata: '{"a":"b"}' },
    ]);
    expect(codes(results)).toEqual([
      'ok', 'exists_with_different_flags', 'exists_with_different_ledger', 'exists_with_different_code', 'exists_with_different_party_id', 'exists_with_different_metadata',
    ]);
    expect(results[0]).toMatchObject({ replayed: true, timestamp: T0 + 2n });
    expect(applier.effects().newAccounts).toEqual([]);
  });

  it('lists account result codes in the order the rules are checked', () => {
    const checked = ['id_must_not_be_zero', 'id_must_not_be_int_max', 'flags_are_mutually_exclusive', 'ledger_must_not_be_zero', 'code_must_not_be_zero', 'exists_with_different_flags', 'exists_with_different_ledger', 'exists_with_different_code', 'exists_with_different_party_id', 'exists_with_different_metadata', 'ledger_not_found', 'party_not_found'];
    expect(ACCOUNT_RESULT_CODES.filter((code) => checked.includes(code))).toEqual(checked);
  });
});

describe('createBatchApplier: transfers', () => {
  it('moves money between two accounts and gives every item a fresh, rising timestamp', () => {
    const { applier, balances: of } = standardLedger();
    const start = applier.nextTimestamp();
    const results = applier.createTransfers([plain(A, B, 250n), plain(B, A, 50n, { metadata: '{"why":"refund"}' })]);
    expect(results.map((result) => result.result === 'ok' && result.timestamp)).toEqual([start, start + 1n]);
    expect(of(A)).toEqual(balances(0n, 250n, 0n, 50n));
    expect(of(B)).toEqual(balances(0n, 50n, 0n, 250n));
    expect(applier.effects().newTransfers.map((transfer) => [transfer.amount, transfer.metadata])).toEqual([[250n, null], [50n, '{"why":"refund"}']]);
  });

  const P1 = uuid(0x9001);
  const K = uuid(0x6b); // closed
  /** Accounts with some history: A paid B 100 and holds 1 more for B; K is closed. */
  function precedenceLedger() {
    const ledger = standardLedger();
    expect(codes(ledger.applier.createAccounts([{ id: K, ledger: LEDGER, code: 1, flags: 0 }]))).toEqual(['ok']);
    expect(ledger.applier.setClosed(K, true)).toBe('ok');
    expect(codes(ledger.applier.createTransfers([plain(A, B, 100n), { ...plain(A, B, 1n), id: P1, flags: TransferFlags.pending }]))).toEqual(['ok', 'ok']);
    return ledger;
  }

  const precedence: { request: Partial<TransferRequest>; expected: TransferError; fix: Partial<TransferRequest>; alsoBreaks: TransferError }[] = [
    { request: { id: NIL_UUID, debitAccountId: A, creditAccountId: A }, expected: 'id_must_not_be_zero', fix: {}, alsoBreaks: 'accounts_must_be_different' },
    { request: { id: MAX_UUID, debitAccountId: A, creditAccountId: A }, expected: 'id_must_not_be_int_max', fix: {}, alsoBreaks: 'accounts_must_be_different' },
    { request: { flags: TransferFlags.post_pending | TransferFlags.void_pending, pendingId: undefined }, expected: 'flags_are_mutually_exclusive', fix: { flags: TransferFlags.post_pending }, alsoBreaks: 'pending_id_must_not_be_zero' },
    { request: { flags: TransferFlags.pending | TransferFlags.void_pending, pendingId: UNKNOWN }, expected: 'flags_are_mutually_exclusive', fix: { flags: TransferFlags.void_pending }, alsoBreaks: 'pending_transfer_not_found' },
    { request: { flags: TransferFlags.post_pending | TransferFlags.balancing_debit, pendingId: P1 }, expected: 'flags_are_mutually_exclusive', fix: { flags: TransferFlags.balancing_debit }, alsoBreaks: 'pending_id_must_be_zero' },
    { request: { debitAccountId: undefined, creditAccountId: undefined }, expected: 'debit_account_id_must_not_be_zero', fix: { debitAccountId: A }, alsoBreaks: 'credit_account_id_must_not_be_zero' },
    { request: { creditAccountId: NIL_UUID, amount: 0n }, expected: 'credit_account_id_must_not_be_zero', fix: { creditAccountId: B }, alsoBreaks: 'amount_must_not_be_zero' },
    { request: { creditAccountId: A, pendingId: P1 }, expected: 'accounts_must_be_different', fix: { creditAccountId: B }, alsoBreaks: 'pending_id_must_be_zero' },
    { request: { pendingId: P1, timeoutSeconds: 5 }, expected: 'pending_id_must_be_zero', fix: { pendingId: undefined }, alsoBreaks: 'timeout_reserved_for_pending_transfer' },
    { request: { flags: TransferFlags.post_pending, timeoutSeconds: 5 }, expected: 'pending_id_must_not_be_zero', fix: { pendingId: P1 }, alsoBreaks: 'timeout_reserved_for_pending_transfer' },
    { request: { id: uuid(0x5e1f), flags: TransferFlags.post_pending, pendingId: uuid(0x5e1f), amount: 0n }, expected: 'pending_id_must_be_different', fix: { pendingId: P1 }, alsoBreaks: 'amount_must_not_be_zero' },
    { request: { timeoutSeconds: 5, amount: 0n }, expected: 'timeout_reserved_for_pending_transfer', fix: { timeoutSeconds: 0 }, alsoBreaks: 'amount_must_not_be_zero' },
    { request: { amount: 0n, ledger: 0 }, expected: 'amount_must_not_be_zero', fix: { amount: 1n }, alsoBreaks: 'ledger_must_not_be_zero' },
    { request: { ledger: 0, code: 0 }, expected: 'ledger_must_not_be_zero', fix: { ledger: LEDGER }, alsoBreaks: 'code_must_not_be_zero' },
    { request: { debitAccountId: UNKNOWN, code: 0 }, expected: 'code_must_not_be_zero', fix: { code: 1 }, alsoBreaks: 'debit_account_not_found' },
    { request: { debitAccountId: UNKNOWN, creditAccountId: uuid(0xffe) }, expected: 'debit_account_not_found', fix: { debitAccountId: A }, alsoBreaks: 'credit_account_not_found' },
    { request: { creditAccountId: UNKNOWN, ledger: OTHER_LEDGER }, expected: 'credit_account_not_found', fix: { creditAccountId: X }, alsoBreaks: 'accounts_must_have_the_same_ledger' },
    { request: { creditAccountId: X, ledger: OTHER_LEDGER }, expected: 'accounts_must_have_the_same_ledger', fix: { creditAccountId: K }, alsoBreaks: 'transfer_must_have_the_same_ledger_as_accounts' },
    { request: { creditAccountId: K, ledger: OTHER_LEDGER }, expected: 'transfer_must_have_the_same_ledger_as_accounts', fix: { ledger: LEDGER }, alsoBreaks: 'credit_account_already_closed' },
    { request: { debitAccountId: K, creditAccountId: C }, expected: 'debit_account_already_closed', fix: { debitAccountId: A }, alsoBreaks: 'exceeds_debits' },
    { request: { creditAccountId: K, amount: AMOUNT_MAX }, expected: 'credit_account_already_closed', fix: { creditAccountId: B }, alsoBreaks: 'overflows_debits_posted' },
    { request: { amount: AMOUNT_MAX, flags: TransferFlags.pending }, expected: 'overflows_debits_pending', fix: { debitAccountId: D }, alsoBreaks: 'overflows_credits_pending' },
    { request: { creditAccountId: C, amount: AMOUNT_MAX, flags: TransferFlags.pending, timeoutSeconds: 1 }, expected: 'overflows_debits_pending', fix: { debitAccountId: D }, alsoBreaks: 'exceeds_credits' },
    { request: { amount: AMOUNT_MAX }, expected: 'overflows_debits_posted', fix: { debitAccountId: C }, alsoBreaks: 'overflows_credits_posted' },
    { request: { amount: AMOUNT_MAX - 100n }, expected: 'overflows_debits', fix: { debitAccountId: C }, alsoBreaks: 'overflows_credits' },
    { request: { debitAccountId: D, creditAccountId: C }, expected: 'exceeds_credits', fix: { debitAccountId: A }, alsoBreaks: 'exceeds_debits' },
  ];

  it.each(precedence)('reports $expected first when a transfer also breaks $alsoBreaks', ({ request, expected, fix, alsoBreaks }) => {
    expect(TRANSFER_RESULT_CODES.indexOf(expected)).toBeLessThan(TRANSFER_RESULT_CODES.indexOf(alsoBreaks));
    const { applier, snapshot } = precedenceLedger();
    const full = { ...plain(A, B, 1n), ...request } as TransferRequest;
    const before = snapshot.transfers.size;
    expect(one(applier, full).result).toBe(expected);
    // Curing the first broken rule (under a new id, since failures are remembered) exposes the second.
    expect(one(applier, { ...full, id: freshId(), ...fix }).result).toBe(alsoBreaks);
    expect(snapshot.transfers.size).toBe(before);
  });

  it('reports overflows_timeout when a pending timeout would pass the largest timestamp', () => {
    const { snapshot } = standardLedger();
    const nearTheEnd = createBatchApplier(snapshot, AMOUNT_MAX - 10n);
    expect(one(nearTheEnd, plain(A, B, 1n, { flags: TransferFlags.pending, timeoutSeconds: 1 })).result).toBe('overflows_timeout');
    expect(one(nearTheEnd, plain(A, B, 1n, { flags: TransferFlags.pending })).result).toBe('ok');
  });

  it('fills a balance column exactly to 2^63 - 1 but not one unit past it', () => {
    const { applier, balances: of } = standardLedger();
    expect(one(applier, plain(A, B, AMOUNT_MAX)).result).toBe('ok');
    expect(one(applier, plain(A, C, 1n)).result).toBe('overflows_debits_posted');
    expect(one(applier, plain(D, B, 1n)).result).toBe('overflows_credits_posted');
    expect(of(A).debitsPosted).toBe(AMOUNT_MAX);
    expect(of(B).creditsPosted).toBe(AMOUNT_MAX);
  });

  it('keeps a limited account within its limit: held debits count, held credits do not', () => {
    const { applier, balances: of } = standardLedger();
    expect(one(applier, plain(D, B, 1n)).result).toBe('exceeds_credits');
    expect(one(applier, plain(A, D, 100n)).result).toBe('ok');
    expect(one(applier, plain(D, B, 60n, { flags: TransferFlags.pending })).result).toBe('ok');
    expect(one(applier, plain(D, B, 41n)).result).toBe('exceeds_credits');
    expect(one(applier, plain(D, B, 40n)).result).toBe('ok');
    expect(of(D)).toEqual(balances(60n, 40n, 0n, 100n));
    // A credit that is only held (pending) does not yet let the account spend.
    expect(one(applier, plain(A, D, 500n, { flags: TransferFlags.pending })).result).toBe('ok');
    expect(one(applier, plain(D, B, 1n)).result).toBe('exceeds_credits');
    expect(one(applier, plain(C, A, 10n)).result).toBe('ok');
    expect(one(applier, plain(B, C, 11n)).result).toBe('exceeds_debits');
    expect(one(applier, plain(B, C, 10n)).result).toBe('ok');
  });
});

describe('createBatchApplier: idempotency', () => {
  it('returns the first result and timestamp for the same id and body, and writes nothing again', () => {
    const { applier, later, balances: of } = standardLedger();
    const request = plain(A, B, 70n, { metadata: '{"order":"42"}' });
    const first = one(applier, request);
    const sameBatch = one(applier, request);
    const next = later(1n);
    const nextBatch = one(next, request);
    expect(first).toMatchObject({ result: 'ok', replayed: false });
    const timestamp = first.result === 'ok' ? first.timestamp : -1n;
    expect(sameBatch).toEqual({ result: 'ok', id: request.id, timestamp, replayed: true });
    expect(nextBatch).toEqual({ result: 'ok', id: request.id, timestamp, replayed: true });
    expect(of(A).debitsPosted).toBe(70n);
    expect(next.effects().newTransfers).toEqual([]);
    expect(next.effects().touchedAccounts.size).toBe(0);
  });

  const PENDING = uuid(0x7001);
  const differences: { field: string; change: Partial<TransferRequest> }[] = [
    { field: 'flags', change: { flags: TransferFlags.pending | TransferFlags.balancing_debit, amount: 1n } },
    { field: 'timeout', change: { timeoutSeconds: 9, amount: 1n } },
    { field: 'debit_account_id', change: { debitAccountId: C, amount: 1n } },
    { field: 'credit_account_id', change: { creditAccountId: C, amount: 1n } },
    { field: 'amount', change: { amount: 1n, metadata: '{"b":"c"}' } },
    { field: 'metadata', change: { metadata: '{"b":"c"}', ledger: OTHER_LEDGER } },
    { field: 'ledger', change: { ledger: OTHER_LEDGER, code: 9 } },
    { field: 'code', change: { code: 9 } },
  ];

  it.each(differences)('answers exists_with_different_$field when the body differs first in $field', ({ field, change }) => {
    const { applier, snapshot } = standardLedger();
    const original: TransferRequest = { ...plain(A, B, 5n, { flags: TransferFlags.pending, timeoutSeconds: 60, metadata: '{"a":"b"}' }), id: PENDING };
    expect(one(applier, original).result).toBe('ok');
    const stored = snapshot.transfers.get(PENDING);
    expect(one(applier, { ...original, ...change }).result).toBe(`exists_with_different_${field}`);
    expect(snapshot.transfers.get(PENDING)).toBe(stored);
    // Comparison failures are not failures of the id: the original body still replays.
    expect(one(applier, original)).toMatchObject({ result: 'ok', replayed: true });
  });

  it('answers exists_with_different_pending_id when a retried post names another pending transfer', () => {
    const { applier } = standardLedger();
    const first = plain(A, B, 5n, { flags: TransferFlags.pending });
    const second = plain(A, B, 5n, { flags: TransferFlags.pending });
    const post: TransferRequest = { id: freshId(), pendingId: first.id, flags: TransferFlags.post_pending };
    expect(codes(applier.createTransfers([first, second, post]))).toEqual(['ok', 'ok', 'ok']);
    expect(one(applier, { ...post, pendingId: second.id, amount: 1n }).result).toBe('exists_with_different_pending_id');
    expect(one(applier, { ...post, amount: 5n })).toMatchObject({ result: 'ok', replayed: true });
  });

  it('treats a balancing transfer retried with the same ceiling as the same request', () => {
    const { applier } = standardLedger();
    expect(one(applier, plain(A, D, 30n)).result).toBe('ok');
    const sweep = plain(D, B, 1000n, { flags: TransferFlags.balancing_debit });
    expect(one(applier, sweep).result).toBe('ok');
    expect(one(applier, sweep)).toMatchObject({ result: 'ok', replayed: true });
    expect(one(applier, { ...sweep, amount: 29n }).result).toBe('exists_with_different_amount');
  });

  it('answers a retried failed transfer with its first result, even after the cause is gone, and records the failure once', () => {
    const { applier, later, snapshot } = standardLedger();
    const request = plain(D, B, 10n);
    expect(one(applier, request).result).toBe('exceeds_credits');
    expect(one(applier, request).result).toBe('exceeds_credits');
    expect(one(applier, plain(A, D, 100n)).result).toBe('ok');
    const next = later(1n);
    expect(one(next, request).result).toBe('exceeds_credits');
    expect(one(next, { ...request, amount: 5n }).result).toBe('exceeds_credits');
    expect(snapshot.transfers.has(request.id)).toBe(false);
    // The stores insert each failure under its id as primary key: recording it twice would abort the batch.
    expect(applier.effects().failures.map((failure) => failure.id)).toEqual([request.id]);
    expect(next.effects().failures).toEqual([]);
  });
});

describe('createBatchApplier: linked chains', () => {
  const linked = TransferFlags.linked;

  it('commits every member of a chain that succeeds', () => {
    const { applier, balances: of } = standardLedger();
    // D may only spend what it has received: the chain funds it first, then spends it.
    const results = applier.createTransfers([plain(A, D, 10n, { flags: linked }), plain(D, B, 10n, { flags: linked }), plain(B, A, 1n)]);
    expect(codes(results)).toEqual(['ok', 'ok', 'ok']);
    expect(of(D)).toEqual(balances(0n, 10n, 0n, 10n));
    expect(applier.effects().newTransfers).toHaveLength(3);
  });

  it('fails the whole chain when one member fails: it gets its own code, the others linked_event_failed, and nothing is written', () => {
    const { applier, balances: of, snapshot } = standardLedger();
    const before = [A, B, D, H].map(of);
    const results = applier.createTransfers([
      plain(A, H, 10n, { flags: linked }),
      plain(A, B, 5n, { flags: linked | TransferFlags.pending }),
      plain(D, B, 1n, { flags: linked }),
      plain(A, B, 1n),
    ]);
    expect(codes(results)).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits', 'linked_event_failed']);
    expect([A, B, D, H].map(of)).toEqual(before);
    const effects = applier.effects();
    expect(effects.newTransfers).toEqual([]);
    expect(effects.newPending).toEqual([]);
    expect(effects.history).toEqual([]);
    expect(effects.failures).toEqual([]);
    expect(snapshot.pending.size).toBe(0);
  });

  it('fails a chain still open at the end of the request with linked_event_chain_open', () => {
    const { applier, balances: of } = standardLedger();
    const alone = applier.createTransfers([plain(A, B, 1n, { flags: linked })]);
    expect(codes(alone)).toEqual(['linked_event_chain_open']);
    const results = applier.createTransfers([plain(A, B, 1n), plain(A, B, 2n, { flags: linked }), plain(A, B, 3n, { flags: linked })]);
    expect(codes(results)).toEqual(['ok', 'linked_event_failed', 'linked_event_chain_open']);
    expect(of(A).debitsPosted).toBe(1n);
    // An open chain does not reach into the next request handled by the same batch.
    expect(codes(applier.createTransfers([plain(A, B, 4n)]))).toEqual(['ok']);
    expect(of(A).debitsPosted).toBe(5n);
  });

  it('keeps items before and after a failed chain, and the next chain, independent of it', () => {
    const { applier, balances: of } = standardLedger();
    const results = applier.createTransfers([
      plain(A, B, 1n),
      plain(A, B, 2n, { flags: linked }),
      plain(A, UNKNOWN, 3n),
      plain(A, B, 4n, { flags: linked }),
      plain(A, B, 8n),
      plain(A, B, 16n),
    ]);
    expect(codes(results)).toEqual(['ok', 'linked_event_failed', 'credit_account_not_found', 'ok', 'ok', 'ok']);
    expect(of(A).debitsPosted).toBe(1n + 4n + 8n + 16n);
  });

  it('does not remember a failure inside a chain, so a corrected retry under the same id succeeds', () => {
    const { applier } = standardLedger();
    const member = plain(D, B, 10n, { flags: linked });
    const closing = plain(A, B, 1n);
    expect(codes(applier.createTransfers([member, closing]))).toEqual(['exceeds_credits', 'linked_event_failed']);
    expect(applier.effects().failures).toEqual([]);
    expect(codes(applier.createTransfers([plain(A, D, 10n, { flags: linked }), member, closing]))).toEqual(['ok', 'ok', 'ok']);
  });

  it('undoes a failed chain whose members post and void pending transfers', () => {
    const { applier, balances: of, snapshot } = standardLedger();
    const hold = plain(A, B, 50n, { flags: TransferFlags.pending });
    expect(one(applier, hold).result).toBe('ok');
    const results = applier.createTransfers([
      { id: freshId(), pendingId: hold.id, flags: TransferFlags.post_pending | linked, amount: 20n },
      plain(A, D, 1n, { flags: linked }),
      plain(D, B, 2n),
    ]);
    expect(codes(results)).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    expect(snapshot.pending.get(hold.id)?.status).toBe('pending');
    expect(of(A)).toEqual(balances(50n, 0n, 0n, 0n));
    expect(applier.effects().resolvedPending.size).toBe(0);
    expect(one(applier, { id: freshId(), pendingId: hold.id, flags: TransferFlags.void_pending }).result).toBe('ok');
  });
});
