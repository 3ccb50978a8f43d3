import pg from 'pg';
import { createBoundedCache } from '../kernel/index.ts';
import { DatabaseUnavailableError, type Database, type Queryable, type Row, type SqlValue } from './port.ts';
import { createStatementNames } from './postgres.statements.ts';

// int8 columns (every integer column Sluice declares) parse to bigint, NUMERIC sums stay exact.
pg.types.setTypeParser(20, (text) => BigInt(text));
pg.types.setTypeParser(1700, (text) => text);

/** Texts whose numbered form is kept: statement texts are few, but a list's placeholders vary with its length. */
const NUMBERED_TEXTS_MAX = 4_096;
const numbered = createBoundedCache<string, string>(NUMBERED_TEXTS_MAX);

/** Turns `?` placeholders into `$1, $2, …`, leaving quoted text alone. */
export function numberPlaceholders(sql: string): string {
  const cached = numbered.get(sql);
  if (cached !== undefined) return cached;
  let out = '';
  let index = 0;
  let quote: string | null = null;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      index += 1;
      out += `$${index}`;
    } else {
      out += char;
    }
  }
  numbered.set(sql, out);
  return out;
}

/** Connection-level failures (refused, reset, server shutting down) mean "unavailable", not "bug". */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = (error as Error | null)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '57014', '08000', '08003', '08006', '08001', '08004'].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout/i.test(message)
  );
}

