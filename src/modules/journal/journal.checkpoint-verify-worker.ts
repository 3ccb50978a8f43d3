import { parentPort } from 'node:worker_threads';
import type { SignatureSuite, TrustedKey } from '../../crypto/index.ts';
import { signatureProblem } from './journal.checkpoint-trust.ts';
import type { Checkpoint } from './journal.proof.ts';

/**
 * The worker thread that verifies stored checkpoints' signatures for the listing, so that the few
 * milliseconds each ML-DSA-65 and SM2 verification takes are not spent on the event loop. It runs
 * the very check the service runs in process (signatureProblem) and decides nothing else: one
 * batch (a page's checkpoints that were not known yet) in, one answer per checkpoint out, in order.
 */
export interface VerifyRequest {
  readonly id: number;
  readonly keys: readonly TrustedKey[];
  readonly suites: readonly SignatureSuite[];
  readonly checkpoints: readonly Checkpoint[];
}

export type VerifyReply =
  | { readonly ready: true }
  | { readonly id: number; readonly problems: readonly (string | null)[] };

const port = parentPort;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    const problems = request.checkpoints.map((checkpoint) => signatureProblem(checkpoint, checkpoint.envelope, request.keys, request.suites));
    port.postMessage({ id: request.id, problems } satisfies VerifyReply);
  });
  port.postMessage({ ready: true } satisfies VerifyReply);
}
