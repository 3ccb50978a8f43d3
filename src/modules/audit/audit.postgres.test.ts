import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshPostgresUrl } from '../../../test/support/databases.ts';
import { describeWithPostgres } from '../../../test/process/postgres-server.ts';
import { migrate, openPostgres, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createJournalService, journalMigrations } from '../journal/index.ts';
import { auditMigrations } from './audit.migrations.ts';
import { createAuditService, type AuditService } from './audit.service.ts';
import type { AuditAction } from './audit.ts';

const action = (process: string, n: number): AuditAction => ({
  keyId: process.padEnd(16, '0'), keyName: process, role: 'admin', method: 'POST', route: '/v1/api-keys', params: '{}', targetId: `${process}-${n}`, status: 201, requestId: `${process}-${n}`,
});

/** Two Sluice processes on one PostgreSQL database, as two services each with its own connection pool. */
describeWithPostgres('audit trail appended by two processes at once', () => {
  const pools: Database[] = [];
  let first: AuditService;
  let second: AuditService;
  beforeAll(async () => {
    const url = await freshPostgresUrl();
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    pools.push(openPostgres(url), openPostgres(url));
    await migrate(pools[0]!, [...journalMigrations, ...auditMigrations]);
    const journals = pools.map((db) => createJournalService({ db }));
    for (const journal of journals) await journal.initialize('sha256');
    first = createAuditService({ db: pools[0]!, clock, journal: journals[0]! });
    second = createAuditService({ db: pools[1]!, clock, journal: journals[1]! });
  });
  afterAll(async () => {
    for (const pool of pools) await pool.close();
  });

  it('keeps one unbroken chain, each event linked to the one committed before it', async () => {
    const appends: Promise<unknown>[] = [];
    for (let n = 0; n < 25; n++) appends.push(first.append(action('aaaa', n)), second.append(action('bbbb', n)));
    const settled = await Promise.allSettled(appends);
    expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
    const events = await first.list({ order: 'asc', limit: 100 });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 50 }, (_, index) => BigInt(index + 1)));
    expect(new Set(events.map((event) => event.keyName))).toEqual(new Set(['aaaa', 'bbbb']));
    expect(await second.verify()).toEqual([]);
    // Each append anchored the head it made, and the journal holds the anchors in the chain's order.
    const anchors = await pools[0]!.all<{ payload: string }>("SELECT payload FROM journal_entries WHERE kind = 'audit.anchor' ORDER BY seq");
    expect(anchors.map((row) => (JSON.parse(row.payload) as { seq: string }).seq)).toEqual(events.map((event) => String(event.seq)));
    expect(anchors.map((row) => (JSON.parse(row.payload) as { hash: string }).hash)).toEqual(events.map((event) => event.hash));
    expect(first.stats()).toEqual({ appended: 25, appendFailures: 0 });
  });
});
