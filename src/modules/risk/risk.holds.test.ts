import { beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createHolds, type HoldResolver, type Holds, type ResolveOutcome } from './risk.holds.ts';
import { riskMigrations } from './risk.migrations.ts';
import { insertHolds } from './risk.repository.ts';
import type { Hold } from './risk.ts';

/** A resolver whose answers can be held back, so that a second attempt arrives while the first is under way. */
function gatedResolver() {
  let gate: Promise<void> = Promise.resolve();
  let open = () => undefined as void;
  let next: ResolveOutcome | 'throw' = { ok: true, detail: 'done' };
  const calls: string[] = [];
  const answer = async (action: string, hold: Hold): Promise<ResolveOutcome> => {
    calls.push(`${action} ${hold.id}`);
    await gate;
    if (next === 'throw') throw new Error('the ledger connection dropped');
    return next;
  };
  const resolver: HoldResolver = { release: (hold) => answer('release', hold), reject: (hold) => answer('reject', hold) };
  return {
    resolver,
    calls,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    open: () => open(),
    answer(outcome: ResolveOutcome | 'throw') {
      next = outcome;
    },
  };
}

/** What a resolution records, read back from the table. */
const resolutionOf = (hold: Hold | undefined) => hold && { status: hold.status, resolvedBy: hold.resolvedBy, resolvedAtMs: hold.resolvedAtMs, note: hold.note, detail: hold.detail };

