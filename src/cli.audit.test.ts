/**
 * `sluice audit list` against a listening server: the table and the JSON of the audit trail, its
 * filters and pages, the usage errors (exit 2) and the server's refusal (exit 1).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDialects } from '../test/support/databases.ts';
import { startApi, type Api } from '../test/http/harness.ts';
import { auditCommand } from './cli.audit.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsx compiles the sources on each run, and the machine may be busy with other test files. */
const RUN_TIMEOUT_MS = 60_000;

describe('sluice audit list (command line)', () => {
  let api: Api;
  let url: string;
  let adminKeyId: string;
  let analyst: { id: string; key: string };

  beforeAll(async () => {
    api = await startApi(testDialects()[0]!.open);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    adminKeyId = (await api.platform.auth.authenticate(api.adminKey))!.id;
    // The admin's action the trail must show: making the analyst's key.
    analyst = await api.ok('POST', '/v1/api-keys', { name: '夜班 analyst', role: 'analyst' }, 201);
    // The analyst's own control-plane action, recorded under the analyst's key.
    await api.ok('POST', '/v1/risk/rulesets', {
      name: 'watched', rules: [{ id: 'large', name: 'Large', expression: 'event.amount > 100000', score: 60, reason: 'large' }], thresholds: { review_at: 50, decline_at: 100 },
    }, 201, { key: analyst.key });
  });
  afterAll(async () => api?.close());

  /** Runs `sluice audit …` in this process against the server; the key is the admin's unless given. */
  async function run(args: string[], key = api.adminKey): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    try {
      return { code: await auditCommand([...args, '--url', url, '--key', key]), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('shows an admin action as a table line: time, key name and role, method and route, target, status', async () => {
    const listed = await run(['list']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const [header, ...lines] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME +KEY \(ROLE\) +ACTION +TARGET +STATUS$/);
    // Newest first: the analyst's draft, then the admin making the analyst's key.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^2026-01-01T00:00:00\.000Z +夜班 analyst \(analyst\) +POST \/v1\/risk\/rulesets +\S+ +201$/);
    expect(lines[1]).toMatch(new RegExp(`^2026-01-01T00:00:00\\.000Z +bootstrap admin \\(admin\\) +POST /v1/api-keys +${analyst.id} +201$`));
    // The columns line up under the header on a terminal, where each Chinese character takes two columns.
    const columns = (text: string) => [...text].reduce((width, char) => width + (/\p{Script=Han}/u.test(char) ? 2 : 1), 0);
    for (const line of lines) expect(columns(line.slice(0, line.indexOf('POST')))).toBe(header!.indexOf('ACTION'));
  });

  it('prints the server\'s JSON with --json', async () => {
    const listed = await run(['list', '--json', '--order', 'asc']);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout);
    expect(page).toEqual(await api.ok('GET', '/v1/audit-events?order=asc'));
    expect(page.data[0]).toMatchObject({ key_id: adminKeyId, role: 'admin', method: 'POST', route: '/v1/api-keys', target_id: analyst.id, status: 201 });
  });

  it('filters by --key-id and --route, and says when nothing matches', async () => {
    const mine = JSON.parse((await run(['list', '--json', '--key-id', analyst.id])).stdout);
    expect(mine.data.map((event: { key_id: string; route: string }) => [event.key_id, event.route])).toEqual([[analyst.id, '/v1/risk/rulesets']]);
    const admin = JSON.parse((await run(['list', '--json', '--key-id', adminKeyId])).stdout);
    expect(admin.data.map((event: { key_id: string; route: string }) => [event.key_id, event.route])).toEqual([[adminKeyId, '/v1/api-keys']]);
    const table = await run(['list', '--key-id', analyst.id]);
    expect(table.stdout).toContain('夜班 analyst (analyst)');
    expect(table.stdout).not.toContain('/v1/api-keys');
    expect((await run(['list', '--route', '/v1/payments'])).stdout).toBe('No audit events.\n');
  });

  it('pages with --limit, naming the next --cursor, and gathers every page with --all', async () => {
    const first = await run(['list', '--json', '--limit', '1']);
    const page = JSON.parse(first.stdout);
    expect(page.data).toHaveLength(1);
    expect(first.stderr).toBe(`next page: --cursor ${page.next_cursor}\n`);
    const everything = await api.ok('GET', '/v1/audit-events');
    const all = await run(['list', '--json', '--all', '--limit', '1']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(all.stdout)).toEqual({ data: everything.data, next_cursor: null });
    expect((await run(['list', '--all', '--limit', '1'])).stdout.trimEnd().split('\n')).toHaveLength(1 + everything.data.length);
  });

  it('exits 2 with one line and the way to the help for arguments it cannot use, asking no server', async () => {
    const fetched = vi.spyOn(globalThis, 'fetch');
    const pointer = 'Run "sluice audit --help" for the options.\n';
    try {
      const cases: [string[], string][] = [
        [['list', '--order', 'sideways'], '--order must be asc or desc, not "sideways"'],
        [['list', '--limit', '101'], '--limit must be a whole number of events per page, from 1 to 100, not "101"'],
        [['list', '--key-id', 'ops'], '--key-id must be an API key id of 16 hex digits, not "ops"'],
        [['list', '--since', 'yesterday'], '--since must be an ISO 8601 instant such as 2026-03-01T00:00:00Z, not "yesterday"'],
        [['list', '--route', 'v1/api-keys'], '--route must be the start of a route pattern, beginning with / and at most 200 characters, e.g. /v1/risk/rulesets'],
        [['show'], 'unknown audit action "show"; the one action is list'],
      ];
      for (const [args, line] of cases) expect(await run(args), args.join(' ')).toEqual({ code: 2, stdout: '', stderr: `sluice: ${line}\n${pointer}` });
      expect(fetched).not.toHaveBeenCalled();
    } finally {
      fetched.mockRestore();
    }
  });

  it('prints the problem\'s detail and exits 1 when the server refuses an analyst key', async () => {
    const problem = (await api.call('GET', '/v1/audit-events', undefined, { key: analyst.key })).json();
    expect(problem.status).toBe(403);
    const refused = await run(['list'], analyst.key);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `sluice: the server refused (403): ${problem.detail} (${problem.code})\n` });
    const json = await run(['list', '--json'], analyst.key);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual(problem);
  });

  it('shows a control or bidirectional character of an old key name as an escape, not to the terminal', async () => {
    const { secret } = await api.platform.auth.createKey({ name: 'old\u202ename\u001b[2J', role: 'admin', partyIds: [] });
    await api.ok('POST', '/v1/api-keys', { name: 'made by the old key', role: 'auditor' }, 201, { key: secret });
    const listed = await run(['list', '--limit', '1']);
    expect(listed.stdout.split('\n')[1]).toContain('old\\u202ename\\u001b[2J (admin)');
    expect(listed.stdout).not.toMatch(/[\u001b\u202e]/);
  });

  it('is a command of sluice, listed in its help, and refuses a bad --order as a real process', { timeout: RUN_TIMEOUT_MS * 3 }, async () => {
    // Run without blocking: the server answering it lives in this process.
    const sluice = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
        cwd: REPO_ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, env: { ...process.env, SLUICE_URL: url, SLUICE_API_KEY: api.adminKey },
      }, (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }));
    });
    expect((await sluice('--help')).stdout).toMatch(/^ {2}audit list +which API key did which control-plane action \(see sluice audit --help\)$/m);
    const listed = await sluice('audit', 'list', '--route', '/v1/api-keys', '--order', 'asc');
    expect(listed.status).toBe(0);
    expect(listed.stdout.split('\n')[1]).toMatch(new RegExp(`bootstrap admin \\(admin\\) +POST /v1/api-keys +${analyst.id} +201$`));
    const bad = await sluice('audit', 'list', '--order', 'sideways');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('sluice: --order must be asc or desc, not "sideways"\nRun "sluice audit --help" for the options.\n');
  });
});
