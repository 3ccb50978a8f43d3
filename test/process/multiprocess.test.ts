/**
 * Two Sluice processes on one PostgreSQL database, as stateless servers behind a load balancer:
 * they start at the same moment (so both try to migrate and bootstrap at once), then many clients
 * send conflicting transfers on the same few limited accounts to both. No in-memory state may be
 * trusted across processes, so the limits must hold in the database: nothing overdrawn, nothing
 * applied twice, and an idempotent retry sent to the other process gets the first result.
 */
import { afterAll, expect, it } from 'vitest';
import { freshPostgresUrl } from '../support/databases.ts';
import { killAllSluice, sluiceClient, startSluice, type Client } from '../support/server-process.ts';
import { balancesFromLog, bigintText, checkLedger, describeLoad, stopwatch, type WireTransfer } from './ledger-checks.ts';
import { inParallel, LOAD_SERVER_ENV, newLoadLog, openBook, runLoad } from './ledger-load.ts';
import { describeWithPostgres } from './postgres-server.ts';

/** 32 client connections, 16 to each process. */
const WORKERS = 32;
const LOAD_MS = 3_000;
/** Idempotent retries sent across processes, each compared with the first answer. */
const CROSS_RETRIES = 60;
const TEST_TIMEOUT_MS = 150_000;

describeWithPostgres('two server processes on one database', () => {
  afterAll(killAllSluice);

  it('keep every limit, apply each transfer once and replay across processes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const time = stopwatch();
    const databaseUrl = await freshPostgresUrl();
    // Both start on an empty database at once: migrations and the bootstrap key must serialise.
    const [first, second] = await Promise.all([startSluice({ databaseUrl, env: LOAD_SERVER_ENV }), startSluice({ databaseUrl, env: LOAD_SERVER_ENV })]);
    const clients: Client[] = [sluiceClient(first.url), sluiceClient(second.url)];
    for (const client of clients) expect((await client.get('/readyz')).status).toBe(200);
    time.lap('concurrent start');

    // Few limited accounts and small funding, so that the processes fight over the same rows.
    const book = await openBook(clients[0]!, { ledger: 1, constrained: 4, plain: 8, funding: 5_000n });
    const log = newLoadLog();
    await runLoad({
      clients, workers: WORKERS, book, log, stop: () => false, maxDurationMs: LOAD_MS,
      constrainedDebitShare: 0.9, duplicateShare: 0.1, maxAmount: 400, requestTimeoutMs: 30_000,
    });
    time.lap('load');
    const summary = describeLoad(log);
    console.log(`[multiprocess] ${summary}`);
    expect(log.violations, summary).toEqual([]);
    // Without faults every request must be decided; an unresolved one would make the exact
    // accounting below meaningless.
    expect(log.unresolved, summary).toEqual([]);
    // The limits must actually have been reached, or the test proves nothing about them.
    expect(log.refusals.get('exceeds_credits') ?? 0, summary).toBeGreaterThan(0);

    for (const client of clients) {
      const { problems, state } = await checkLedger(client, book, log);
      expect(problems, summary).toEqual([]);
      // Every transfer in the ledger was acknowledged to some client exactly once, and nothing else
      // is there: the funding transfers are the only ones the load did not send.
      const unexpected = [...state.transfers.values()].filter((transfer) => !log.acknowledged.has(transfer.id) && transfer.debit_account_id !== book.bank);
      expect(unexpected.map((transfer) => transfer.id)).toEqual([]);
      expect(state.transfers.size).toBe(log.acknowledged.size + book.constrained.length);
      // The balances are exactly what the acknowledged transfers add up to: nothing applied twice,
      // nothing lost, and the limited accounts spent no more than their funding.
      const expected = balancesFromLog(log, book);
      for (const id of book.constrained) {
        const spent = expected.get(id)!;
        expect(spent.debits_posted + spent.debits_pending, `acknowledged debits of limited account ${id}`).toBeLessThanOrEqual(spent.credits_posted);
      }
      for (const account of state.accounts) {
        const want = expected.get(account.id) ?? { debits_pending: 0n, debits_posted: 0n, credits_pending: 0n, credits_posted: 0n };
        const have = { debits_pending: BigInt(account.debits_pending), debits_posted: BigInt(account.debits_posted), credits_pending: BigInt(account.credits_pending), credits_posted: BigInt(account.credits_posted) };
        expect(JSON.stringify(have, bigintText), `account ${account.id}`).toBe(JSON.stringify(want, bigintText));
      }
    }
    time.lap('checks on both processes');

    // An acknowledged transfer sent again, to the process that did not acknowledge it, returns
    // the first result: 200 with the same timestamp, and the ledger does not change.
    const sample = [...log.acknowledged.values()].filter((transfer) => transfer.kind === 'plain' && transfer.flags.length === 0).slice(0, CROSS_RETRIES);
    expect(sample.length).toBeGreaterThan(0);
    await inParallel(sample, 8, async (transfer) => {
      const other = clients.find((client) => client.url !== transfer.via) as Client;
      const answer = await other.post('/v1/transfers', {
        id: transfer.id, debit_account_id: transfer.debit, credit_account_id: transfer.credit, amount: String(transfer.amount), ledger: book.ledger, code: 7,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect((answer.body as WireTransfer).timestamp).toBe(transfer.timestamp);
    });
    const afterRetries = await checkLedger(clients[1]!, book, log);
    expect(afterRetries.problems).toEqual([]);
    expect(afterRetries.state.transfers.size).toBe(log.acknowledged.size + book.constrained.length);
    time.lap('cross-process retries');
    console.log(`[multiprocess] ${time}`);
  });
});
