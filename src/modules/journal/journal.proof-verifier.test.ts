import { afterEach, expect, it, vi } from 'vitest';
import { verifyEnvelope } from '../../crypto/index.ts';
import type { Database } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi } from '../../../test/http/harness.ts';
import { acceptedSuitesFor, signatureProblem, storedRing, trustedKeys } from './journal.checkpoint-trust.ts';
import {
  UnverifiableCheckpointError, createCheckpointService, createCheckpointVerifier, proofFileText, verifyConsistencyFile, verifyProofFile,
  type Checkpoint, type CheckpointSignatureVerifier, type ConsistencyFile, type ProofFile,
} from './index.ts';

// Every signature check made on this thread goes through this spy; the worker thread loads its own,
// unmocked copy of the code. So the spy counts exactly the checks that ran on the event loop.
vi.mock('../../crypto/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../crypto/index.ts')>();
  return { ...original, verifyEnvelope: vi.fn(original.verifyEnvelope) };
});
const onEventLoop = vi.mocked(verifyEnvelope);

const KEY_SECRET = 'a-key-secret-for-these-tests';
const SUITE = 'hybrid-mldsa65-sm2';
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const verifiers: CheckpointSignatureVerifier[] = [];
function verifier(): CheckpointSignatureVerifier {
  const made = createCheckpointVerifier();
  verifiers.push(made);
  return made;
}
afterEach(async () => {
  for (const made of verifiers.splice(0)) await made.stop();
});

type Envelope = { parts: { signature: string }[] };
/** A signature that does not verify: the last part's signature with its first character changed. */
const flipSignature = (envelope: Envelope) => {
  const last = envelope.parts[envelope.parts.length - 1]!;
  last.signature = `${last.signature.startsWith('A') ? 'B' : 'A'}${last.signature.slice(1)}`;
};
/** Gives the stored checkpoint of `size` entries a signature that does not verify. */
async function flipStored(db: Database, size: number): Promise<void> {
  const row = await db.get<{ envelope: string }>('SELECT envelope FROM journal_checkpoints WHERE tree_size = ?', [size]);
  const envelope = JSON.parse(row?.envelope ?? '{}') as Envelope;
  flipSignature(envelope);
  await db.run('UPDATE journal_checkpoints SET envelope = ? WHERE tree_size = ?', [JSON.stringify(envelope), size]);
}
/** The same file with the named checkpoint's signature broken. */
function withFlipped<T extends object>(file: T, side: 'checkpoint' | 'from' | 'to'): T {
  const copy = clone(file) as Record<string, { envelope: Envelope }>;
  flipSignature(copy[side]!.envelope);
  return copy as T;
}

/** A platform that signed three checkpoints, one after each transfer. */
async function signedThree(db: Database, checkpointVerifier: CheckpointSignatureVerifier): Promise<{ platform: Platform; sizes: number[] }> {
  const clock = createManualClock(Date.UTC(2026, 10, 28));
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, keySecret: KEY_SECRET, checkpointVerifier });
  await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  const [a, b] = [uuidv7(), uuidv7()];
  await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
  const sizes: number[] = [];
  for (let round = 0; round < 3; round++) {
    clock.advance(1000);
    await platform.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: 100n, ledger: 1, code: 1, flags: 0 }]);
    sizes.push(((await platform.checkpoints.checkpoint()) as Checkpoint).treeSize);
  }
  return { platform, sizes };
}

