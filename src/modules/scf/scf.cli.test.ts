import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDialects } from '../../../test/support/databases.ts';
import { startApi, type Api } from '../../../test/http/harness.ts';
import { scfCommand, scfRequest } from './scf.cli.ts';
import { hash } from './scf.test-support.ts';

describe('sluice scf (command line)', () => {
  let api: Api;
  let url: string;
  beforeAll(async () => {
    api = await startApi(testDialects()[0]!.open);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
    for (const [id, kind] of [['cli-core', 'enterprise'], ['cli-bank', 'bank'], ['cli-s1', 'enterprise'], ['cli-s2', 'enterprise']]) {
      await api.ok('POST', '/v1/parties', { id, name: id, kind, jurisdiction: 'CN' }, 201);
    }
  });
  afterAll(async () => api?.close());

  /** Runs one command and returns its exit code, the answer it printed (as JSON) and its other lines on standard error. */
  async function run(...args: string[]): Promise<{ code: number; body: any; notes: string }> {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    try {
      const code = await scfCommand([...args, '--url', url, '--key', api.adminKey]);
      const printed = stdout.trim() ? stdout : stderr;
      return { code, body: printed.trim().startsWith('{') ? JSON.parse(printed) : printed, notes: stdout.trim() ? stderr : '' };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('creates a program, issues a voucher and moves it down the chain', async () => {
    expect((await run('programs', 'create', '--id', 'cli-program', '--name', 'CLI', '--core', 'cli-core', '--banks', 'cli-bank', '--suppliers', 'cli-s1,cli-s2', '--ledger', '1', '--credit-limit', '100000'))).toMatchObject({ code: 0 });
    const issued = await run('vouchers', 'issue', '--program', 'cli-program', '--as', 'cli-core', '--supplier', 'cli-s1', '--amount', '5000', '--maturity', '2026-03-01', '--contract-hash', hash(), '--invoices', hash());
    expect(issued).toMatchObject({ code: 0, body: { kind: 'issue', status: 'applied' } });
    const root = issued.body.result.piece_id as string;
    expect(await run('pieces', 'sign-off', root, '--as', 'cli-s1')).toMatchObject({ code: 0 });
    const split = await run('pieces', 'split', root, '--as', 'cli-s1', '--amounts', '2000,3000');
    expect(split.code).toBe(0);
    const child = split.body.result.children[0].piece_id as string;
    expect(await run('pieces', 'transfer', child, '--as', 'cli-s1', '--to', 'cli-s2')).toMatchObject({ code: 0 });
    expect(await run('pieces', 'sign-off', child, '--as', 'cli-s2')).toMatchObject({ code: 0 });
    const tree = await run('vouchers', 'get', issued.body.result.voucher_id);
    expect(tree.body.current_pieces.map((piece: { chain: string[] }) => piece.chain)).toEqual([['cli-core', 'cli-s1', 'cli-s2'], ['cli-core', 'cli-s1']]);
    // The voucher's history, a page at a time, each operation with the key that submitted it.
    const kinds = ['issue', 'sign_off', 'split', 'transfer', 'sign_off'];
    const first = await run('vouchers', 'operations', issued.body.result.voucher_id, '--limit', '3');
    expect(first.code).toBe(0);
    expect(first.body.data.map((operation: { kind: string }) => operation.kind)).toEqual(kinds.slice(0, 3));
    expect(first.body.data[0].submitted_by).toEqual(expect.any(String));
    const cursor = /next page: --cursor (\S+)/.exec(first.notes)?.[1];
    expect(cursor).toBeDefined();
    const rest = await run('vouchers', 'operations', issued.body.result.voucher_id, '--limit', '3', '--cursor', cursor!);
    expect(rest.body.data.map((operation: { kind: string }) => operation.kind)).toEqual(kinds.slice(3));
  });

  it('exits 1 with the problem when the server refuses, and 2 for an unknown command', async () => {
    expect(await run('pieces', 'split', crypto.randomUUID(), '--as', 'cli-s1', '--amounts', '1,1')).toMatchObject({ code: 1, body: { code: 'piece_not_found' } });
    expect((await run('vouchers', 'fly')).code).toBe(2);
  });

  it('exits 2 naming the missing id, without asking the server', async () => {
    const fetched = vi.spyOn(globalThis, 'fetch');
    let printed = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true));
    try {
      const commands = [['programs', 'get', 'PROGRAM'], ['vouchers', 'settle', 'VOUCHER'], ['pieces', 'sign-off', 'PIECE'], ['parties', 'pieces', 'PARTY']] as const;
      for (const [resource, action, missing] of commands) {
        printed = '';
        expect(await scfCommand([resource, action, '--as', 'cli-s1', '--url', url, '--key', api.adminKey])).toBe(2);
        expect(printed.split('\n')[0]).toBe(`sluice: scf ${resource} ${action} needs a ${missing} id`);
      }
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
      fetched.mockRestore();
    }
  });

  it('exits 2 naming a missing option or a number that is not one, without asking the server', async () => {
    const fetched = vi.spyOn(globalThis, 'fetch');
    let printed = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true));
    const piece = crypto.randomUUID();
    try {
      const cases: [string[], string][] = [
        // An empty rate used to be sent as 0 and finance the piece at 0 %.
        [['pieces', 'finance', piece, '--as', 'cli-s1', '--bank', 'cli-bank', '--rate', ''], 'sluice: scf pieces finance needs --rate'],
        [['pieces', 'finance', piece, '--as', 'cli-s1', '--bank', 'cli-bank', '--rate', '3.5'], 'sluice: --rate must be a whole number, not "3.5"'],
        [['pieces', 'finance', piece, '--as', 'cli-s1', '--bank', 'cli-bank', '--rate', '0x10'], 'sluice: --rate must be a whole number, not "0x10"'],
        [['pieces', 'split', piece, '--as', 'cli-s1'], 'sluice: scf pieces split needs --amounts'],
        [['pieces', 'transfer', piece], 'sluice: scf pieces transfer needs --as and --to'],
        [['vouchers', 'settle', piece, '--as', ' '], 'sluice: scf vouchers settle needs --as'],
        [['programs', 'create', '--id', 'p', '--name', 'P', '--core', 'c', '--banks', 'b', '--credit-limit', '1'], 'sluice: scf programs create needs --ledger'],
        [['programs', 'create', '--id', 'p', '--name', 'P', '--core', 'c', '--banks', 'b', '--credit-limit', '1', '--ledger', 'one'], 'sluice: --ledger must be a whole number, not "one"'],
        [['programs', 'vouchers', 'p', '--limit', 'ten'], 'sluice: --limit must be a whole number, not "ten"'],
        [['parties', 'pieces', 'cli-s1', '--limit', '', '--cursor', 'abc'], 'sluice: --limit must be a whole number, not ""'],
      ];
      for (const [args, message] of cases) {
        printed = '';
        expect(await scfCommand([...args, '--url', url, '--key', api.adminKey]), args.join(' ')).toBe(2);
        expect(printed.split('\n')[0]).toBe(message);
      }
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      err.mockRestore();
      fetched.mockRestore();
    }
  });

  it('pages the list commands with --limit and --cursor, saying the next cursor while there is a next page', async () => {
    await api.ok('POST', '/v1/parties', { id: 'cli-s3', name: 'cli-s3', kind: 'enterprise', jurisdiction: 'CN' }, 201);
    await api.ok('POST', '/v1/scf/programs', { id: 'cli-paged', name: 'Paged', core_enterprise_id: 'cli-core', funding_bank_ids: ['cli-bank'], supplier_ids: ['cli-s3'], ledger: 1, credit_limit: '100000' }, 201);
    for (let i = 0; i < 2; i += 1) {
      await api.ok('POST', '/v1/scf/vouchers', { id: crypto.randomUUID(), program_id: 'cli-paged', acting_party_id: 'cli-core', supplier_id: 'cli-s3', face_amount: '1000', maturity_date: '2026-03-01', contract_hash: hash(), invoice_hashes: [hash()] }, 201);
    }
    for (const list of [['programs', 'vouchers', 'cli-paged'], ['parties', 'pieces', 'cli-s3']]) {
      const first = await run(...list, '--limit', '1');
      expect(first, list.join(' ')).toMatchObject({ code: 0, body: { data: [expect.anything()], next_cursor: expect.any(String) } });
      expect(first.notes).toBe(`next page: --cursor ${first.body.next_cursor}\n`);
      const rest = await run(...list, '--limit', '5', '--cursor', first.body.next_cursor);
      expect(rest, list.join(' ')).toMatchObject({ code: 0, body: { data: [expect.anything()], next_cursor: null }, notes: '' });
      expect(rest.body.data[0].id).not.toBe(first.body.data[0].id);
    }
    // The server's own check of a limit it does not serve: refused, exit 1.
    expect(await run('programs', 'vouchers', 'cli-paged', '--limit', '0')).toMatchObject({ code: 1, body: { code: 'validation_failed' } });
    expect(scfRequest('parties', 'pieces', 'a b', { limit: '5', cursor: 'Yz' })).toEqual({ method: 'GET', path: '/v1/scf/parties/a%20b/pieces?limit=5&cursor=Yz', paged: true });
  });

  it('keeps the id given, so that a retry is answered from the first result', () => {
    expect(scfRequest('pieces', 'transfer', 'p', { id: 'op-1', as: 'a', to: 'b' })).toEqual({ method: 'POST', path: '/v1/scf/pieces/p/transfer', body: { id: 'op-1', acting_party_id: 'a', to_party_id: 'b' } });
  });
});