/** Waits for every statement and rejects with the earliest one, in the order they were sent, that failed. */
async function firstFailure(statements: readonly Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(statements);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

function wrap(error: unknown): unknown {
  return isConnectionError(error) ? new DatabaseUnavailableError((error as Error).message, { cause: error }) : error;
}

/** The socket under a pooled client: the driver keeps it as `connection.stream`, which its types leave out. */
interface ClientSocket {
  readonly connection?: { readonly stream?: { cork?(): void; uncork?(): void; readonly writableLength?: number } };
}

/**
 * Bytes gathered before they go out at once: a statement carrying a batch's columns (hundreds of
 * kilobytes for 8,190 transfers) leaves as soon as it is issued, so that the server works on it while
 * the ledger applies the next batch of the same transaction.
 */
export const GATHERED_WRITE_MAX_BYTES = 32 * 1024;

/** Before a statement is issued, and after (when what waits may be worth sending now). */
interface WriteGathering {
  before(): void;
  after(): void;
  /** Sends what waits now: after COMMIT, which ends the transaction's hold on its locks. */
  flush(): void;
}

/**
 * Statements a transaction issues in one stretch of work (one callback and the promise reactions
 * it sets off) leave in one write. The driver writes each statement by itself, and on loopback every
 * write is a system call that also wakes the server's backend: about a dozen per ledger commit. The
 * socket is corked at the first statement and uncorked once the microtasks queued meanwhile have run
 * (a tick queued from a microtask runs after the microtask queue is empty), so nothing waits for a
 * later turn of the event loop; or at once, when GATHERED_WRITE_MAX_BYTES are waiting or COMMIT
 * has been issued.
 */
function gatherWrites(client: pg.PoolClient): WriteGathering {
  const stream = (client as unknown as ClientSocket).connection?.stream;
  if (!stream?.cork || !stream.uncork) return { before: () => {}, after: () => {}, flush: () => {} };
  let corked = false;
  // Each cork is matched by one uncork: whichever of the size check and the scheduled tick comes first.
  const release = () => {
    if (!corked) return;
    corked = false;
    stream.uncork!();
  };
  return {
    before() {
      if (corked) return;
      corked = true;
      stream.cork!();
      queueMicrotask(() => process.nextTick(release));
    },
    after() {
      if ((stream.writableLength ?? 0) >= GATHERED_WRITE_MAX_BYTES) release();
    },
    flush: release,
  };
}

export interface PostgresOptions {
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
  /**
   * Prepare the statements transactions repeat under names (postgres.statements.ts); on by default.
   * Off for a pooler in transaction mode that cannot carry named statements between connections.
   */
  readonly namedStatements?: boolean;
}

/**
 * A server that stops answering without closing its sockets (paused, partitioned) must not stall the
 * ledger: statements are cut off by the server after STATEMENT_TIMEOUT_MS and by the client a little
 * later, and a session idle inside a transaction (holding the ledger clock row) is ended.
 */
export const STATEMENT_TIMEOUT_MS = 30_000;
export const CLIENT_QUERY_TIMEOUT_MS = 35_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    // Generous enough that a busy pool under load queues rather than failing; a server that is down refuses at once.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: CLIENT_QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // Statements issued without waiting for the one before go out together and share a round trip
    // (see withClient). Awaited one by one, they behave exactly as without pipelining.
    pipeline: true,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const names = options.namedStatements === false ? undefined : createStatementNames();

  /**
   * A Queryable over the pool or one client. Inside a transaction `issued` collects every
   * statement's promise, so that a statement its caller did not wait for (a write sent ahead on the
   * pipelined connection) is still checked before COMMIT; each gets a handler at once, so that its
   * failure cannot go unhandled meanwhile.
   */
  const over = (client: pg.Pool | pg.PoolClient, issued?: Promise<unknown>[], gather?: WriteGathering): Queryable => {
    const query = async (sql: string, params: readonly SqlValue[]) => {
      try {
        const text = numberPlaceholders(sql);
        const name = issued && params.length > 0 ? names?.nameOf(text) : undefined;
        gather?.before();
        const result = name !== undefined ? client.query({ name, text, values: params as unknown[] }) : client.query(text, params as unknown[]);
        gather?.after();
        return await result;
      } catch (error) {
        throw wrap(error);
      }
    };
    // Inside a transaction a statement may be sent without anyone waiting for it (a write sent
    // ahead); its failure is reported by the transaction (withClient checks `issued`), so the
    // promise handed out is marked handled: a rejection nobody awaited must not end the process.
    const send = <T>(sql: string, params: readonly SqlValue[], answer: (result: pg.QueryResult) => T): Promise<T> => {
      const result = query(sql, params);
      if (!issued) return result.then(answer);
      issued.push(result);
      const answered = result.then(answer);
      answered.catch(() => {});
      return answered;
    };
    return {
      dialect: 'postgres',
      all: <R extends Row>(sql: string, params: readonly SqlValue[] = []) => send(sql, params, (result) => result.rows as R[]),
      get: <R extends Row>(sql: string, params: readonly SqlValue[] = []) => send(sql, params, (result) => result.rows[0] as R | undefined),
      run: (sql: string, params: readonly SqlValue[] = []) => send(sql, params, (result) => ({ changes: result.rowCount ?? 0 })),
    };
  };

  /**
   * Runs `work` on one pooled client between `begin` and `end` (ROLLBACK on failure). The pool
   * listens for errors only on idle clients: a checked-out client whose connection dies between two
   * statements emits 'error' with nobody listening, which would kill the process, so we listen
   * while we hold it and hand it back as broken.
   *
   * The connection is pipelined: BEGIN travels with the first statement, and `end` goes out right
   * behind any statement still in flight. Nothing counts as committed until every statement of the
   * transaction has succeeded and COMMIT has answered COMMIT (PostgreSQL answers ROLLBACK, without
   * an error, to a COMMIT of a transaction that a failed statement aborted).
   */
  async function withClient<T>(begin: string, end: string, work: (q: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw wrap(error);
    }
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    const issued: Promise<unknown>[] = [];
    const gather = gatherWrites(client);
    const tx = over(client, issued, gather);
    try {
      void tx.run(begin);
      const result = await work(tx);
      // COMMIT leaves at once: waiting for the rest of this stretch of work would hold the
      // transaction's locks (the ledger clock row) that much longer.
      gather.before();
      const ended = client.query(end);
      gather.flush();
      ended.catch(() => {});
      await firstFailure(issued);
      const answer = await ended;
      if (end === 'COMMIT' && answer.command !== 'COMMIT') throw new Error(`COMMIT was answered with ${answer.command}: the transaction was rolled back`);
      return result;
    } catch (error) {
      // The first statement that failed is the cause; the ones after it only report the aborted
      // transaction, and a caller that stopped at one of those would otherwise hide the cause.
      const cause = (await firstFailure(issued).then(() => undefined, (failure: unknown) => failure)) ?? error;
      broken ||= isConnectionError(cause) || cause instanceof DatabaseUnavailableError;
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw wrap(cause);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  const base = over(pool);
  return {
    ...base,
    pool,
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => withClient('BEGIN', 'COMMIT', work),
    snapshot: <T>(work: (q: Queryable) => Promise<T>) => withClient('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', 'ROLLBACK', work),
    async exec(sql: string) {
      try {
        await pool.query(sql);
      } catch (error) {
        throw wrap(error);
      }
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
    },
  };
}
