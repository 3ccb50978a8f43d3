/**
 * GET /v1/api-keys/current over HTTP: every role's key can ask who it is and what its role may do,
 * the answer never carries the key's text or hash, and a request without a valid key is refused.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, allows, type Permission, type Role } from '../../src/modules/auth/index.ts';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, startSeededApi, type Api } from './harness.ts';

describeEachDialect('the calling API key', ({ open }) => {
  let api: Api;
  const keys = new Map<Role, { id: string; key: string; name: string }>();

  beforeAll(async () => {
    ({ api } = await startSeededApi(open));
    for (const role of ROLES) {
      const body = role === 'participant' ? { name: `${role} desk`, role, party_ids: ['party-alice', 'party-bob'] } : { name: `${role} desk`, role };
      const created = await api.ok('POST', '/v1/api-keys', body, 201);
      keys.set(role, { id: created.id, key: created.key, name: created.name });
    }
  });
  afterAll(async () => api?.close());

  it('tells each role\'s key its id, name, role, parties and exactly the permissions of its role', async () => {
    for (const role of ROLES) {
      const own = keys.get(role);
      if (!own) throw new Error(`no ${role} key`);
      const response = await api.call('GET', '/v1/api-keys/current', undefined, { key: own.key });
      expect(response.statusCode, `${role}: ${response.body}`).toBe(200);
      const answer = response.json();
      const permissions = (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => allows(role, permission));
      expect(answer).toEqual({
        id: own.id, name: own.name, role, party_ids: role === 'participant' ? ['party-alice', 'party-bob'] : [], permissions, created_at: expect.any(String),
      });
      // Neither the key's text nor anything like its stored hash.
      expect(response.body).not.toContain(own.key);
      expect(response.body).not.toMatch(/sk_|hash|secret|[0-9a-f]{64}/i);
    }
    // What the roles are known to differ in, spelled out rather than derived.
    const permissionsOf = async (role: Role) => (await api.ok('GET', '/v1/api-keys/current', undefined, 200, { key: keys.get(role)?.key })).permissions;
    expect(await permissionsOf('participant')).toEqual(['read', 'write']);
    expect(await permissionsOf('auditor')).toEqual(['read', 'verify', 'oversee']);
    expect(await permissionsOf('admin')).toEqual(['read', 'write', 'verify', 'oversee', 'manage', 'risk', 'admin']);
  });

  it('answers the bootstrap admin key too', async () => {
    const answer = await api.ok('GET', '/v1/api-keys/current');
    expect(answer).toMatchObject({ role: 'admin', party_ids: [] });
    expect(JSON.stringify(answer)).not.toContain(api.adminKey);
  });

  it('answers 401 without a key, with an unknown key, and with a revoked one', async () => {
    expectProblem(await api.call('GET', '/v1/api-keys/current', undefined, { key: null }), 401, 'unauthenticated', '/headers/authorization');
    expectProblem(await api.call('GET', '/v1/api-keys/current', undefined, { key: `sk_${'A'.repeat(43)}` }), 401, 'unauthenticated');
    const revoked = await api.ok('POST', '/v1/api-keys', { name: 'short-lived', role: 'analyst' }, 201);
    await api.ok('GET', '/v1/api-keys/current', undefined, 200, { key: revoked.key });
    await api.ok('DELETE', `/v1/api-keys/${revoked.id}`, undefined, 204);
    expectProblem(await api.call('GET', '/v1/api-keys/current', undefined, { key: revoked.key }), 401, 'unauthenticated');
  });

  it('is documented in the OpenAPI document under access', async () => {
    const document = await api.ok('GET', '/openapi.json');
    expect(document.paths['/v1/api-keys/current']?.get).toMatchObject({ tags: ['access'], summary: expect.stringContaining('calling key') });
  });
});
