import type { Worker } from 'node:worker_threads';
import type { KeyPair, SignatureEnvelope, SignatureSuite, TrustedKey } from '../../crypto/index.ts';
import { LIMITS, assert, moduleWorkerEntry, startModuleWorker } from '../../kernel/index.ts';
import type { VerifyReply, VerifyRequest } from './journal.checkpoint-verify-worker.ts';
import type { Checkpoint, SignatureCheck } from './journal.proof.ts';

/**
 * Signature checks of checkpoints, off the event loop. Listing a page of checkpoints that this
 * process did not sign itself (another process on the same PostgreSQL database signed them, an
 * earlier run, or an import) verifies each one's ML-DSA-65 and SM2 signatures once: a few
 * milliseconds each, so a first page of 100 held the event loop for a good part of a second, and
 * every payment and ledger request with it. Building a proof or a consistency file checks the one
 * or two checkpoints it rests on the same way, and so does checking a proof or consistency file
 * sent to the server. Here one worker thread runs those checks; the event loop only waits for its
 * answer. The same worker signs the checkpoints this process makes (see `sign`).
 *
 * What waits for the worker is bounded: a batch that would take the checkpoints queued in this
 * process past the limit is refused at once, and so is every batch when the worker failed, with
 * CheckpointVerificationUnavailableError (503 at the HTTP edge). No request is answered with a
 * signature check that was not made.
 */

/**
 * Checkpoints waiting for, or under, verification in this process, at most: ten full pages, about
 * five seconds of the worker's time. A page asks for at most LIMITS.pageMaxItems checks at once.
 */
export const CHECKPOINT_VERIFY_QUEUE_MAX = 1_000;
/**
 * A worker that has not answered anything in this long while work waits for it is stuck (or still
 * loading its code on a machine far too busy) and is stopped; its batches are refused.
 */
export const CHECKPOINT_VERIFY_STALL_MS = 60_000;

assert(CHECKPOINT_VERIFY_QUEUE_MAX >= LIMITS.pageMaxItems, 'the checkpoint verification queue must hold a full page');

/** The worker cannot take the checks now: its queue is full, it failed, or it was stopped. */
export class CheckpointVerificationUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointVerificationUnavailableError';
  }
}

export interface CheckpointSignatureVerifier {
  /**
   * Why each checkpoint's signature does not verify under `keys` (null when it does), in order, as
   * signatureProblem says in process. Throws CheckpointVerificationUnavailableError at once when the
   * batch does not fit in the queue or the verifier was stopped; the promise rejects with it when the
   * worker fails before answering.
   */
  verify(checkpoints: readonly Checkpoint[], keys: readonly TrustedKey[], suites: readonly SignatureSuite[]): Promise<(string | null)[]>;
  /**
   * The same for checkpoints read from a proof or consistency file, checked as an offline verifier
   * checks them with the keys file (checkCheckpointSignature): each one's problem and suite, in order.
   */
  verifyOffline(checkpoints: readonly Checkpoint[], keys: readonly TrustedKey[]): Promise<SignatureCheck[]>;
  /**
   * Signs `message` with `keys` in the same worker, for the checkpoints this process makes; counts
   * as one checkpoint against the queue. Refuses as verify does when the worker cannot take it.
   */
  sign(message: string, keys: readonly KeyPair[], options: { readonly context: string; readonly suite: SignatureSuite }): Promise<SignatureEnvelope>;
  /** Checkpoints waiting for, or under, verification (or signing). */
  queued(): number;
  /** Checkpoints the worker has answered for since the verifier was made (for tests and diagnosis). */
  verified(): number;
  /** Checkpoints the worker has signed since the verifier was made (for tests and diagnosis). */
  signed(): number;
  stop(): Promise<void>;
}

export interface CheckpointVerifierOptions {
  /** Defaults to CHECKPOINT_VERIFY_QUEUE_MAX. */
  readonly queueMax?: number;
  /** The worker's module; the journal's own worker by default. */
  readonly entry?: string;
}

const WORKER_ENTRY = moduleWorkerEntry('journal.checkpoint-verify-worker', import.meta.url);

interface Batch {
  readonly size: number;
  readonly signs: boolean;
  readonly resolve: (answers: readonly unknown[]) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Requests posted before the worker said it is ready wait here, in order. */
  waiting: VerifyRequest[] | null;
}

