import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { startApi, type Api, type Method } from './harness.ts';
import { filledPath, openApiOperations } from './openapi-walk.ts';

/**
 * The routes anyone may call without an API key, each with why. Every other route needs a
 * permission, and without a key answers 401 (docs/security.md, "Calling /v1 without a key"). A new
 * public route fails the tests below until it is added here on purpose. `*` stands for any rest of
 * the path.
 */
const PUBLIC: Readonly<Record<string, string>> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe: database and queue fill',
  'GET /metrics': 'Prometheus scrape',
  'GET /openapi.json': 'the API\'s description',
  'GET /docs': 'the interactive API reference',
  'GET /docs/': 'the interactive API reference',
  'GET /docs/json': 'the reference\'s copy of the description',
  'GET /docs/yaml': 'the reference\'s copy of the description',
  'GET /docs/static/index.html': 'the reference\'s page',
  'GET /docs/static/swagger-initializer.js': 'the reference\'s script',
  'GET /docs/*': 'the reference\'s static files',
  'GET /docs/static/theme/favicon.svg': 'the reference\'s icon',
  'GET *': 'the console\'s static files, and its page for any other path a browser asks for',
};

/**
 * Every route the server holds, from Fastify's route tree (`printRoutes` with full paths): lines
 * such as "│   └── /:id (GET, HEAD)", whose path continues that of the line above at one level less.
 * HEAD is left out: Fastify adds it to every GET.
 */
function registeredRoutes(tree: string): string[] {
  const prefixes: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    prefixes.length = depth;
    const path = `${prefixes.join('')}${match[2]}`;
    prefixes.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(', ').filter((name) => name && name !== 'HEAD')) routes.push(`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  }
  return routes;
}

describeEachDialect('calling the API without a key', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  it('answers 401 problem+json on every operation of the OpenAPI document', async () => {
    const operations = await openApiOperations(api);
    expect(operations.length).toBeGreaterThan(100);
    for (const operation of operations) {
      const url = filledPath(operation);
      const body = ['POST', 'PUT', 'PATCH'].includes(operation.method) ? {} : undefined;
      const response = await api.call(operation.method, url, body, { key: null });
      const answer = { status: response.statusCode, type: response.headers['content-type'], code: (response.json() as { code?: string }).code };
      // Soft, so that one run names every route that answers otherwise.
      if (Object.hasOwn(PUBLIC, operation.route)) expect.soft(answer.status, `${operation.route} (${url}) is public`).not.toBe(401);
      else expect.soft(answer, `${operation.route} (${url})`).toEqual({ status: 401, type: expect.stringMatching(/^application\/problem\+json/), code: 'unauthenticated' });
    }
  });

  it('holds no route outside the OpenAPI document but the public ones listed, and each of those answers without a key', async () => {
    const documented = new Set((await openApiOperations(api)).map((operation) => operation.route));
    const registered = registeredRoutes(api.app.printRoutes({ commonPrefix: false }));
    expect(registered.length).toBeGreaterThan(documented.size);
    // Everything the document lists is registered, so the parse of the tree is complete.
    expect([...documented].filter((route) => !registered.includes(route))).toEqual([]);
    expect(registered.filter((route) => !documented.has(route) && !Object.hasOwn(PUBLIC, route))).toEqual([]);
    for (const route of Object.keys(PUBLIC)) {
      expect(registered, route).toContain(route);
      const [method, path] = route.split(' ') as [Method, string];
      const response = await api.call(method, path === '*' ? '/' : path.replace('*', 'index.html'), undefined, { key: null });
      expect.soft(response.statusCode, route).not.toBe(401);
      expect.soft(response.statusCode, route).toBeLessThan(500);
    }
  });
});
