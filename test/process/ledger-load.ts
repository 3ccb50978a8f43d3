/**
 * Load and bookkeeping for the process tests: a ledger with funded, limited accounts, many
 * concurrent HTTP clients sending a mix of single transfers, batches with linked chains and
 * pending transfers that are posted or voided, and a log of everything the server acknowledged.
 * ledger-checks.ts compares that log and the server's own records with the ledger's rules.
 */
import { randomUUID } from 'node:crypto';
import { sleep, type Answer, type Client } from '../support/server-process.ts';

const PROBLEM_JSON = 'application/problem+json';
/** Back-off after an unavailable or missing answer, as a well-behaved client would. */
const RETRY_PAUSE_MS = 50;
/** Requests after the load (retries, checks) run this many at a time. */
export const CHECK_CONCURRENCY = 16;
/**
 * What a server under this load is started with: one key sends more requests a minute than the
 * default rate limit allows a client, and a 429 would be taken for a lost transfer.
 */
export const LOAD_SERVER_ENV = { SLUICE_RATE_LIMIT: '1000000000' };
/** Answers kept one by one for timing checks; beyond this only the counts grow. */
const MAX_ANSWERS_KEPT = 200_000;

export interface Book {
  readonly ledger: number;
  /** An account without limits that funds the others. */
  readonly bank: string;
  /** Accounts with debits_must_not_exceed_credits, each funded with `funding` at the start. */
  readonly constrained: readonly string[];
  /** Accounts without limits. */
  readonly plain: readonly string[];
  readonly funding: bigint;
}

export interface TransferBody {
  id: string;
  debit_account_id?: string;
  credit_account_id?: string;
  amount?: string;
  pending_id?: string;
  ledger?: number;
  code?: number;
  flags?: string[];
}

/** What the server acknowledged, with everything needed to recompute balances from it. */
export interface Acknowledged {
  readonly id: string;
  readonly debit: string;
  readonly credit: string;
  readonly amount: bigint;
  readonly kind: 'plain' | 'pending' | 'post' | 'void';
  readonly pendingId: string | null;
  readonly flags: readonly string[];
  readonly timestamp: string;
  /** Base URL of the server that acknowledged it first. */
  readonly via: string;
}

export interface AnswerRecord {
  /** Milliseconds since the load started, when the request was sent. */
  readonly sentAt: number;
  readonly elapsedMs: number;
  /** HTTP status, or 0 when no answer came (connection lost or client timeout). */
  readonly status: number;
  readonly code: string | null;
}

export interface LoadLog {
  readonly startedAt: number;
  readonly acknowledged: Map<string, Acknowledged>;
  /** Every linked chain sent, answered or not: each must end up wholly applied or not at all. */
  readonly chains: string[][];
  /** Requests whose outcome the client does not know: no answer, or 503. Retried later. */
  readonly unresolved: { readonly body: TransferBody | { transfers: TransferBody[] } }[];
  readonly answers: AnswerRecord[];
  readonly statusCounts: Map<number, number>;
  /** Result codes of refused transfers, with counts (exceeds_credits, linked_event_failed …). */
  readonly refusals: Map<string, number>;
  /** Answers that break the API's contract (a 500, a 503 that is not problem+json …). */
  readonly violations: string[];
}

export function newLoadLog(): LoadLog {
  return {
    startedAt: performance.now(),
    acknowledged: new Map(),
    chains: [],
    unresolved: [],
    answers: [],
    statusCounts: new Map(),
    refusals: new Map(),
    violations: [],
  };
}

