/**
 * Durability across a crash: a server killed with SIGKILL in the middle of heavy load must, once
 * restarted on the same data, still hold every transfer it acknowledged, no linked chain in part,
 * and balances that agree with the transfers and verify against the journal. SIGKILL gives the
 * server no chance to flush or finish anything, so only what was committed before the answer left
 * can survive; this is what "acknowledge only after commit" has to guarantee.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { describeEachDialect, freshPostgresUrl } from '../support/databases.ts';
import { killAllSluice, sleep, waitFor, sluiceClient, startSluice, type SluiceOptions } from '../support/server-process.ts';
import { checkLedger, describeLoad, stopwatch } from './ledger-checks.ts';
import { LOAD_SERVER_ENV, newLoadLog, openBook, retryUnresolved, runLoad } from './ledger-load.ts';

/** Load runs at least this long before the kill, so that the kill lands in full flow. */
const LOAD_BEFORE_KILL_MS = 1_500;
/**
 * A busy machine may acknowledge little in that time; the kill then waits (within a bound) until
 * this much has been acknowledged, so that there is something whose survival means anything.
 */
const ACKNOWLEDGED_BEFORE_KILL = 150;
const MAX_EXTRA_LOAD_MS = 10_000;
const WORKERS = 24;
/** Workers stop by themselves after this, should the kill somehow not end the run. */
const LOAD_HARD_LIMIT_MS = 20_000;
/** Two server starts dominate; on a busy two-core machine each can take half a minute. */
const TEST_TIMEOUT_MS = 150_000;

describeEachDialect('a server killed mid-load', ({ dialect }) => {
  afterAll(killAllSluice);

  it('keeps every acknowledged transfer and every invariant after SIGKILL and restart', { timeout: TEST_TIMEOUT_MS }, async () => {
    const time = stopwatch();
    const where: SluiceOptions =
      dialect === 'sqlite'
        ? { dataDir: mkdtempSync(join(inject('scratchDir') ?? tmpdir(), 'crash-')), env: LOAD_SERVER_ENV }
        : { databaseUrl: await freshPostgresUrl(), env: LOAD_SERVER_ENV };
    const first = await startSluice(where);
    const client = sluiceClient(first.url);
    const book = await openBook(client, { ledger: 1, constrained: 40, plain: 59, funding: 10_000n });
    time.lap('start and set up');

    const log = newLoadLog();
    let stopped = false;
    const load = runLoad({ clients: [client], workers: WORKERS, book, log, stop: () => stopped, maxDurationMs: LOAD_HARD_LIMIT_MS, duplicateShare: 0.05 });
    await sleep(LOAD_BEFORE_KILL_MS);
    await waitFor('enough acknowledged transfers', async () => log.acknowledged.size >= ACKNOWLEDGED_BEFORE_KILL, MAX_EXTRA_LOAD_MS, 20).catch(() => {});
    // The flag goes up first so that no worker starts a request after the kill; requests already
    // in flight lose their connection and count as unresolved, as they would for a real client.
    stopped = true;
    // The server must have been alive and serving until this moment: a kill is the point of the test.
    expect(first.exited(), first.output()).toBe(false);
    await first.kill('SIGKILL');
    await load;
    time.lap('load until the kill');
    const summary = describeLoad(log);
    console.log(`[crash ${dialect}] before the kill: ${summary}`);
    expect(log.violations, summary).toEqual([]);
    // The test proves little unless the kill really landed mid-load with work acknowledged.
    expect(log.acknowledged.size, summary).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL);
    expect(log.chains.length, summary).toBeGreaterThan(10);

    const second = await startSluice(where);
    const restarted = sluiceClient(second.url);
    time.lap('restart');
    const afterRestart = await checkLedger(restarted, book, log);
    expect(afterRestart.problems, summary).toEqual([]);
    time.lap('checks');

    // A client that lost its answers retries with the same ids: each retry must be decided
    // (applied now, replayed, or refused), and the ledger must still satisfy every invariant.
    await retryUnresolved(restarted, log);
    expect(log.violations).toEqual([]);
    const afterRetries = await checkLedger(restarted, book, log);
    expect(afterRetries.problems, describeLoad(log)).toEqual([]);

    // Replaying an acknowledged transfer after the restart returns its first result.
    const [sample] = [...log.acknowledged.values()].filter((transfer) => transfer.kind === 'plain' && transfer.flags.length === 0);
    expect(sample).toBeDefined();
    const replay = await restarted.post('/v1/transfers', {
      id: sample!.id, debit_account_id: sample!.debit, credit_account_id: sample!.credit, amount: String(sample!.amount), ledger: book.ledger, code: 7,
    });
    expect(replay.status).toBe(200);
    expect(replay.body.timestamp).toBe(sample!.timestamp);
    time.lap('retries and checks');
    await second.kill('SIGTERM');
    console.log(`[crash ${dialect}] ${time}`);
  });
});
