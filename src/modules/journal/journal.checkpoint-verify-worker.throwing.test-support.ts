import { parentPort } from 'node:worker_threads';
import type { VerifyReply, VerifyRequest } from './journal.checkpoint-verify-worker.ts';

/**
 * A stand-in for the checkpoint worker whose first check throws (the real checks do not throw on any
 * input, so a test cannot make them): it answers its first batch with the error the real worker
 * sends for a check that threw, and every later one as if each signature verified.
 */
const port = parentPort;
let batches = 0;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    batches += 1;
    const reply: VerifyReply = batches === 1
      ? { id: request.id, error: 'a check threw' }
      : { id: request.id, answers: request.check === 'sign' ? [] : request.checkpoints.map(() => null) };
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies VerifyReply);
}
