import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { KeysFile } from '../../crypto/index.ts';
import { openSqlite, type Database, type SqlValue } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { CONSISTENCY_FILE_FORMAT, verifyConsistencyFile, verifyProofFile, type Checkpoint, type ProofFile } from './index.ts';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const activeSm2 = (file: KeysFile) => file.keys.filter((key) => key.algorithm === 'sm2-sm3' && key.retiredAt === null).map((key) => key.keyId);
const signedSm2 = (checkpoint: Checkpoint) => checkpoint.envelope.parts.find((part) => part.algorithm === 'sm2-sm3')?.keyId;
/** Checks one checkpoint's signature offline, as a holder of the keys file would (a consistency file from it to itself). */
const verifiesOffline = (checkpoint: Checkpoint, keys: KeysFile) =>
  verifyConsistencyFile(clone({ format: CONSISTENCY_FILE_FORMAT, from: checkpoint, to: checkpoint, proof: [] }), clone(keys)).problems;

/**
 * A running server and `sluice keys rotate` on one SQLite file: two platforms, each with its own
 * connection. The server's connection lets the other rotate right after the server has read the key
 * ring to sign a checkpoint, before it reads the clock to date it, on a clock both share that stands
 * still: the rotation retires the key at the very instant the checkpoint then names.
 */
it('signs a checkpoint that verifies offline when another process on the SQLite file retires its key while it is signed', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-rotate-'));
  const file = join(folder, 'sluice.db');
  const clock = createManualClock(Date.UTC(2026, 10, 27));
  let interleave: (() => Promise<unknown>) | undefined;
  const own = openSqlite(file);
  const get = async (sql: string, params?: readonly SqlValue[]) => {
    const row = await own.get(sql, params);
    if (interleave && sql.includes('FROM journal_keyring')) {
      const work = interleave;
      interleave = undefined;
      await work();
    }
    return row;
  };
  const serverDb: Database = { ...own, get: get as Database['get'] };
  const server = await createPlatform({ db: serverDb, clock, expiryIntervalMs: 0 });
  const cli = await createPlatform({ db: openSqlite(file), clock, expiryIntervalMs: 0 });
  try {
    await server.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
    const [a, b] = [uuidv7(), uuidv7()];
    await server.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
    const before = await cli.checkpoints.keysFile();

    interleave = () => cli.checkpoints.rotateKey('sm2-sm3');
    const signed = (await server.checkpoints.checkpoint()) as Checkpoint;
    expect(interleave, 'the rotation ran while the checkpoint was signed').toBeUndefined();

    const keys = await cli.checkpoints.keysFile();
    expect(activeSm2(keys)).not.toEqual(activeSm2(before));
    expect(verifiesOffline(signed, keys)).toEqual([]);
    expect((await server.verify()).problems).toEqual([]);
    // Signed with the key active at its time: the one the rotation made.
    expect(signedSm2(signed)).toBe(activeSm2(keys)[0]);
    const [stored] = await server.checkpoints.list({ afterTreeSize: 0, limit: 10 });
    expect(stored).toEqual({ ...signed, verifiable: true });
    const proof = (await server.checkpoints.proof([1n, 2n])) as ProofFile;
    expect(proof.checkpoint).toEqual(signed);
    expect(verifyProofFile(clone(proof), clone(keys))).toMatchObject({ ok: true, problems: [] });
  } finally {
    await server.close();
    await cli.close();
    rmSync(folder, { recursive: true, force: true });
  }
});