export function createCheckpointVerifier(options: CheckpointVerifierOptions = {}): CheckpointSignatureVerifier {
  const queueMax = options.queueMax ?? CHECKPOINT_VERIFY_QUEUE_MAX;
  const entry = options.entry ?? WORKER_ENTRY;
  const batches = new Map<number, Batch>();
  let queued = 0;
  let verified = 0;
  let signed = 0;
  let nextId = 1;
  let slot: Slot | null = null;
  let stall: NodeJS.Timeout | null = null;
  let stopped = false;

  /** Restarts the stall timer while work waits; clears it when none does. */
  function watch(): void {
    if (stall) clearTimeout(stall);
    stall = null;
    if (batches.size === 0) return;
    const watched = slot;
    stall = setTimeout(() => {
      if (watched) fail(watched, `the checkpoint verification worker did not answer within ${CHECKPOINT_VERIFY_STALL_MS} ms`);
    }, CHECKPOINT_VERIFY_STALL_MS);
    stall.unref();
  }

  /** Refuses every batch the worker held and lets it go; the next batch starts a new one. */
  function fail(dead: Slot, message: string): void {
    if (slot !== dead) return;
    slot = null;
    void dead.worker.terminate();
    const failed = [...batches.values()];
    batches.clear();
    queued = 0;
    watch();
    for (const batch of failed) batch.reject(new CheckpointVerificationUnavailableError(message));
  }

  function spawn(): Slot {
    const worker = startModuleWorker(entry);
    // Held only while a batch waits for it (see post): it never keeps an idle process alive.
    worker.unref();
    const created: Slot = { worker, waiting: [] };
    worker.on('message', (reply: VerifyReply) => {
      if ('ready' in reply) {
        const waiting = created.waiting ?? [];
        created.waiting = null;
        for (const request of waiting) worker.postMessage(request);
        return;
      }
      const batch = batches.get(reply.id);
      if (!batch) return;
      batches.delete(reply.id);
      queued -= batch.size;
      if (batches.size === 0) worker.unref();
      watch();
      if ('error' in reply) return batch.reject(new Error(`a checkpoint signature check failed: ${reply.error}`));
      if (batch.signs) signed += batch.size;
      else verified += batch.size;
      batch.resolve(reply.answers);
    });
    worker.on('error', (error: Error) => fail(created, `the checkpoint verification worker failed: ${error.message}`));
    worker.on('exit', (code) => fail(created, `the checkpoint verification worker exited (code ${code})`));
    return created;
  }

  /** Hands one batch to the worker, or refuses it at once (see CheckpointSignatureVerifier.verify). */
  function submit(request: VerifyRequest): Promise<readonly unknown[]> {
    const count = request.check === 'sign' ? 1 : request.checkpoints.length;
    if (stopped) throw new CheckpointVerificationUnavailableError('the checkpoint verifier is stopping');
    if (count === 0) return Promise.resolve([]);
    if (queued + count > queueMax) {
      throw new CheckpointVerificationUnavailableError(
        `${queued} checkpoints are waiting for their signatures to be verified in this process; ${count} more would pass the limit of ${queueMax}: try again shortly`,
      );
    }
    const current = slot ?? (slot = spawn());
    return new Promise<readonly unknown[]>((resolve, reject) => {
      const first = batches.size === 0;
      batches.set(request.id, { size: count, signs: request.check === 'sign', resolve, reject });
      queued += count;
      if (first) {
        current.worker.ref();
        watch();
      }
      if (current.waiting) current.waiting.push(request);
      else current.worker.postMessage(request);
    });
  }

  return {
    // Not async: a batch refused at once throws before any promise is made.
    verify: (checkpoints, keys, suites) => submit({ id: nextId++, check: 'stored', keys, suites, checkpoints }).then((answers) => [...answers] as (string | null)[]),
    verifyOffline: (checkpoints, keys) => submit({ id: nextId++, check: 'offline', keys, checkpoints }).then((answers) => [...answers] as SignatureCheck[]),
    sign: (message, keys, { context, suite }) => submit({ id: nextId++, check: 'sign', message, keys, context, suite }).then((answers) => answers[0] as SignatureEnvelope),
    queued: () => queued,
    verified: () => verified,
    signed: () => signed,
    async stop() {
      stopped = true;
      const current = slot;
      if (!current) return;
      fail(current, 'the checkpoint verifier is stopping');
      await current.worker.terminate();
    },
  };
}

let shared: CheckpointSignatureVerifier | undefined;

/**
 * The verifier every checkpoint service of the process uses unless it is given one: one worker and
 * one bound for the process, however many platforms it runs. Its worker starts with the first batch.
 */
export function sharedCheckpointVerifier(): CheckpointSignatureVerifier {
  shared ??= createCheckpointVerifier();
  return shared;
}
