import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database, type SqlValue } from '../../db/index.ts';
import { riskMigrations } from './risk.migrations.ts';
import { insertRows } from './risk.repository.ts';

describeEachDialect('risk multi-row inserts', ({ open }) => {
  let db: Database;
  beforeEach(async () => {
    db = await open();
    await migrate(db, riskMigrations);
  });
  afterEach(() => db.close());

  it('writes every row of a batch of any size, in statements of a few fixed sizes, and skips conflicts when asked', async () => {
    // 500 + 100 + 20 + 5 + 1 + 1 rows: every statement size, one of them twice.
    const rows: SqlValue[][] = Array.from({ length: 627 }, (_unused, index) => [`transfer-${String(index).padStart(4, '0')}`, `hold-${index % 7}`]);
    await db.transaction((tx) => insertRows(tx, 'risk_hold_transfers', ['transfer_id', 'hold_id'], rows, true));
    const stored = await db.all<{ transfer_id: string; hold_id: string }>('SELECT transfer_id, hold_id FROM risk_hold_transfers ORDER BY transfer_id');
    expect(stored.map((row) => [row.transfer_id, row.hold_id])).toEqual(rows);
    // Rows already there are skipped, the new ones written, whatever the sizes.
    const more: SqlValue[][] = [...rows.slice(0, 3), ['transfer-9999', 'hold-x'], ...rows.slice(600)];
    await db.transaction((tx) => insertRows(tx, 'risk_hold_transfers', ['transfer_id', 'hold_id'], more, true));
    expect((await db.all('SELECT transfer_id FROM risk_hold_transfers')).length).toBe(628);
    await db.transaction((tx) => insertRows(tx, 'risk_hold_transfers', ['transfer_id', 'hold_id'], [], true));
    expect((await db.all('SELECT transfer_id FROM risk_hold_transfers')).length).toBe(628);
  });
});
