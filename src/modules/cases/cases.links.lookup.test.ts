/**
 * Transfers linked to a case by hand are checked against the ledger in one lookup per request, not
 * one per id, and a refusal still names the first unknown item.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createCasesService, type CasesService } from './cases.service.ts';
import { casesMigrations } from './cases.migrations.ts';
import { CASES_LIMITS } from './cases.limits.ts';

describeEachDialect('checking linked transfers with one lookup', ({ open }) => {
  let db: Database;
  let cases: CasesService;
  /** Transfers the fake ledger holds, and the id lists each lookup was asked for. */
  const held = new Set<string>();
  const lookups: string[][] = [];
  const hold = (count: number): string[] => Array.from({ length: count }, () => {
    const id: string = crypto.randomUUID();
    held.add(id);
    return id;
  });

  beforeAll(async () => {
    db = await open();
    await migrate(db, casesMigrations);
    cases = createCasesService({
      db, clock: createManualClock(),
      transfers: {
        async lookup(ids) {
          lookups.push([...ids]);
          return ids.filter((id) => held.has(id)).map((id) => ({ id }));
        },
      },
    });
  });
  afterAll(async () => db?.close());

  const caseCount = async () => (await cases.list({ limit: 100 })).length;

  it('opens a case naming the most transfers a request may with one lookup', async () => {
    lookups.length = 0;
    const ids = hold(CASES_LIMITS.alertRefsMax);
    const opened = await cases.open({ title: 'Many transfers', priority: 0.5, transferIds: ids.map((id, index) => (index % 2 ? id.toUpperCase() : id)) }, 'key:a');
    expect(opened.ok).toBe(true);
    expect(lookups).toEqual([ids]);
  });

  it('refuses the first unknown transfer by its index after one lookup, and opens nothing', async () => {
    const ids = hold(300);
    const [unknown, later]: [string, string] = [crypto.randomUUID(), crypto.randomUUID()];
    ids.splice(137, 0, unknown);
    ids.splice(250, 0, later);
    // An id that is no UUID names no transfer and is not put to the ledger; a repeat is asked for once.
    ids.splice(200, 0, 'not-a-transfer');
    ids.push(ids[3] as string);
    const before = await caseCount();
    lookups.length = 0;
    expect(await cases.open({ title: 'x', priority: 0.5, transferIds: ids }, 'key:a')).toEqual({ ok: false, error: 'transfer_not_found', field: 'transferIds', index: 137 });
    expect(lookups).toHaveLength(1);
    expect(lookups[0]).toEqual([...new Set(ids.filter((id) => id !== 'not-a-transfer'))]);
    expect(await caseCount()).toBe(before);

    lookups.length = 0;
    expect(await cases.open({ title: 'x', priority: 0.5, transferIds: [...hold(3), 'not-a-transfer', unknown] }, 'key:a')).toEqual({ ok: false, error: 'transfer_not_found', field: 'transferIds', index: 3 });
    expect(lookups).toHaveLength(1);
  });

  it('looks up only the transfers a case does not link yet, in one call, and none when all are linked', async () => {
    const first = hold(40);
    const opened = await cases.open({ title: 'Linking', priority: 0.5, transferIds: first }, 'key:a');
    if (!opened.ok) throw new Error(opened.error);
    const more = hold(60);
    lookups.length = 0;
    const linked = await cases.link(opened.value.id, { transferIds: [...first.slice(0, 10), ...more] }, 'key:a');
    expect(linked.ok).toBe(true);
    expect(lookups).toEqual([more]);
    if (linked.ok) expect(linked.value.added.transfers).toEqual(more);

    lookups.length = 0;
    const unknown = crypto.randomUUID();
    expect(await cases.link(opened.value.id, { transferIds: [...first, unknown, ...hold(5)] }, 'key:a')).toEqual({ ok: false, error: 'transfer_not_found', field: 'transferIds', index: first.length });
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.slice(0, 1)).toEqual([unknown]);

    lookups.length = 0;
    expect((await cases.link(opened.value.id, { transferIds: more }, 'key:a')).ok).toBe(true);
    expect(lookups).toEqual([]);
  });
});
