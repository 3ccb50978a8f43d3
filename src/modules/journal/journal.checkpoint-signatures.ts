import type { SignatureSuite, TrustedKey } from '../../crypto/index.ts';
import { signatureProblem } from './journal.checkpoint-trust.ts';
import { CheckpointVerificationUnavailableError, type CheckpointSignatureVerifier } from './journal.checkpoint-verifier.ts';
import { checkCheckpointSignature, type Checkpoint, type SignatureCheck } from './journal.proof.ts';

/**
 * Checkpoint signatures checked through the checkpoint verifier's worker, a batch at a time, and what
 * happens to a batch the worker cannot take (its queue is full, it failed, or it was stopped).
 */

/** Signatures handed to the worker at once: well within its queue, beside listings. */
const SIGNATURES_PER_VERIFY_BATCH = 64;

/**
 * What is done with checks the worker cannot take: `refuse` passes CheckpointVerificationUnavailableError
 * on (a request answers 503 and is retried, rather than holding the event loop for every other
 * request); `in-process` makes them here, on the event loop, with the same answers.
 */
export type WhenUnavailable = 'refuse' | 'in-process';

async function inBatches<T>(
  checkpoints: readonly Checkpoint[], inWorker: (batch: readonly Checkpoint[]) => Promise<T[]>, inProcess: (checkpoint: Checkpoint) => T, whenUnavailable: WhenUnavailable,
): Promise<T[]> {
  const answers: T[] = [];
  for (let start = 0; start < checkpoints.length; start += SIGNATURES_PER_VERIFY_BATCH) {
    const batch = checkpoints.slice(start, start + SIGNATURES_PER_VERIFY_BATCH);
    try {
      answers.push(...(await inWorker(batch)));
    } catch (error) {
      if (whenUnavailable === 'refuse' || !(error instanceof CheckpointVerificationUnavailableError)) throw error;
      for (const checkpoint of batch) answers.push(inProcess(checkpoint));
    }
  }
  return answers;
}

/** Why each stored checkpoint's signature does not verify under `keys` (null when it does), as signatureProblem says. */
export function storedSignatureProblems(
  verifier: CheckpointSignatureVerifier, checkpoints: readonly Checkpoint[], keys: readonly TrustedKey[], suites: readonly SignatureSuite[], whenUnavailable: WhenUnavailable,
): Promise<(string | null)[]> {
  return inBatches(checkpoints, (batch) => verifier.verify(batch, keys, suites), (checkpoint) => signatureProblem(checkpoint, checkpoint.envelope, keys, suites), whenUnavailable);
}

/** Each checkpoint of a proof or consistency file checked as an offline verifier checks it with the keys file, as checkCheckpointSignature says. */
export function offlineSignatureChecks(
  verifier: CheckpointSignatureVerifier, checkpoints: readonly Checkpoint[], keys: readonly TrustedKey[], whenUnavailable: WhenUnavailable,
): Promise<SignatureCheck[]> {
  return inBatches(checkpoints, (batch) => verifier.verifyOffline(batch, keys), (checkpoint) => checkCheckpointSignature(checkpoint, keys), whenUnavailable);
}
