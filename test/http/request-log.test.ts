import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { startApi, type Api } from './harness.ts';

/** Log lines of one request, found by the request id it was given. */
type Line = Record<string, unknown> & { reqId?: string; msg?: string };

/**
 * Request logs name the API key that made each request, by its id, so that an operator can tell
 * from the logs which key did what (docs/operations.md#logs); the key's text and its stored hash
 * never appear in them.
 */
describeEachDialect('request logs', ({ open }) => {
  let api: Api;
  const lines: Line[] = [];
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    api = await startApi(open, { logger: { level: 'info', stream } });
    await api.ok('POST', '/v1/parties', { id: 'party-log', name: 'Logged', kind: 'individual', jurisdiction: 'CN' }, 201);
  });
  afterAll(async () => api?.close());

  const linesOf = (requestId: string) => lines.filter((line) => line.reqId === requestId);

  it('name the key of every request it made, answered or refused, and never its text or hash', async () => {
    const created = await api.ok('POST', '/v1/api-keys', { name: 'logged participant', role: 'participant', party_ids: ['party-log'] }, 201);
    const [key, keyId] = [created.key as string, created.id as string];
    const calls = [
      ['GET', '/v1/ledgers', 200, 'read-1'],
      // Authenticated but refused for its role: still the key's doing.
      ['POST', '/v1/ledgers', 403, 'refused-1'],
    ] as const;
    for (const [method, url, status, requestId] of calls) {
      const response = await api.call(method, url, method === 'POST' ? { id: 9, asset_code: 'EUR', name: 'Euro' } : undefined, { key, headers: { 'x-request-id': requestId } });
      expect(response.statusCode, response.body).toBe(status);
      const completed = linesOf(requestId).find((line) => line.msg === 'request completed');
      expect(completed, `${method} ${url}`).toMatchObject({ key_id: keyId });
    }
    const secretHash = createHash('sha256').update(key).digest('hex');
    const everything = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(3));
    expect(everything).not.toContain(secretHash);
    // The admin key that created it is named too, by its own id.
    const adminId = (await api.ok('GET', '/v1/api-keys', undefined, 200, { headers: { 'x-request-id': 'admin-1' } })).data.find((row: { name: string }) => row.name === 'bootstrap admin').id as string;
    expect(linesOf('admin-1').find((line) => line.msg === 'request completed')).toMatchObject({ key_id: adminId });
    expect(lines.map((line) => JSON.stringify(line)).join('\n')).not.toContain(api.adminKey);
  });

  it('name no key for a request without one or with a key that is not valid', async () => {
    await api.call('GET', '/healthz', undefined, { key: null, headers: { 'x-request-id': 'public-1' } });
    await api.call('GET', '/v1/ledgers', undefined, { key: 'sk_not-a-key-of-this-installation-at-all', headers: { 'x-request-id': 'invalid-1' } });
    for (const requestId of ['public-1', 'invalid-1']) {
      const completed = linesOf(requestId).find((line) => line.msg === 'request completed');
      expect(completed, requestId).toBeDefined();
      expect(completed, requestId).not.toHaveProperty('key_id');
    }
  });
});
