import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import type { AlertInput, AlertSink } from '../cases/index.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';
import { screeningMigrations } from './screening.migrations.ts';
import { createScreeningService, type ScreeningService } from './screening.service.ts';

const line = (id: string, name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, schema: 'Person', properties: { name: [name], ...extra } });
const UN_LIST = [line('un-1', 'ABDULHAI SALEK', { birthDate: ['1965'], nationality: ['af'] }), line('un-2', 'KIM SOK CHOL'), line('un-3', '習近平')].join('\n');

describeEachDialect('watch-list screening service', ({ open }) => {
  let db: Database;
  let left: ScreeningService;
  let right: ScreeningService;
  const clock = createManualClock(Date.UTC(2026, 0, 1));

  beforeAll(async () => {
    db = await open();
    await migrate(db, screeningMigrations);
    // Two services on one database stand for two processes.
    left = createScreeningService({ db, clock, refreshIntervalMs: 0 });
    right = createScreeningService({ db, clock, refreshIntervalMs: 0 });
    await left.start();
    await right.start();
  });
  afterAll(async () => {
    await left?.stop();
    await right?.stop();
  });

  it('imports a list, screens against it at once, and describes it', async () => {
    const imported = await left.importList({ name: 'un_sc', format: 'ftm-jsonl', content: UN_LIST });
    expect(imported).toMatchObject({ ok: true, value: { imported: 3, skipped: 0, malformed: [], replaced: false, list: { name: 'un_sc', format: 'ftm-jsonl', entityCount: 3, nameCount: 3 } } });
    expect(left.screen('Salek, Abdulhai').matches.map((match) => [match.listName, match.entityId])).toEqual([['un_sc', 'un-1']]);
    expect(left.screen('Xi Jinping').matches[0]?.entityId).toBe('un-3');
    expect(left.topScore('Xi Jinping')).toBe(left.screen('Xi Jinping').topScore);
    const [summary] = await left.lists();
    expect(summary).toMatchObject({ name: 'un_sc', entityCount: 3, importedAt: '2026-01-01T00:00:00.000Z' });
    expect(summary?.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(left.loaded()).toMatchObject({ lists: 1, entities: 3 });
  });

  it('lets another process see the list after its next refresh, and a restarted one at start', async () => {
    expect(right.screen('ABDULHAI SALEK').matches).toEqual([]);
    // Remembered top scores are forgotten with the lists they were taken against.
    expect(right.topScore('ABDULHAI SALEK')).toBe(0);
    await right.refresh();
    expect(right.screen('ABDULHAI SALEK').matches[0]?.entityId).toBe('un-1');
    expect(right.topScore('ABDULHAI SALEK')).toBe(right.screen('ABDULHAI SALEK').topScore);
    expect(right.topScore('ABDULHAI SALEK')).toBeGreaterThan(0);
    const restarted = createScreeningService({ db, clock, refreshIntervalMs: 0 });
    await restarted.start();
    expect(restarted.screen('KIM SKO CHOL').matches[0]?.entityId).toBe('un-2');
    await restarted.stop();
  });

  it('replaces a list whole when it is imported again under its name', async () => {
    const csv = 'id,name,country\nnew-1,Ali Hassan Al-Majid,iq\n';
    const replaced = await left.importList({ name: 'un_sc', format: 'csv', content: csv });
    expect(replaced).toMatchObject({ ok: true, value: { replaced: true, imported: 1, list: { format: 'csv', entityCount: 1 } } });
    expect(left.screen('ABDULHAI SALEK').matches).toEqual([]);
    expect(left.screen('Ali Hasan al Majid').matches[0]?.entityId).toBe('new-1');
    await right.refresh();
    expect(right.screen('ABDULHAI SALEK').matches).toEqual([]);
    expect(right.screen('Ali Hasan al Majid').matches[0]?.entityId).toBe('new-1');
    expect((await left.lists()).map((list) => list.name)).toEqual(['un_sc']);
  });

  it('leaves the old list untouched when a replacement is refused', async () => {
    const before = await left.lists();
    const refused = await left.importList({ name: 'un_sc', format: 'ftm-jsonl', content: 'not json at all\n'.repeat(SCREENING_LIMITS.malformedLinesMax + 1) });
    expect(refused).toMatchObject({ ok: false, error: 'too_many_malformed_lines', line: SCREENING_LIMITS.malformedLinesMax + 1 });
    expect(await left.importList({ name: 'Bad Name!', format: 'csv', content: 'name\nX\n' })).toMatchObject({ ok: false, error: 'invalid_list_name' });
    expect(await left.lists()).toEqual(before);
    expect(left.screen('Ali Hasan al Majid').matches[0]?.entityId).toBe('new-1');
  });

  it('removes a list everywhere', async () => {
    await left.importList({ name: 'local', format: 'csv', content: 'name\nIgnacio Vargas\n' });
    expect(await left.removeList('local')).toMatchObject({ ok: true, value: { name: 'local' } });
    expect(left.screen('Ignacio Vargas').matches).toEqual([]);
    expect(await left.removeList('local')).toMatchObject({ ok: false, error: 'list_not_found' });
    await right.refresh();
    expect(right.screen('Ignacio Vargas').matches).toEqual([]);
    expect(right.loaded().lists).toBe(1);
  });

  it('holds a bounded number of lists', async () => {
    const existing = (await left.lists()).length;
    for (let n = existing; n < SCREENING_LIMITS.listsMax; n++) {
      expect((await left.importList({ name: `list-${n}`, format: 'csv', content: `name\nPerson Number${n}\n` })).ok).toBe(true);
    }
    expect(await left.importList({ name: 'one-too-many', format: 'csv', content: 'name\nX Y\n' })).toMatchObject({ ok: false, error: 'too_many_lists' });
    // Replacing an existing list is still allowed when the lists are full.
    expect(await left.importList({ name: 'list-1', format: 'csv', content: 'name\nSomeone Else\n' })).toMatchObject({ ok: true, value: { replaced: true } });
  });
});

describeEachDialect('screening at onboarding', ({ open }) => {
  let platform: Platform;
  const raised: AlertInput[] = [];
  const alerts: AlertSink = {
    async raise(alert) {
      raised.push(alert);
      return { caseId: `case-${raised.length}`, alertId: `alert-${raised.length}` };
    },
  };

  beforeAll(async () => {
    platform = await createPlatform({ db: await open(), clock: createManualClock(Date.UTC(2026, 0, 1)), expiryIntervalMs: 0, risk: { alerts } });
    expect((await platform.screening.importList({ name: 'un_sc', format: 'ftm-jsonl', content: UN_LIST })).ok).toBe(true);
  });
  afterAll(async () => platform?.close());

  it('raises an alert when a registered party resembles a listed person', async () => {
    const created = await platform.parties.create({ id: 'cust-1', name: 'Abdul Hai Salek', kind: 'individual', jurisdiction: 'AF', metadata: '{"birth_date":"1965-03-02"}' });
    expect(created.ok).toBe(true);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ source: 'screening', kind: 'screening:name_match', partyIds: ['cust-1'], dedupeKey: 'screening:party:cust-1' });
    expect(raised[0]?.score).toBeGreaterThanOrEqual(platform.screening.threshold);
    expect(raised[0]?.reasons).toContain('birth year 1965 agrees with listed 1965 (+0.03)');
    expect(raised[0]?.details).toMatchObject({ matches: [{ entity_id: 'un-1', list: 'un_sc' }] });
    // What the console words the title and reasons from, in either language.
    const matchedName = (raised[0]?.details as { matches: { matched_name: string }[] }).matches[0]?.matched_name;
    expect(raised[0]?.details).toMatchObject({ party_id: 'cust-1', party_name: 'Abdul Hai Salek', matched_name: matchedName, list: 'un_sc', score: raised[0]?.score });
    expect(raised[0]?.titleValues).toEqual({ party_id: 'cust-1', party_name: 'Abdul Hai Salek', matched_name: matchedName, list: 'un_sc' });
    expect(raised[0]?.fingerprint).toEqual(expect.stringContaining('un-1'));
  });

  it('raises nothing for a party that resembles no one, nor for a repeated registration', async () => {
    await platform.parties.create({ id: 'cust-2', name: 'Harbour Logistics Ltd', kind: 'enterprise', jurisdiction: 'SG', metadata: null });
    await platform.parties.create({ id: 'cust-1', name: 'Abdul Hai Salek', kind: 'individual', jurisdiction: 'AF', metadata: '{"birth_date":"1965-03-02"}' });
    expect(raised).toHaveLength(1);
  });
});