const random = (below: number) => Math.floor(Math.random() * below);
const pick = <T>(items: readonly T[]): T => items[random(items.length)] as T;
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/** Creates the ledger, its accounts and the funding of the limited accounts; every step must succeed. */
export async function openBook(client: Client, shape: { ledger: number; constrained: number; plain: number; funding: bigint }): Promise<Book> {
  const created = await client.post('/v1/ledgers', { id: shape.ledger, asset_code: 'USD', name: `Process test ledger ${shape.ledger}` });
  expectStatus(created, 201, 'create the ledger');
  const book: Book = {
    ledger: shape.ledger,
    bank: randomUUID(),
    constrained: Array.from({ length: shape.constrained }, () => randomUUID()),
    plain: Array.from({ length: shape.plain }, () => randomUUID()),
    funding: shape.funding,
  };
  const accounts = [
    { id: book.bank, ledger: book.ledger, code: 1 },
    ...book.constrained.map((id) => ({ id, ledger: book.ledger, code: 2, flags: ['debits_must_not_exceed_credits'] })),
    ...book.plain.map((id) => ({ id, ledger: book.ledger, code: 3 })),
  ];
  const opened = await client.post('/v1/accounts', { accounts });
  expectStatus(opened, 200, 'open the accounts');
  expectAllOk(opened, 'open the accounts');
  const funding = await client.post('/v1/transfers', {
    transfers: book.constrained.map((id) => ({ id: randomUUID(), debit_account_id: book.bank, credit_account_id: id, amount: String(book.funding), ledger: book.ledger, code: 1 })),
  });
  expectStatus(funding, 200, 'fund the limited accounts');
  expectAllOk(funding, 'fund the limited accounts');
  return book;
}

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
}

function expectAllOk(answer: Answer, what: string): void {
  const failed = (answer.body.results as { result: string }[]).filter((item) => item.result !== 'ok');
  if (failed.length > 0) throw new Error(`${what}: ${JSON.stringify(failed.slice(0, 3))}`);
}

export interface LoadOptions {
  /** Worker i sends to clients[i % length]; posts, voids and duplicates go to the next client. */
  readonly clients: readonly Client[];
  readonly workers: number;
  readonly book: Book;
  readonly log: LoadLog;
  /** Workers finish their request in flight and stop once this returns true. */
  readonly stop: () => boolean;
  /** A hard bound on the run, whatever `stop` says. */
  readonly maxDurationMs: number;
  /** Share of transfers that debit a limited account (the rest debit any account). */
  readonly constrainedDebitShare?: number;
  /** Share of operations that send one transfer to every client at the same moment. */
  readonly duplicateShare?: number;
  /** Largest amount of an ordinary transfer, in minor units. */
  readonly maxAmount?: number;
  /** Each request's client-side timeout: an answer slower than this counts as none. */
  readonly requestTimeoutMs?: number;
  /** How long a worker waits after a request whose outcome it does not know. */
  readonly retryPauseMs?: number;
}

/** Runs the workers until `stop` (or the hard bound) and resolves when every worker has finished. */
export async function runLoad(options: LoadOptions): Promise<void> {
  const deadline = performance.now() + options.maxDurationMs;
  const running = () => !options.stop() && performance.now() < deadline;
  await Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      const client = options.clients[worker % options.clients.length] as Client;
      const other = options.clients[(worker + 1) % options.clients.length] as Client;
      const context = { ...options, client, other };
      while (running()) {
        const roll = Math.random();
        const duplicateShare = options.duplicateShare ?? 0;
        let settled: boolean;
        if (roll < duplicateShare) settled = await sendDuplicate(context);
        else if (roll < duplicateShare + (1 - duplicateShare) * 0.4) settled = await sendSingle(context);
        else if (roll < duplicateShare + (1 - duplicateShare) * 0.75) settled = await sendBatch(context);
        else settled = await sendPendingThenResolve(context);
        if (!settled) await sleep(options.retryPauseMs ?? RETRY_PAUSE_MS);
      }
    }),
  );
}

type Context = LoadOptions & { readonly client: Client; readonly other: Client };

function plainTransfer(context: Context, amount?: bigint, flags: string[] = []): TransferBody & { debit_account_id: string; credit_account_id: string; amount: string } {
  const { book } = context;
  const everyone = [book.bank, ...book.constrained, ...book.plain];
  const debit = Math.random() < (context.constrainedDebitShare ?? 0.5) ? pick(book.constrained) : pick(everyone);
  const credit = pick(everyone.filter((id) => id !== debit));
  const size = amount ?? BigInt(1 + random(context.maxAmount ?? 500));
  return { id: randomUUID(), debit_account_id: debit, credit_account_id: credit, amount: String(size), ledger: book.ledger, code: 7, flags };
}

/**
 * Sends one request and classifies the answer. Returns the answer when the outcome is known (the
 * server decided), or undefined when it is not (no answer, or 503) and the request joins the
 * unresolved list. Anything outside the API's contract is logged as a violation.
 */
