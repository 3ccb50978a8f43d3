/**
 * The ledger's promises, checked from outside through the HTTP API after a load run: the journal
 * verifies, debits equal credits, limits hold, every acknowledged transfer is there, linked chains
 * are whole or absent, and balances equal the sums of the transfers behind them.
 */
import type { Client } from '../support/server-process.ts';
import { CHECK_CONCURRENCY, inParallel, type Acknowledged, type Book, type LoadLog } from './ledger-load.ts';

/** The API's page limit: listing everything takes the fewest requests at this size. */
const PAGE_ITEMS = 100;
/** No list in these tests is longer than this many pages; a cursor that never ends is a bug. */
const MAX_PAGES = 2_000;

/** Follows next_cursor through every page of a list endpoint. */
export async function listAll<T>(client: Client, path: string): Promise<T[]> {
  const items: T[] = [];
  const separator = path.includes('?') ? '&' : '?';
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await client.get(`${path}${separator}limit=${PAGE_ITEMS}${cursor ? `&cursor=${cursor}` : ''}`);
    if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    items.push(...(answer.body.data as T[]));
    cursor = answer.body.next_cursor as string | null;
    if (!cursor) return items;
  }
  throw new Error(`GET ${path} had more than ${MAX_PAGES} pages`);
}

export interface WireAccount {
  id: string;
  flags: string[];
  debits_pending: string;
  debits_posted: string;
  credits_pending: string;
  credits_posted: string;
}

export interface WireTransfer {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  pending_id: string | null;
  flags: string[];
  timestamp: string;
}

/** Balances recomputed from transfers: posted unless pending or void; pending while unresolved. */
export function balancesFromTransfers(accountId: string, transfers: readonly WireTransfer[]) {
  const resolved = new Set(transfers.filter((transfer) => transfer.pending_id).map((transfer) => transfer.pending_id));
  const totals = { debits_pending: 0n, debits_posted: 0n, credits_pending: 0n, credits_posted: 0n };
  for (const transfer of transfers) {
    const amount = BigInt(transfer.amount);
    const side = transfer.debit_account_id === accountId ? 'debits' : transfer.credit_account_id === accountId ? 'credits' : null;
    if (!side) continue;
    if (transfer.flags.includes('pending')) {
      if (!resolved.has(transfer.id)) totals[`${side}_pending`] += amount;
    } else if (!transfer.flags.includes('void_pending')) {
      totals[`${side}_posted`] += amount;
    }
  }
  return totals;
}

/** Balances of every account recomputed from the acknowledged log alone (exact when nothing is unresolved). */
export function balancesFromLog(log: LoadLog, book: Book): Map<string, { debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint }> {
  const balances = new Map<string, { debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint }>();
  const of = (id: string) => {
    let found = balances.get(id);
    if (!found) balances.set(id, (found = { debits_pending: 0n, debits_posted: 0n, credits_pending: 0n, credits_posted: 0n }));
    return found;
  };
  for (const id of book.constrained) {
    of(id).credits_posted += book.funding;
    of(book.bank).debits_posted += book.funding;
  }
  for (const transfer of log.acknowledged.values()) {
    const debit = of(transfer.debit);
    const credit = of(transfer.credit);
    if (transfer.kind === 'pending') {
      debit.debits_pending += transfer.amount;
      credit.credits_pending += transfer.amount;
    } else {
      if (transfer.kind === 'post' || transfer.kind === 'void') {
        const original = log.acknowledged.get(transfer.pendingId as string) as Acknowledged;
        debit.debits_pending -= original.amount;
        credit.credits_pending -= original.amount;
      }
      if (transfer.kind !== 'void') {
        debit.debits_posted += transfer.amount;
        credit.credits_posted += transfer.amount;
      }
    }
  }
  return balances;
}

export interface LedgerState {
  readonly accounts: WireAccount[];
  readonly transfers: Map<string, WireTransfer>;
}

/**
 * Checks every invariant the ledger promises and returns the problems found (empty when all hold):
 * the journal verifies (hash chain, batch digests, balances against transfers); debits equal
 * credits over the ledger; no limited account is overdrawn; every acknowledged transfer is there
 * with its amount and timestamp (each fetched by id); every linked chain is whole or absent; and
 * the balances of a sample of accounts equal the sums of the transfers listed for them.
 */
