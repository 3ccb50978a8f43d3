import type { Database, Queryable } from '../../db/index.ts';
import { assert, LIMITS, type Clock } from '../../kernel/index.ts';
import {
  createMerkleLog, deriveMasterKey, exportPublicKeys, fromHex, isKdfParams, openOrCreateKeyRing, rotate, sealKeys, signEnvelope, signingKeys, toHex, SUITE_ALGORITHMS,
  type KdfParams, type KeyPair, type KeyRing, type KeysFile, type SignatureEnvelope, type MasterKey, type MerkleLog, type SealCipher, type SignatureAlgorithm, type SignatureSuite,
} from '../../crypto/index.ts';
import { acceptedSuitesFor, createCheckpointTrust, type StoredRing } from './journal.checkpoint-trust.ts';
import { offlineSignatureChecks } from './journal.checkpoint-signatures.ts';
import { CheckpointVerificationUnavailableError, sharedCheckpointVerifier, type CheckpointSignatureVerifier } from './journal.checkpoint-verifier.ts';
import { CHECKPOINT_COLUMNS as COLUMNS, checkpointsVerifier, toCheckpoint, type CheckpointRow } from './journal.checkpoints.verify.ts';
import { CONSISTENCY_FILE_FORMAT, verifyConsistencyFileWith, type ConsistencyFile, type ConsistencyVerification } from './journal.consistency.ts';
import type { JournalService } from './journal.service.ts';
import type { ContentVerifier, JournalEntry } from './journal.ts';
import {
  CHECKPOINT_CONTEXT, JournalAlgorithmError, MAX_PROOF_ENTRIES, PROOF_FILE_FORMAT, UnverifiableCheckpointError, checkpointMessage, provenEntry, unknownHashAlgorithm, verifyProofFileWith,
  type Checkpoint, type ProofFile, type ProofVerification, type SignatureChecker,
} from './journal.proof.ts';

/**
 * A stored checkpoint as listed: `verifiable` is false when this server cannot verify it with its
 * own key ring (a signature that fails, a suite it does not accept, a date outside its key's period),
 * and `problem` then says why. No proof or consistency file is built on such a checkpoint; listing
 * it plainly beside the others would let a reader keep one that nothing can be proven against.
 * A checkpoint this process signed is known verifiable from its signing; the signatures of the
 * others are verified once, off the event loop (journal.checkpoint-verifier.ts). Proofs and
 * consistency files are built only on checkpoints found verifiable the same way.
 */
export type ListedCheckpoint = Checkpoint & { readonly verifiable: boolean; readonly problem?: string };

/**
 * Periodic signed checkpoints of the journal. The service keeps an append-only Merkle log of every
 * entry hash in memory (32 bytes an entry), catches up from the table before each checkpoint, and
 * signs the root with the configured suite (hybrid ML-DSA-65 + SM2 by default). Several processes on
 * one PostgreSQL database may checkpoint the same size; the first row written wins, and all of them
 * read the one sealed key ring from the database.
 */
export interface CheckpointService {
  initialize(): Promise<void>;
  /** Signs a checkpoint of everything journaled so far, unless the latest already covers it. */
  checkpoint(): Promise<Checkpoint | null>;
  latest(): Promise<Checkpoint | undefined>;
  /**
   * Stored checkpoints, oldest first, each saying whether this server verifies it with its own key
   * ring. Rejects with CheckpointVerificationUnavailableError when signatures it does not know yet
   * cannot be checked now (the verification queue is full, or its worker failed).
   */
  list(options: { afterTreeSize: number; limit: number }): Promise<ListedCheckpoint[]>;
  keysFile(): Promise<KeysFile>;
  rotateKey(algorithm: SignatureAlgorithm): Promise<KeysFile>;
  /**
   * A proof file for the given journal entries against a checkpoint that covers them all. Like
   * consistency, verifyProof and verifyConsistency, it rejects with CheckpointVerificationUnavailableError
   * when a signature it needs checked cannot be checked now.
   */
  proof(seqs: readonly bigint[]): Promise<ProofFile | 'entry_not_found' | 'too_many_entries'>;
  /**
   * A consistency file from the checkpoint of `fromSize` entries to the one of `toSize` (default:
   * the latest); both must be stored checkpoints, the first no larger than the second.
   */
  consistency(fromSize: number, toSize?: number): Promise<ConsistencyFile | 'from_not_found' | 'to_not_found' | 'range_reversed'>;
  /** Checks a proof file against this server's keys file, as `sluice verify --proof` does offline. */
  verifyProof(file: unknown): Promise<ProofVerification>;
  /** Checks a consistency file against this server's keys file, as `sluice verify --consistency` does offline. */
  verifyConsistency(file: unknown): Promise<ConsistencyVerification>;
  /** Checks every stored checkpoint against the chain as read in one verification run. */
  verifier(q: Queryable): ContentVerifier;
  /** Starts signing a checkpoint every `intervalMs` while there is something new; returns a stop function. */
  start(intervalMs: number, onError: (error: unknown) => void): () => Promise<void>;
}

