import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { exportDump, importDump, openSqlite, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation, type Platform } from '../../platform.ts';
import { createProgramFixture, openHarness, uuid } from './scf.test-support.ts';

describeEachDialect('supply-chain finance in the portable dump', ({ open }) => {
  it('moves programs, vouchers and their journal from SQLite and keeps working after the move', async () => {
    const source = await openHarness(() => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'sluice.db'))));
    const program = await createProgramFixture(source, { fundBanks: 1_000_000n });
    const { voucherId, rootId } = await program.issued(50_000n);
    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [20_000n, 30_000n] });
    await program.apply({ kind: 'finance', id: uuid(), pieceId: split.children[0].pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 300 });
    await program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
    // One operation submitted with a key: the key moves with it, and its journal line still matches.
    const keyed = uuid();
    expect(await source.platform.scf.submit({ kind: 'freeze', id: keyed, pieceId: split.children[1].pieceId, reason: 'dispute' }, 'a-dump-key')).toMatchObject({ ok: true });
    expect(await source.platform.scf.submit({ kind: 'unfreeze', id: uuid(), pieceId: split.children[1].pieceId, reason: '' })).toMatchObject({ ok: true });
    const file = join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'dump.jsonl');
    await exportDump(source.platform.db, ALL_TABLES, file);
    const before = await source.platform.scf.getVoucher(voucherId);
    await source.close();

    const target = await createPlatform({ db: await open(), clock: createManualClock(source.clock.nowMs()), expiryIntervalMs: 0 });
    try {
      await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
      expect((await target.verify()).problems).toEqual([]);
      expect(await target.scf.getVoucher(voucherId)).toEqual(before);
      expect((await target.scf.voucherHistory(voucherId, { limit: 100 })).find((operation) => operation.id === keyed)?.submittedBy).toBe('a-dump-key');
      const next = await target.scf.submit({ kind: 'transfer', id: uuid(), pieceId: split.children[1].pieceId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[2]! });
      expect(next).toMatchObject({ ok: true });
      expect((await target.verify()).problems).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('leaves the index of operations by voucher out of the dump and rebuilds it on import, with the same histories', async () => {
    const source = await openHarness(() => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'sluice.db'))));
    const program = await createProgramFixture(source);
    const a = await program.issued(50_000n);
    const b = await program.issued(30_000n);
    await program.apply({ kind: 'split', id: uuid(), pieceId: a.rootId, actingPartyId: program.suppliers[0]!, amounts: [20_000n, 30_000n] });
    await program.apply({ kind: 'transfer', id: uuid(), pieceId: b.rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
    expect((await program.submit({ kind: 'transfer', id: uuid(), pieceId: a.rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! })).ok).toBe(false);
    const indexRows = async (db: Database) => (await db.all<{ voucher_id: string; seq: bigint }>('SELECT voucher_id, seq FROM scf_operation_vouchers ORDER BY voucher_id, seq')).map((row) => `${row.voucher_id}:${row.seq}`);
    const histories = async (scf: Platform['scf']) => Promise.all([a.voucherId, b.voucherId].map(async (voucherId) => [await scf.voucherHistory(voucherId, { limit: 100 }), await scf.voucherOperationSeqs(voucherId, 100)]));
    const before = { rows: await indexRows(source.platform.db), histories: await histories(source.platform.scf) };
    expect(before.rows).toHaveLength(6);
    const file = join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'dump.jsonl');
    await exportDump(source.platform.db, ALL_TABLES, file);
    await source.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { tables?: { name: string }[]; t?: string });
    expect(lines[0]!.tables!.map((table) => table.name)).not.toContain('scf_operation_vouchers');
    expect(lines.filter((line) => line.t === 'scf_operation_vouchers')).toEqual([]);

    const target = await createPlatform({ db: await open(), clock: createManualClock(source.clock.nowMs()), expiryIntervalMs: 0 });
    try {
      await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
      expect((await target.verify()).problems).toEqual([]);
      expect(await indexRows(target.db)).toEqual(before.rows);
      expect(await histories(target.scf)).toEqual(before.histories);
    } finally {
      await target.close();
    }
  });

  it('imports a dump of a version before keys were recorded: its operations name no key and verify as before', async () => {
    const source = await openHarness(() => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'scf-dump-')), 'sluice.db'))));
    const program = await createProgramFixture(source);
    const { voucherId, rootId } = await program.issued(50_000n);
    await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [20_000n, 30_000n] });
    const folder = mkdtempSync(join(tmpdir(), 'scf-dump-'));
    const file = join(folder, 'dump.jsonl');
    await exportDump(source.platform.db, ALL_TABLES, file);
    await source.close();
    // The header and rows of scf_operations without their last column, as the earlier version wrote them.
    const older = join(folder, 'older.jsonl');
    writeFileSync(older, `${readFileSync(file, 'utf8').trimEnd().split('\n').map((line, index) => {
      const parsed = JSON.parse(line) as { tables?: { name: string; columns: string[] }[]; t?: string; r?: unknown[] };
      if (index === 0) {
        expect(parsed.tables!.find((table) => table.name === 'scf_operations')?.columns.at(-1)).toBe('submitted_by');
        return JSON.stringify({ ...parsed, tables: parsed.tables!.map((table) => (table.name === 'scf_operations' ? { ...table, columns: table.columns.slice(0, -1) } : table)) });
      }
      return parsed.t === 'scf_operations' ? JSON.stringify({ t: parsed.t, r: parsed.r!.slice(0, -1) }) : line;
    }).join('\n')}\n`);

    const target = await createPlatform({ db: await open(), clock: createManualClock(source.clock.nowMs()), expiryIntervalMs: 0 });
    try {
      await importDump(target.db, ALL_TABLES, older, () => isEmptyInstallation(target));
      expect((await target.verify()).problems).toEqual([]);
      const history = await target.scf.voucherHistory(voucherId, { limit: 100 });
      expect(history.map((operation) => [operation.kind, operation.submittedBy])).toEqual([['issue', null], ['sign_off', null], ['split', null]]);
    } finally {
      await target.close();
    }
  });
});
