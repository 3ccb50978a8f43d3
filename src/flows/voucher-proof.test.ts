import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { createProgramFixture, openHarness, uuid, type Harness } from '../modules/scf/scf.test-support.ts';
import {
  CheckpointVerificationUnavailableError, JournalAlgorithmError, createCheckpointService, createCheckpointVerifier, verifyProofFile, type ProofFile,
} from '../modules/journal/index.ts';
import { buildVoucherProof } from './voucher-proof.ts';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describeEachDialect('voucher proofs checked offline', ({ open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  it("proves every operation on a voucher against a signed checkpoint, and nothing else passes", async () => {
    const program = await createProgramFixture(harness, { fundCore: 1_000_000n, fundBanks: 1_000_000n });
    const [s1, s2] = program.suppliers as [string, string];
    const { voucherId, rootId } = await program.issued(100_000n, { days: 90 });
    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: s1, amounts: [70_000n, 30_000n] });
    const [, pass] = split.children as { pieceId: string }[];
    await program.apply({ kind: 'transfer', id: uuid(), pieceId: pass!.pieceId, actingPartyId: s1, toPartyId: s2 });
    await program.apply({ kind: 'sign_off', id: uuid(), pieceId: pass!.pieceId, actingPartyId: s2 });
    // Another voucher's operations share batches and the journal, and must not enter this proof.
    await program.issued(5_000n, { days: 30 });

    const proof = (await buildVoucherProof(harness.platform, voucherId)) as ProofFile;
    const records = proof.entries.flatMap((entry) => entry.records ?? []);
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.every((record) => record.line.includes(voucherId))).toBe(true);
    const keys = await harness.platform.checkpoints.keysFile();
    expect(verifyProofFile(clone(proof), clone(keys))).toMatchObject({ ok: true, problems: [] });

    const forged = clone(proof) as unknown as { entries: { records: { line: string }[] }[] };
    forged.entries[0]!.records[0]!.line = forged.entries[0]!.records[0]!.line.replace('|applied|', '|refused|');
    expect(verifyProofFile(forged, keys).ok).toBe(false);
  });

  it('names a covering checkpoint whose hash algorithm this version does not know instead of failing on it', async () => {
    const program = await createProgramFixture(harness, { fundCore: 1_000_000n, fundBanks: 1_000_000n });
    const { voucherId } = await program.issued(10_000n, { days: 30 });
    const latest = await harness.platform.checkpoints.checkpoint() ?? await harness.platform.checkpoints.latest();
    await harness.platform.db.run('UPDATE journal_checkpoints SET algorithm = ? WHERE tree_size = ?', ['sha512', latest!.treeSize]);
    const failure = await buildVoucherProof(harness.platform, voucherId).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(JournalAlgorithmError);
    expect((failure as JournalAlgorithmError).message).toMatch(new RegExp(`^the journal checkpoint ${latest!.treeSize} names hash algorithm "sha512", which this version does not know`));
    await harness.platform.db.run('UPDATE journal_checkpoints SET algorithm = ? WHERE tree_size = ?', ['sha256', latest!.treeSize]);
  });

  it("checks the checkpoint under a voucher's proof in the checkpoint verifier's worker, and is refused when the worker cannot take it", async () => {
    const keySecret = 'a-key-secret-for-voucher-proofs';
    const own = await openHarness(open, { keySecret });
    const program = await createProgramFixture(own, { fundCore: 1_000_000n, fundBanks: 1_000_000n });
    const { voucherId } = await program.issued(20_000n, { days: 60 });
    await own.platform.checkpoints.checkpoint();
    // Another process on the same database knows nothing of the checkpoints this one signed.
    const otherProcess = (signatureVerifier: ReturnType<typeof createCheckpointVerifier>) => ({
      ...own.platform,
      checkpoints: createCheckpointService({ db: own.platform.db, journal: own.platform.journal, clock: own.platform.clock, keySecret, suite: 'hybrid-mldsa65-sm2', signatureVerifier }),
    });
    const working = createCheckpointVerifier();
    const stopped = createCheckpointVerifier();
    await stopped.stop();
    try {
      const proof = (await buildVoucherProof(otherProcess(working), voucherId)) as ProofFile;
      expect(working.verified()).toBe(1);
      expect(verifyProofFile(clone(proof), clone(await own.platform.checkpoints.keysFile()))).toMatchObject({ ok: true, problems: [] });
      const refused = await buildVoucherProof(otherProcess(stopped), voucherId).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(CheckpointVerificationUnavailableError);
    } finally {
      await working.stop();
      await own.close();
    }
  });
});