describeEachDialect('risk holds keep their first resolution', ({ open }) => {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  let db: Database;
  let holds: Holds;
  let resolver: ReturnType<typeof gatedResolver>;

  beforeEach(async () => {
    db = await open();
    await migrate(db, riskMigrations);
    holds = createHolds(db, clock, () => undefined);
    resolver = gatedResolver();
    holds.register('payment', resolver.resolver);
  });

  async function held(): Promise<string> {
    const id = uuidv7();
    const hold: Hold = {
      id, kind: 'payment', status: 'held', decisionIds: [uuidv7()], items: [{ transferId: id, onRelease: 'post' }], amountMinor: 5_000n, currency: 'CNY',
      debitAccountId: uuidv7(), creditAccountId: uuidv7(), reasons: ['review'], createdAtMs: clock.nowMs(), resolvedAtMs: null, resolvedBy: null, note: null, detail: null,
    };
    await insertHolds(db, [hold]);
    return id;
  }

  it('answers another release or rejection after a resolution 409 hold_not_held, the same one by the same analyst alike, and keeps who, when, outcome and note of the first', async () => {
    const id = await held();
    expect(await holds.release(id, 'analyst-a', 'checked the beneficiary')).toMatchObject({ ok: true });
    const first = resolutionOf(await holds.get(id));
    expect(first).toEqual({ status: 'released', resolvedBy: 'analyst-a', resolvedAtMs: clock.nowMs(), note: 'checked the beneficiary', detail: 'done' });
    clock.advance(60_000);
    expect(await holds.reject(id, 'analyst-b', 'looks like a mule')).toEqual({ ok: false, error: 'hold_not_held' });
    expect(await holds.release(id, 'analyst-b', 'second look')).toEqual({ ok: false, error: 'hold_not_held' });
    expect(await holds.reject(id, 'analyst-a', 'changed my mind')).toEqual({ ok: false, error: 'hold_not_held' });
    const again = await holds.release(id, 'analyst-a', 'again');
    expect(again.ok && resolutionOf(again.value)).toEqual(first);
    expect(resolutionOf(await holds.get(id))).toEqual(first);
    expect(resolver.calls).toEqual([`release ${id}`]);
  });

  it('gives a hold whose resolution the ledger could not carry out back to the queue, naming no resolver', async () => {
    const id = await held();
    resolver.answer({ ok: false, gone: false, detail: 'the ledger is unavailable' });
    expect(await holds.release(id, 'analyst-a', 'checked')).toEqual({ ok: false, error: 'hold_not_resolvable' });
    expect(resolutionOf(await holds.get(id))).toEqual({ status: 'held', resolvedBy: null, resolvedAtMs: null, note: null, detail: 'the ledger is unavailable' });
    resolver.answer({ ok: true, detail: 'done' });
    expect(await holds.reject(id, 'analyst-b', 'second look')).toMatchObject({ ok: true });
    expect(resolutionOf(await holds.get(id))).toEqual({ status: 'rejected', resolvedBy: 'analyst-b', resolvedAtMs: clock.nowMs(), note: 'second look', detail: 'done' });
  });

  it('leaves a resolved hold alone when what it guarded ends elsewhere afterwards, and a closed one when an analyst comes later', async () => {
    const rejected = await held();
    expect(await holds.reject(rejected, 'analyst-a', 'fraud')).toMatchObject({ ok: true });
    const first = resolutionOf(await holds.get(rejected));
    clock.advance(1000);
    expect(await db.transaction((tx) => holds.closeResolvedElsewhere(tx, 'payment', rejected, 'payments:cancelled_by_debtor', 'the payment was cancelled'))).toBe(false);
    await holds.settle(rejected, 'not_booked', 'the ledger refused to reserve the legs');
    expect(resolutionOf(await holds.get(rejected))).toEqual(first);

    const cancelled = await held();
    expect(await db.transaction((tx) => holds.closeResolvedElsewhere(tx, 'payment', cancelled, 'payments:cancelled_by_debtor', 'the payment was cancelled'))).toBe(true);
    const closed = resolutionOf(await holds.get(cancelled));
    expect(closed).toEqual({ status: 'closed', resolvedBy: 'payments:cancelled_by_debtor', resolvedAtMs: clock.nowMs(), note: null, detail: 'the payment was cancelled' });
    clock.advance(1000);
    expect(await holds.release(cancelled, 'analyst-b', 'fine')).toEqual({ ok: false, error: 'hold_resolved_elsewhere' });
    expect(await holds.reject(cancelled, 'analyst-b', 'not fine')).toEqual({ ok: false, error: 'hold_resolved_elsewhere' });
    expect(resolutionOf(await holds.get(cancelled))).toEqual(closed);
  });

  it('answers a release or rejection by someone else while a resolution is under way 409, and the first is recorded as asked', async () => {
    const id = await held();
    resolver.hold();
    const releasing = holds.release(id, 'analyst-a', 'first');
    await expect.poll(async () => (await holds.get(id))?.status).toBe('releasing');
    expect(await holds.reject(id, 'analyst-b', 'second')).toEqual({ ok: false, error: 'hold_not_held' });
    expect(await holds.release(id, 'analyst-b', 'second')).toEqual({ ok: false, error: 'hold_not_held' });
    // Who is resolving it and why stayed the first analyst's while the resolution was under way.
    expect(resolutionOf(await holds.get(id))).toMatchObject({ status: 'releasing', resolvedBy: 'analyst-a', note: 'first' });
    // Nothing reached the resolver for the attempts refused.
    expect(resolver.calls).toEqual([`release ${id}`]);
    resolver.open();
    expect(await releasing).toMatchObject({ ok: true, value: { status: 'released', resolvedBy: 'analyst-a', note: 'first' } });
    expect(resolutionOf(await holds.get(id))).toEqual({ status: 'released', resolvedBy: 'analyst-a', resolvedAtMs: clock.nowMs(), note: 'first', detail: 'done' });
  });

  it('lets exactly one of two concurrent resolutions through and keeps what that one recorded', async () => {
    const pairs = [['release', 'release'], ['release', 'reject'], ['reject', 'release'], ['reject', 'reject']] as const;
    for (let round = 0; round < 3; round++) {
      for (const [firstAction, secondAction] of pairs) {
        const id = await held();
        const attempts = [
          { actor: 'analyst-a', action: firstAction, note: `a would ${firstAction}` },
          { actor: 'analyst-b', action: secondAction, note: `b would ${secondAction}` },
        ];
        const results = await Promise.all(attempts.map((attempt) => holds[attempt.action](id, attempt.actor, attempt.note)));
        const winner = attempts[results.findIndex((result) => result.ok)];
        expect(results.filter((result) => result.ok)).toHaveLength(1);
        expect(results.find((result) => !result.ok)).toEqual({ ok: false, error: 'hold_not_held' });
        expect(resolutionOf(await holds.get(id))).toEqual({
          status: winner?.action === 'release' ? 'released' : 'rejected', resolvedBy: winner?.actor, resolvedAtMs: clock.nowMs(), note: winner?.note, detail: 'done',
        });
      }
    }
  });

  it("answers one analyst's request sent twice at once alike, and records it once", async () => {
    const id = await held();
    resolver.hold();
    const answers = Promise.all([holds.release(id, 'analyst-a', 'checked'), holds.release(id, 'analyst-a', 'checked')]);
    // Both copies are under way once both have reached the ledger. Waiting only for the hold to show
    // `releasing` let the second copy come late on PostgreSQL, after the first had finished, and a
    // request arriving after a resolution is refused by design (see the test above).
    await expect.poll(() => resolver.calls.length).toBe(2);
    expect((await holds.get(id))?.status).toBe('releasing');
    clock.advance(5_000);
    resolver.open();
    for (const answer of await answers) expect(answer).toMatchObject({ ok: true, value: { status: 'released', resolvedBy: 'analyst-a', note: 'checked' } });
    expect(resolutionOf(await holds.get(id))).toEqual({ status: 'released', resolvedBy: 'analyst-a', resolvedAtMs: clock.nowMs(), note: 'checked', detail: 'done' });
  });

  it('finishes an interrupted resolution when its analyst asks again, keeping the note first given, and refuses anyone else', async () => {
    const id = await held();
    resolver.answer('throw');
    await expect(holds.reject(id, 'analyst-a', 'first note')).rejects.toThrow('the ledger connection dropped');
    expect(resolutionOf(await holds.get(id))).toMatchObject({ status: 'rejecting', resolvedBy: 'analyst-a', note: 'first note' });
    resolver.answer({ ok: true, detail: 'voided' });
    expect(await holds.reject(id, 'analyst-b', 'my note')).toEqual({ ok: false, error: 'hold_not_held' });
    expect(await holds.release(id, 'analyst-a', 'changed my mind')).toEqual({ ok: false, error: 'hold_not_held' });
    expect(await holds.reject(id, 'analyst-a', 'second note')).toMatchObject({ ok: true });
    expect(resolutionOf(await holds.get(id))).toEqual({ status: 'rejected', resolvedBy: 'analyst-a', resolvedAtMs: clock.nowMs(), note: 'first note', detail: 'voided' });
  });
});
