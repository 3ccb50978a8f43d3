/**
 * PostgreSQL for the process tests: suites that need it, and a dedicated throwaway server that a
 * test may stop and start again. The run's shared server (test/support/global-setup.ts) must never
 * be stopped, since other test files use it at the same time; this one belongs to one test alone.
 * Starting it follows global-setup.ts: initdb into a temporary directory, the server as a child
 * of this process, run as the `postgres` user when the tests run as root.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { postgresSkipReason, postgresUrl } from '../support/databases.ts';
import { freePort, sleep, within } from '../support/server-process.ts';

const POSTGRES_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';
const CONNECT_WAIT_MS = 60_000;
const CONNECT_POLL_INTERVAL_MS = 200;
const CHILD_EXIT_WAIT_MS = 10_000;
const START_ATTEMPTS = 3;
const LOG_LINES_ON_FAILURE = 30;

/**
 * Declares a suite that needs the run's PostgreSQL server. Without one it is skipped with the
 * reason in its title, or fails under SLUICE_REQUIRE_ALL=1, as describeEachDialect does.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (postgresUrl()) {
    describe(`${name} [postgres]`, body);
    return;
  }
  declareUnavailable(name, postgresSkipReason(), body);
}

/** Declares a suite that starts its own PostgreSQL server, so it needs the server binaries. */
export function describeWithPostgresBinaries(name: string, body: () => void): void {
  if (postgresBinDir()) {
    describe(`${name} [postgres]`, body);
    return;
  }
  declareUnavailable(name, `no PostgreSQL server binaries (${POSTGRES_ROOT}/*/bin/initdb) to start a dedicated server`, body);
}

function declareUnavailable(name: string, reason: string, body: () => void): void {
  if (process.env.SLUICE_REQUIRE_ALL === '1') {
    describe(`${name} [postgres]`, () => {
      it('needs postgres', () => {
        throw new Error(`postgres is required (SLUICE_REQUIRE_ALL=1) but unavailable: ${reason}`);
      });
    });
    return;
  }
  const meta = { sluiceSkipReason: `postgres: ${reason}` };
  describe.skip(`${name} [postgres skipped: ${reason}]`, { meta }, body);
}

/** Debian installs each major version side by side; the newest one is the one to test against. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && isExecutable(join(POSTGRES_ROOT, name, 'bin', 'initdb')))
    .sort((left, right) => Number(right) - Number(left));
  const newest = versions[0];
  return newest === undefined ? undefined : join(POSTGRES_ROOT, newest, 'bin');
}

export interface DedicatedPostgres {
  /** URL of its `postgres` database. */
  readonly url: string;
  /** Stops the server: `immediate` is a crash (no checkpoint, sessions cut), `fast` a clean stop. */
  stop(mode: 'immediate' | 'fast'): void;
  /** Starts it again on the same data directory and port, and waits until it takes queries. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  destroy(): Promise<void>;
}

/** Initialises and starts a PostgreSQL server nobody else uses, on a free loopback port. */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error(`no PostgreSQL server binaries under ${POSTGRES_ROOT}`);
  // PostgreSQL refuses to run as root, so under root every server command runs as `postgres`.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureServerUser();
  // The sluice-pg- prefix is what .ci/run looks for when it cleans up servers left behind.
  const baseDir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const dataDir = join(baseDir, 'data');
  const logFile = join(baseDir, 'server.log');
  if (asRoot) chownToServerUser(baseDir);
  const asServerUser = (command: string, args: readonly string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', SERVER_USER, '--', command, ...args]] : [command, [...args]];
  const run = (command: string, args: readonly string[]): void => {
    const [file, argv] = asServerUser(command, args);
    const result = spawnSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${`${result.stdout}${result.stderr}`.trim()}`);
  };

  let postmaster: ChildProcess | undefined;
  let port = 0;
  const url = () => `postgres://${SERVER_USER}@127.0.0.1:${port}/postgres`;

  const launch = async (): Promise<void> => {
    const [file, argv] = asServerUser(join(binDir, 'postgres'), [
      '-D', dataDir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `port=${port}`,
      '-c', `unix_socket_directories=${baseDir}`,
      '-c', 'fsync=on',
      '-c', 'synchronous_commit=on',
    ]);
    const logFd = openSync(logFile, 'a');
    const child = spawn(file, argv, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    let exitedWith: string | undefined;
    child.once('error', (error) => (exitedWith = error.message));
    child.once('exit', (code, signal) => (exitedWith = `exit code ${code ?? signal}`));
    postmaster = child;
    await waitForConnection(url(), CONNECT_WAIT_MS, () => exitedWith);
  };

  const stop = (mode: 'immediate' | 'fast'): void => {
    if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
    run(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
  };
  const reap = async (): Promise<void> => {
    const child = postmaster;
    postmaster = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await within(new Promise((resolve) => child.once('exit', resolve)), CHILD_EXIT_WAIT_MS);
  };
  const destroy = async (): Promise<void> => {
    try {
      try {
        stop('fast');
      } catch {
        stop('immediate');
      }
      await reap();
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  };
  process.once('exit', () => {
    // The last chance when the worker dies without running afterAll: nothing asynchronous runs here.
    try {
      stop('immediate');
    } catch {
      // The server may already be gone.
    }
    rmSync(baseDir, { recursive: true, force: true });
  });

  try {
    run(join(binDir, 'initdb'), ['-D', dataDir, '-U', SERVER_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
      // A free port can be taken between probing and binding, so starting is retried.
      port = await freePort();
      try {
        await launch();
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        try {
          stop('immediate');
        } catch {
          // It never came up.
        }
        await reap();
      }
    }
    if (lastError) throw lastError;
  } catch (error) {
    const log = tail(logFile, LOG_LINES_ON_FAILURE);
    await destroy();
    throw new Error(`${(error as Error).message}${log ? `\n--- server log ---\n${log}` : ''}`);
  }

  return {
    get url() {
      return url();
    },
    stop(mode) {
      stop(mode);
      void reap();
    },
    async start() {
      await reap();
      await launch();
    },
    destroy,
  };
}

/** Polls until a real client can run a query, so no test races a server that is still starting. */
async function waitForConnection(url: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const reason = exited();
    if (reason) throw new Error(`PostgreSQL stopped while starting (${reason})`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(CONNECT_POLL_INTERVAL_MS);
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message}`);
}

function ensureServerUser(): void {
  if (spawnSync('id', ['-u', SERVER_USER], { stdio: 'ignore' }).status === 0) return;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function chownToServerUser(path: string): void {
  const uid = Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8' }).trim());
  chownSync(path, uid, gid);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
