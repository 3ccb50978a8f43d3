import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from './console.ts';

/** A server with the console registered from `distDir` and an API-style not-found answer for the rest. */
async function serverWith(distDir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const webConsole = await registerConsole(app, distDir);
  app.get('/v1/ping', async () => ({ pong: true }));
  app.setNotFoundHandler((request, reply) => {
    if (webConsole.fallback(request, reply)) return;
    void reply.status(404).type('application/problem+json').send({ status: 404, code: 'route_not_found' });
  });
  await app.ready();
  return app;
}

const html = { accept: 'text/html,application/xhtml+xml' };

describe('console serving', () => {
  const dist = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/index-abc123.js"></script>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-abc123.js.br'), 'br-bytes');
    writeFileSync(join(dist, '.env'), 'SECRET=1');
    app = await serverWith(dist);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / to be revalidated on every load', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain('/assets/index-abc123.js');
  });

  it('lets browsers keep hashed assets for a year, and sends the brotli copy to those that accept it', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.body).toBe('console.log(1)');
    const brotli = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.body).toBe('br-bytes');
    expect(brotli.headers.vary).toContain('accept-encoding');
  });

  it('answers a browser asking for a console route with index.html, and leaves the API its own 404', async () => {
    const page = await app.inject({ method: 'GET', url: '/payments/some-uetr', headers: html });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('<title>console</title>');
    const api = await app.inject({ method: 'GET', url: '/v1/nothing-here', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
    // A missing asset is a 404, not the console page (which would be parsed as broken JavaScript).
    expect((await app.inject({ method: 'GET', url: '/assets/gone-999.js', headers: html })).statusCode).toBe(404);
    // A client that does not ask for HTML (curl, scripts) gets the plain 404.
    expect((await app.inject({ method: 'GET', url: '/payments/x' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/payments/x', headers: html })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/ping' })).json()).toEqual({ pong: true });
  });

  it('serves the top-level files of the bundle, revalidated, and a rebuilt asset without a restart', async () => {
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg', headers: { accept: 'image/*' } });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: '/missing.svg', headers: { accept: 'image/*' } })).statusCode).toBe(404);
    const legacy = await app.inject({ method: 'GET', url: '/favicon.ico', headers: { accept: 'image/*' } });
    expect(legacy.statusCode).toBe(200);
    expect(legacy.headers['content-type']).toMatch(/^image\/svg\+xml/);
    // A build while the server runs: the new hashed file is served at once.
    writeFileSync(join(dist, 'assets', 'index-def456.js'), 'console.log(2)');
    const rebuilt = await app.inject({ method: 'GET', url: '/assets/index-def456.js' });
    expect(rebuilt.statusCode).toBe(200);
    expect(rebuilt.body).toBe('console.log(2)');
  });

  it('serves nothing outside the bundle: no dot files, no path traversal', async () => {
    expect((await app.inject({ method: 'GET', url: '/.env' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/.env', headers: html })).body).not.toContain('SECRET');
    writeFileSync(join(dist, 'assets', '.secret'), 'SECRET=2');
    expect((await app.inject({ method: 'GET', url: '/assets/.secret' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/assets/../../package.json' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/%2e%2e/package.json' })).statusCode).toBe(404);
  });

  it('says how to build the console when web/dist has none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-console-empty-'));
    const bare = await serverWith(empty);
    try {
      const response = await bare.inject({ method: 'GET', url: '/', headers: html });
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('npm run build:web');
      expect((await bare.inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
