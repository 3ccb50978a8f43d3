/**
 * A server's start and stop as an operator meets them.
 *
 * A server whose output nobody reads any more (the log collector or the terminal it was started
 * from has gone, so its stdout pipe is broken) must go on serving and still stop cleanly on SIGTERM:
 * finish the batch in flight, exit 0, and keep what it acknowledged. Writing its "stopping" line to
 * the broken pipe used to throw an unhandled EPIPE, which killed it with exit code 1 half-way
 * through the stop.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { killAllSluice, sluiceClient, startSluice } from '../support/server-process.ts';
import { openBook } from './ledger-load.ts';

/** Two server starts on a busy two-core machine. */
const TEST_TIMEOUT_MS = 150_000;

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-shutdown-'));
afterAll(async () => {
  await killAllSluice();
  rmSync(dataDir, { recursive: true, force: true });
});

it('serves and stops cleanly after its output pipes are closed', { timeout: TEST_TIMEOUT_MS }, async () => {
  // Info level, so that every request also writes a log line into the broken pipe.
  const server = await startSluice({ dataDir, env: { SLUICE_LOG_LEVEL: 'info' } });
  const client = sluiceClient(server.url);
  const book = await openBook(client, { ledger: 1, constrained: 1, plain: 1, funding: 1_000n });
  server.closeOutput();

  const id = randomUUID();
  const booked = await client.post('/v1/transfers', { id, debit_account_id: book.constrained[0], credit_account_id: book.plain[0], amount: '250', ledger: 1, code: 1 });
  expect(booked.status).toBe(201);
  await server.kill('SIGTERM');
  expect(server.exitStatus()).toEqual({ code: 0, signal: null });

  const again = await startSluice({ dataDir });
  const stored = await sluiceClient(again.url).get(`/v1/transfers/${id}`);
  expect(stored.status).toBe(200);
  expect(stored.body.amount).toBe('250');
  await again.kill('SIGTERM');
  expect(again.exitStatus()).toEqual({ code: 0, signal: null });
});

it('refuses to start on a port another process holds, in one line that says what to change', { timeout: TEST_TIMEOUT_MS }, async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const failure = await startSluice({ env: { SLUICE_PORT: String(port) } }).then(() => undefined, (error: Error) => error.message);
    expect(failure).toContain(`sluice: listen EADDRINUSE: address already in use 127.0.0.1:${port} (another process is listening there; choose another port`);
    // The message, not a stack trace.
    expect(failure).not.toMatch(/\n\s+at /);
  } finally {
    holder.close();
  }
});
