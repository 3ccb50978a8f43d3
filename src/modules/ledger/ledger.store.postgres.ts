import { assert } from '../../kernel/index.ts';
import type { Database, Queryable } from '../../db/index.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';
import { createWriteTx, type ReadPlan } from './ledger.store.postgres.tx.ts';

/**
 * PostgreSQL write path. Every batch of every process takes the ledger clock row lock first and holds
 * it until its commit is on disk: that keeps timestamps unique and in commit order across processes,
 * gives the journal its total order, and lets a batch decide on rows no other batch can change
 * meanwhile (idempotency, balance limits, pending transfers). Nothing is cached between transactions.
 *
 * The lock is the installation's one serial section, so a transaction holds it for as few round trips
 * as possible. Before it begins, its work is run once against a store that answers every read with
 * nothing (a dry run, no database, stopped before anything is applied), only to learn which rows the
 * first batch reads and what every batch of it names. The transaction then sends, in one round trip
 * after BEGIN, the clock lock, the journal head lock and all of those reads; the server runs them in
 * that order, so the reads see everything committed before the lock was granted. The work then runs
 * for real, answered from those reads and from what the transaction's own batches did
 * (ledger.store.postgres.tx.ts; rows nobody could foresee, such as the accounts of a pending transfer
 * posted or expired, are read then), and the writes, the journal appends and COMMIT follow without
 * waiting for each other. Two round trips and one WAL flush under the lock, however many batches.
 */

/**
 * Thrown to end the dry run once the reads of the first batch are known, and caught in planReads. Not
 * an Error: constructing one records a stack trace, which cost about 50 µs on every ledger transaction.
 */
const DRY_RUN_COMPLETE: unique symbol = Symbol('dry run complete');

/** Runs `work` against a store without data to learn what its first batch reads; undefined if it fails otherwise. */
async function planReads<T>(work: (tx: LedgerWriteTx) => Promise<T>): Promise<ReadPlan | undefined> {
  const plan: ReadPlan = { transfers: [], accounts: [], pending: [], failures: [], ledgers: [] };
  const stop = async (): Promise<never> => {
    throw DRY_RUN_COMPLETE;
  };
  const nothing: Queryable = { dialect: 'postgres', all: stop, get: stop, run: stop };
  const tx: LedgerWriteTx = {
    queryable: nothing,
    expectReads(reads) {
      plan.expected = reads;
    },
    lockClock: async () => 0n,
    setClock: stop,
    write: stop,
    async dueExpiries(nowNs, limit) {
      plan.expiry ??= { nowNs, limit };
      return [];
    },
    async loadTransfers(ids) {
      if (plan.transfers.length === 0) plan.transfers = [...ids];
      return [];
    },
    async loadAccounts(ids) {
      if (plan.accounts.length === 0) plan.accounts = [...ids];
      return [];
    },
    async loadPending(ids) {
      if (plan.pending.length === 0) plan.pending = [...ids];
      return [];
    },
    async loadFailures(ids) {
      if (plan.failures.length === 0) plan.failures = [...ids];
      return new Map();
    },
    async existingLedgers(ids) {
      plan.ledgers = [...ids];
      // The last read of a batch's snapshot: nothing after it would tell more.
      return stop();
    },
  };
  try {
    await work(tx);
  } catch (error) {
    if (error !== DRY_RUN_COMPLETE) return undefined;
  }
  return plan;
}

/**
 * Transfers of a large request applied at a time (LedgerStore.partItems): the server inserts one
 * part, which leaves as soon as it is applied (db/postgres.ts sends a large statement at once), while
 * the next is applied. Parts much smaller than this would each cost a journal entry and a round of
 * the engine's fixed work for little more overlap.
 */
export const POSTGRES_PART_ITEMS = 2_048;

/**
 * How long the engine waits after a busy group for the callers it answered to send their next
 * requests (LedgerStore.lingerMs). Every commit of every process passes the clock lock one after
 * another, so the installation commits a few hundred times a second whatever each commit holds: a
 * batch taken at once carries only the requests that came in while the last one was written (about
 * half of a process's callers), one taken a little later carries nearly all of them. Two servers on
 * one PostgreSQL, 64 connections (`npm run bench -- postgres`): 16 transfers a commit and 4,607/s
 * taken at once; 28 a commit and 5,956/s after 4 ms, the best of 1, 2, 4, 6 and 8 ms.
 */
export const POSTGRES_LINGER_MS = 4;

export function createPostgresLedgerStore(db: Database): LedgerStore {
  assert(db.dialect === 'postgres', 'PostgreSQL ledger store needs a PostgreSQL database');
  return {
    partItems: POSTGRES_PART_ITEMS,
    lingerMs: POSTGRES_LINGER_MS,
    async writeBatch(work) {
      const plan = await planReads(work);
      return db.transaction(async (q) => {
        const tx = createWriteTx(q, plan);
        const result = await work(tx);
        tx.finish();
        return result;
      });
    },
  };
}
