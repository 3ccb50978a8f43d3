import { parentPort } from 'node:worker_threads';
import type { SignatureSuite, TrustedKey } from '../../crypto/index.ts';
import { signatureProblem } from './journal.checkpoint-trust.ts';
import { checkCheckpointSignature, type Checkpoint, type SignatureCheck } from './journal.proof.ts';

/**
 * The worker thread that verifies checkpoints' signatures for listings, verifications, proofs and
 * consistency files, so that the few milliseconds each ML-DSA-65 and SM2 verification takes are not
 * spent on the event loop. It runs the very check made in process and decides nothing else: one
 * batch in, one answer per checkpoint out, in order. A stored checkpoint is checked as the server
 * checks it (signatureProblem, under the suites it accepts); one read from a proof or consistency
 * file as an offline verifier checks it with the keys file (checkCheckpointSignature).
 */
export type VerifyRequest = {
  readonly id: number;
  readonly keys: readonly TrustedKey[];
  readonly checkpoints: readonly Checkpoint[];
} & ({ readonly check: 'stored'; readonly suites: readonly SignatureSuite[] } | { readonly check: 'offline' });

export type VerifyReply =
  | { readonly ready: true }
  | { readonly id: number; readonly answers: readonly (string | null)[] | readonly SignatureCheck[] };

const port = parentPort;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    const answers = request.check === 'stored'
      ? request.checkpoints.map((checkpoint) => signatureProblem(checkpoint, checkpoint.envelope, request.keys, request.suites))
      : request.checkpoints.map((checkpoint) => checkCheckpointSignature(checkpoint, request.keys));
    port.postMessage({ id: request.id, answers } satisfies VerifyReply);
  });
  port.postMessage({ ready: true } satisfies VerifyReply);
}