export interface CheckpointDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly clock: Clock;
  /** The secret the key ring is sealed under (SLUICE_KEY_SECRET). */
  readonly keySecret: string;
  readonly suite: SignatureSuite;
  readonly cipher?: SealCipher;
  /**
   * Verifies checkpoints' signatures off the event loop (listings, verification, proofs and
   * consistency files); the process's shared one by default.
   */
  readonly signatureVerifier?: CheckpointSignatureVerifier;
}

/** Writes of the key ring retried when another process created or changed it in between. */
const KEY_RING_WRITE_ATTEMPTS = 8;
/** How far past the clock a rotation may be dated to follow the latest checkpoint. */
const ROTATION_DEFERRAL_MAX_MS = 1_000;
/** Stored checkpoints read at a time while looking for the latest this server verifies. */
const CHECKPOINT_SCAN_PAGE = 32;

export function createCheckpointService(deps: CheckpointDeps): CheckpointService {
  const { db, journal } = deps;
  let log: MerkleLog | undefined;
  let ring: KeyRing | undefined;
  let ringBox = '';
  let master: { readonly id: string; readonly key: MasterKey } | undefined;
  let busy: Promise<unknown> = Promise.resolve();

  /** Runs one at a time: catching up the log and signing must not interleave. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = busy.then(work, work);
    busy = next.catch(() => undefined);
    return next;
  };

  /** The master key of the ring's sealed box, derived (scrypt, about half a second) once per salt. */
  function masterKeyFor(kdf: KdfParams): MasterKey {
    const id = JSON.stringify(kdf);
    if (master?.id !== id) master = { id, key: deriveMasterKey(deps.keySecret, kdf) };
    return master.key;
  }

  /**
   * The ring as stored now, read through `q`: the one in memory while the stored text is the one it
   * was opened from, otherwise opened again (another process rotated it), created when missing, and
   * resealed when the configuration adds an algorithm or changes the cipher. Every write is a
   * compare-and-set on the text read, so a ring another process wrote in between is read again, never
   * overwritten, and never passed over for one that was not stored. With `lock` (PostgreSQL, inside a
   * transaction) the row stays locked until the transaction ends, so no rotation commits meanwhile.
   */
  async function ringAt(q: Queryable, lock = false, attempt = 1): Promise<StoredRing> {
    const row = await q.get<{ sealed: string }>(`SELECT sealed FROM journal_keyring WHERE id = 1${lock && q.dialect === 'postgres' ? ' FOR UPDATE' : ''}`);
    if (row && row.sealed === ringBox && ring) return { ring, sealed: row.sealed };
    const opened = openOrCreateKeyRing(row ? (JSON.parse(row.sealed) as unknown) : null, deps.keySecret, {
      algorithms: SUITE_ALGORITHMS[deps.suite], nowMs: deps.clock.nowMs(), cipher: deps.cipher,
    });
    if (!opened.ok) throw new Error(`cannot open the signing key ring (${opened.error}): is SLUICE_KEY_SECRET the one it was sealed with?`);
    const sealed = row && !opened.value.changed ? row.sealed : JSON.stringify(opened.value.box);
    if (!row || opened.value.changed) {
      const insert = q.dialect === 'postgres'
        ? 'INSERT INTO journal_keyring (id, sealed) VALUES (1, ?) ON CONFLICT (id) DO NOTHING'
        : 'INSERT OR IGNORE INTO journal_keyring (id, sealed) VALUES (1, ?)';
      const { changes } = row
        ? await q.run('UPDATE journal_keyring SET sealed = ? WHERE id = 1 AND sealed = ?', [sealed, row.sealed])
        : await q.run(insert, [sealed]);
      if (changes === 0) {
        // Another process created or changed the ring first: use theirs.
        assert(attempt < KEY_RING_WRITE_ATTEMPTS, `the signing key ring kept changing while it was written (${attempt} attempts)`);
        return ringAt(q, lock, attempt + 1);
      }
    }
    ring = opened.value.ring;
    ringBox = sealed;
    return { ring, sealed };
  }

  const loadRing = async (): Promise<KeyRing> => (await ringAt(db)).ring;

  /**
   * When a rotation takes effect: now, but after every checkpoint signed so far. A key retired in the
   * millisecond a checkpoint names was not active at that instant for an offline verifier, so a
   * checkpoint signed just before the rotation, in the same millisecond, would never verify.
   */
  async function rotationInstant(q: Queryable): Promise<number> {
    const row = await q.get<{ created_at: string | null }>('SELECT MAX(created_at) AS created_at FROM journal_checkpoints');
    const lastSignedMs = Date.parse(row?.created_at ?? '');
    const nowMs = deps.clock.nowMs();
    // A checkpoint dated far ahead (an edited row, a clock set wrong) does not carry rotations with it.
    if (!Number.isFinite(lastSignedMs) || lastSignedMs >= nowMs + ROTATION_DEFERRAL_MAX_MS) return nowMs;
    return Math.max(nowMs, lastSignedMs + 1);
  }

  /**
   * Runs `work` in a transaction with the ring as stored. On PostgreSQL the row stays locked until
   * `work` is done; on SQLite the transaction holds the file's write lock from its start (BEGIN
   * IMMEDIATE), so no other process commits meanwhile either. A rotation thus starts from the ring as
   * the last one left it, and is dated after every checkpoint stored before it.
   */
  function withStoredRing<T>(work: (q: Queryable, stored: StoredRing) => Promise<T>): Promise<T> {
    return db.transaction(async (tx) => work(tx, await ringAt(tx, true)));
  }

  const acceptedSuites = acceptedSuitesFor(deps.suite);
  const trust = createCheckpointTrust(deps.suite);
  const signatureVerifier = (): CheckpointSignatureVerifier => deps.signatureVerifier ?? sharedCheckpointVerifier();
  /**
   * Why this server cannot verify a checkpoint a proof or consistency file would rest on, null when it
   * can: known at once for one this process signed or verified before, otherwise verified in the
   * worker. Only requests build those files, so a worker that cannot take it refuses the request
   * (CheckpointVerificationUnavailableError) rather than verify on the event loop.
   */
  const unverifiable = async (checkpoint: Checkpoint, stored: StoredRing): Promise<string | null> =>
    (await trust.checkAll([checkpoint], stored, signatureVerifier()))[0] ?? null;
  /**
   * Signs in the worker (see journal.checkpoint-verify-worker.ts), and on this thread only when the
   * worker cannot take it: a checkpoint is not a request anyone can retry, and it must be made.
   */
  async function signOffTheEventLoop(message: string, keys: readonly KeyPair[]): Promise<SignatureEnvelope> {
    const options = { context: CHECKPOINT_CONTEXT, suite: deps.suite };
    try {
      return await signatureVerifier().sign(message, keys, options);
    } catch (error) {
      if (!(error instanceof CheckpointVerificationUnavailableError)) throw error;
      return signEnvelope(message, keys, options);
    }
  }
  /** Checks the signatures of checkpoints read from a file sent to this server in the worker; refused when it cannot take them. */
  const offlineSignatures: SignatureChecker = (checkpoints, keys) => offlineSignatureChecks(signatureVerifier(), checkpoints, keys, 'refuse');

  /** Refuses a checkpoint no proof may be built on: over another hash algorithm than the chain's, or one this server cannot verify. */
  async function assertUsable(checkpoint: Checkpoint, algorithm: string, stored: StoredRing): Promise<void> {
    if (checkpoint.algorithm !== algorithm) {
      throw new JournalAlgorithmError(`checkpoint ${checkpoint.treeSize}`, String(checkpoint.algorithm),
        unknownHashAlgorithm(checkpoint.algorithm) ?? `names hash algorithm ${checkpoint.algorithm}, but the journal is chained with ${algorithm}`);
    }
    const problem = await unverifiable(checkpoint, stored);
    if (problem !== null) throw new UnverifiableCheckpointError(checkpoint.treeSize, problem);
  }

  /**
   * The latest stored checkpoint over `algorithm` of at least `minSize` entries that this server can
   * verify itself, and the latest of them it passed over because it could not, if any.
   */
  async function latestVerifiable(algorithm: string, minSize: number, stored: StoredRing): Promise<{ checkpoint?: Checkpoint; passedOver?: UnverifiableCheckpointError }> {
    let passedOver: UnverifiableCheckpointError | undefined;
    let below = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const rows = await db.all<CheckpointRow>(
        `SELECT ${COLUMNS} FROM journal_checkpoints WHERE algorithm = ? AND tree_size >= ? AND tree_size < ? ORDER BY tree_size DESC LIMIT ?`,
        [algorithm, minSize, below, CHECKPOINT_SCAN_PAGE],
      );
      // One at a time, latest first: the first that verifies is the one wanted, and it is usually known.
      for (const row of rows) {
        const checkpoint = toCheckpoint(row);
        const problem = await unverifiable(checkpoint, stored);
        if (problem === null) return { checkpoint, passedOver };
        passedOver ??= new UnverifiableCheckpointError(checkpoint.treeSize, problem);
      }
      if (rows.length < CHECKPOINT_SCAN_PAGE) return { passedOver };
      below = Number(rows[rows.length - 1]?.tree_size);
    }
  }

  /** Appends to the in-memory log every entry journaled since it was last caught up. */
  async function catchUp(q: Queryable = db): Promise<MerkleLog> {
    const head = await journal.head();
    log ??= createMerkleLog(head.algorithm);
    for (;;) {
      const entries = await journal.list({ afterSeq: BigInt(log.size()), limit: LIMITS.journalVerifyPageSize }, q);
      if (entries.length === 0) return log;
      for (const entry of entries) {
        assert(entry.seq === BigInt(log.size() + 1), `journal entry ${entry.seq} out of order while checkpointing`);
        log.append(fromHex(entry.hash) ?? new Uint8Array());
      }
    }
  }

  async function latest(): Promise<Checkpoint | undefined> {
    const row = await db.get<CheckpointRow>(`SELECT ${COLUMNS} FROM journal_checkpoints ORDER BY tree_size DESC LIMIT 1`);
    return row ? toCheckpoint(row) : undefined;
  }

  async function sign(): Promise<Checkpoint | null> {
    const current = await catchUp();
    const size = current.size();
    const previous = await latest();
    if (size === 0 || (previous && previous.treeSize >= size)) return null;
    const entry = (await journal.list({ afterSeq: BigInt(size - 1), limit: 1 }))[0];
    assert(entry, `journal entry ${size} missing`);
    const root = toHex(current.root(size));
    const signedWith = async (ring: KeyRing): Promise<Checkpoint> => {
      // Dated no earlier than its keys became active: a rotation in this very millisecond starts them at the next one.
      const createdMs = Math.max(deps.clock.nowMs(), ...ring.active.map((key) => Date.parse(key.activeFrom)));
      const unsigned = { treeSize: size, root, headHash: entry.hash, algorithm: current.algorithm, createdAt: new Date(createdMs).toISOString() };
      return { ...unsigned, envelope: await signOffTheEventLoop(checkpointMessage(unsigned), signingKeys(ring, deps.suite)) };
    };
    const store = (q: Queryable, checkpoint: Checkpoint) => q.run(
      `INSERT INTO journal_checkpoints (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING`,
      [checkpoint.treeSize, checkpoint.root, checkpoint.headHash, checkpoint.algorithm, checkpoint.createdAt, JSON.stringify(checkpoint.envelope)],
    );
    // PostgreSQL: signed and stored while the ring's row is locked, so no rotation commits in between.
    if (db.dialect === 'postgres') {
      return withStoredRing(async (q, stored) => {
        const checkpoint = await signedWith(stored.ring);
        await store(q, checkpoint);
        trust.signed(checkpoint, stored);
        return checkpoint;
      });
    }
    // SQLite has no row lock, and holding the write lock while signing (ML-DSA-65 takes milliseconds)
    // would stop the ledger: the checkpoint is signed first, then stored in a write transaction only
    // if the ring is still the one it was signed with. Another process (`sluice keys rotate` on the
    // file of a running server) may have retired the key meanwhile, dated at the very instant the
    // checkpoint names; then it is signed again with the ring as that process left it. Once stored,
    // no rotation can be dated at or before it: a rotation is dated after the latest checkpoint, read
    // in its own write transaction.
    for (let attempt = 1; ; attempt++) {
      const stored = await ringAt(db);
      const checkpoint = await signedWith(stored.ring);
      const kept = await db.transaction(async (tx) => {
        const row = await tx.get<{ sealed: string }>('SELECT sealed FROM journal_keyring WHERE id = 1');
        if (row?.sealed !== stored.sealed) return false;
        await store(tx, checkpoint);
        return true;
      });
      if (kept) {
        trust.signed(checkpoint, stored);
        return checkpoint;
      }
      assert(attempt < KEY_RING_WRITE_ATTEMPTS, `the signing key ring kept changing while a checkpoint was signed (${attempt} attempts)`);
    }
  }

  return {
    async initialize() {
      await loadRing();
    },
    checkpoint: () => serial(sign),
    latest,
    async list({ afterTreeSize, limit }) {
      const rows = await db.all<CheckpointRow>(`SELECT ${COLUMNS} FROM journal_checkpoints WHERE tree_size > ? ORDER BY tree_size LIMIT ?`, [afterTreeSize, limit]);
      if (rows.length === 0) return [];
      const stored = await ringAt(db);
      const checkpoints = rows.map(toCheckpoint);
      // Verified in the worker unless known: checking a page of 100 here held the event loop for a good part of a second.
      const problems = await trust.checkAll(checkpoints, stored, signatureVerifier());
      return checkpoints.map((checkpoint, index): ListedCheckpoint => {
        const problem = problems[index] ?? null;
        return problem === null ? { ...checkpoint, verifiable: true } : { ...checkpoint, verifiable: false, problem };
      });
    },
    async keysFile() {
      return exportPublicKeys(await loadRing());
    },
    async rotateKey(algorithm) {
      const boxOf = (sealed: string) => {
        const box = JSON.parse(sealed) as { kdf?: unknown; cipher?: SealCipher };
        assert(isKdfParams(box.kdf), 'stored key ring has no key derivation parameters');
        return { kdf: box.kdf, cipher: box.cipher };
      };
      return serial(async () => {
        // The master key is derived before the ring is locked, so the lock is not held through scrypt.
        masterKeyFor(boxOf((await ringAt(db)).sealed).kdf);
        // Rotated from the ring as stored, under its lock, and written only over the text it was read
        // from: a rotation by another process is kept, never overwritten or undone by this one.
        const rotated = await withStoredRing(async (q, stored) => {
          const box = boxOf(stored.sealed);
          const next = rotate(stored.ring, algorithm, await rotationInstant(q));
          const sealed = JSON.stringify(sealKeys(next, masterKeyFor(box.kdf), box.cipher ?? deps.cipher));
          const { changes } = await q.run('UPDATE journal_keyring SET sealed = ? WHERE id = 1 AND sealed = ?', [sealed, stored.sealed]);
          assert(changes === 1, 'the signing key ring changed while it was locked for rotation');
          return { ring: next, sealed };
        });
        ring = rotated.ring;
        ringBox = rotated.sealed;
        return exportPublicKeys(rotated.ring);
      });
    },
    async proof(seqs) {
      if (seqs.length > MAX_PROOF_ENTRIES) return 'too_many_entries';
      return serial(async () => {
        const current = await catchUp();
        if (seqs.some((seq) => seq < 1n || seq > BigInt(current.size()))) return 'entry_not_found';
        // Only a checkpoint over the chain's own hash algorithm, whose signature this server verifies
        // itself as an offline verifier would, can anchor a proof: one naming another hash algorithm,
        // a signature suite this version does not know (a newer version's row, or an edited one), or
        // a signature that does not verify under the key active at its time is passed over for the
        // latest that does.
        const needed = Number(seqs.reduce((max, seq) => (seq > max ? seq : max), 0n));
        const usable = async () => latestVerifiable(current.algorithm, needed, await ringAt(db));
        const first = await usable();
        let checkpoint = first.checkpoint ?? (await sign()) ?? undefined;
        const again = checkpoint ? undefined : await usable();
        checkpoint ??= again?.checkpoint;
        if (!checkpoint) {
          const blocking = await latest();
          assert(blocking && blocking.treeSize >= needed, 'no checkpoint covers the requested entries');
          if (blocking.algorithm !== current.algorithm) await assertUsable(blocking, current.algorithm, await ringAt(db));
          const passedOver = again?.passedOver ?? first.passedOver;
          assert(passedOver, 'no checkpoint covers the requested entries');
          throw passedOver;
        }
        // Another process may have signed the checkpoint over entries this log has not read yet.
        if (checkpoint.treeSize > current.size()) await catchUp();
        const entries = [];
        for (const seq of seqs) {
          const entry = (await journal.list({ afterSeq: seq - 1n, limit: 1 }))[0] as JournalEntry;
          entries.push(provenEntry(entry, current.inclusionProof(Number(seq) - 1, checkpoint.treeSize)));
        }
        return { format: PROOF_FILE_FORMAT, checkpoint, entries };
      });
    },
    async consistency(fromSize, toSize) {
      const at = async (size: number) => {
        const row = await db.get<CheckpointRow>(`SELECT ${COLUMNS} FROM journal_checkpoints WHERE tree_size = ?`, [size]);
        return row ? toCheckpoint(row) : undefined;
      };
      const from = await at(fromSize);
      if (!from) return 'from_not_found';
      const asked = toSize === undefined ? undefined : await at(toSize);
      if (toSize !== undefined && !asked) return 'to_not_found';
      if (asked && from.treeSize > asked.treeSize) return 'range_reversed';
      return serial(async () => {
        const { algorithm } = await catchUp();
        // Both ends must be checkpoints this server verifies itself, over the chain's hash algorithm;
        // by default the later one is the latest such checkpoint, `from` itself at least.
        const stored = await ringAt(db);
        await assertUsable(from, algorithm, stored);
        if (asked) await assertUsable(asked, algorithm, stored);
        const to = asked ?? (await latestVerifiable(algorithm, from.treeSize, stored)).checkpoint ?? from;
        // Caught up after both were read, so that the log covers them even if another process signed meanwhile.
        const current = await catchUp();
        return { format: CONSISTENCY_FILE_FORMAT, from, to, proof: current.consistencyProof(from.treeSize, to.treeSize) };
      });
    },
    async verifyProof(file) {
      return verifyProofFileWith(file, exportPublicKeys(await loadRing()), offlineSignatures);
    },
    async verifyConsistency(file) {
      return verifyConsistencyFileWith(file, exportPublicKeys(await loadRing()), offlineSignatures);
    },
    verifier: (q) => checkpointsVerifier(q, { ...deps, acceptedSuites }),
    start(intervalMs, onError) {
      let running: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        running = serial(sign).catch(onError);
      }, intervalMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}
