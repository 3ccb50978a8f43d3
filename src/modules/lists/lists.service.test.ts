import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { listsMigrations } from './lists.migrations.ts';
import { createListsService, type ListsService } from './lists.service.ts';
import type { ListEntry } from './lists.ts';

const T0 = Date.UTC(2026, 0, 1);

describeEachDialect('lists service', ({ open }) => {
  let db: Database;
  let clock: ManualClock;
  let left: ListsService;
  let right: ListsService;

  beforeAll(async () => {
    db = await open();
    await migrate(db, listsMigrations);
    clock = createManualClock(T0);
    left = createListsService({ db, clock, pollIntervalMs: 0 });
    right = createListsService({ db, clock, pollIntervalMs: 0 });
    await left.start();
    await right.start();
  });
  afterAll(async () => {
    await left.stop();
    await right.stop();
    await db.close();
  });

  const added = async (service: ListsService, input: Parameters<ListsService['add']>[0]): Promise<ListEntry> => {
    const result = await service.add(input);
    if (!result.ok) throw new Error(`${result.error}: ${result.detail}`);
    return result.value;
  };

  it('sees its own change at once, and another process sees it after its next refresh', async () => {
    const entry = await added(left, { list: 'block', kind: 'ip', value: '203.0.113.0/24', reason: 'botnet', actor: 'key:analyst' });
    expect(left.match({ ips: ['203.0.113.77'] }).blocked.map((hit) => hit.entryId)).toEqual([entry.id]);
    expect(right.match({ ips: ['203.0.113.77'] }).blocked).toEqual([]);
    await right.refresh();
    expect(right.match({ ips: ['203.0.113.77'] }).blocked.map((hit) => [hit.entryId, hit.value, hit.matched, hit.reason])).toEqual([[entry.id, '203.0.113.0/24', '203.0.113.77', 'botnet']]);
    const removed = await right.remove(entry.id, 'key:supervisor', 'range reassigned');
    expect(removed.ok).toBe(true);
    expect(right.match({ ips: ['203.0.113.77'] }).blocked).toEqual([]);
    await left.refresh();
    expect(left.match({ ips: ['203.0.113.77'] }).blocked).toEqual([]);
    expect(left.stats().version).toBe(right.stats().version);
  });

  it('keeps an audit trail of who added and removed what, when and why', async () => {
    const entry = await added(left, { list: 'allow', kind: 'country', value: 'hk', reason: 'home market', actor: 'key:alice' });
    clock.advance(5_000);
    expect((await left.remove(entry.id, 'key:bob', 'no longer needed')).ok).toBe(true);
    const trail = await left.audit({ entryId: entry.id, limit: 10 });
    expect(trail.map((record) => ({ action: record.action, actor: record.actor, atMs: record.atMs, reason: record.reason, list: record.list, kind: record.kind, value: record.value }))).toEqual([
      { action: 'add', actor: 'key:alice', atMs: clock.nowMs() - 5_000, reason: 'home market', list: 'allow', kind: 'country', value: 'HK' },
      { action: 'remove', actor: 'key:bob', atMs: clock.nowMs(), reason: 'no longer needed', list: 'allow', kind: 'country', value: 'HK' },
    ]);
    expect(trail[1]!.seq > trail[0]!.seq).toBe(true);
    expect(await left.get(entry.id)).toBeUndefined();
    expect(await left.remove(entry.id, 'key:bob', 'again')).toMatchObject({ ok: false, error: 'entry_not_found' });
  });

  it('stops matching an entry the instant it expires, in every process, and lets the value be listed again', async () => {
    const expiresAtMs = clock.nowMs() + 60_000;
    const entry = await added(left, { list: 'block', kind: 'device', value: 'device-42', reason: 'stolen phone', actor: 'case:7', expiresAtMs });
    await right.refresh();
    clock.set(expiresAtMs - 1);
    expect(left.match({ devices: ['device-42'] }).blocked).toHaveLength(1);
    expect(right.match({ devices: ['device-42'] }).blocked).toHaveLength(1);
    clock.set(expiresAtMs);
    expect(left.match({ devices: ['device-42'] }).blocked).toHaveLength(0);
    expect(right.match({ devices: ['device-42'] }).blocked).toHaveLength(0);
    // The expired entry is replaced by a new one, and the trail says so.
    const again = await added(right, { list: 'block', kind: 'device', value: 'device-42', reason: 'stolen again', actor: 'case:8' });
    expect(right.match({ devices: ['device-42'] }).blocked.map((hit) => hit.entryId)).toEqual([again.id]);
    expect((await right.audit({ entryId: entry.id, limit: 10 })).map((record) => record.action)).toEqual(['add', 'remove']);
  });

  it('refuses bad values, duplicates and expiries in the past, and changes nothing', async () => {
    const before = (await left.audit({ order: 'desc', limit: 1 }))[0]?.seq;
    const refusals = [
      [{ list: 'block', kind: 'ip', value: '10.0.0.1/8', reason: 'r', actor: 'a' }, 'invalid_ip_range'],
      [{ list: 'block', kind: 'country', value: 'XX', reason: 'r', actor: 'a' }, 'invalid_country'],
      [{ list: 'grey', kind: 'account', value: 'a', reason: 'r', actor: 'a' }, 'unknown_list'],
      [{ list: 'block', kind: 'email', value: 'a', reason: 'r', actor: 'a' }, 'unknown_kind'],
      [{ list: 'block', kind: 'account', value: 'acct', reason: ' ', actor: 'a' }, 'reason_required'],
      [{ list: 'block', kind: 'account', value: 'acct', reason: 'r', actor: 'a', expiresAtMs: clock.nowMs() }, 'expiry_not_in_future'],
    ] as const;
    for (const [input, error] of refusals) expect(await left.add(input as never), error).toMatchObject({ ok: false, error });
    await added(left, { list: 'block', kind: 'account', value: 'dup', reason: 'r', actor: 'a' });
    expect(await left.add({ list: 'block', kind: 'account', value: 'dup', reason: 'r', actor: 'a' })).toMatchObject({ ok: false, error: 'entry_exists' });
    // The same value on the other list is a different entry.
    await added(left, { list: 'allow', kind: 'account', value: 'dup', reason: 'r', actor: 'a' });
    const trail = await left.audit({ order: 'asc', afterSeq: before, limit: 10 });
    expect(trail.map((record) => `${record.action} ${record.list} ${record.value}`)).toEqual(['add block dup', 'add allow dup']);
  });

  it('imports a CSV all or nothing, skipping values already listed', async () => {
    const csv = 'list,kind,value,reason,expires_at\nblock,ip,2001:db8::/32,doc range,\nblock,country,kp,sanctions,\n"block",account,"acct,with,commas","quoted, reason",2027-01-01T00:00:00Z\nblock,account,dup,again,\n';
    const result = await left.importCsv(csv, 'key:importer');
    expect(result).toEqual({ ok: true, value: { added: 3, skipped: 1 } });
    await right.refresh();
    expect(right.match({ accountIds: ['acct,with,commas'], countries: ['KP'], ips: ['2001:db8::5'] }).blocked).toHaveLength(3);
    const bad = await left.importCsv('list,kind,value,reason\nblock,ip,10.0.0.0/8,ok\nblock,ip,300.1.1.1,bad\nblock,planet,mars,bad\n', 'key:importer');
    expect(bad).toMatchObject({ ok: false, error: 'import_invalid' });
    if (!bad.ok) expect(bad.problems.map((problem) => [problem.line, problem.field, problem.code])).toEqual([[3, 'value', 'invalid_ip_range'], [4, 'kind', 'unknown_kind']]);
    expect(left.match({ ips: ['10.1.1.1'] }).blocked).toEqual([]);
    expect(await left.importCsv('kind,value\naccount,x\n', 'key:importer')).toMatchObject({ ok: false, error: 'import_invalid' });
  });

  it('refuses a CSV whose header is at fault with a code naming the fault and the column', async () => {
    const codeOf = async (csv: string) => {
      const result = await left.importCsv(csv, 'key:importer');
      return result.ok ? result : { error: result.error, problems: result.problems.map((problem) => [problem.line, problem.field, problem.code]), invalidLines: result.invalidLines };
    };
    expect(await codeOf('kind,value\naccount,x\n')).toEqual({ error: 'import_invalid', problems: [[1, 'list', 'missing_column']], invalidLines: 1 });
    expect(await codeOf('list,kind,value,reason,note\n')).toEqual({ error: 'import_invalid', problems: [[1, 'note', 'unknown_column']], invalidLines: 1 });
    expect(await codeOf('list,kind,value,reason,Kind\n')).toEqual({ error: 'import_invalid', problems: [[1, 'kind', 'duplicate_column']], invalidLines: 1 });
    expect(await codeOf('\n\n')).toEqual({ error: 'import_invalid', problems: [[1, undefined, 'header_missing']], invalidLines: 1 });
    // Blank lines before the header are skipped; a fault of the header names the line it is on.
    expect(await codeOf('\n\nlist,kind,value\n')).toEqual({ error: 'import_invalid', problems: [[3, 'reason', 'missing_column']], invalidLines: 1 });
    expect(await codeOf('"list,kind,value,reason\nblock,account,x,y\n')).toEqual({ error: 'import_invalid', problems: [[1, undefined, 'unclosed_quote']], invalidLines: 1 });
    // A header written with a byte order mark, as spreadsheets save "CSV UTF-8", is read as any other.
    expect(await codeOf('\ufefflist,kind,value,reason\nblock,device,bom-device,spreadsheet\n')).toEqual({ ok: true, value: { added: 1, skipped: 0 } });
  });

  it('names the line of the first entry past the import limit, with or without a final line break', async () => {
    const rows = Array.from({ length: 10_001 }, (_, index) => `block,device,limit-${index},too many`);
    for (const csv of [`list,kind,value,reason\n${rows.join('\n')}\n`, `list,kind,value,reason\n${rows.join('\n')}`]) {
      const result = await left.importCsv(csv, 'key:importer');
      expect(result).toMatchObject({ ok: false, error: 'import_too_large' });
      if (!result.ok) expect(result.problems.map((problem) => problem.line)).toEqual([10_002]);
    }
    expect(left.match({ devices: ['limit-0'] }).blocked).toEqual([]);
  });

  it('pages through entries with a cursor, filtered by list and kind', async () => {
    const first = await left.entries({ list: 'block', kind: 'account', limit: 1 });
    const second = await left.entries({ list: 'block', kind: 'account', afterId: first[0]!.id, limit: 1 });
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(second[0]!.id > first[0]!.id).toBe(true);
    expect(await left.entries({ kind: 'country', value: 'KP', limit: 10 })).toHaveLength(1);
  });

  it('loads the same lists on a fresh start as a process that followed every change', async () => {
    const fresh = createListsService({ db, clock, pollIntervalMs: 0 });
    await fresh.start();
    await left.refresh();
    expect(fresh.stats()).toEqual(left.stats());
    const subject = { accountIds: ['dup', 'acct,with,commas'], countries: ['kp'], ips: ['2001:db8::1', '203.0.113.5'], devices: ['device-42'] };
    expect(fresh.match(subject)).toEqual(left.match(subject));
    await fresh.stop();
  });
});
