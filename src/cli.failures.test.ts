import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeFailure } from './cli.failures.ts';
import { openPostgres } from './db/index.ts';
import { callApi } from './http/api-client.ts';

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

/** A loopback port that was free a moment ago and has nobody listening on it now. */
async function closedPort(): Promise<number> {
  const unused = createServer();
  await listen(unused, 0);
  const port = (unused.address() as { port: number }).port;
  await new Promise((resolve) => unused.close(resolve));
  return port;
}

describe('describeFailure', () => {
  it('reports a port already taken as one line with what to change', async () => {
    const first = createServer();
    await listen(first, 0);
    const port = (first.address() as { port: number }).port;
    const second = createServer();
    try {
      const error = await listen(second, port).then(() => undefined, (failure: unknown) => failure);
      const text = describeFailure(error);
      expect(text).toContain('EADDRINUSE');
      expect(text).toContain(String(port));
      expect(text).toContain('SLUICE_PORT');
      expect(text).not.toContain('\n');
    } finally {
      first.close();
      second.close();
    }
  });

  it('reports a missing file by its message alone', async () => {
    const error = await readFile('/nonexistent/sluice-dump.jsonl').then(() => undefined, (failure: unknown) => failure);
    expect(describeFailure(error)).toBe("ENOENT: no such file or directory, open '/nonexistent/sluice-dump.jsonl'");
  });

  it('reports a database server that refuses connections by the cause, with what to check', async () => {
    const port = await closedPort();
    const db = openPostgres(`postgres://sluice@127.0.0.1:${port}/sluice`);
    try {
      const error = await db.get('SELECT 1').then(() => undefined, (failure: unknown) => failure);
      expect(describeFailure(error)).toBe(`connect ECONNREFUSED 127.0.0.1:${port} (nothing accepts connections there; is the database server running, and is SLUICE_DATABASE_URL right?)`);
    } finally {
      await db.close();
    }
  });

  it('reports a data directory that is a file by what stands in the way', () => {
    const error = Object.assign(new Error("EEXIST: file already exists, mkdir '/etc/passwd'"), { code: 'EEXIST' });
    expect(describeFailure(error)).toBe("EEXIST: file already exists, mkdir '/etc/passwd' (a file stands where a directory should be; check SLUICE_DATA_DIR or --data)");
  });

  it('gives a PostgreSQL refusal of the database a hint', () => {
    const error = Object.assign(new Error('database "sluice" does not exist'), { code: '3D000' });
    expect(describeFailure(error)).toBe('database "sluice" does not exist (create the database first, or check its name in SLUICE_DATABASE_URL)');
  });

  it('reports a server that cannot be reached by a command line helper as one line naming the address', async () => {
    const port = await closedPort();
    const target = { url: `http://127.0.0.1:${port}`, key: 'k' };
    const error = await callApi(target, 'GET', '/v1/ledgers').then(() => undefined, (failure: unknown) => failure);
    expect(describeFailure(error)).toBe(`cannot reach the server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is it running? check SLUICE_URL or --url)`);
    const malformed = await callApi({ url: 'localhost:8080', key: 'k' }, 'GET', '/v1/ledgers').then(() => undefined, (failure: unknown) => failure);
    expect(describeFailure(malformed)).toMatch(/^cannot reach the server at localhost:8080: .*\(is it running\? check SLUICE_URL or --url\)$/);
  });

  it('keeps the stack of anything else, which is a fault of Sluice', () => {
    const error = new TypeError('cannot read properties of undefined');
    expect(describeFailure(error)).toBe(error.stack);
    const withOtherCode = Object.assign(new Error('constraint broken'), { code: '23505' });
    expect(describeFailure(withOtherCode)).toBe(withOtherCode.stack);
    expect(describeFailure('a string thrown')).toBe('a string thrown');
  });
});
