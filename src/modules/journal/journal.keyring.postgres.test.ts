import { expect, it } from 'vitest';
import { freshPostgresUrl } from '../../../test/support/databases.ts';
import { describeWithPostgres } from '../../../test/process/postgres-server.ts';
import type { KeysFile } from '../../crypto/index.ts';
import { openPostgres } from '../../db/index.ts';
import { uuidv7, type Clock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { CONSISTENCY_FILE_FORMAT, verifyConsistencyFile, type Checkpoint } from './index.ts';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const ROUNDS = 2;
/** Rotations per round: two at once, then two at once while both processes sign. */
const ROTATIONS_PER_ROUND = 4;

/** The sm2-sm3 key a keys file names as active, and the one a checkpoint was signed with. */
const activeSm2 = (file: KeysFile) => file.keys.filter((key) => key.algorithm === 'sm2-sm3' && key.retiredAt === null).map((key) => key.keyId);
const signedSm2 = (checkpoint: Checkpoint) => checkpoint.envelope.parts.find((part) => part.algorithm === 'sm2-sm3')?.keyId;

/** Checks one checkpoint's signature offline, as a holder of the keys file would (a consistency file from it to itself). */
const verifiesOffline = (checkpoint: Checkpoint, keys: KeysFile) =>
  verifyConsistencyFile(clone({ format: CONSISTENCY_FILE_FORMAT, from: checkpoint, to: checkpoint, proof: [] }), clone(keys)).problems;

/** Two Sluice processes on one PostgreSQL database, as two platforms each with its own connection pool. */
describeWithPostgres('journal signing keys rotated by two processes at once', () => {
  it('keeps both rotations in the keys file, and every checkpoint either signs verifies offline with it', async () => {
    const url = await freshPostgresUrl();
    // One clock for both processes, each reading later than the last, as on one machine.
    let ticks = 0;
    const clock: Clock = { nowMs: () => Date.UTC(2026, 10, 27) + ticks++ };
    const first: Platform = await createPlatform({ db: openPostgres(url), clock, expiryIntervalMs: 0 });
    const second: Platform = await createPlatform({ db: openPostgres(url), clock, expiryIntervalMs: 0 });
    try {
      await first.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
      const [a, b] = [uuidv7(), uuidv7()];
      await first.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
      const book = (on: Platform) => on.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: 100n, ledger: 1, code: 1, flags: 0 }]);

      const rotations: KeysFile[] = [];
      const signed: Checkpoint[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Both rotate at the same time.
        rotations.push(...(await Promise.all([first.checkpoints.rotateKey('sm2-sm3'), second.checkpoints.rotateKey('sm2-sm3')])));
        await book(first);
        // Both rotate at the same time again, each while the other signs.
        const [firstRotation, secondSigned, secondRotation, firstSigned] = await Promise.all([
          first.checkpoints.rotateKey('sm2-sm3'), second.checkpoints.checkpoint(), second.checkpoints.rotateKey('sm2-sm3'), first.checkpoints.checkpoint(),
        ]);
        rotations.push(firstRotation, secondRotation);
        signed.push(...[secondSigned, firstSigned].filter((checkpoint): checkpoint is Checkpoint => checkpoint !== null));
      }
      // Signed after the last rotation, by each process: both must use the ring as the other left it.
      const afterwards: Checkpoint[] = [];
      for (const platform of [first, second]) {
        await book(platform);
        afterwards.push((await platform.checkpoints.checkpoint()) as Checkpoint);
      }

      const keys = await first.checkpoints.keysFile();
      expect(await second.checkpoints.keysFile()).toEqual(keys);
      const sm2Keys = keys.keys.filter((key) => key.algorithm === 'sm2-sm3').map((key) => key.keyId);
      const rotatedTo = rotations.map((file) => activeSm2(file)[0]);
      expect(new Set(rotatedTo).size).toBe(ROTATIONS_PER_ROUND * ROUNDS);
      expect(sm2Keys).toHaveLength(1 + ROTATIONS_PER_ROUND * ROUNDS);
      for (const keyId of rotatedTo) expect(sm2Keys).toContain(keyId);
      expect(activeSm2(keys)).toHaveLength(1);

      expect(signed.length).toBeGreaterThanOrEqual(ROUNDS);
      for (const checkpoint of [...signed, ...afterwards]) expect(verifiesOffline(checkpoint, keys), `checkpoint ${checkpoint.treeSize}`).toEqual([]);
      for (const checkpoint of afterwards) expect(signedSm2(checkpoint)).toBe(activeSm2(keys)[0]);
      for (const stored of await first.checkpoints.list({ afterTreeSize: 0, limit: 100 })) expect(verifiesOffline(stored, keys)).toEqual([]);
      expect((await first.verify()).problems).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
