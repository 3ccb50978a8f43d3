/**
 * The risk lists and features over HTTP: adding, listing, removing and auditing entries, CSV import,
 * refusals that name the field at fault, who may do what, and the feature endpoints.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, seed, startApi, type Api, type Fixture } from '../../../test/http/harness.ts';
import { LISTS_LIMITS } from './lists.limits.ts';

describeEachDialect('risk lists and features over HTTP', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let auditorKey: string;
  let analystKey: string;

  beforeAll(async () => {
    api = await startApi(open);
    fixture = await seed(api);
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    analystKey = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
  });
  afterAll(async () => api?.close());

  it('adds an entry, lists it, and removes it with a reason, leaving an audit trail', async () => {
    const entry = await api.ok('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'ip', value: '198.51.100.7', reason: 'card testing', expires_at: '2026-02-01T00:00:00Z' }, 201, { key: analystKey });
    expect(entry).toMatchObject({ list: 'block', kind: 'ip', value: '198.51.100.7/32', reason: 'card testing', expires_at: '2026-02-01T00:00:00.000Z', expired: false });
    expect(entry.actor).toMatch(/^key:/);
    expect(api.platform.lists.match({ ips: ['198.51.100.7'] }).blocked).toHaveLength(1);
    const listed = await api.ok('GET', '/v1/risk/lists/entries?kind=ip&value=198.51.100.7', undefined, 200, { key: auditorKey });
    expect(listed.data.map((item: { id: string }) => item.id)).toEqual([entry.id]);
    expect(await api.ok('GET', `/v1/risk/lists/entries/${entry.id}`)).toMatchObject({ id: entry.id });
    expectProblem(await api.call('DELETE', `/v1/risk/lists/entries/${entry.id}`), 400, 'reason_required', '/reason');
    await api.ok('DELETE', `/v1/risk/lists/entries/${entry.id}?reason=${encodeURIComponent('false alarm')}`, undefined, 200, { key: analystKey });
    expectProblem(await api.call('DELETE', `/v1/risk/lists/entries/${entry.id}`, { reason: 'again' }), 404, 'entry_not_found');
    const trail = await api.ok('GET', `/v1/risk/lists/audit?entry_id=${entry.id}`, undefined, 200, { key: auditorKey });
    expect(trail.data.map((record: { action: string; reason: string }) => [record.action, record.reason])).toEqual([['add', 'card testing'], ['remove', 'false alarm']]);
    expect(api.platform.lists.match({ ips: ['198.51.100.7'] }).blocked).toHaveLength(0);
  });

  it('takes the reason for a removal from the body too', async () => {
    const entry = await api.ok('POST', '/v1/risk/lists/entries', { list: 'allow', kind: 'party', value: 'party-alice', reason: 'vip' }, 201);
    const removed = await api.ok('DELETE', `/v1/risk/lists/entries/${entry.id}`, { reason: 'left the programme' });
    expect(removed.id).toBe(entry.id);
  });

  it('answers bad input with a 4xx naming the field, and changes nothing', async () => {
    const before = await api.ok('GET', '/v1/risk/lists/audit?order=desc&limit=1');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'ip', value: '10.0.0.1/8', reason: 'x' }), 422, 'invalid_ip_range', '/value');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'ip', value: '10.0.0.0/40', reason: 'x' }), 422, 'invalid_ip_range', '/value');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'country', value: 'ZZ', reason: 'x' }), 422, 'invalid_country', '/value');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'email', value: 'a@b', reason: 'x' }), 400, undefined, '/kind');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'grey', kind: 'account', value: 'a', reason: 'x' }), 400, undefined, '/list');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: 'a' }), 400, undefined, '/reason');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: 'a', reason: 'x', colour: 'red' }), 400, undefined, '/colour');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: 'a', reason: 'x', expires_at: 'tomorrow' }), 400, 'invalid_instant', '/expires_at');
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: 'a', reason: 'x', expires_at: '2025-01-01T00:00:00Z' }), 422, 'expiry_not_in_future', '/expires_at');
    expectProblem(await api.call('GET', '/v1/risk/lists/entries?kind=planet'), 400, undefined, '/query/kind');
    expectProblem(await api.call('GET', '/v1/risk/lists/audit?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor', '/query/cursor');
    expectProblem(await api.call('DELETE', '/v1/risk/lists/entries/not-a-uuid?reason=x'), 400);
    expect(await api.ok('GET', '/v1/risk/lists/audit?order=desc&limit=1')).toEqual(before);
  });

  it('audits the replacement of an expired entry under the actor who replaced it', async () => {
    const old = await api.ok('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'device', value: 'device-expiring', reason: 'fraud ring', expires_at: '2026-01-02T00:00:00Z' }, 201, { key: analystKey });
    api.clock.advance(2 * 86_400_000);
    const fresh = await api.ok('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'device', value: 'device-expiring', reason: 'seen again' }, 201);
    expect(fresh.actor).not.toBe(old.actor);
    const trail = await api.ok('GET', `/v1/risk/lists/audit?entry_id=${old.id}`, undefined, 200, { key: auditorKey });
    expect(trail.data.map((record: { action: string; actor: string }) => [record.action, record.actor])).toEqual([['add', old.actor], ['remove', fresh.actor]]);
  });

  it('lets analysts change the lists and auditors only read them', async () => {
    expectProblem(await api.call('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: 'x', reason: 'x' }, { key: auditorKey }), 403, 'forbidden');
    expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: 'list,kind,value,reason\n' }, { key: auditorKey }), 403, 'forbidden');
    expectProblem(await api.call('GET', '/v1/risk/lists/entries', undefined, { key: null }), 401, 'unauthenticated');
    await api.ok('GET', '/v1/risk/lists/entries', undefined, 200, { key: auditorKey });
  });

  it('imports a CSV, naming the lines at fault when it refuses', async () => {
    const result = await api.ok('POST', '/v1/risk/lists/import', { csv: 'list,kind,value,reason\nblock,country,KP,sanctions\nblock,account,mule-1,case 12\n' }, 200, { key: analystKey });
    expect(result).toEqual({ added: 2, skipped: 0 });
    const refused = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: 'list,kind,value,reason\nblock,ip,1.2.3.4/33,x\n' }), 422, 'import_invalid', '/csv');
    expect(refused.errors[0].detail).toMatch(/^line 2, value:/);
    // expires_at is an ISO 8601 instant, as on POST /entries: no bare year, no local time, no 30 February.
    const header = 'list,kind,value,reason,expires_at\n';
    for (const expiry of ['2027', '2026-06-01T00:00:00', '2026-02-30T00:00:00Z', '06/01/2026']) {
      const bad = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: `${header}block,account,mule-expiry,x,${expiry}\n` }), 422, 'import_invalid', '/csv');
      expect(bad.errors[0], expiry).toMatchObject({ code: 'invalid_instant', detail: expect.stringMatching(/^line 2, expires_at: .* is not an ISO 8601 instant$/) });
    }
    expect((await api.ok('GET', '/v1/risk/lists/entries?kind=account&value=mule-expiry')).data).toEqual([]);
    const page1 = await api.ok('GET', '/v1/risk/lists/entries?list=block&limit=1');
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await api.ok('GET', `/v1/risk/lists/entries?list=block&limit=1&cursor=${page1.next_cursor}`);
    expect(page2.data[0].id > page1.data[0].id).toBe(true);
  });

  it('names each bad line of a refused CSV by number, column and code, for programs as well as people', async () => {
    const csv = 'list,kind,value,reason,expires_at\nblock,account,fine-1,ok,\nblock,ip,10.0.0.1/8,x,\nblock,account,fine-2,ok,\nblock,account,late-1,x,tomorrow\n';
    const refused = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv }), 422, 'import_invalid', '/csv');
    expect(refused.errors).toEqual([
      { pointer: '/csv', line: 3, field: 'value', code: 'invalid_ip_range', detail: expect.stringMatching(/^line 3, value: /) },
      { pointer: '/csv', line: 5, field: 'expires_at', code: 'invalid_instant', detail: "line 5, expires_at: 'tomorrow' is not an ISO 8601 instant" },
    ]);
    expect(refused.invalid_lines).toBe(2);
    // A fault of the file's shape names its line, with a code of its own, and no column.
    const shape = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: 'list,kind,value,reason\nblock,account,x\n' }), 422, 'import_invalid', '/csv');
    expect(shape.errors).toEqual([{ pointer: '/csv', line: 2, code: 'cell_count_mismatch', detail: 'line 2: 3 fields where the header names 4' }]);
    expect((await api.ok('GET', '/v1/risk/lists/entries?kind=account&value=fine-1')).data).toEqual([]);
  });

  it('names every malformed line of a refused CSV, reading on after each, among the lines with bad values', async () => {
    const csv = [
      'list,kind,value,reason',
      'block,account,shape-ok-1,fine',
      'block,account,too,many,fields',
      'block,planet,mars,bad kind',
      'block,account',
      `block,account,${'v'.repeat(2000)},far too long`,
      'block,account,"never closed,reason',
      'block,account,shape-ok-2,fine',
      'block,ip,10.0.0.1/8,host bits',
    ].join('\n');
    const refused = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv }), 422, 'import_invalid', '/csv');
    expect(refused.errors.map((error: { line: number; field?: string; code: string }) => [error.line, error.field, error.code])).toEqual([
      [3, undefined, 'cell_count_mismatch'],
      [4, 'kind', 'unknown_kind'],
      [5, undefined, 'cell_count_mismatch'],
      [6, 'value', 'cell_too_long'],
      [7, undefined, 'unclosed_quote'],
      [9, 'value', 'invalid_ip_range'],
    ]);
    expect(refused.invalid_lines).toBe(6);
    // All or nothing: the good lines around the bad ones are not imported either.
    expect((await api.ok('GET', '/v1/risk/lists/entries?kind=account&value=shape-ok-1')).data).toEqual([]);
    expect((await api.ok('GET', '/v1/risk/lists/entries?kind=account&value=shape-ok-2')).data).toEqual([]);
    // Faults of the header name the column at fault, under codes of their own.
    const header = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: 'list,kind,value,colour\nblock,account,x,red\n' }), 422, 'import_invalid', '/csv');
    expect(header.errors).toEqual([{ pointer: '/csv', line: 1, field: 'colour', code: 'unknown_column', detail: expect.stringMatching(/^line 1, colour: /) }]);
  });

  it('lists at most importProblemsShownMax faulty lines of a refused CSV and counts them all', async () => {
    const bad = Array.from({ length: LISTS_LIMITS.importProblemsShownMax + 30 }, (_, index) => (index % 2 === 0 ? `block,account,x${index}` : `block,planet,p${index},r`));
    const refused = expectProblem(await api.call('POST', '/v1/risk/lists/import', { csv: `list,kind,value,reason\n${bad.join('\n')}\n` }), 422, 'import_invalid', '/csv');
    expect(refused.errors).toHaveLength(LISTS_LIMITS.importProblemsShownMax);
    expect(refused.errors[0]).toMatchObject({ line: 2, code: 'cell_count_mismatch' });
    expect(refused.errors[1]).toMatchObject({ line: 3, field: 'kind', code: 'unknown_kind' });
    expect(refused.invalid_lines).toBe(LISTS_LIMITS.importProblemsShownMax + 30);
  });

  it('publishes the risk routes in the OpenAPI document', async () => {
    const document = await api.ok('GET', '/openapi.json', undefined, 200, { key: null });
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([
      '/v1/risk/lists/entries', '/v1/risk/lists/entries/{id}', '/v1/risk/lists/audit', '/v1/risk/lists/import', '/v1/risk/features', '/v1/risk/features/accounts/{id}',
    ]));
    expect(Object.keys(document.paths['/v1/risk/lists/entries/{id}'])).toEqual(expect.arrayContaining(['get', 'delete']));
  });

  it('describes every feature and shows an account\'s current values', async () => {
    const described = await api.ok('GET', '/v1/risk/features', undefined, 200, { key: auditorKey });
    const names = described.data.map((feature: { name: string }) => feature.name);
    expect(names).toEqual(expect.arrayContaining(['account_out_count_1h', 'amount_zscore', 'new_beneficiary_large', 'pass_through_ratio_24h', 'seconds_since_last_out']));
    for (const feature of described.data) expect(Object.keys(feature).sort()).toEqual(['description', 'name', 'type']);
    await api.platform.features.record({ id: 'http-feature-1', atMs: api.clock.nowMs(), amountMinor: 2500n, currency: 'CNY', debitAccountId: fixture.alice, creditAccountId: fixture.bob });
    const values = await api.ok('GET', `/v1/risk/features/accounts/${fixture.alice}`, undefined, 200, { key: auditorKey });
    expect(values.account_id).toBe(fixture.alice);
    expect(values.features).toMatchObject({ account_out_count_1h: 1, account_out_sum_1h: 2500 });
    expect(values.features).not.toHaveProperty('pair_first_seen');
    expectProblem(await api.call('GET', '/v1/risk/features/accounts/bad%20id'), 400, undefined, '/params/id');
  });
});
