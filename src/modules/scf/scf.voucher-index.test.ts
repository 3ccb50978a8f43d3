import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate } from '../../db/index.ts';
import { buildVoucherProof } from '../../flows/voucher-proof.ts';
import { scfMigrations } from './scf.migrations.ts';
import { VOUCHER_OPERATION_SEQS, VOUCHER_OPERATIONS } from './scf.repository.ts';
import { createProgramFixture, openHarness, uuid, type Harness, type ProgramFixture } from './scf.test-support.ts';

describeEachDialect('a voucher\'s operations, found through scf_operation_vouchers', ({ open }) => {
  let harness: Harness;
  let program: ProgramFixture;
  /** Two vouchers whose operations interleave, with a refusal between them. */
  let first: string;
  let second: string;

  beforeAll(async () => {
    harness = await openHarness(open);
    program = await createProgramFixture(harness, { fundBanks: 1_000_000n });
    const a = await program.issued(50_000n);
    const b = await program.issued(40_000n);
    [first, second] = [a.voucherId, b.voucherId];
    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: a.rootId, actingPartyId: program.suppliers[0]!, amounts: [20_000n, 30_000n] });
    await program.apply({ kind: 'transfer', id: uuid(), pieceId: b.rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
    expect((await program.submit({ kind: 'transfer', id: uuid(), pieceId: a.rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! })).ok).toBe(false);
    await program.apply({ kind: 'finance', id: uuid(), pieceId: split.children[0].pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 300 });
    await program.apply({ kind: 'freeze', id: uuid(), pieceId: split.children[1].pieceId, reason: `"voucherId":"${second}"` });
    await program.apply({ kind: 'sign_off', id: uuid(), pieceId: b.rootId, actingPartyId: program.suppliers[1]! });
  });
  afterAll(() => harness?.close());

  const kinds = async (voucherId: string) => (await harness.platform.scf.voucherHistory(voucherId, { limit: 100 })).map((operation) => operation.kind);

  it('names each applied operation under its own voucher only, in order, and no refusal', async () => {
    expect(await kinds(first)).toEqual(['issue', 'sign_off', 'split', 'finance', 'freeze']);
    expect(await kinds(second)).toEqual(['issue', 'sign_off', 'transfer', 'sign_off']);
    const seqs = (await harness.platform.scf.voucherHistory(first, { limit: 100 })).map((operation) => operation.seq);
    expect(await harness.platform.scf.voucherOperationSeqs(first, 100)).toEqual(seqs);
    expect(await harness.platform.scf.voucherOperationSeqs(first, 2)).toEqual(seqs.slice(0, 2));
    expect((await harness.platform.scf.voucherHistory(first, { after: seqs[1]!, limit: 2 })).map((operation) => operation.seq)).toEqual(seqs.slice(2, 4));
  });

  it('reads the history and the proof\'s operations through the index, not by scanning every operation', async () => {
    const db = harness.platform.db;
    const plans: string[] = [];
    for (const [sql, params] of [[VOUCHER_OPERATIONS, [first, 0n, 10]], [VOUCHER_OPERATION_SEQS, [first, 10]]] as const) {
      const plan =
        db.dialect === 'sqlite'
          ? (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, [...params])).map((row) => row.detail)
          : await db.transaction(async (tx) => {
              // A table this small is read whole whatever indexes it has, unless the planner may not.
              await tx.run('SET LOCAL enable_seqscan = off');
              return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [...params])).map((row) => row['QUERY PLAN']);
            });
      plans.push(plan.join('\n'));
    }
    for (const plan of plans) {
      if (db.dialect === 'sqlite') {
        expect(plan).toMatch(/SEARCH scf_operation_vouchers USING PRIMARY KEY \(voucher_id=\?/);
        expect(plan).not.toMatch(/SCAN scf_operations\b/);
      } else {
        expect(plan).toMatch(/Index (Only )?Scan (using|on) scf_operation_vouchers_pkey/);
        expect(plan).not.toMatch(/Seq Scan/);
      }
    }
  });

  it('fills the index from the operations decided before it existed, with the same answers', async () => {
    const db = harness.platform.db;
    const before = { first: await harness.platform.scf.voucherHistory(first, { limit: 100 }), second: await harness.platform.scf.voucherHistory(second, { limit: 100 }) };
    const proof = await buildVoucherProof(harness.platform, first);
    // The database as the previous version left it: operations, and no index of them.
    await db.transaction(async (tx) => {
      await tx.run('DROP TABLE scf_operation_vouchers');
      await tx.run("DELETE FROM schema_migrations WHERE id = 'scf/004_operation_vouchers'");
    });
    expect(await migrate(db, scfMigrations)).toEqual(['scf/004_operation_vouchers']);
    expect(await harness.platform.scf.voucherHistory(first, { limit: 100 })).toEqual(before.first);
    expect(await harness.platform.scf.voucherHistory(second, { limit: 100 })).toEqual(before.second);
    expect(await buildVoucherProof(harness.platform, first)).toEqual(proof);
    // Operations decided after the migration are added by the engine as before.
    await program.apply({ kind: 'unfreeze', id: uuid(), reason: 'lifted', pieceId: (await harness.platform.scf.getVoucher(first))!.pieces.find((piece) => piece.status === 'frozen')!.id });
    expect(await kinds(first)).toEqual(['issue', 'sign_off', 'split', 'finance', 'freeze', 'unfreeze']);
  });
});