describeEachDialect('proofs and consistency files, their checkpoints verified in the worker', ({ open }) => {
  it('builds proofs and consistency files on checkpoints another process signed, verified in the worker, and refuses one whose signature fails as before', async () => {
    const { platform, sizes } = await signedThree(await open(), verifier());
    await flipStored(platform.db, sizes[2]!);
    // Another process on the same database: nothing known of these checkpoints.
    const inWorker = verifier();
    const other = createCheckpointService({ db: platform.db, journal: platform.journal, clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE, signatureVerifier: inWorker });
    await other.initialize();

    onEventLoop.mockClear();
    // The latest checkpoint fails, so the proof rests on the one before it.
    const proof = (await other.proof([1n])) as ProofFile;
    expect(proof.checkpoint.treeSize).toBe(sizes[1]);
    const consistency = (await other.consistency(sizes[0]!)) as ConsistencyFile;
    expect([consistency.from.treeSize, consistency.to.treeSize]).toEqual([sizes[0], sizes[1]]);
    const refused = await other.consistency(sizes[0]!, sizes[2]).catch((error: unknown) => error);
    expect(onEventLoop).not.toHaveBeenCalled();
    // Each checkpoint once: the failing one and the one under the proof, then the consistency file's start.
    expect(inWorker.verified()).toBe(3);

    // The same refusal, word for word, as when the signature was checked in process.
    const ring = await storedRing(platform.db, { clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE });
    const flipped = (await platform.db.get<{ envelope: string }>('SELECT envelope FROM journal_checkpoints WHERE tree_size = ?', [sizes[2]!]))!.envelope;
    const problem = signatureProblem({ ...proof.checkpoint, treeSize: sizes[2]! }, JSON.parse(flipped), trustedKeys(ring), acceptedSuitesFor(SUITE));
    expect(problem).toBe('its signature does not verify (part_failed)');
    expect(refused).toBeInstanceOf(UnverifiableCheckpointError);
    expect((refused as Error).message).toBe(new UnverifiableCheckpointError(sizes[2]!, problem!).message);
    // And what was built still verifies offline.
    const keys = clone(await platform.checkpoints.keysFile());
    expect(verifyProofFile(clone(proof), keys).ok).toBe(true);
    expect(verifyConsistencyFile(clone(consistency), keys).ok).toBe(true);
    await platform.close();
  });

  it('checks proof and consistency files sent to it in the worker, with the answers of the offline check', async () => {
    const own = verifier();
    const { platform, sizes } = await signedThree(await open(), own);
    const proof = (await platform.checkpoints.proof([1n, 2n])) as ProofFile;
    const consistency = (await platform.checkpoints.consistency(sizes[0]!)) as ConsistencyFile;
    // Built on checkpoints this process signed: known verifiable, nothing verified for them.
    expect(own.verified()).toBe(0);
    const files = [proof, withFlipped(proof, 'checkpoint'), consistency, withFlipped(consistency, 'from'), withFlipped(consistency, 'to')];

    onEventLoop.mockClear();
    const answers = [];
    for (const file of files) {
      answers.push(await ('checkpoint' in file ? platform.checkpoints.verifyProof(clone(file)) : platform.checkpoints.verifyConsistency(clone(file))));
    }
    // A file that is not one needs no signature checked.
    expect(await platform.checkpoints.verifyProof({ format: 'sluice-proof/v0' })).toEqual({ ok: false, problems: ['not a sluice-proof/v1 file'], entries: 0 });
    expect(onEventLoop).not.toHaveBeenCalled();
    expect(own.verified()).toBe(1 + 1 + 2 + 2 + 2);

    expect(answers.map((answer) => answer.ok)).toEqual([true, false, true, false, false]);
    expect(answers[1]!.problems[0]).toMatch(/^the checkpoint signature does not verify \(part_failed; ml-dsa-65:ok, sm2-sm3:/);
    expect(answers[4]!.problems).toEqual([expect.stringMatching(/^the to checkpoint signature does not verify \(part_failed;/)]);
    // Word for word what the offline check says, in process.
    const keys = clone(await platform.checkpoints.keysFile());
    expect(answers).toEqual(files.map((file) => ('checkpoint' in file ? verifyProofFile(clone(file), keys) : verifyConsistencyFile(clone(file), keys))));
    await platform.close();
  });

  it('answers 503 checkpoint_verification_unavailable when a proof, a consistency file or a check of one needs the verifier and it cannot take the work', async () => {
    const stopped = verifier();
    await stopped.stop();
    const api = await startApi(open, { checkpointVerifier: stopped });
    await api.platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
    const first = (await api.platform.checkpoints.checkpoint()) as Checkpoint;
    await api.platform.ledger.createLedger({ id: 2, assetCode: 'HKD', scale: 2, name: 'Hong Kong dollar' });
    const second = (await api.platform.checkpoints.checkpoint()) as Checkpoint;

    // Its own checkpoints are known verifiable: proofs and consistency files need no verifier.
    const proofResponse = await api.call('GET', '/v1/journal/proof?seq=1');
    expect(proofResponse.statusCode, proofResponse.body).toBe(200);
    const proof = proofResponse.json() as ProofFile;
    expect(proof.checkpoint.treeSize).toBe(second.treeSize);
    expect(proofResponse.body).toBe(proofFileText(proof));
    const consistency = (await api.ok('GET', `/v1/journal/consistency?from=${first.treeSize}`)) as ConsistencyFile;

    // A file sent to be checked is the caller's copy, so its signatures are always checked.
    for (const file of [proof, consistency]) {
      const refused = expectProblem(await api.call('POST', '/v1/journal/proofs/verify', { proof: file }), 503, 'checkpoint_verification_unavailable');
      expect(refused).toMatchObject({ retryable: true, detail: 'the checkpoint verifier is stopping' });
    }
    // Edited after signing, the latest checkpoint is no longer known: proving on it needs the verifier.
    await flipStored(api.platform.db, second.treeSize);
    expectProblem(await api.call('GET', '/v1/journal/proof?seq=1'), 503, 'checkpoint_verification_unavailable');
    expectProblem(await api.call('GET', `/v1/journal/consistency?from=${first.treeSize}&to=${second.treeSize}`), 503, 'checkpoint_verification_unavailable');
    expect(stopped.verified()).toBe(0);
    await api.close();
  });
});