export async function checkLedger(client: Client, book: Book, log: LoadLog, sampleSize = 12): Promise<{ problems: string[]; state: LedgerState }> {
  const problems: string[] = [];
  const verify = await client.get('/v1/journal/verify', 60_000);
  if (verify.status !== 200 || verify.body.ok !== true) problems.push(`journal verify: ${verify.status} ${JSON.stringify(verify.body).slice(0, 1000)}`);

  const accounts = await listAll<WireAccount>(client, `/v1/accounts?ledger=${book.ledger}`);
  if (accounts.length !== 1 + book.constrained.length + book.plain.length) problems.push(`expected ${1 + book.constrained.length + book.plain.length} accounts, found ${accounts.length}`);
  const sum = (field: keyof Omit<WireAccount, 'id' | 'flags'>) => accounts.reduce((total, account) => total + BigInt(account[field]), 0n);
  if (sum('debits_posted') !== sum('credits_posted')) problems.push(`posted debits ${sum('debits_posted')} differ from posted credits ${sum('credits_posted')}`);
  if (sum('debits_pending') !== sum('credits_pending')) problems.push(`pending debits ${sum('debits_pending')} differ from pending credits ${sum('credits_pending')}`);
  for (const account of accounts) {
    if (!account.flags.includes('debits_must_not_exceed_credits')) continue;
    if (BigInt(account.debits_posted) + BigInt(account.debits_pending) > BigInt(account.credits_posted)) {
      problems.push(`limited account ${account.id} is overdrawn: ${JSON.stringify(account)}`);
    }
  }

  const transfers = new Map((await listAll<WireTransfer>(client, `/v1/transfers?ledger=${book.ledger}`)).map((transfer) => [transfer.id, transfer]));
  const acknowledged = [...log.acknowledged.values()];
  await inParallel(acknowledged, CHECK_CONCURRENCY, async (expected) => {
    const answer = await client.get(`/v1/transfers/${expected.id}`);
    if (answer.status !== 200) return void problems.push(`acknowledged ${expected.kind} transfer ${expected.id} is missing: ${answer.status}`);
    if (answer.body.amount !== String(expected.amount) || answer.body.timestamp !== expected.timestamp) {
      problems.push(`acknowledged transfer ${expected.id} changed: ${expected.amount} at ${expected.timestamp}, now ${answer.body.amount} at ${answer.body.timestamp}`);
    }
  });
  for (const chain of log.chains) {
    const present = chain.filter((id) => transfers.has(id)).length;
    if (present !== 0 && present !== chain.length) problems.push(`linked chain half applied: ${present} of ${chain.length} (${chain.join(', ')})`);
  }

  const sample = [book.bank, ...book.constrained.slice(0, sampleSize / 2), ...book.plain.slice(0, sampleSize / 2)];
  const byId = new Map(accounts.map((account) => [account.id, account]));
  await inParallel(sample, CHECK_CONCURRENCY, async (id) => {
    const own = await listAll<WireTransfer>(client, `/v1/transfers?account_id=${id}`);
    const computed = balancesFromTransfers(id, own);
    const account = byId.get(id);
    const actual = account && { debits_pending: BigInt(account.debits_pending), debits_posted: BigInt(account.debits_posted), credits_pending: BigInt(account.credits_pending), credits_posted: BigInt(account.credits_posted) };
    if (JSON.stringify(actual, bigintText) !== JSON.stringify(computed, bigintText)) {
      problems.push(`account ${id}: balances ${JSON.stringify(actual, bigintText)} but its ${own.length} transfers sum to ${JSON.stringify(computed, bigintText)}`);
    }
  });
  return { problems, state: { accounts, transfers } };
}

export const bigintText = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);

/** A one-line summary of a load run, for the test output and failure messages. */
export function describeLoad(log: LoadLog): string {
  const statuses = [...log.statusCounts.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status || 'none'}×${count}`).join(' ');
  const refusals = [...log.refusals.entries()].map(([code, count]) => `${code}×${count}`).join(' ');
  const slowest = log.answers.reduce((most, answer) => Math.max(most, answer.elapsedMs), 0);
  return `${log.acknowledged.size} acknowledged, ${log.chains.length} chains, ${log.unresolved.length} unresolved; answers ${statuses} (slowest ${Math.round(slowest)} ms); refusals ${refusals || 'none'}`;
}

/** Durations of a test's phases, printed with its results so that slow phases are easy to spot. */
export function stopwatch() {
  let last = performance.now();
  const laps: string[] = [];
  return {
    lap(name: string) {
      const now = performance.now();
      laps.push(`${name} ${((now - last) / 1000).toFixed(1)} s`);
      last = now;
    },
    toString: () => laps.join(', '),
  };
}
