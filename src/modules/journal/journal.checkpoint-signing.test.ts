import { afterEach, expect, it, vi } from 'vitest';
import { signEnvelope } from '../../crypto/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createCheckpointVerifier, verifyProofFile, type Checkpoint, type CheckpointSignatureVerifier, type ProofFile } from './index.ts';

// Every signature made on this thread goes through this spy; the worker thread loads its own,
// unmocked copy of the code. So the spy counts exactly the checkpoints signed on the event loop.
vi.mock('../../crypto/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../crypto/index.ts')>();
  return { ...original, signEnvelope: vi.fn(original.signEnvelope) };
});
const onEventLoop = vi.mocked(signEnvelope);

const KEY_SECRET = 'a-key-secret-for-these-tests';

const verifiers: CheckpointSignatureVerifier[] = [];
afterEach(async () => {
  for (const made of verifiers.splice(0)) await made.stop();
});

/** A platform with one transfer journaled, its checkpoints signed through `checkpointVerifier`. */
async function platformWith(db: Parameters<typeof createPlatform>[0]['db'], checkpointVerifier: CheckpointSignatureVerifier) {
  verifiers.push(checkpointVerifier);
  const clock = createManualClock(Date.UTC(2026, 10, 29));
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, keySecret: KEY_SECRET, checkpointVerifier });
  await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  const [a, b] = [uuidv7(), uuidv7()];
  await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
  clock.advance(1000);
  await platform.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: 100n, ledger: 1, code: 1, flags: 0 }]);
  return platform;
}

describeEachDialect('checkpoints signed off the event loop', ({ open }) => {
  it('signs a checkpoint in the worker, and the checkpoint verifies offline', async () => {
    const inWorker = createCheckpointVerifier();
    const platform = await platformWith(await open(), inWorker);
    onEventLoop.mockClear();
    const checkpoint = (await platform.checkpoints.checkpoint()) as Checkpoint;
    expect(checkpoint.treeSize).toBeGreaterThan(0);
    expect(onEventLoop).not.toHaveBeenCalled();
    expect(inWorker.signed()).toBe(1);
    const proof = (await platform.checkpoints.proof([1n])) as ProofFile;
    expect(proof.checkpoint.treeSize).toBe(checkpoint.treeSize);
    expect(verifyProofFile(JSON.parse(JSON.stringify(proof)), JSON.parse(JSON.stringify(await platform.checkpoints.keysFile()))).ok).toBe(true);
    await platform.close();
  });

  it('still signs, on the event loop, when the worker cannot take it', async () => {
    const stopped = createCheckpointVerifier();
    await stopped.stop();
    const platform = await platformWith(await open(), stopped);
    onEventLoop.mockClear();
    const checkpoint = (await platform.checkpoints.checkpoint()) as Checkpoint;
    expect(checkpoint.treeSize).toBeGreaterThan(0);
    expect(onEventLoop).toHaveBeenCalledTimes(1);
    expect(stopped.signed()).toBe(0);
    expect((await platform.checkpoints.latest())?.treeSize).toBe(checkpoint.treeSize);
    await platform.close();
  });
});
