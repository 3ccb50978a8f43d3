import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDialects } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import { screeningCommand } from './screening.cli.ts';

const FTM = [
  JSON.stringify({ id: 'NK-1', schema: 'Person', properties: { name: ['KIM SOK CHOL'], birthDate: ['1955-05-08'], nationality: ['kp'] }, datasets: ['un_sc_sanctions'] }),
  JSON.stringify({ id: 'CN-1', schema: 'Person', properties: { name: ['王伟'] } }),
  '{broken',
].join('\n');

describe('screening over HTTP', () => {
  let api: Api;
  let auditorKey: string;
  let analystKey: string;
  beforeAll(async () => {
    api = await startApi(testDialects()[0]!.open);
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    analystKey = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
  });
  afterAll(async () => api?.close());

  it('imports a list sent inside JSON, reporting malformed lines by number', async () => {
    const report = await api.ok('POST', '/v1/risk/screening/lists', { name: 'un_sc', format: 'ftm-jsonl', content: FTM }, 201, { key: analystKey });
    expect(report).toMatchObject({ imported: 2, skipped: 0, replaced: false, malformed: [{ line: 3, code: 'not_json', reason: 'not JSON' }], list: { name: 'un_sc', entity_count: 2, format: 'ftm-jsonl' } });
  });

  it('imports a raw CSV file named in the query, and replaces it on a second import', async () => {
    const send = (csv: string) => api.call('POST', '/v1/risk/screening/lists?name=bank_internal&format=csv', undefined, { raw: csv, headers: { 'content-type': 'text/csv' } });
    const first = await send('name,country\nIgnacio Vargas Lopez,mx\n');
    expect(first.statusCode, first.body).toBe(201);
    const second = await send('name,country\nHarbour Front Trading,sg\n');
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ replaced: true, list: { entity_count: 1 } });
    const lists = await api.ok('GET', '/v1/risk/screening/lists', undefined, 200, { key: auditorKey });
    expect(lists.data.map((list: { name: string }) => list.name)).toEqual(['bank_internal', 'un_sc']);
    expect(lists.next_cursor).toBeNull();
  });

  it('screens a name and explains the match', async () => {
    const result = await api.ok('POST', '/v1/risk/screening/screen', { name: 'Kim Sko Chol', birth_year: 1955 }, 200, { key: auditorKey });
    expect(result).toMatchObject({ query: 'Kim Sko Chol', threshold: 0.86, matches: [{ entity_id: 'NK-1', list: 'un_sc', matched_name: 'KIM SOK CHOL', schema: 'Person' }] });
    expect(result.matches[0].explanation).toContain('birth year 1955 agrees with listed 1955 (+0.03)');
    const pinyin = await api.ok('POST', '/v1/risk/screening/screen', { name: 'Wei Wang' });
    expect(pinyin.matches[0]).toMatchObject({ entity_id: 'CN-1', score: 1 });
    const none = await api.ok('POST', '/v1/risk/screening/screen', { name: 'Harbour Logistics', threshold: 0.99 });
    expect(none.matches).toEqual([]);
  });

  it('answers bad input with a problem naming the field, and changes nothing', async () => {
    expectProblem(await api.call('POST', '/v1/risk/screening/screen', { name: '' }), 400, 'validation_failed', '/name');
    for (const name of ['   ', '...', '\u{1F600}\u{1F600}', '- / -']) {
      expectProblem(await api.call('POST', '/v1/risk/screening/screen', { name }), 422, 'name_not_screenable', '/name');
    }
    expectProblem(await api.call('POST', '/v1/risk/screening/screen', { name: 'x', threshold: 0.1 }), 400, 'validation_failed', '/threshold');
    expectProblem(await api.call('POST', '/v1/risk/screening/screen', { name: 'x', extra: 1 }), 400, 'validation_failed');
    expectProblem(await api.call('POST', '/v1/risk/screening/lists', { name: 'UPPER', format: 'csv', content: 'name\nX\n' }), 400, 'validation_failed', '/name');
    expectProblem(await api.call('POST', '/v1/risk/screening/lists', { name: 'empty', format: 'csv', content: 'name\n' }), 422, 'list_file_empty', '/content');
    const raw = await api.call('POST', '/v1/risk/screening/lists', undefined, { raw: 'name\nX\n', headers: { 'content-type': 'text/csv' } });
    expectProblem(raw, 400, 'list_name_required', '/query/name');
    const tooMany = 'x\n'.repeat(1002);
    const refused = expectProblem(await api.call('POST', '/v1/risk/screening/lists', { name: 'un_sc', format: 'ftm-jsonl', content: tooMany }), 422, 'too_many_malformed_lines', '/content');
    expect(refused.line).toBe(1001);
    // The line where the file broke the limit is in its field error too, as the lists' CSV import names its lines.
    expect(refused.errors).toEqual([{ pointer: '/content', line: 1001, code: 'too_many_malformed_lines', detail: expect.stringMatching(/^line 1001: more than 1000 lines could not be read/) }]);
    expectProblem(await api.call('DELETE', '/v1/risk/screening/lists/nothing_here'), 404, 'list_not_found', '/params/name');
    const lists = await api.ok('GET', '/v1/risk/screening/lists');
    expect(lists.data.find((list: { name: string }) => list.name === 'un_sc')).toMatchObject({ entity_count: 2 });
  });

  it('opens a screening case when a party resembling a listed person is registered', async () => {
    await api.ok('POST', '/v1/parties', { id: 'onboard-1', name: 'Kim Sok-chol', kind: 'individual', jurisdiction: 'KP', metadata: { birth_date: '1955-05-08' } }, 201);
    await api.ok('POST', '/v1/parties', { id: 'onboard-2', name: 'Harbour Logistics', kind: 'enterprise', jurisdiction: 'SG' }, 201);
    const cases = await api.platform.cases.list({ source: 'screening', limit: 10 });
    expect(cases).toHaveLength(1);
    const view = await api.platform.cases.get(cases[0]!.id);
    expect(JSON.stringify(view)).toContain('onboard-1');
    expect(JSON.stringify(view)).not.toContain('onboard-2');
  });

  it('lets staff roles screen and list, and only risk roles import or remove', async () => {
    expectProblem(await api.call('POST', '/v1/risk/screening/lists', { name: 'x', format: 'csv', content: 'name\nX\n' }, { key: auditorKey }), 403);
    expectProblem(await api.call('DELETE', '/v1/risk/screening/lists/bank_internal', undefined, { key: auditorKey }), 403);
    const removed = await api.ok('DELETE', '/v1/risk/screening/lists/bank_internal', undefined, 200, { key: analystKey });
    expect(removed).toMatchObject({ name: 'bank_internal' });
  });

  it('keeps watch lists from participant keys: they can neither list them nor screen a name against them', async () => {
    await api.ok('POST', '/v1/parties', { id: 'party-screened', name: 'Screened Customer', kind: 'individual', jurisdiction: 'CN' }, 201);
    const participantKey = (await api.ok('POST', '/v1/api-keys', { name: 'customer', role: 'participant', party_ids: ['party-screened'] }, 201)).key as string;
    const listed = await api.call('GET', '/v1/risk/screening/lists', undefined, { key: participantKey });
    expectProblem(listed, 403, 'forbidden');
    expect(listed.body).not.toContain('un_sc');
    const screened = await api.call('POST', '/v1/risk/screening/screen', { name: 'Kim Sko Chol' }, { key: participantKey });
    expectProblem(screened, 403, 'forbidden');
    expect(screened.body).not.toContain('NK-1');
    // The same requests with an admin key see the list and the match, explanation and all.
    const asAdmin = await api.ok('GET', '/v1/risk/screening/lists', undefined, 200, { key: api.adminKey });
    expect(asAdmin.data.map((list: { name: string }) => list.name)).toContain('un_sc');
    const match = (await api.ok('POST', '/v1/risk/screening/screen', { name: 'Kim Sko Chol' }, 200, { key: api.adminKey })).matches[0];
    expect(match).toMatchObject({ entity_id: 'NK-1', list: 'un_sc', matched_name: 'KIM SOK CHOL' });
    expect(match.explanation.join('\n')).toContain('KIM SOK CHOL');
  });

  it('imports and screens from the command line', async () => {
    const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const folder = mkdtempSync(join(tmpdir(), 'sluice-screening-'));
    writeFileSync(join(folder, 'list.csv'), 'name,birth_date\nRUSTUM HANAFI HABIBULLAH,1963\n');
    const run = async (...args: string[]) => {
      let printed = '';
      const capture = (chunk: string | Uint8Array) => ((printed += String(chunk)), true);
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
      try {
        const code = await screeningCommand([...args, '--url', url, '--key', analystKey]);
        return { code, body: printed.trim().startsWith('{') ? JSON.parse(printed) : printed };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    };
    expect(await run('import', join(folder, 'list.csv'), '--list', 'cli_list')).toMatchObject({ code: 0, body: { imported: 1, list: { name: 'cli_list', format: 'csv' } } });
    const screened = await run('screen', 'Habibullah, Rustum Hanafi', '--birth-year', '1963');
    expect(screened).toMatchObject({ code: 0, body: { matches: [{ list: 'cli_list', matched_name: 'RUSTUM HANAFI HABIBULLAH' }] } });
    expect(screened.body.matches[0].explanation).toContain('word order differs');
    expect(await run('lists')).toMatchObject({ code: 0 });
    expect(await run('remove', 'cli_list')).toMatchObject({ code: 0, body: { name: 'cli_list' } });
    expect(await run('remove', 'cli_list')).toMatchObject({ code: 1, body: { code: 'list_not_found' } });
    expect((await run('import', join(folder, 'list.csv'))).code).toBe(2);
    expect((await run('fly')).code).toBe(2);
  });
});
