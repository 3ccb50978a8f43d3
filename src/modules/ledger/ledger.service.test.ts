import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createManualClock, msToNs } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { createLedgerRepository } from './ledger.repository.ts';
import { AccountFlags, TransferFlags, type Account, type PendingStatus, type Transfer, type TransferRequest } from './ledger.ts';
import { NAMED_SLOTS, STEP_WINDOW_NS, ZERO_BALANCES, createLedgerModel, pickBalances, type Balances } from './ledger.model.test-support.ts';
import { applyToModel, createAnswerChecker, createResolver, createScenarioDriver, observedStateProblems, scenarioArbitrary, scenarioUuid, show, stepAdvanceMs, type Expected } from './ledger.scenario.test-support.ts';

/** Runs of the database-backed property per dialect: each run is a few dozen durable commits. */
const PROPERTY_RUNS = 30;
/** Page size for listing: the largest page the API allows. */
const PAGE = 100;

describeEachDialect('ledger service', ({ open }) => {
  let platform: Platform;
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  // Scenario runs and hand-written tests take distinct ids and ledgers from it, so they share one database.
  const driver = createScenarioDriver(() => platform.ledger, clock);
  /** Items per committed batch, as the engine reports them. */
  const batchSizes: number[] = [];

  beforeAll(async () => {
    platform = await createPlatform({
      db: await open(),
      clock,
      expiryIntervalMs: 0,
      ledgerMetrics: { observeBatch: (items) => void batchSizes.push(items), countResults: () => {} },
    });
  });

  afterAll(async () => {
    await platform.close();
  });

  async function listAll<T extends { timestamp: bigint }>(page: (after: bigint | undefined) => Promise<T[]>): Promise<T[]> {
    const all: T[] = [];
    for (let after: bigint | undefined; ; ) {
      const rows = await page(after);
      all.push(...rows);
      if (rows.length < PAGE) return all;
      after = (rows.at(-1) as T).timestamp;
    }
  }

  /** What the database holds for the given ledgers, read through the service. */
  async function observe(ledgers: readonly number[]) {
    const accounts: Account[] = [];
    const transfers: Transfer[] = [];
    for (const ledger of ledgers) {
      accounts.push(...(await listAll((after) => platform.ledger.listAccounts({ ledger, order: 'asc', limit: PAGE, ...(after === undefined ? {} : { after }) }))));
      transfers.push(...(await listAll((after) => platform.ledger.listTransfers({ ledger, order: 'asc', limit: PAGE, ...(after === undefined ? {} : { after }) }))));
    }
    const pendingStatus = new Map<string, PendingStatus>();
    for (const transfer of transfers) {
      if (!(transfer.flags & TransferFlags.pending)) continue;
      const status = await platform.ledger.pendingStatus(transfer.id);
      if (status) pendingStatus.set(transfer.id, status.status as PendingStatus);
    }
    return { accounts, transfers, pendingStatus };
  }

  async function expectVerified(): Promise<void> {
    const report = await platform.verify();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }

  it('agrees with the reference model over generated sequences sent concurrently, and the database keeps every invariant', async () => {
    const repository = createLedgerRepository(platform.db);
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary({ maxSteps: 8, maxCommandsPerStep: 5 }), async (steps) => {
        const ids = await driver.newRun();
        const model = createLedgerModel(ids.ledgers);
        const resolver = createResolver(ids, model);
        const checkAnswer = createAnswerChecker();
        const boundaries: { at: bigint; balances: Map<string, Balances> }[] = [];
        const problems: string[] = [];
        for (const [stepIndex, step] of steps.entries()) {
          clock.advance(stepAdvanceMs(step));
          const nowNs = msToNs(clock.nowMs());
          model.expireDue(nowNs);
          const commands = step.commands.map((spec) => resolver.resolve(spec));
          const expected = commands.map((command) => applyToModel(model, command, nowNs));
          // Every command of a step is in flight at once, so the engine gathers them into shared batches.
          const answers = await Promise.all(commands.map(driver.execute));
          const context = `run ${ids.run}, step ${stepIndex}`;
          commands.forEach((command, index) => problems.push(...checkAnswer(command, expected[index] as Expected, answers[index], `${context}, command ${index}`)));
          problems.push(...observedStateProblems(model, await observe(ids.ledgers), context));
          expect(problems).toEqual([]);
          boundaries.push({ at: nowNs + STEP_WINDOW_NS, balances: new Map(model.accounts().map((account) => [account.id, pickBalances(account)])) });
        }

        // Totals per ledger, summed by the database: double entry holds and matches the model.
        const totals = await platform.ledger.totalsByLedger();
        for (const ledger of ids.ledgers) {
          const row = totals.find((candidate) => candidate.ledger === ledger);
          const sums = model.accounts().filter((account) => account.ledger === ledger).reduce((sum, account) => ({
            debitsPending: sum.debitsPending + account.debitsPending,
            debitsPosted: sum.debitsPosted + account.debitsPosted,
            creditsPending: sum.creditsPending + account.creditsPending,
            creditsPosted: sum.creditsPosted + account.creditsPosted,
          }), { ...ZERO_BALANCES });
          const found = row ? pickBalances(row) : ZERO_BALANCES;
          if (show(found) !== show(sums)) problems.push(`ledger ${ledger} totals ${show(found)}, the model says ${show(sums)}`);
          if (found.debitsPosted !== found.creditsPosted || found.debitsPending !== found.creditsPending) problems.push(`ledger ${ledger} does not balance: ${show(found)}`);
        }

        // Balances at every past step boundary: recorded for history accounts, computed for the others, both equal to the model.
        for (let slot = 0; slot < NAMED_SLOTS; slot++) {
          const accountId = resolver.accountId(slot);
          const account = model.account(accountId);
          for (const { at, balances } of boundaries) {
            const answer = await platform.ledger.balancesAt(accountId, at);
            if (!account) {
              if (answer.ok) problems.push(`balancesAt found account ${accountId} that was never created`);
              continue;
            }
            if (!answer.ok) {
              problems.push(`balancesAt(${accountId}) answered ${answer.error}`);
              continue;
            }
            const wanted = show(balances.get(accountId) ?? ZERO_BALANCES);
            const { source } = answer.value;
            const found = pickBalances(answer.value);
            if (show(found) !== wanted) problems.push(`balances of ${accountId} at ${at} (${source}) are ${show(found)}, the model says ${wanted}`);
            if (!balances.has(accountId)) continue;
            const history = (account.flags & AccountFlags.history) !== 0;
            if (source !== (history ? 'recorded' : 'computed')) problems.push(`balances of ${accountId} at ${at} came from ${source}`);
            if (history) {
              const computed = show(await repository.computedBalanceAt(accountId, at));
              if (computed !== wanted) problems.push(`computed balances of history account ${accountId} at ${at} are ${computed}, recorded are ${wanted}`);
            }
          }
          if (account) {
            const now = await platform.ledger.balancesAt(accountId);
            if (!now.ok || now.value.source !== 'current' || show(pickBalances(now.value)) !== show(pickBalances(account))) problems.push(`current balances of ${accountId} differ from the model`);
          }
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: PROPERTY_RUNS },
    );
    // Once for all runs: verification reads the whole journal, which every run extends.
    await expectVerified();
  });

  /** Opens accounts on a fresh ledger of their own; returns their ids by name. */
  async function openAccounts<N extends string>(flags: Record<N, number>) {
    const ids = await driver.newRun();
    const names = Object.keys(flags) as N[];
    const byName = Object.fromEntries(names.map((name, index) => [name, scenarioUuid(ids.run, 'a', index)])) as Record<N, string>;
    const results = await platform.ledger.createAccounts(names.map((name) => ({ id: byName[name], ledger: ids.ledgers[0], code: 1, flags: flags[name] })));
    expect(results.map((result) => result.result)).toEqual(names.map(() => 'ok'));
    let nextTransfer = 0;
    const transfer = (debitAccountId: string, creditAccountId: string, amount: bigint, extra: Partial<TransferRequest> = {}): TransferRequest => ({
      id: scenarioUuid(ids.run, 'b', nextTransfer++), debitAccountId, creditAccountId, amount, ledger: ids.ledgers[0], code: 1, flags: 0, ...extra,
    });
    const balancesOf = async (id: string) => pickBalances((await platform.ledger.getAccount(id)) as Account);
    return { ids, accounts: byName, transfer, balancesOf };
  }

  it('finds many accounts at once: each that exists once, as getAccount finds it, whatever the count', async () => {
    const ids = await driver.newRun();
    const opened = Array.from({ length: 300 }, (_, index) => scenarioUuid(ids.run, 'a', index));
    const results = await platform.ledger.createAccounts(opened.map((id) => ({ id, ledger: ids.ledgers[0], code: 7, flags: 0 })));
    expect(results.every((result) => result.result === 'ok')).toBe(true);
    // More than one statement's worth, an id asked twice, one never opened and one that is no id.
    const asked = [...opened.slice(0, 290), opened[5] as string, scenarioUuid(ids.run, 'b', 0), 'not-an-account-id'];
    const found = await platform.ledger.getAccounts(asked);
    expect(found.map((account) => account.id).sort()).toEqual(opened.slice(0, 290).sort());
    expect(found.find((account) => account.id === opened[3])).toEqual(await platform.ledger.getAccount(opened[3] as string));
    for (const count of [0, 1, 2, 3, 5, 9, 17]) expect((await platform.ledger.getAccounts(opened.slice(0, count))).map((account) => account.id).sort()).toEqual(opened.slice(0, count).sort());
  });

  it('gathers many concurrent callers into shared batches and never lets a limited account overdraw', async () => {
    const { accounts, transfer, balancesOf } = await openAccounts({ source: 0, wallet: AccountFlags.debits_must_not_exceed_credits, shop: 0, escrow: 0 });
    expect((await platform.ledger.createTransfers([transfer(accounts.source, accounts.wallet, 1000n)]))[0]?.result).toBe('ok');
    const firstBatch = batchSizes.length;
    // 150 callers each try to spend 10 (every third one as a hold): only the first 100 fit in 1000.
    const calls = Array.from({ length: 150 }, (_, index) =>
      platform.ledger.createTransfers([transfer(accounts.wallet, index % 2 ? accounts.shop : accounts.escrow, 10n, index % 3 ? {} : { flags: TransferFlags.pending })]),
    );
    const results = (await Promise.all(calls)).map((answer) => answer[0]?.result);
    expect(results.slice(0, 100)).toEqual(Array.from({ length: 100 }, () => 'ok'));
    expect(new Set(results.slice(100))).toEqual(new Set(['exceeds_credits']));
    const wallet = await balancesOf(accounts.wallet);
    expect(wallet.debitsPending + wallet.debitsPosted).toBe(1000n);
    expect(wallet.creditsPosted).toBe(1000n);
    // Group commit: at least one durable commit carried the items of more than one caller.
    expect(Math.max(...batchSizes.slice(firstBatch))).toBeGreaterThan(1);
    expect(batchSizes.slice(firstBatch).reduce((sum, items) => sum + items, 0)).toBe(150);
    await expectVerified();
  });

  it('answers a retried request with its first result across batches, names the differing field otherwise, and survives retried failures', async () => {
    const { accounts, transfer, balancesOf } = await openAccounts({ payer: 0, payee: 0, limited: AccountFlags.debits_must_not_exceed_credits });
    const payment = transfer(accounts.payer, accounts.payee, 25n, { metadata: '{"invoice":"7"}' });
    const [first] = await platform.ledger.createTransfers([payment]);
    expect(first).toMatchObject({ result: 'ok', replayed: false });
    const [again] = await platform.ledger.createTransfers([payment]);
    expect(again).toEqual({ ...first, replayed: true });
    expect((await platform.ledger.createTransfers([{ ...payment, amount: 26n }]))[0]?.result).toBe('exists_with_different_amount');
    expect((await platform.ledger.createTransfers([{ ...payment, metadata: null }]))[0]?.result).toBe('exists_with_different_metadata');
    expect((await balancesOf(accounts.payer)).debitsPosted).toBe(25n);

    // A failed transfer retried, alone, in the same request and by concurrent callers, keeps its first answer.
    const overdraft = transfer(accounts.limited, accounts.payee, 5n);
    expect((await platform.ledger.createTransfers([overdraft, overdraft])).map((result) => result.result)).toEqual(['exceeds_credits', 'exceeds_credits']);
    const concurrent = await Promise.all([platform.ledger.createTransfers([overdraft]), platform.ledger.createTransfers([overdraft])]);
    expect(concurrent.map((answer) => answer[0]?.result)).toEqual(['exceeds_credits', 'exceeds_credits']);
    await platform.ledger.createTransfers([transfer(accounts.payer, accounts.limited, 100n)]);
    expect((await platform.ledger.createTransfers([overdraft]))[0]?.result).toBe('exceeds_credits');
    expect(await platform.ledger.getTransfer(overdraft.id)).toBeUndefined();
    await expectVerified();
  });

  it('commits a linked chain whole or not at all, and fails an open chain', async () => {
    const { accounts, transfer, balancesOf } = await openAccounts({ bank: 0, merchant: AccountFlags.debits_must_not_exceed_credits, fees: 0 });
    const linked = TransferFlags.linked;
    const failed = await platform.ledger.createTransfers([
      transfer(accounts.bank, accounts.merchant, 100n, { flags: linked }),
      transfer(accounts.merchant, accounts.fees, 101n),
    ]);
    expect(failed.map((result) => result.result)).toEqual(['linked_event_failed', 'exceeds_credits']);
    expect(await balancesOf(accounts.merchant)).toEqual(ZERO_BALANCES);
    const open = await platform.ledger.createTransfers([transfer(accounts.bank, accounts.merchant, 1n), transfer(accounts.bank, accounts.merchant, 2n, { flags: linked })]);
    expect(open.map((result) => result.result)).toEqual(['ok', 'linked_event_chain_open']);
    const committed = await platform.ledger.createTransfers([
      transfer(accounts.bank, accounts.merchant, 100n, { flags: linked }),
      transfer(accounts.merchant, accounts.fees, 101n),
    ]);
    expect(committed.map((result) => result.result)).toEqual(['ok', 'ok']);
    expect(await balancesOf(accounts.merchant)).toEqual({ ...ZERO_BALANCES, debitsPosted: 101n, creditsPosted: 101n });
    await expectVerified();
  });

  it('posts in full or in part, voids, and expires pending transfers when the clock passes their timeout', async () => {
    const { accounts, transfer, balancesOf } = await openAccounts({ buyer: 0, seller: AccountFlags.history });
    const hold = (amount: bigint, timeoutSeconds = 0) => transfer(accounts.buyer, accounts.seller, amount, { flags: TransferFlags.pending, ...(timeoutSeconds ? { timeoutSeconds } : {}) });
    const full = hold(10n);
    const part = hold(20n);
    const cancelled = hold(40n);
    const lapsing = hold(80n, 5);
    expect((await platform.ledger.createTransfers([full, part, cancelled, lapsing])).map((result) => result.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const afterHolds = msToNs(clock.nowMs()) + STEP_WINDOW_NS;
    const resolve = (pendingId: string, flags: number, amount?: bigint): TransferRequest => ({ ...transfer(accounts.buyer, accounts.seller, 1n), pendingId, flags, amount, debitAccountId: undefined, creditAccountId: undefined, ledger: undefined, code: undefined });
    clock.advance(1001);
    expect((await platform.ledger.createTransfers([
      resolve(full.id, TransferFlags.post_pending),
      resolve(part.id, TransferFlags.post_pending, 5n),
      resolve(cancelled.id, TransferFlags.void_pending),
    ])).map((result) => result.result)).toEqual(['ok', 'ok', 'ok']);
    const afterResolving = msToNs(clock.nowMs()) + STEP_WINDOW_NS;
    expect(await balancesOf(accounts.seller)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 80n, creditsPosted: 15n });

    clock.advance(3000);
    await platform.ledger.expireDue();
    expect((await platform.ledger.pendingStatus(lapsing.id))?.status).toBe('pending');
    clock.advance(2000);
    await platform.ledger.expireDue();
    expect(await platform.ledger.pendingStatus(lapsing.id)).toMatchObject({ status: 'expired' });
    expect(await balancesOf(accounts.buyer)).toEqual({ debitsPending: 0n, debitsPosted: 15n, creditsPending: 0n, creditsPosted: 0n });
    expect((await platform.ledger.createTransfers([resolve(lapsing.id, TransferFlags.post_pending)]))[0]?.result).toBe('pending_transfer_expired');

    // History: the recorded balances of the seller and the computed balances of the buyer agree at every instant.
    const at = async (id: string, instant: bigint) => {
      const answer = await platform.ledger.balancesAt(id, instant);
      return answer.ok ? { source: answer.value.source, ...pickBalances(answer.value) } : answer.error;
    };
    expect(await at(accounts.seller, afterHolds)).toEqual({ source: 'recorded', debitsPending: 0n, debitsPosted: 0n, creditsPending: 150n, creditsPosted: 0n });
    expect(await at(accounts.buyer, afterHolds)).toEqual({ source: 'computed', debitsPending: 150n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
    expect(await at(accounts.seller, afterResolving)).toEqual({ source: 'recorded', debitsPending: 0n, debitsPosted: 0n, creditsPending: 80n, creditsPosted: 15n });
    expect(await at(accounts.buyer, afterResolving)).toEqual({ source: 'computed', debitsPending: 80n, debitsPosted: 15n, creditsPending: 0n, creditsPosted: 0n });
    const repository = createLedgerRepository(platform.db);
    for (const instant of [afterHolds, afterResolving, msToNs(clock.nowMs())]) {
      const recorded = await at(accounts.seller, instant);
      expect({ source: 'recorded', ...(await repository.computedBalanceAt(accounts.seller, instant)) }).toEqual(recorded);
    }
    expect(await at(accounts.seller, afterHolds - 10n * STEP_WINDOW_NS)).toMatchObject({ ...ZERO_BALANCES });
    await expectVerified();
  });

  it('clamps balancing transfers through the engine to what the account can give', async () => {
    const { accounts, transfer, balancesOf } = await openAccounts({ customer: AccountFlags.debits_must_not_exceed_credits, operator: 0 });
    await platform.ledger.createTransfers([transfer(accounts.operator, accounts.customer, 70n)]);
    const sweep = transfer(accounts.customer, accounts.operator, 1000n, { flags: TransferFlags.balancing_debit });
    const [result] = await platform.ledger.createTransfers([sweep]);
    expect(result?.result).toBe('ok');
    expect((await platform.ledger.getTransfer(sweep.id))?.amount).toBe(70n);
    expect(await balancesOf(accounts.customer)).toEqual({ ...ZERO_BALANCES, debitsPosted: 70n, creditsPosted: 70n });
    expect((await platform.ledger.createTransfers([transfer(accounts.customer, accounts.operator, 1n, { flags: TransferFlags.balancing_debit })]))[0]?.result).toBe('exceeds_credits');
    await expectVerified();
  });
});
