/**
 * The audit trail page's short names for actions (web/src/pages/audit/audit.ts) name routes the
 * server has and records, so a renamed route cannot keep a name that no longer shows; and an
 * event's path params read as `name=value`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededApi, type Api } from '../http/harness.ts';
import { testDialects } from '../support/databases.ts';
import { ACTION_NAMES, actionNameKey, paramPairs } from '../../web/src/pages/audit/audit.ts';

describe('audit trail action names', () => {
  let api: Api;
  let paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;

  beforeAll(async () => {
    const sqlite = testDialects()[0];
    if (!sqlite) throw new Error('no SQLite dialect');
    ({ api } = await startSeededApi(sqlite.open));
    paths = (await api.ok('GET', '/openapi.json')).paths;
  });
  afterAll(async () => api?.close());

  it('names only routes the server has, by the method and pattern the trail records', () => {
    const missing = Object.keys(ACTION_NAMES).filter((action) => {
      const [method = '', route = ''] = action.split(' ');
      // The trail records Fastify's pattern (`:id`); OpenAPI writes it `{id}`.
      return !paths[route.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });

  it('gives the creation of an API key its name, and none to an action it does not know', () => {
    expect(actionNameKey({ method: 'POST', route: '/v1/api-keys' })).toBe('audit.actionName.createKey');
    expect(actionNameKey({ method: 'GET', route: '/v1/api-keys' })).toBeUndefined();
  });

  it('reads path params as name=value, and an unreadable stored text as it is', () => {
    expect(paramPairs({ id: 'rs-1', base: 'CNY' })).toEqual(['id=rs-1', 'base=CNY']);
    expect(paramPairs({})).toEqual([]);
    expect(paramPairs(null)).toEqual([]);
    expect(paramPairs({ unreadable: '{"id":' })).toEqual(['unreadable={"id":']);
  });
});
