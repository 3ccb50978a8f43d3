/** The audit trail moves with `sluice export` and `import`, anchors included, and its chain still verifies and grows after the move. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { exportDump, importDump, openSqlite } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation } from '../../platform.ts';
import type { AuditAction } from './audit.ts';

const action = (n: number): AuditAction => ({
  keyId: '0123456789abcdef', keyName: 'ops', role: 'admin', method: 'POST', route: '/v1/api-keys', params: '{}', targetId: `target-${n}`, status: 201, requestId: `request-${n}`,
});

describeEachDialect('audit trail in a dump', ({ open }) => {
  it('carries every event, the head and their anchors into a new installation, so that the moved chain verifies and the next event links on', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const source = await createPlatform({ db: openSqlite(join(mkdtempSync(join(tmpdir(), 'sluice-audit-')), 'sluice.db')), clock, expiryIntervalMs: 0 });
    for (let n = 0; n < 3; n++) await source.audit.append(action(n));
    const before = await source.audit.list({ order: 'asc', limit: 100 });
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-audit-dump-')), 'dump.jsonl');
    await exportDump(source.db, ALL_TABLES, file);
    await source.close();

    // An installation where an action was recorded has journaled it (the event's anchor): it is not
    // new, and the dump's chain may not replace its own.
    const used = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    await used.audit.append({ ...action(9), keyId: 'fedcba9876543210' });
    await expect(importDump(used.db, ALL_TABLES, file, () => isEmptyInstallation(used))).rejects.toThrow(/already has a journal/);
    await used.close();

    const target = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
    expect(await target.audit.list({ order: 'asc', limit: 100 })).toEqual(before);
    const next = await target.audit.append(action(3));
    expect(next.seq).toBe(4n);
    expect(next.prevHash).toBe(before[2]!.hash);
    expect((await target.verify()).problems).toEqual([]);
    await target.close();
  });
});
