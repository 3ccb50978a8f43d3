import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';

/**
 * Revoking the last active admin key used to succeed, and then nobody could create or revoke a key
 * again: the bootstrap only hands out a key to an empty table. It is refused with a 409 now.
 */
describeEachDialect('revoking admin keys', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  const idOf = async (name: string) => (await api.ok('GET', '/v1/api-keys')).data.find((key: { name: string }) => key.name === name).id as string;

  it('keeps the last active admin key, and revokes an admin key once another one is active', async () => {
    const bootstrapId = await idOf('bootstrap admin');
    expectProblem(await api.call('DELETE', `/v1/api-keys/${bootstrapId}`), 409, 'last_admin_key', '/params/id');
    expect((await api.call('GET', '/v1/api-keys')).statusCode).toBe(200);

    // Other roles do not count as a way back in.
    await api.ok('POST', '/v1/api-keys', { name: 'operator', role: 'operator' }, 201);
    expectProblem(await api.call('DELETE', `/v1/api-keys/${bootstrapId}`), 409, 'last_admin_key', '/params/id');

    const second = await api.ok('POST', '/v1/api-keys', { name: 'second admin', role: 'admin' }, 201);
    expect((await api.call('DELETE', `/v1/api-keys/${bootstrapId}`)).statusCode).toBe(204);
    expectProblem(await api.call('GET', '/v1/api-keys'), 401, 'unauthenticated');
    const secondId = await api.ok('GET', '/v1/api-keys', undefined, 200, { key: second.key }).then((list) => list.data.find((key: { name: string }) => key.name === 'second admin').id);
    expectProblem(await api.call('DELETE', `/v1/api-keys/${secondId}`, undefined, { key: second.key }), 409, 'last_admin_key', '/params/id');
    expectProblem(await api.call('DELETE', `/v1/api-keys/${bootstrapId}`, undefined, { key: second.key }), 404, 'api_key_not_found');
  });
});
