import { expect, it } from 'vitest';
import { deriveMasterKey, openOrCreateKeyRing, rotate, sealKeys, type KdfParams } from '../../crypto/index.ts';
import type { Database } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi } from '../../../test/http/harness.ts';
import { UnverifiableCheckpointError, verifyConsistencyFile, verifyProofFile, type Checkpoint, type ConsistencyFile, type ProofFile } from './index.ts';

/** A signature suite no version of Sluice knows. */
const UNKNOWN_SUITE = 'rsa-pss-sha512';
const KEY_SECRET = 'a-key-secret-for-these-tests';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Gives the stored checkpoint of `size` entries an envelope naming a suite this version does not know. */
async function unknownSuite(db: Database, size: number): Promise<void> {
  const row = await db.get<{ envelope: string }>('SELECT envelope FROM journal_checkpoints WHERE tree_size = ?', [size]);
  const envelope = JSON.parse(row?.envelope ?? '{}') as Record<string, unknown>;
  await db.run('UPDATE journal_checkpoints SET envelope = ? WHERE tree_size = ?', [JSON.stringify({ ...envelope, suite: UNKNOWN_SUITE }), size]);
}

describeEachDialect('stored checkpoints this server cannot verify', ({ open }) => {
  it('builds proofs and consistency files only on checkpoints it verifies, and names the one that blocks them', async () => {
    const api = await startApi(open);
    // Defined in process: over HTTP each definition would also journal the audit record of the request.
    const ledger = async (id: number, code: string) => expect((await api.platform.ledger.createLedger({ id, assetCode: code, scale: 2, name: code })).ok).toBe(true);
    await ledger(1, 'CNY');
    await api.platform.checkpoints.checkpoint();
    await ledger(2, 'HKD');
    await api.platform.checkpoints.checkpoint();
    await unknownSuite(api.platform.db, 2);
    const keys = await api.platform.checkpoints.keysFile();

    // Entry 1 is proven against checkpoint 1, not against the later one whose suite is unknown.
    const older = JSON.parse((await api.call('GET', '/v1/journal/proof?seq=1')).body) as ProofFile;
    expect(older.checkpoint.treeSize).toBe(1);
    expect(verifyProofFile(clone(older), clone(keys))).toMatchObject({ ok: true, problems: [] });
    // Only checkpoint 2 covers entry 2.
    for (const url of ['/v1/journal/proof?seq=2', '/v1/journal/consistency?from=1&to=2', '/v1/journal/consistency?from=2']) {
      const response = await api.call('GET', url);
      expect(response.statusCode, url).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json(), url).toMatchObject({
        code: 'journal_checkpoint_unverifiable', tree_size: 2,
        detail: expect.stringMatching(new RegExp(`^the journal checkpoint 2 cannot be verified by this server: its signature does not verify \\(suite_not_accepted\\): it names signature suite "${UNKNOWN_SUITE}"`)),
      });
    }
    // The list says which checkpoints this server verifies, and why not the other.
    const listed = (await api.ok('GET', '/v1/journal/checkpoints')) as { data: (Checkpoint & { verifiable: boolean; problem?: string })[] };
    expect(listed.data.map(({ treeSize, verifiable, problem }) => ({ treeSize, verifiable, problem }))).toEqual([
      { treeSize: 1, verifiable: true, problem: undefined },
      { treeSize: 2, verifiable: false, problem: expect.stringMatching(new RegExp(`^its signature does not verify \\(suite_not_accepted\\): it names signature suite "${UNKNOWN_SUITE}"`)) },
    ]);
    // By default a consistency file ends at the latest checkpoint the server verifies.
    const consistency = JSON.parse((await api.call('GET', '/v1/journal/consistency?from=1')).body) as ConsistencyFile;
    expect(consistency.to.treeSize).toBe(1);
    expect(verifyConsistencyFile(clone(consistency), clone(keys))).toMatchObject({ ok: true, problems: [] });
    // Verification names it.
    expect((await api.platform.verify()).problems.map((problem) => problem.problem)).toEqual([
      `checkpoint 2: its signature does not verify (suite_not_accepted): it names signature suite "${UNKNOWN_SUITE}", which this version does not know`,
    ]);

    // Once the journal grows, a new checkpoint covers entry 2 again.
    await ledger(3, 'USD');
    const newer = JSON.parse((await api.call('GET', '/v1/journal/proof?seq=2')).body) as ProofFile;
    expect(newer.checkpoint.treeSize).toBe(3);
    expect(verifyProofFile(clone(newer), clone(keys))).toMatchObject({ ok: true, problems: [] });
    const extended = JSON.parse((await api.call('GET', '/v1/journal/consistency?from=1')).body) as ConsistencyFile;
    expect(extended.to.treeSize).toBe(3);
    expect(verifyConsistencyFile(clone(extended), clone(keys))).toMatchObject({ ok: true, problems: [] });
    await api.close();
  });

  it('passes over a checkpoint whose signature fails, and one dated outside the period of the key that signed it', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 27));
    const platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0, keySecret: KEY_SECRET });
    await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
    const [a, b] = [uuidv7(), uuidv7()];
    await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
    const book = async () => {
      clock.advance(1000);
      await platform.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: 100n, ledger: 1, code: 1, flags: 0 }]);
    };
    const first = (await platform.checkpoints.checkpoint()) as Checkpoint;
    await book();
    const second = (await platform.checkpoints.checkpoint()) as Checkpoint;

    // A signature that does not verify: the second checkpoint's last part is another signature of the same length.
    const envelope = clone(second.envelope) as unknown as { parts: { signature: string }[] };
    const last = envelope.parts[envelope.parts.length - 1]!;
    last.signature = `${last.signature.startsWith('A') ? 'B' : 'A'}${last.signature.slice(1)}`;
    await platform.db.run('UPDATE journal_checkpoints SET envelope = ? WHERE tree_size = ?', [JSON.stringify(envelope), second.treeSize]);
    expect(((await platform.checkpoints.proof([1n])) as ProofFile).checkpoint).toEqual(first);
    await expect(platform.checkpoints.proof([BigInt(second.treeSize)])).rejects.toThrow(new RegExp(`^the journal checkpoint ${second.treeSize} cannot be verified by this server: its signature does not verify \\(part_failed\\)`));

    // A ring whose sm2-sm3 key was retired at the instant the first checkpoint names (what a rotation racing
    // the signer would leave): the checkpoint is signed by a key of the ring, but not one active then.
    const row = await platform.db.get<{ sealed: string }>('SELECT sealed FROM journal_keyring WHERE id = 1');
    const box = JSON.parse(row?.sealed ?? '{}') as { kdf: KdfParams };
    const opened = openOrCreateKeyRing(box, KEY_SECRET, { algorithms: ['ml-dsa-65', 'sm2-sm3'], nowMs: clock.nowMs() });
    if (!opened.ok) throw new Error(opened.error);
    const retired = rotate(opened.value.ring, 'sm2-sm3', Date.parse(first.createdAt));
    await platform.db.run('UPDATE journal_keyring SET sealed = ? WHERE id = 1', [JSON.stringify(sealKeys(retired, deriveMasterKey(KEY_SECRET, box.kdf)))]);
    const failure = await platform.checkpoints.proof([1n]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnverifiableCheckpointError);
    expect((failure as UnverifiableCheckpointError).treeSize).toBe(second.treeSize);
    const signedBy = first.envelope.parts.find((part) => part.algorithm === 'sm2-sm3')?.keyId;
    expect((await platform.verify()).problems.map((problem) => problem.problem)).toEqual([
      `checkpoint ${first.treeSize}: its signature does not verify (part_failed): it is dated ${first.createdAt}, when the sm2-sm3 key ${signedBy} (active from ${first.createdAt} until ${first.createdAt}) that signed it was not active`,
      `checkpoint ${second.treeSize}: its signature does not verify (part_failed)`,
    ]);

    // The next checkpoint, signed with the ring as it now stands, anchors proofs again.
    await book();
    const proof = (await platform.checkpoints.proof([1n])) as ProofFile;
    expect(proof.checkpoint.treeSize).toBe(second.treeSize + 1);
    expect(verifyProofFile(clone(proof), clone(await platform.checkpoints.keysFile()))).toMatchObject({ ok: true, problems: [] });
    await platform.close();
  });
});
