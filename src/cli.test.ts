/**
 * How `sluice` answers arguments it cannot use: one line saying what is wrong, a pointer to the
 * command's help, a non-zero exit code, and never a stack trace. Run as a real process, since the
 * answer is written by the command line's outermost handler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshPostgresUrl, postgresSkipReason, postgresUrl } from '../test/support/databases.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsx compiles the sources on each run, and the machine may be busy with other test files. */
const RUN_TIMEOUT_MS = 60_000;

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function sluice(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS,
    env: { ...process.env, SLUICE_DATA_DIR: dataDir, SLUICE_API_KEY: 'unused-key', SLUICE_URL: 'http://127.0.0.1:9' },
  });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('sluice with arguments it cannot use', () => {
  it('names an unknown option and points to the help of the command it was given to', { timeout: RUN_TIMEOUT_MS }, () => {
    const answer = sluice('payments', 'pay', '--amount-minor', '5');
    expect(answer.status).toBe(2);
    expect(answer.stderr).toBe(`sluice: Unknown option '--amount-minor'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--amount-minor"\nRun "sluice payments --help" for the options.\n`);
  });

  it('refuses an option of another command instead of ignoring it, before opening anything', { timeout: RUN_TIMEOUT_MS * 3 }, () => {
    const folder = join(dataDir, 'misplaced-options');
    for (const [args, option, owners] of [
      [['export', join(folder, 'dump.jsonl'), '--out', join(folder, 'other.jsonl')], 'out', 'sluice keys'],
      [['start', '--json'], 'json', 'sluice verify and sluice bench'],
      [['checkpoint', '--proof', 'proof.json'], 'proof', 'sluice verify'],
    ] as const) {
      const answer = sluice(...args, '--data', folder);
      expect(answer.status, args.join(' ')).toBe(2);
      expect(answer.stderr, args.join(' ')).toBe(`sluice: ${args[0]} does not take --${option} (an option of ${owners})\nRun "sluice ${args[0]} --help" for the options.\n`);
    }
    expect(existsSync(folder)).toBe(false);
  });

  it('names a setting it cannot use and points to the help of the command', { timeout: RUN_TIMEOUT_MS }, () => {
    const answer = sluice('start', '--port', 'eighty');
    expect(answer.status).toBe(2);
    expect(answer.stderr).toBe('sluice: SLUICE_PORT (--port) must be a whole number from 0 to 65535, not "eighty"\nRun "sluice start --help" for the options.\n');
  });

  it('names an entry of the webhook allow-list it cannot use, and does not start', { timeout: RUN_TIMEOUT_MS }, () => {
    const answer = sluice('start', '--port', '0', '--webhook-allowed-networks', '10.0.0.0/8,10.1.2.3/16');
    expect(answer.status).toBe(2);
    expect(answer.stderr).toBe(
      'sluice: SLUICE_WEBHOOK_ALLOWED_NETWORKS (--webhook-allowed-networks): entry "10.1.2.3/16" has bits set past its /16 prefix; the range starting there is 10.1.0.0/16\n'
      + 'Run "sluice start --help" for the options.\n',
    );
  });

  it('takes the message retention setting its guide documents as a flag, and names it when out of range', { timeout: RUN_TIMEOUT_MS }, () => {
    const answer = sluice('start', '--port', '0', '--imported-message-retention-days', '0');
    expect(answer.status).toBe(2);
    expect(answer.stderr).toBe(
      'sluice: SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS (--imported-message-retention-days) must be a whole number from 1 to 36500, not "0"\n'
      + 'Run "sluice start --help" for the options.\n',
    );
  });

  it('refuses a key algorithm it does not know before it opens, let alone creates, a database', { timeout: RUN_TIMEOUT_MS }, () => {
    const folder = join(dataDir, 'never-created');
    const answer = sluice('keys', 'rotate', 'rsa', '--data', folder);
    expect(answer.status).toBe(2);
    expect(answer.stderr).toBe('sluice: keys rotate needs ml-dsa-65, sm2-sm3 or ed25519, not "rsa"\nRun "sluice keys --help" for the options.\n');
    const typo = sluice('keys', 'exprot', '--data', folder);
    expect(typo.status).toBe(2);
    expect(typo.stderr.split('\n')[0]).toBe('sluice: keys needs "export" or "rotate ml-dsa-65|sm2-sm3|ed25519"');
    expect(existsSync(folder)).toBe(false);
  });

  it('says a client command was given no action, and exits 2 rather than 0', { timeout: RUN_TIMEOUT_MS * 4 }, () => {
    for (const command of ['accounts', 'scf', 'screening', 'payments']) {
      const answer = sluice(command);
      expect(answer.status, command).toBe(2);
      expect(answer.stderr.split('\n')[0], command).toBe(`sluice: ${command} needs an action`);
    }
    const statement = sluice('statement');
    expect(statement.status).toBe(2);
    expect(statement.stderr.split('\n')[0]).toBe('sluice: statement needs --account and --date');
  });

  it('refuses to read an installation from a data folder that holds none, and creates nothing there', { timeout: RUN_TIMEOUT_MS * 5 }, () => {
    const folder = join(dataDir, 'mistyped-backup');
    const refusal = `sluice: no installation in ${folder} (it holds no sluice.db); check SLUICE_DATA_DIR or --data\n`;
    for (const args of [['verify'], ['checkpoint'], ['keys', 'export'], ['export', join(dataDir, 'dump.jsonl')]]) {
      const answer = sluice(...args, '--data', folder);
      expect(answer.status, args.join(' ')).toBe(2);
      expect(answer.stderr, args.join(' ')).toBe(`${refusal}Run "sluice ${args[0]} --help" for the options.\n`);
    }
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(dataDir, 'dump.jsonl'))).toBe(false);
  });

  it('prints the verification report as JSON in the shape GET /v1/journal/verify answers', { timeout: RUN_TIMEOUT_MS * 2 }, () => {
    const folder = join(dataDir, 'verify-json');
    expect(sluice('migrate', '--data', folder).status).toBe(0);
    const answer = sluice('verify', '--json', '--data', folder);
    expect(answer.status).toBe(0);
    const report = JSON.parse(answer.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['algorithm', 'entries', 'head_hash', 'head_seq', 'ok', 'problems']);
    expect(report).toMatchObject({ ok: true, problems: [], head_seq: expect.stringMatching(/^[0-9]+$/), head_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('names a dump it cannot read before it makes an installation to load it into', { timeout: RUN_TIMEOUT_MS }, () => {
    const folder = join(dataDir, 'import-target');
    const missing = join(dataDir, 'no-such-dump.jsonl');
    const answer = sluice('import', missing, '--data', folder);
    expect(answer.status).toBe(1);
    expect(answer.stderr).toBe(`sluice: ENOENT: no such file or directory, access '${missing}'\n`);
    expect(existsSync(folder)).toBe(false);
  });

  it('exits when the first start of a new installation cannot listen, and shows the admin key it made', { timeout: RUN_TIMEOUT_MS * 2 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      // The demo is loaded before the server listens: its background work kept the process alive.
      const answer = sluice('start', '--port', port, '--data', join(dataDir, 'first-start'), '--demo', '1');
      expect(answer.status).toBe(1);
      expect(answer.stderr).toBe(`sluice: listen EADDRINUSE: address already in use 127.0.0.1:${port} (another process is listening there; choose another port with SLUICE_PORT or --port)\n`);
      // No later start prints the key of an installation that has one.
      expect(answer.stdout).toMatch(/^Bootstrap admin API key of the new installation \(shown once, store it now\):\n {2}sk_[A-Za-z0-9_-]{43}\n$/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a kept checkpoint given without a consistency file rather than verifying the database instead', { timeout: RUN_TIMEOUT_MS * 2 }, () => {
    const kept = sluice('verify', '--checkpoint', join(dataDir, 'kept.json'));
    expect(kept.status).toBe(2);
    expect(kept.stderr).toBe('sluice: --checkpoint names the checkpoint a consistency file must start from; give it with --consistency FILE --keys FILE\n');
    expect(kept.stdout).toBe('');
    const both = sluice('verify', '--proof', 'proof.json', '--consistency', 'consistency.json', '--keys', 'keys.json');
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('sluice: check --proof and --consistency files one at a time\n');
  });

  it('names a server address that is not an http(s) URL as a usage error, without asking anything', { timeout: RUN_TIMEOUT_MS * 2 }, () => {
    for (const url of ['localhost:8080', 'ftp://127.0.0.1/']) {
      const answer = sluice('ledgers', 'list', '--url', url);
      expect(answer.status, url).toBe(2);
      expect(answer.stderr, url).toBe(`sluice: SLUICE_URL (--url) must be an http:// or https:// address, not "${url}"\n`);
    }
  });
});

const pgDescribe = postgresUrl() || process.env.SLUICE_REQUIRE_ALL === '1' ? describe : describe.skip;
pgDescribe(`sluice against a PostgreSQL database it never ran on${postgresUrl() ? '' : ` [postgres skipped: ${postgresSkipReason()}]`}`, () => {
  it('refuses to verify, checkpoint or export an empty database, and creates no table there', { timeout: RUN_TIMEOUT_MS * 4 }, async () => {
    const url = await freshPostgresUrl();
    const refusal = 'sluice: no installation in that PostgreSQL database (Sluice never ran there); check SLUICE_DATABASE_URL or --database\n';
    for (const args of [['verify'], ['checkpoint'], ['export', join(dataDir, 'pg-dump.jsonl')]]) {
      const answer = sluice(...args, '--database', url);
      expect(answer.status, args.join(' ')).toBe(2);
      expect(answer.stderr, args.join(' ')).toBe(`${refusal}Run "sluice ${args[0]} --help" for the options.\n`);
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT count(*)::int AS tables FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].tables).toBe(0);
    } finally {
      await client.end();
    }
  });
});
