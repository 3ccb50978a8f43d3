import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { AssertionError, LIMITS, createManualClock, msToNs } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { createLedgerRepository } from './ledger.repository.ts';
import { seriesOf, type BalancesAt } from './ledger.service.ts';
import { AccountFlags, TransferFlags, type Account, type Transfer, type TransferRequest } from './ledger.ts';
import { NAMED_SLOTS, STEP_WINDOW_NS, createLedgerModel } from './ledger.model.test-support.ts';
import { applyToModel, createResolver, createScenarioDriver, scenarioArbitrary, scenarioUuid, show, stepAdvanceMs } from './ledger.scenario.test-support.ts';

/** Runs of the property per dialect: each run is a few dozen durable commits and a few hundred point lookups. */
const PROPERTY_RUNS = 15;
/** Page size for listing: the largest page the API allows. */
const PAGE = 100;
/** Chunk sizes small enough that a generated history spans several chunks, besides the service's own. */
const SMALL_CHUNKS = [1, 3];

/** Where a generated instant is taken from, once the run has made its timestamps. */
type Anchor = 'transfer' | 'resolution' | 'opening' | 'boundary' | 'before_all' | 'after_all';
interface InstantPick {
  readonly anchor: Anchor;
  readonly index: number;
  /** Nanoseconds added to the anchor: mostly 0, to hit timestamps exactly, else just before or after. */
  readonly offset: number;
}

const instantPick: fc.Arbitrary<InstantPick> = fc.record({
  anchor: fc.constantFrom<Anchor>('transfer', 'transfer', 'resolution', 'opening', 'boundary', 'before_all', 'after_all'),
  index: fc.nat(),
  offset: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
});

