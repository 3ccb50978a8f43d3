import { expect, it } from 'vitest';
import { createManualClock, uuidv7, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import type { Database } from '../../db/index.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { verifyConsistencyFile, type Checkpoint, type ConsistencyFile } from './index.ts';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface Seeded {
  readonly platform: Platform;
  readonly clock: ManualClock;
  /** Books `count` more transfers, one journal entry each. */
  book(count: number, on?: Platform): Promise<void>;
}

async function seeded(open: () => Promise<Database>): Promise<Seeded> {
  const clock = createManualClock(Date.UTC(2026, 10, 27));
  const platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
  await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  const [a, b] = [uuidv7(), uuidv7()];
  await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
  return {
    platform, clock,
    async book(count, on = platform) {
      for (let round = 0; round < count; round++) {
        clock.advance(1000);
        await on.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: BigInt(100 + round), ledger: 1, code: 1, flags: 0 }]);
      }
    },
  };
}

describeEachDialect('journal consistency between checkpoints', ({ open }) => {
  it('proves that a later checkpoint extends a kept one, checkable offline with the exported keys', async () => {
    const { platform, book } = await seeded(open);
    await book(3);
    const kept = (await platform.checkpoints.checkpoint()) as Checkpoint;
    await book(6);
    const later = (await platform.checkpoints.checkpoint()) as Checkpoint;
    expect(later.treeSize).toBeGreaterThan(kept.treeSize);
    const keys = clone(await platform.checkpoints.keysFile());

    const file = (await platform.checkpoints.consistency(kept.treeSize)) as ConsistencyFile;
    expect(file).toMatchObject({ format: 'sluice-consistency/v1', from: { treeSize: kept.treeSize, root: kept.root }, to: { treeSize: later.treeSize, root: later.root } });
    expect(verifyConsistencyFile(clone(file), keys, clone(kept))).toEqual({
      ok: true, problems: [],
      from: { treeSize: kept.treeSize, root: kept.root, createdAt: kept.createdAt }, to: { treeSize: later.treeSize, root: later.root, createdAt: later.createdAt },
    });
    // The same checkpoint to itself, and an explicit later size, are consistent too.
    expect(verifyConsistencyFile(clone(await platform.checkpoints.consistency(kept.treeSize, kept.treeSize)), keys).ok).toBe(true);
    expect(verifyConsistencyFile(clone(await platform.checkpoints.consistency(kept.treeSize, later.treeSize)), keys).ok).toBe(true);

    expect(await platform.checkpoints.consistency(kept.treeSize + 1)).toBe('from_not_found');
    expect(await platform.checkpoints.consistency(kept.treeSize, later.treeSize + 1)).toBe('to_not_found');
    expect(await platform.checkpoints.consistency(later.treeSize, kept.treeSize)).toBe('range_reversed');
    await platform.close();
  });

  it('fails when the proof, either checkpoint, the kept checkpoint or the keys are not the real ones', async () => {
    const { platform, book } = await seeded(open);
    await book(2);
    const kept = (await platform.checkpoints.checkpoint()) as Checkpoint;
    await book(5);
    await platform.checkpoints.checkpoint();
    const file = (await platform.checkpoints.consistency(kept.treeSize)) as ConsistencyFile;
    const keys = await platform.checkpoints.keysFile();
    const problemsOf = (value: unknown, keysValue: unknown = keys, keptValue?: unknown) => {
      const result = verifyConsistencyFile(value, keysValue, keptValue);
      expect(result.ok).toBe(false);
      return result.problems.join('\n');
    };

    const editedProof = clone(file) as unknown as { proof: string[] };
    editedProof.proof[0] = '0'.repeat(64);
    expect(problemsOf(editedProof)).toMatch(/does not extend the from checkpoint/);
    const shortProof = clone(file) as unknown as { proof: string[] };
    shortProof.proof.pop();
    expect(problemsOf(shortProof)).toMatch(/does not extend/);

    const editedRoot = clone(file) as { from: { root: string } };
    editedRoot.from.root = '1'.repeat(64);
    expect(problemsOf(editedRoot)).toMatch(/the from checkpoint signature does not verify/);
    const swapped = { ...clone(file), from: clone(file.to), to: clone(file.from) };
    expect(problemsOf(swapped)).toMatch(/is larger than the to checkpoint/);

    const otherKept = { ...clone(kept), root: 'a'.repeat(64) };
    expect(problemsOf(clone(file), keys, otherKept)).toMatch(/not the kept checkpoint/);

    const stranger = await createPlatform({ db: await open(), clock: createManualClock(Date.UTC(2026, 10, 27)), expiryIntervalMs: 0, keySecret: 'another secret, another key ring, 0123456789' });
    expect(problemsOf(clone(file), await stranger.checkpoints.keysFile())).toMatch(/signature does not verify/);
    await stranger.close();

    expect(problemsOf({ ...clone(file), format: 'sluice-proof/v1' })).toMatch(/not a sluice-consistency\/v1 file/);
    expect(problemsOf({ ...clone(file), to: { ...clone(file.to), algorithm: 'md5' } })).toMatch(/to checkpoint names hash algorithm "md5"/);
    expect(problemsOf(null)).toMatch(/not a JSON object/);
    await platform.close();
  });

  it('gives no passing proof from a kept checkpoint once an entry before it was rewritten', async () => {
    const { platform, book } = await seeded(open);
    await book(3);
    const kept = (await platform.checkpoints.checkpoint()) as Checkpoint;
    const keys = await platform.checkpoints.keysFile();
    // An operator rewrites entry 2's hash in place; a process started afterwards builds its tree
    // from the rows as they now are, and signs new checkpoints with the genuine keys.
    await platform.db.run('UPDATE journal_entries SET hash = ? WHERE seq = 2', ['ab'.repeat(32)]);
    const restarted = await createPlatform({ db: platform.db, clock: createManualClock(Date.UTC(2026, 10, 28)), expiryIntervalMs: 0 });
    await book(2, restarted);
    const signed = (await restarted.checkpoints.checkpoint()) as Checkpoint;
    expect(signed.treeSize).toBeGreaterThan(kept.treeSize);
    const file = (await restarted.checkpoints.consistency(kept.treeSize)) as ConsistencyFile;
    const result = verifyConsistencyFile(clone(file), keys, clone(kept));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(/the to checkpoint does not extend the from checkpoint/)]);
    await platform.close();
  });
});