async function send(context: Context, client: Client, body: TransferBody | { transfers: TransferBody[] }): Promise<Answer | undefined> {
  const { log } = context;
  const sentAt = performance.now() - log.startedAt;
  let answer: Answer;
  try {
    answer = await client.post('/v1/transfers', body, context.requestTimeoutMs);
  } catch (error) {
    log.unresolved.push({ body });
    record(log, { sentAt, elapsedMs: performance.now() - log.startedAt - sentAt, status: 0, code: (error as Error).name });
    return undefined;
  }
  const problem = answer.contentType.startsWith(PROBLEM_JSON);
  const code = problem ? String(answer.body?.code) : null;
  record(log, { sentAt, elapsedMs: answer.elapsedMs, status: answer.status, code });
  const batch = 'transfers' in body;
  if (answer.status === 503) {
    if (!problem || answer.body?.status !== 503) log.violations.push(`503 without a problem+json body: ${answer.contentType} ${JSON.stringify(answer.body)}`);
    log.unresolved.push({ body });
    return undefined;
  }
  const expected = batch ? answer.status === 200 : answer.status === 201 || answer.status === 200 || answer.status === 422;
  if (!expected || (answer.status === 422 && !problem)) {
    log.violations.push(`${batch ? 'batch' : 'single'} transfer answered ${answer.status} ${answer.contentType}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    return undefined;
  }
  if (answer.status === 422) bump(log.refusals, code as string);
  return answer;
}

function record(log: LoadLog, answer: AnswerRecord): void {
  bump(log.statusCounts, answer.status);
  if (log.answers.length < MAX_ANSWERS_KEPT) log.answers.push(answer);
}

function acknowledge(log: LoadLog, via: Client, body: TransferBody, timestamp: string, pending?: Acknowledged): void {
  const flags = body.flags ?? [];
  const kind = flags.includes('pending') ? 'pending' : flags.includes('post_pending') ? 'post' : flags.includes('void_pending') ? 'void' : 'plain';
  const entry: Acknowledged = {
    id: body.id,
    debit: pending?.debit ?? (body.debit_account_id as string),
    credit: pending?.credit ?? (body.credit_account_id as string),
    amount: body.amount !== undefined ? BigInt(body.amount) : (pending?.amount as bigint),
    kind,
    pendingId: body.pending_id ?? null,
    flags,
    timestamp,
    via: via.url,
  };
  const earlier = log.acknowledged.get(body.id);
  if (earlier && earlier.timestamp !== timestamp) log.violations.push(`transfer ${body.id} acknowledged twice with different timestamps ${earlier.timestamp} and ${timestamp}`);
  if (!earlier) log.acknowledged.set(body.id, entry);
}

async function sendSingle(context: Context): Promise<boolean> {
  const body = plainTransfer(context);
  const answer = await send(context, context.client, body);
  if (answer && answer.status !== 422) acknowledge(context.log, context.client, body, String(answer.body.timestamp));
  return answer !== undefined;
}

/** A batch of independent transfers with one or two linked chains among them. */
async function sendBatch(context: Context): Promise<boolean> {
  const items: TransferBody[] = [];
  const chains: string[][] = [];
  const chainCount = 1 + random(2);
  for (let chain = 0; chain < chainCount; chain++) {
    for (let loose = random(4); loose > 0; loose--) items.push(plainTransfer(context));
    const length = 2 + random(3);
    const members: TransferBody[] = [];
    for (let index = 0; index < length; index++) {
      // One chain in four asks for more than a limited account can have, so the whole chain must fail.
      const greedy = index === length - 1 && Math.random() < 0.25;
      const transfer = greedy ? { ...plainTransfer(context, context.book.funding * 10n), debit_account_id: pick(context.book.constrained) } : plainTransfer(context);
      if (transfer.credit_account_id === transfer.debit_account_id) transfer.credit_account_id = context.book.bank;
      transfer.flags = index < length - 1 ? ['linked'] : [];
      members.push(transfer);
    }
    items.push(...members);
    chains.push(members.map((member) => member.id));
  }
  for (let loose = random(4); loose > 0; loose--) items.push(plainTransfer(context));
  context.log.chains.push(...chains);
  const answer = await send(context, context.client, { transfers: items });
  if (!answer) return false;
  const results = answer.body.results as { index: number; id: string; result: string; timestamp?: string }[];
  if (!Array.isArray(results) || results.length !== items.length) {
    context.log.violations.push(`batch of ${items.length} answered with ${JSON.stringify(answer.body).slice(0, 200)}`);
    return true;
  }
  for (const [index, result] of results.entries()) {
    const item = items[index] as TransferBody;
    if (result.id !== item.id) context.log.violations.push(`batch result ${index} names ${result.id}, not ${item.id}`);
    if (result.result === 'ok') acknowledge(context.log, context.client, item, String(result.timestamp));
    else bump(context.log.refusals, result.result);
  }
  return true;
}

/** A pending transfer, then a post (whole or part) or a void of it, sent to the other client. */
async function sendPendingThenResolve(context: Context): Promise<boolean> {
  const pending = plainTransfer(context, undefined, ['pending']);
  const held = await send(context, context.client, pending);
  if (!held) return false;
  if (held.status === 422) return true;
  acknowledge(context.log, context.client, pending, String(held.body.timestamp));
  const original = context.log.acknowledged.get(pending.id) as Acknowledged;
  const posting = Math.random() < 0.7;
  const resolution: TransferBody = posting
    ? { id: randomUUID(), pending_id: pending.id, amount: String(1n + BigInt(random(Number(original.amount)))), flags: ['post_pending'] }
    : { id: randomUUID(), pending_id: pending.id, flags: ['void_pending'] };
  const resolved = await send(context, context.other, resolution);
  if (!resolved) return false;
  if (resolved.status === 422) {
    context.log.violations.push(`resolving acknowledged pending ${pending.id} was refused: ${resolved.body.code}`);
    return true;
  }
  acknowledge(context.log, context.other, resolution, String(resolved.body.timestamp), original);
  return true;
}

/**
 * The same transfer to every client at once. Whatever the interleaving, the ledger must decide it
 * once: one 201 and the rest 200 with the same timestamp, or the same refusal for all.
 */
async function sendDuplicate(context: Context): Promise<boolean> {
  const body = plainTransfer(context);
  const targets = context.clients.length > 1 ? context.clients : [context.client, context.client];
  const answers = await Promise.all(targets.map((client) => send(context, client, body)));
  if (answers.some((answer) => answer === undefined)) return false;
  const known = answers as Answer[];
  const statuses = known.map((answer) => answer.status).sort();
  if (statuses.includes(422)) {
    const codes = new Set(known.map((answer) => answer.body.code));
    if (statuses.some((status) => status !== 422) || codes.size !== 1) {
      context.log.violations.push(`duplicate ${body.id} decided differently: ${known.map((answer) => `${answer.status} ${answer.body.code ?? ''}`).join(', ')}`);
    }
    return true;
  }
  const created = statuses.filter((status) => status === 201).length;
  const timestamps = new Set(known.map((answer) => String(answer.body.timestamp)));
  if (created !== 1 || timestamps.size !== 1) {
    context.log.violations.push(`duplicate ${body.id} applied ${created} times (${statuses.join(', ')}; timestamps ${[...timestamps].join(', ')})`);
  }
  acknowledge(context.log, targets[known.findIndex((answer) => answer.status === 201)] ?? context.client, body, String(known[0]?.body.timestamp));
  return true;
}

/**
 * Sends every unresolved request again, unchanged, as a client retrying with the same ids would.
 * Each must now be answered within the contract; those that succeed join the acknowledged log.
 */
export async function retryUnresolved(client: Client, log: LoadLog): Promise<void> {
  const queue = log.unresolved.splice(0);
  const pendingOf = (body: TransferBody) => (body.pending_id ? log.acknowledged.get(body.pending_id) : undefined);
  await inParallel(queue, CHECK_CONCURRENCY, async ({ body }) => {
    const answer = await client.post('/v1/transfers', body);
    if ('transfers' in body) {
      if (answer.status !== 200) return void log.violations.push(`retried batch answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      for (const [index, result] of (answer.body.results as { result: string; timestamp?: string }[]).entries()) {
        const item = body.transfers[index] as TransferBody;
        if (result.result === 'ok') acknowledge(log, client, item, String(result.timestamp));
      }
      return;
    }
    if (answer.status === 201 || answer.status === 200) {
      const pending = pendingOf(body);
      if (body.pending_id && !pending) return; // Its pending transfer was never acknowledged; nothing to compare with.
      acknowledge(log, client, body, String(answer.body.timestamp), pending);
    } else if (answer.status !== 422 || !answer.contentType.startsWith(PROBLEM_JSON)) {
      log.violations.push(`retried transfer ${body.id} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    }
  });
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}
