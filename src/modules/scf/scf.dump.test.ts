import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { exportDump, importDump, openSqlite } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation } from '../../platform.ts';
import { createProgramFixture, openHarness, uuid } from './scf.test-support.ts';

describeEachDialect('supply-chain finance in the portable dump', ({ open }) => {
  it('moves programs, vouchers and their journal from SQLite and keeps working after the move', async () => {
    const source = await openHarness(() => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'sluice.db'))));
    const program = await createProgramFixture(source, { fundBanks: 1_000_000n });
    const { voucherId, rootId } = await program.issued(50_000n);
    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [20_000n, 30_000n] });
    await program.apply({ kind: 'finance', id: uuid(), pieceId: split.children[0].pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 300 });
    await program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
    const file = join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'dump.jsonl');
    await exportDump(source.platform.db, ALL_TABLES, file);
    const before = await source.platform.scf.getVoucher(voucherId);
    await source.close();

    const target = await createPlatform({ db: await open(), clock: createManualClock(source.clock.nowMs()), expiryIntervalMs: 0 });
    try {
      await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
      expect((await target.verify()).problems).toEqual([]);
      expect(await target.scf.getVoucher(voucherId)).toEqual(before);
      const next = await target.scf.submit({ kind: 'transfer', id: uuid(), pieceId: split.children[1].pieceId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[2]! });
      expect(next).toMatchObject({ ok: true });
      expect((await target.verify()).problems).toEqual([]);
    } finally {
      await target.close();
    }
  });
});
