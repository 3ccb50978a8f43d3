import type { Database, Queryable } from '../../db/index.ts';
import { assert, LIMITS } from '../../kernel/index.ts';
import { isHashAlgorithm, type HashAlgorithm } from '../../crypto/index.ts';
import { JournalAlgorithmError, unknownHashAlgorithm } from './journal.proof.ts';
import { GENESIS_HASH, entryHash, type ContentVerifier, type JournalEntry, type VerifyProblem, type VerifyReport } from './journal.ts';

/** Problems listed in one report; past this the report says how many more there were. */
const MAX_REPORTED_PROBLEMS = 100;

export interface JournalService {
  /** Creates the head row on first start; the algorithm is fixed from then on. */
  initialize(algorithm: HashAlgorithm): Promise<HashAlgorithm>;
  /** Appends one entry inside the caller's transaction, holding the head row until it commits. */
  append(tx: Queryable, entry: { readonly kind: string; readonly payload: string; readonly digest: string; readonly timestamp: bigint }): Promise<JournalEntry>;
  /** The head; throws JournalAlgorithmError when it names a hash algorithm this version does not know. */
  head(): Promise<{ seq: bigint; hash: string; algorithm: HashAlgorithm }>;
  list(options: { afterSeq: bigint; limit: number }, q?: Queryable): Promise<JournalEntry[]>;
  /** Entries of one kind, in order (a scan: for occasional lookups such as building proofs). */
  listByKind(kind: string, options: { afterSeq: bigint; limit: number }): Promise<JournalEntry[]>;
  /** The latest entry of `kind` journaled at or before `timestamp` (through an index on both). */
  entryAt(kind: string, timestamp: bigint): Promise<JournalEntry | undefined>;
  /**
   * Verifies through `q`, which should be one snapshot (Database.snapshot) that the verifiers read
   * too. The verifiers are made for the hash algorithm the stored journal is chained with, which an
   * import may have brought in; with one this version does not know, none is made.
   */
  verify(verifiersFor: (algorithm: HashAlgorithm) => readonly ContentVerifier[], onProgress?: (checked: number, total: number) => void, q?: Queryable): Promise<VerifyReport>;
}

type EntryRow = { seq: bigint; timestamp: bigint; kind: string; payload: string; digest: string; prev_hash: string; hash: string };

function toEntry(row: EntryRow): JournalEntry {
  return { seq: BigInt(row.seq), timestamp: BigInt(row.timestamp), kind: row.kind, payload: row.payload, digest: row.digest, prevHash: row.prev_hash, hash: row.hash };
}

/**
 * Runs a module's check over rows that verification must not trust. On SQLite an edited row can hold
 * text or a fraction where a whole number belongs, and converting it to a BigInt throws a SyntaxError
 * or a RangeError; that is reported as a problem of the records checked, so the report still ends
 * with every other finding. Any other error (a lost connection, a bug) still ends verification.
 */
async function unreadable(check: () => Promise<readonly string[]> | readonly string[]): Promise<readonly string[]> {
  try {
    return await check();
  } catch (error) {
    if (!(error instanceof SyntaxError || error instanceof RangeError)) throw error;
    return [`records could not be read, as stored values are not of their type: ${error.message}`];
  }
}

