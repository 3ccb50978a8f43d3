/**
 * The command-line helpers that talk to a running server (`sluice ledgers|parties|accounts|
 * transfers|lists|rules|cases …`): what they send, what they print and the exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDialects } from '../test/support/databases.ts';
import { startApi, type Api } from '../test/http/harness.ts';
import { apiCommand } from './cli.api.ts';

describe('sluice API helpers (command line)', () => {
  let api: Api;
  let url: string;
  let scratch: string;
  beforeAll(async () => {
    api = await startApi(testDialects()[0]!.open);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    scratch = mkdtempSync(join(tmpdir(), 'sluice-cli-api-'));
  });
  afterAll(async () => {
    await api?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs one command against the server and returns its exit code and what it printed. */
  async function run(resource: string, ...args: string[]): Promise<{ code: number; body: any; printed: string; stderr: string }> {
    let printed = '';
    let stderr = '';
    const capture = (chunk: string | Uint8Array) => ((printed += String(chunk)), true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), capture(chunk)));
    try {
      const code = await apiCommand(resource, [...args, '--url', `${url}/`, '--key', api.adminKey]);
      // The answer alone: a page's way on is said on stderr beside it.
      const text = printed.replace(/^next page: --cursor \S+\n/m, '').trim();
      return { code, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text, printed, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('creates a ledger, two accounts and a transfer, and reads the balances back', async () => {
    expect(await run('ledgers', 'create', '--id', '41', '--asset-code', 'CNY', '--name', 'Renminbi')).toMatchObject({ code: 0, body: { id: 41, asset_code: 'CNY' } });
    const debit = crypto.randomUUID();
    const credit = crypto.randomUUID();
    expect((await run('accounts', 'create', '--id', debit, '--ledger', '41', '--code', '1')).code).toBe(0);
    expect((await run('accounts', 'create', '--id', credit, '--ledger', '41', '--code', '1', '--flags', 'debits_must_not_exceed_credits')).code).toBe(0);
    const id = crypto.randomUUID();
    const created = await run('transfers', 'create', '--id', id, '--debit', debit, '--credit', credit, '--amount', '1250', '--ledger', '41', '--code', '7');
    expect(created).toMatchObject({ code: 0, body: { id, amount: '1250' } });
    expect((await run('accounts', 'balances', credit)).body).toMatchObject({ credits_posted: '1250', debits_posted: '0' });
    const listed = await run('transfers', 'list', '--account', credit);
    expect(listed.body.data.map((transfer: { id: string }) => transfer.id)).toEqual([id]);
    const missing = crypto.randomUUID();
    expect(await run('transfers', 'lookup', missing, id)).toMatchObject({ code: 0, body: { transfers: [{ id, amount: '1250' }] } });
    const accounts = await run('accounts', 'lookup', credit, missing, debit);
    expect(accounts.body.accounts.map((account: { id: string }) => account.id)).toEqual([credit, debit]);
    const refused = await run('accounts', 'lookup', debit, 'not-an-id');
    expect(refused.code).toBe(1);
    expect(refused.body).toMatchObject({ status: 400, errors: [{ pointer: '/ids/1' }] });
  });

  it('pages through a list with --limit and the --cursor it names on stderr', async () => {
    await run('ledgers', 'create', '--id', '42', '--asset-code', 'USD', '--name', 'Dollar');
    const [from, to] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const id of [from, to]) expect((await run('accounts', 'create', '--id', id, '--ledger', '42', '--code', '1')).code).toBe(0);
    const ids: string[] = [];
    for (const amount of ['1', '2', '3']) {
      const id = crypto.randomUUID();
      ids.push(id);
      expect((await run('transfers', 'create', '--id', id, '--debit', from, '--credit', to, '--amount', amount, '--ledger', '42', '--code', '1')).code).toBe(0);
    }
    const first = await run('transfers', 'list', '--account', to, '--limit', '2');
    expect(first.code).toBe(0);
    expect(first.body.data.map((transfer: { id: string }) => transfer.id)).toEqual(ids.slice(0, 2));
    const cursor = /^next page: --cursor (\S+)$/m.exec(first.stderr)?.[1];
    expect(cursor).toBe(first.body.next_cursor);
    const last = await run('transfers', 'list', '--account', to, '--limit', '2', '--cursor', cursor as string);
    expect(last.body.data.map((transfer: { id: string }) => transfer.id)).toEqual(ids.slice(2));
    expect(last.stderr).toBe('');
    const accounts = await run('accounts', 'list', '--ledger', '42', '--limit', '1');
    expect(accounts.body.data).toHaveLength(1);
    expect(accounts.stderr).toMatch(/^next page: --cursor \S+\n$/);
  });

  it('refuses a page size that is not 1 to 100 before asking the server', async () => {
    for (const limit of ['0', '101', 'ten', '', '-1']) {
      const answer = await run('transfers', 'list', `--limit=${limit}`);
      expect(answer.code, limit).toBe(2);
      expect(answer.stderr).toBe(`sluice: --limit must be a whole number of items per page, from 1 to 100, not "${limit}"\n`);
    }
  });

  it('exits 1 with the problem on stderr when the server refuses, naming the field', async () => {
    const refused = await run('transfers', 'create', '--debit', crypto.randomUUID(), '--credit', crypto.randomUUID(), '--amount=-5', '--ledger', '41', '--code', '1');
    expect(refused.code).toBe(1);
    expect(refused.body).toMatchObject({ status: 400 });
    expect(JSON.stringify(refused.body)).toContain('amount');
  });

  it('imports list entries from a CSV file', async () => {
    const file = join(scratch, 'entries.csv');
    writeFileSync(file, 'list,kind,value,reason\nblock,country,KP,sanctions\n');
    const imported = await run('lists', 'import', file);
    expect(imported.code).toBe(0);
    const entries = await api.ok('GET', '/v1/risk/lists/entries', undefined, 200);
    expect(entries.data.some((entry: { kind: string; value: string }) => entry.kind === 'country' && entry.value === 'KP')).toBe(true);
  });

  it('sends an id as one path segment, so a malformed id is refused instead of answering another resource', async () => {
    const answer = await run('accounts', 'get', '../ledgers');
    expect(answer.code).toBe(1);
    expect(answer.body).toMatchObject({ status: 400, errors: [{ pointer: '/params/id' }] });
    expect((await run('accounts', 'balances', '../../ledgers')).code).toBe(1);
    expect((await run('transfers', 'get', '../ledgers')).code).toBe(1);
  });

  it('exits 2 with a line naming the missing id or file, without asking the server', async () => {
    const fetched = vi.spyOn(globalThis, 'fetch');
    try {
      const commands = [
        ['accounts get', 'an account ID'], ['accounts balances', 'an account ID'], ['transfers get', 'a transfer ID'], ['cases report', 'a case ID'],
        ['accounts lookup', 'one or more account IDs'], ['transfers lookup', 'one or more transfer IDs'],
        ['rules backtest', 'a ruleset ID'], ['rules promote', 'a ruleset ID'], ['lists import', 'a FILE'],
      ] as const;
      for (const [command, missing] of commands) {
        const [resource, action] = command.split(' ') as [string, string];
        const answer = await run(resource, action);
        expect(answer.code, command).toBe(2);
        expect(answer.printed.split('\n')[0]).toBe(`sluice: ${command} needs ${missing}`);
      }
      // Options alone are not the id.
      expect((await run('rules', 'backtest', '--days', '7')).code).toBe(2);
      expect((await run('cases', 'report', '--format', 'md')).code).toBe(2);
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      fetched.mockRestore();
    }
  });

  it('exits 2 for an unknown action, and without a key', async () => {
    expect((await run('ledgers', 'fly')).code).toBe(2);
    const saved = process.env.SLUICE_API_KEY;
    delete process.env.SLUICE_API_KEY;
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await apiCommand('ledgers', ['list', '--url', url])).toBe(2);
      expect(err.mock.calls.map((call) => String(call[0])).join('')).toContain('SLUICE_API_KEY');
    } finally {
      err.mockRestore();
      if (saved !== undefined) process.env.SLUICE_API_KEY = saved;
    }
  });
});
