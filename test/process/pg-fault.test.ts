/**
 * PostgreSQL going away under load. The database is stopped the hard way (`pg_ctl stop -m
 * immediate`, as in a crash) while many clients write. Sluice must keep answering: a quick 503
 * problem+json `database_unavailable` for every request that needs the database (never a 500,
 * never a hang), /readyz 503; and once PostgreSQL is back it must serve again by itself, without a
 * restart, with nothing it acknowledged lost. The test owns its PostgreSQL server, since stopping
 * the run's shared one would break every other test file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { killAllSluice, sleep, sluiceClient, startSluice, waitFor } from '../support/server-process.ts';
import { checkLedger, describeLoad, stopwatch } from './ledger-checks.ts';
import { LOAD_SERVER_ENV, newLoadLog, openBook, retryUnresolved, runLoad } from './ledger-load.ts';
import { describeWithPostgresBinaries, startDedicatedPostgres, type DedicatedPostgres } from './postgres-server.ts';

const WORKERS = 16;
const LOAD_BEFORE_STOP_MS = 1_500;
const ACKNOWLEDGED_BEFORE_STOP = 50;
const DOWN_MS = 3_000;
const LOAD_AFTER_RECOVERY_MS = 1_500;
/** A refusal because the database is down waits for nothing, so it must come at once. */
const ANSWER_WITHIN_MS = 5_000;
/**
 * Every other answer waits for a group commit, which on a busy two-core CI machine can take a few
 * seconds; a request stuck on a dead connection would wait far longer (or for ever).
 */
const ANY_ANSWER_WITHIN_MS = 10_000;
/** The clients' own timeout, longer than the bound above so that a slow answer is seen as slow. */
const CLIENT_TIMEOUT_MS = 15_000;
/** PostgreSQL replays its WAL after an immediate stop; Sluice's pool then has to reconnect. */
const RECOVERY_WITHIN_MS = 30_000;
const TEST_TIMEOUT_MS = 150_000;

describeWithPostgresBinaries('a server whose PostgreSQL stops and comes back', () => {
  let postgres: DedicatedPostgres | undefined;
  afterAll(async () => {
    await killAllSluice();
    await postgres?.destroy();
  });

  it('answers 503 quickly while the database is down, loses nothing and recovers without a restart', { timeout: TEST_TIMEOUT_MS }, async () => {
    const time = stopwatch();
    postgres = await startDedicatedPostgres();
    const sluice = await startSluice({ databaseUrl: postgres.url, env: LOAD_SERVER_ENV });
    const client = sluiceClient(sluice.url);
    const book = await openBook(client, { ledger: 1, constrained: 20, plain: 30, funding: 10_000n });
    time.lap('start and set up');

    const log = newLoadLog();
    let stopped = false;
    const load = runLoad({
      clients: [client], workers: WORKERS, book, log, stop: () => stopped, maxDurationMs: 90_000,
      duplicateShare: 0.05, requestTimeoutMs: CLIENT_TIMEOUT_MS, retryPauseMs: 400,
    });
    const at = () => performance.now() - log.startedAt;
    try {
      await sleep(LOAD_BEFORE_STOP_MS);
      await waitFor('transfers acknowledged before the stop', async () => log.acknowledged.size >= ACKNOWLEDGED_BEFORE_STOP, 15_000, 20);
      const acknowledgedBeforeStop = log.acknowledged.size;

      const downAt = at();
      postgres.stop('immediate');
      time.lap('load before the stop');
      // While the database is down, readiness says so, and a write is refused quickly with the
      // problem a client can act on (retry later with the same id).
      await waitFor('/readyz to answer 503', async () => (await client.get('/readyz', ANSWER_WITHIN_MS)).status === 503, 10_000);
      const ready = await client.get('/readyz', ANSWER_WITHIN_MS);
      expect(ready.status).toBe(503);
      expect(ready.contentType).toMatch(/^application\/problem\+json/);
      const refused = await client.post('/v1/transfers', {
        id: randomUUID(), debit_account_id: book.bank, credit_account_id: book.plain[0], amount: '1', ledger: book.ledger, code: 7,
      }, ANSWER_WITHIN_MS);
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      expect(refused.contentType).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('database_unavailable');
      expect((await client.get(`/v1/accounts/${book.bank}`, ANSWER_WITHIN_MS)).status).toBe(503);
      await sleep(DOWN_MS);

      const upAt = at();
      await postgres.start();
      time.lap('down');
      await waitFor('/readyz to answer 200 again', async () => (await client.get('/readyz', ANSWER_WITHIN_MS)).status === 200, RECOVERY_WITHIN_MS);
      await waitFor('the load to be acknowledged again', async () => log.acknowledged.size > acknowledgedBeforeStop + 20 && log.answers.some((answer) => answer.sentAt > upAt && (answer.status === 201 || answer.status === 200)), RECOVERY_WITHIN_MS, 50);
      const recoveredAt = at();
      time.lap('recovery');
      await sleep(LOAD_AFTER_RECOVERY_MS);
      stopped = true;
      await load;
      time.lap('load after recovery');

      const summary = describeLoad(log);
      console.log(`[pg-fault] ${summary}; down ${((upAt - downAt) / 1000).toFixed(1)} s, serving again ${((recoveredAt - upAt) / 1000).toFixed(1)} s after the restart`);
      expect(sluice.exited(), sluice.output()).toBe(false);
      expect(log.violations, summary).toEqual([]);
      // No request went unanswered and none was slow, even those sent while the database was down.
      const unanswered = log.answers.filter((answer) => answer.status === 0);
      expect(unanswered, summary).toEqual([]);
      const slow = log.answers.filter((answer) => answer.elapsedMs > ANY_ANSWER_WITHIN_MS);
      expect(slow, summary).toEqual([]);
      const unavailable = log.answers.filter((answer) => answer.status === 503);
      expect(unavailable.length, summary).toBeGreaterThan(0);
      expect(unavailable.filter((answer) => answer.elapsedMs > ANSWER_WITHIN_MS), summary).toEqual([]);
      expect(new Set(unavailable.map((answer) => answer.code))).toEqual(new Set(['database_unavailable']));
      // Once recovered, the service stays recovered: nothing sent after that is turned away.
      const lateRefusals = log.answers.filter((answer) => answer.sentAt > recoveredAt && answer.status === 503);
      expect(lateRefusals, summary).toEqual([]);
    } catch (error) {
      // A server that died takes its reason with it unless its output is shown here.
      if (sluice.exited()) throw new Error(`${(error as Error).message}\nthe Sluice process exited; its output:\n${sluice.output()}`);
      throw error;
    } finally {
      stopped = true;
      await load;
    }

    // Clients retry what they got no decision on, with the same ids; then every acknowledged
    // transfer must be there and every invariant must hold.
    await retryUnresolved(client, log);
    expect(log.violations).toEqual([]);
    const { problems } = await checkLedger(client, book, log);
    expect(problems, describeLoad(log)).toEqual([]);
    time.lap('retries and checks');
    console.log(`[pg-fault] ${time}`);
  });
});
