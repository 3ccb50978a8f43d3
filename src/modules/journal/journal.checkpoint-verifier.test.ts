import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpointVerifier, type Checkpoint, type CheckpointSignatureVerifier } from './index.ts';

const verifiers: CheckpointSignatureVerifier[] = [];
afterEach(async () => {
  for (const made of verifiers.splice(0)) await made.stop();
});

const checkpoint = { treeSize: 1, root: '00'.repeat(32), headHash: '00'.repeat(32), algorithm: 'sha256', createdAt: '2026-11-29T00:00:00.000Z', envelope: { parts: [] } } as unknown as Checkpoint;

describe('the checkpoint verifier when a check throws in its worker', () => {
  it('fails only that batch, and the same worker answers the next', async () => {
    const made = createCheckpointVerifier({ entry: new URL('./journal.checkpoint-verify-worker.throwing.test-support.ts', import.meta.url).href });
    verifiers.push(made);
    await expect(made.verify([checkpoint], [], ['hybrid-mldsa65-sm2'])).rejects.toThrow('a checkpoint signature check failed: a check threw');
    expect(made.queued()).toBe(0);
    expect(await made.verify([checkpoint, checkpoint], [], ['hybrid-mldsa65-sm2'])).toEqual([null, null]);
    expect(made.verified()).toBe(2);
  });
});
