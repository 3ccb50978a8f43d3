import { parentPort } from 'node:worker_threads';
import { signEnvelope, type KeyPair, type SignatureEnvelope, type SignatureSuite, type TrustedKey } from '../../crypto/index.ts';
import { signatureProblem } from './journal.checkpoint-trust.ts';
import { checkCheckpointSignature, type Checkpoint, type SignatureCheck } from './journal.proof.ts';

/**
 * The worker thread that verifies checkpoints' signatures for listings, verifications, proofs and
 * consistency files, so that the few milliseconds each ML-DSA-65 and SM2 verification takes are not
 * spent on the event loop. It runs the very check made in process and decides nothing else: one
 * batch in, one answer per checkpoint out, in order. A stored checkpoint is checked as the server
 * checks it (signatureProblem, under the suites it accepts); one read from a proof or consistency
 * file as an offline verifier checks it with the keys file (checkCheckpointSignature).
 *
 * It also signs the checkpoints this process makes: an ML-DSA-65 signature took 8 ms in the median
 * here and up to 44 ms (its rejection sampling makes the time vary), and with a checkpoint every
 * second that stopped every request once a second. The signing keys are copied to this thread for
 * each signature; it is the same process, and it keeps nothing.
 */
export type VerifyRequest =
  | ({
      readonly id: number;
      readonly keys: readonly TrustedKey[];
      readonly checkpoints: readonly Checkpoint[];
    } & ({ readonly check: 'stored'; readonly suites: readonly SignatureSuite[] } | { readonly check: 'offline' }))
  | { readonly id: number; readonly check: 'sign'; readonly message: string; readonly keys: readonly KeyPair[]; readonly context: string; readonly suite: SignatureSuite };

export type VerifyReply =
  | { readonly ready: true }
  | { readonly id: number; readonly answers: readonly (string | null)[] | readonly SignatureCheck[] | readonly SignatureEnvelope[] }
  /** A check that threw: its batch fails, as it would have in process, and the worker goes on. */
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    // Checkpoints read from a file someone sent reach here too: whatever they hold, a check that
    // throws fails its own batch rather than the worker, and every batch queued behind it.
    try {
      const answers = request.check === 'sign'
        ? [signEnvelope(request.message, request.keys, { context: request.context, suite: request.suite })]
        : request.check === 'stored'
          ? request.checkpoints.map((checkpoint) => signatureProblem(checkpoint, checkpoint.envelope, request.keys, request.suites))
          : request.checkpoints.map((checkpoint) => checkCheckpointSignature(checkpoint, request.keys));
      port.postMessage({ id: request.id, answers } satisfies VerifyReply);
    } catch (error) {
      port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies VerifyReply);
    }
  });
  port.postMessage({ ready: true } satisfies VerifyReply);
}