describeEachDialect('ledger balance series', ({ open }) => {
  let platform: Platform;
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  // Scenario runs and hand-written tests take distinct ids and ledgers from it, so they share one database.
  const driver = createScenarioDriver(() => platform.ledger, clock);

  beforeAll(async () => {
    platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
  });

  afterAll(async () => {
    await platform.close();
  });

  async function transfersOf(ledgers: readonly number[]): Promise<Transfer[]> {
    const all: Transfer[] = [];
    for (const ledger of ledgers) {
      for (let after: bigint | undefined; ; ) {
        const rows = await platform.ledger.listTransfers({ ledger, order: 'asc', limit: PAGE, ...(after === undefined ? {} : { after }) });
        all.push(...rows);
        if (rows.length < PAGE) break;
        after = (rows.at(-1) as Transfer).timestamp;
      }
    }
    return all;
  }

  /** Point by point what balancesAt answers; the reference the series must equal. */
  async function pointByPoint(accountId: string, instants: readonly bigint[]): Promise<BalancesAt[] | string> {
    // With no instants balancesAt is never asked, so an unknown account is found out here.
    if (!(await platform.ledger.getAccount(accountId))) return 'account_not_found';
    const points: BalancesAt[] = [];
    for (const at of instants) {
      const answer = await platform.ledger.balancesAt(accountId, at);
      if (!answer.ok) return answer.error;
      points.push(answer.value);
    }
    return points;
  }

  /** The series from the service and, for existing accounts, from the scan with tiny chunks, against balancesAt. */
  async function seriesProblems(accountId: string, instants: readonly bigint[]): Promise<string[]> {
    const problems: string[] = [];
    const wanted = show(await pointByPoint(accountId, instants));
    const series = await platform.ledger.balanceSeries(accountId, instants);
    const found = show(series.ok ? series.value : series.error);
    if (found !== wanted) problems.push(`series of ${accountId} at ${show(instants)} is ${found}, balancesAt says ${wanted}`);
    const account = await platform.ledger.getAccount(accountId);
    if (!account) return problems;
    const repository = createLedgerRepository(platform.db);
    for (const chunkRows of SMALL_CHUNKS) {
      const chunked = show(await seriesOf(repository, account, instants, chunkRows));
      if (chunked !== wanted) problems.push(`series of ${accountId} in chunks of ${chunkRows} is ${chunked}, balancesAt says ${wanted}`);
    }
    return problems;
  }

  it('equals balancesAt at every point for generated histories and instants', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary({ maxSteps: 6, maxCommandsPerStep: 4 }), fc.array(instantPick, { maxLength: 60 }), async (steps, picks) => {
        const ids = await driver.newRun();
        const model = createLedgerModel(ids.ledgers);
        const resolver = createResolver(ids, model);
        const boundaries: bigint[] = [];
        for (const step of steps) {
          clock.advance(stepAdvanceMs(step));
          const nowNs = msToNs(clock.nowMs());
          model.expireDue(nowNs);
          const commands = step.commands.map((spec) => resolver.resolve(spec));
          for (const command of commands) applyToModel(model, command, nowNs);
          // As in the service's property: a step's commands are in flight at once and share batches.
          await Promise.all(commands.map(driver.execute));
          boundaries.push(nowNs + STEP_WINDOW_NS);
        }

        const transfers = (await transfersOf(ids.ledgers)).map((transfer) => transfer.timestamp);
        const resolutions: bigint[] = [];
        for (const transfer of await transfersOf(ids.ledgers)) {
          if (!(transfer.flags & TransferFlags.pending)) continue;
          const status = await platform.ledger.pendingStatus(transfer.id);
          if (status && status.resolvedAt !== 0n) resolutions.push(status.resolvedAt);
        }
        const accountIds = Array.from({ length: NAMED_SLOTS }, (_, slot) => resolver.accountId(slot));
        const openings: bigint[] = [];
        for (const id of accountIds) {
          const account = await platform.ledger.getAccount(id);
          if (account) openings.push(account.timestamp);
        }
        const everything = [...transfers, ...resolutions, ...openings, ...boundaries];
        const first = everything.reduce((low, value) => (value < low ? value : low), everything[0] ?? 0n);
        const last = everything.reduce((high, value) => (value > high ? value : high), first);
        const anchors: Record<Anchor, readonly bigint[]> = {
          transfer: transfers, resolution: resolutions, opening: openings, boundary: boundaries, before_all: [first - 1_000n], after_all: [last + 1_000n],
        };
        const instants = picks
          .map((pick) => {
            const candidates = anchors[pick.anchor];
            return candidates.length === 0 ? last : (candidates[pick.index % candidates.length] as bigint) + BigInt(pick.offset);
          })
          .sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));

        const problems: string[] = [];
        for (const id of accountIds) problems.push(...(await seriesProblems(id, instants)));
        expect(problems).toEqual([]);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('counts holds that are posted, voided and expired exactly as balancesAt does, on the instant of each change', async () => {
    const ids = await driver.newRun();
    const [ledger] = ids.ledgers;
    let nextTransfer = 0;
    const accounts = { payer: scenarioUuid(ids.run, 'a', 0), payee: scenarioUuid(ids.run, 'a', 1), kept: scenarioUuid(ids.run, 'a', 2) };
    const created = await platform.ledger.createAccounts([
      { id: accounts.payer, ledger, code: 1, flags: AccountFlags.debits_must_not_exceed_credits },
      { id: accounts.payee, ledger, code: 1, flags: 0 },
      { id: accounts.kept, ledger, code: 1, flags: AccountFlags.history },
    ]);
    expect(created.map((result) => result.result)).toEqual(['ok', 'ok', 'ok']);
    const transfer = (debitAccountId: string, creditAccountId: string, amount: bigint, extra: Partial<TransferRequest> = {}): TransferRequest => ({
      id: scenarioUuid(ids.run, 'b', nextTransfer++), debitAccountId, creditAccountId, amount, ledger, code: 1, flags: 0, ...extra,
    });
    const resolve = (pendingId: string, flags: number, amount?: bigint): TransferRequest => ({ id: scenarioUuid(ids.run, 'b', nextTransfer++), pendingId, flags, amount });
    const send = async (...requests: TransferRequest[]) => {
      clock.advance(1000);
      expect((await platform.ledger.createTransfers(requests)).map((result) => result.result)).toEqual(requests.map(() => 'ok'));
    };

    await send(transfer(accounts.payee, accounts.payer, 1000n), transfer(accounts.payee, accounts.kept, 500n));
    const posted = transfer(accounts.payer, accounts.payee, 100n, { flags: TransferFlags.pending });
    const voided = transfer(accounts.payer, accounts.kept, 200n, { flags: TransferFlags.pending });
    const lapsing = transfer(accounts.kept, accounts.payer, 300n, { flags: TransferFlags.pending, timeoutSeconds: 2 });
    await send(posted, voided, lapsing);
    await send(resolve(posted.id, TransferFlags.post_pending, 60n), resolve(voided.id, TransferFlags.void_pending));
    clock.advance(5000);
    await platform.ledger.expireDue();
    expect((await platform.ledger.pendingStatus(lapsing.id))?.status).toBe('expired');
    // The whole available balance of the payer, swept by a balancing transfer.
    await send(transfer(accounts.payer, accounts.payee, 10_000n, { flags: TransferFlags.balancing_debit }));

    const timestamps: bigint[] = [];
    for (const id of [accounts.payer, accounts.payee, accounts.kept]) timestamps.push(((await platform.ledger.getAccount(id)) as Account).timestamp);
    for (const { timestamp } of await transfersOf([ledger])) timestamps.push(timestamp);
    for (const { id } of [posted, voided, lapsing]) timestamps.push((await platform.ledger.pendingStatus(id))?.resolvedAt ?? 0n);
    const instants = [...new Set(timestamps.flatMap((at) => [at - 1n, at, at + 1n]))].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
    expect(instants.length).toBeLessThanOrEqual(LIMITS.balanceSeriesMaxPoints);
    for (const id of Object.values(accounts)) expect(await seriesProblems(id, instants)).toEqual([]);

    const payer = await platform.ledger.balanceSeries(accounts.payer, instants);
    if (!payer.ok) throw new Error(payer.error);
    const lastPoint = payer.value.at(-1) as BalancesAt;
    // 60 posted of the first hold, the rest of the 1000 swept: nothing held, nothing left.
    expect({ ...lastPoint, at: 0n }).toEqual({ accountId: accounts.payer, at: 0n, source: 'computed', debitsPending: 0n, debitsPosted: 1000n, creditsPending: 0n, creditsPosted: 1000n });
    expect(payer.value.map((point) => point.debitsPending).some((held) => held === 300n)).toBe(true);
    const kept = await platform.ledger.balanceSeries(accounts.kept, instants);
    expect(kept.ok && kept.value.every((point, index) => point.source === ((instants[index] as bigint) < (timestamps[2] as bigint) ? 'computed' : 'recorded'))).toBe(true);
  });

  it('answers account_not_found for an unknown account and refuses instants out of order or beyond the limit', async () => {
    const ids = await driver.newRun();
    expect(await platform.ledger.balanceSeries(scenarioUuid(ids.run, 'a', 9), [1n, 2n])).toEqual({ ok: false, error: 'account_not_found' });
    const id = scenarioUuid(ids.run, 'a', 0);
    expect((await platform.ledger.createAccounts([{ id, ledger: ids.ledgers[0], code: 1, flags: 0 }]))[0]?.result).toBe('ok');
    await expect(platform.ledger.balanceSeries(id, [2n, 1n])).rejects.toThrow(AssertionError);
    const tooMany = Array.from({ length: LIMITS.balanceSeriesMaxPoints + 1 }, (_, index) => BigInt(index));
    await expect(platform.ledger.balanceSeries(id, tooMany)).rejects.toThrow(AssertionError);
    expect(await platform.ledger.balanceSeries(id, [])).toEqual({ ok: true, value: [] });
  });
});