export function createJournalService(deps: { readonly db: Database }): JournalService {
  const { db } = deps;

  /** The head as stored, its algorithm unchecked: verification reports one it does not know. */
  async function readStoredHead(q: Queryable, lock: boolean) {
    const row = await q.get<{ seq: bigint; hash: string; algorithm: string }>(
      `SELECT seq, hash, algorithm FROM journal_head WHERE id = 1${lock && q.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
    );
    assert(row, 'journal head missing: initialize() was not called');
    return { seq: BigInt(row.seq), hash: row.hash, algorithm: String(row.algorithm) };
  }

  /** The head of a chain this version can extend and prove: an algorithm it does not know is refused. */
  async function readHead(q: Queryable, lock: boolean) {
    const head = await readStoredHead(q, lock);
    if (!isHashAlgorithm(head.algorithm)) throw new JournalAlgorithmError('head', head.algorithm, unknownHashAlgorithm(head.algorithm) ?? '');
    return { ...head, algorithm: head.algorithm };
  }

  return {
    async initialize(algorithm) {
      await db.transaction(async (tx) => {
        const insert = tx.dialect === 'postgres'
          ? 'INSERT INTO journal_head (id, seq, hash, algorithm) VALUES (1, 0, ?, ?) ON CONFLICT (id) DO NOTHING'
          : 'INSERT OR IGNORE INTO journal_head (id, seq, hash, algorithm) VALUES (1, 0, ?, ?)';
        await tx.run(insert, [GENESIS_HASH, algorithm]);
      });
      // An installation whose head names an algorithm this version does not know still opens, so
      // that verification can report it; appending to its chain or proving from it is refused.
      const stored = (await readStoredHead(db, false)).algorithm;
      return isHashAlgorithm(stored) ? stored : algorithm;
    },

    async append(tx, entry) {
      const head = await readHead(tx, true);
      const unsigned = { seq: head.seq + 1n, timestamp: entry.timestamp, kind: entry.kind, payload: entry.payload, digest: entry.digest, prevHash: head.hash };
      const full: JournalEntry = { ...unsigned, hash: entryHash(head.algorithm, unsigned) };
      const insert = 'INSERT INTO journal_entries (seq, timestamp, kind, payload, digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)';
      const insertParams = [full.seq, full.timestamp, full.kind, full.payload, full.digest, full.prevHash, full.hash];
      const moveHead = 'UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1';
      // A transaction that checks its statements before COMMIT (the ledger's on PostgreSQL) takes
      // both without waiting, so that its next batch is applied while the server writes this one.
      if (tx.defer) {
        tx.defer(insert, insertParams);
        tx.defer(moveHead, [full.seq, full.hash]);
        return full;
      }
      // Both statements are sent at once: on a pipelined PostgreSQL connection they share one round
      // trip, and they still run in this order.
      await Promise.all([tx.run(insert, insertParams), tx.run(moveHead, [full.seq, full.hash])]);
      return full;
    },

    head: () => readHead(db, false),

    async listByKind(kind, { afterSeq, limit }) {
      const rows = await db.all<EntryRow>('SELECT seq, timestamp, kind, payload, digest, prev_hash, hash FROM journal_entries WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?', [kind, afterSeq, limit]);
      return rows.map(toEntry);
    },
    async entryAt(kind, timestamp) {
      const row = await db.get<EntryRow>('SELECT seq, timestamp, kind, payload, digest, prev_hash, hash FROM journal_entries WHERE kind = ? AND timestamp <= ? ORDER BY timestamp DESC LIMIT 1', [kind, timestamp]);
      return row ? toEntry(row) : undefined;
    },
    async list({ afterSeq, limit }, q: Queryable = db) {
      const rows = await q.all<EntryRow>('SELECT seq, timestamp, kind, payload, digest, prev_hash, hash FROM journal_entries WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit]);
      return rows.map(toEntry);
    },

    async verify(verifiersFor, onProgress, q: Queryable = db) {
      const head = await readStoredHead(q, false);
      // With a hash algorithm this version does not know, no hash, digest or checkpoint can be
      // recomputed: that is the finding, and only the chain's order and links are checked.
      const algorithm = isHashAlgorithm(head.algorithm) ? head.algorithm : null;
      const verifiers = algorithm ? verifiersFor(algorithm) : [];
      const byKind = new Map(verifiers.map((verifier) => [verifier.kind, verifier]));
      const everyKind = verifiers.filter((verifier) => verifier.kind === '*');
      const problems: VerifyProblem[] = [];
      let extra = 0;
      const report = (seq: bigint | null, problem: string) => {
        if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ seq, problem });
        else extra += 1;
      };
      if (!algorithm) {
        report(null, `the journal head ${unknownHashAlgorithm(head.algorithm)}: only the order and links of the chain were checked, not its hashes, the records behind its entries or its checkpoints`);
      }
      const totalRow = await q.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM journal_entries');
      const total = Number(totalRow?.n ?? 0n);
      let expectedSeq = 1n;
      let prevHash = GENESIS_HASH;
      let checked = 0;
      let afterSeq = 0n;
      // Reads the chain in pages so that a long journal is verified in bounded memory.
      for (;;) {
        const page = await q.all<EntryRow>(
          'SELECT seq, timestamp, kind, payload, digest, prev_hash, hash FROM journal_entries WHERE seq > ? ORDER BY seq LIMIT ?',
          [afterSeq, LIMITS.journalVerifyPageSize],
        );
        if (page.length === 0) break;
        for (const row of page) {
          let entry: JournalEntry;
          try {
            entry = toEntry(row);
          } catch {
            // SQLite keeps whatever is written into a column, so an edit can leave a timestamp that is
            // not a number: that is a finding of this report, not a reason to abandon it. The entry
            // still takes its place in the chain and in the checkpoints' trees, with a timestamp no
            // entry can have, so its hash is reported as not matching too.
            report(BigInt(row.seq), 'its timestamp is not a whole number: it was edited');
            entry = toEntry({ ...row, timestamp: -1n });
          }
          if (entry.seq !== expectedSeq) report(entry.seq, `expected entry ${expectedSeq} here: an entry was removed, inserted or moved`);
          if (entry.prevHash !== prevHash) report(entry.seq, 'previous hash does not match the entry before it');
          if (algorithm) {
            if (entryHash(algorithm, entry) !== entry.hash) report(entry.seq, 'hash does not match the entry content: it was edited');
            const verifier = byKind.get(entry.kind);
            if (!verifier) report(entry.seq, `no verifier for entry kind ${entry.kind}`);
            else for (const problem of await unreadable(() => verifier.checkEntry(entry))) report(entry.seq, problem);
            // Verifiers of kind "*" (checkpoints) see every entry.
            for (const all of everyKind) for (const problem of await unreadable(() => all.checkEntry(entry))) report(entry.seq, problem);
          }
          expectedSeq = entry.seq + 1n;
          prevHash = entry.hash;
          afterSeq = entry.seq;
          checked += 1;
        }
        onProgress?.(checked, total);
      }
      if (expectedSeq - 1n !== head.seq) report(null, `journal head is at entry ${head.seq} but the chain ends at ${expectedSeq - 1n}`);
      if (prevHash !== head.hash) report(null, 'journal head hash does not match the last entry');
      for (const verifier of verifiers) for (const problem of await unreadable(() => verifier.finish())) report(null, problem);
      if (extra > 0) problems.push({ seq: null, problem: `${extra} more problems not listed` });
      return { ok: problems.length === 0, entries: checked, algorithm: head.algorithm, headSeq: head.seq, headHash: head.hash, problems };
    },
  };
}
