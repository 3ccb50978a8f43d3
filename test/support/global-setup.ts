/**
 * Runs once in the main Vitest process before any test worker starts. It decides which optional
 * back ends the run has (PostgreSQL, Chromium), starts a throwaway PostgreSQL server when the
 * machine has the server binaries, and hands the results to the workers with `project.provide`.
 *
 * The returned function is the teardown: Vitest calls it after every test file has finished.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  interface ProvidedContext {
    /** URL of a PostgreSQL database on which tests may CREATE DATABASE; absent when there is none. */
    pgUrl: string;
    /** Why PostgreSQL tests cannot run; absent when `pgUrl` is set. */
    pgSkipReason: string;
    /** Path of a Chromium executable for console tests; absent when there is none. */
    chromiumPath: string;
    /** Why console tests cannot run; absent when `chromiumPath` is set. */
    chromiumSkipReason: string;
    /** A directory for this run's scratch files (SQLite databases), removed at teardown. */
    scratchDir: string;
  }
}

const POSTGRES_ROOT = '/usr/lib/postgresql';
const CHROMIUM_PATH = '/usr/bin/chromium';
const SERVER_USER = 'postgres';
/** How long a new server may take to accept its first connection. */
const CONNECT_WAIT_MS = 60_000;
/** A server named by SLUICE_TEST_DATABASE_URL should already be up; it gets a short grace period. */
const GIVEN_SERVER_WAIT_MS = 15_000;
/** A fast shutdown that takes longer than this is escalated to an immediate one. */
const SERVER_STOP_TIMEOUT_SECONDS = 60;
/** How long to wait for the server's process to be reaped once it has shut down. */
const CHILD_EXIT_WAIT_MS = 10_000;
const CONNECT_POLL_INTERVAL_MS = 200;
/** A free port can be taken by someone else between probing and binding, so starting is retried. */
const START_ATTEMPTS = 3;
/** Several test files each hold a pool of up to ten connections at once, on two workers. */
const MAX_CONNECTIONS = 200;
/** How many lines of the server log to quote when the server does not start. */
const LOG_LINES_ON_FAILURE = 30;

interface ThrowawayServer {
  readonly url: string;
  stop(): Promise<void>;
  /** For the process exit hook, where nothing asynchronous can run any more. */
  stopSync(): void;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const requireAll = process.env.SLUICE_REQUIRE_ALL === '1';
  const previousEnvUrl = process.env.SLUICE_TEST_DATABASE_URL;
  let server: ThrowawayServer | undefined;

  const givenUrl = process.env.SLUICE_TEST_DATABASE_URL;
  if (givenUrl) {
    // A URL set by hand is a promise that the server is there; failing now beats a hundred
    // confusing connection errors later.
    await waitForConnection(givenUrl, GIVEN_SERVER_WAIT_MS).catch((error: unknown) => {
      throw new Error(`SLUICE_TEST_DATABASE_URL is set but PostgreSQL does not answer there: ${describeError(error)}`);
    });
    project.provide('pgUrl', givenUrl);
    console.log(`[sluice tests] PostgreSQL: using SLUICE_TEST_DATABASE_URL (${redact(givenUrl)})`);
  } else {
    const binDir = newestPostgresBinDir();
    if (!binDir) {
      const reason = `no PostgreSQL server binaries (${POSTGRES_ROOT}/*/bin/initdb) and no SLUICE_TEST_DATABASE_URL`;
      project.provide('pgSkipReason', reason);
      console.log(`[sluice tests] PostgreSQL: not available, ${reason}`);
    } else {
      try {
        server = await startThrowawayServer(binDir);
      } catch (error) {
        // With SLUICE_REQUIRE_ALL the run must not go on without PostgreSQL; otherwise the
        // PostgreSQL suites are skipped and the reason is shown, like a machine without binaries.
        if (requireAll) throw error;
        const reason = `the PostgreSQL server from ${binDir} did not start (its error is printed above the test results)`;
        project.provide('pgSkipReason', reason);
        console.warn(`[sluice tests] PostgreSQL: the server from ${binDir} did not start: ${describeError(error)}`);
      }
      if (server) {
        project.provide('pgUrl', server.url);
        // Workers are forked after global setup with a copy of this process's environment, so
        // the variable reaches them too (for code that reads the environment, not `inject`).
        process.env.SLUICE_TEST_DATABASE_URL = server.url;
        console.log(`[sluice tests] PostgreSQL: started a throwaway server from ${binDir} at ${server.url}`);
      }
    }
  }

  if (isExecutable(CHROMIUM_PATH)) {
    project.provide('chromiumPath', CHROMIUM_PATH);
  } else {
    project.provide('chromiumSkipReason', `no Chromium at ${CHROMIUM_PATH}`);
  }

  // Every SQLite file the tests create lives under one directory, so that teardown can remove
  // them all even when a test forgets to clean up after itself.
  const scratchDir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  project.provide('scratchDir', scratchDir);

  // If the main process exits without running teardown (an uncaught error, process.exit), the
  // server must still go: a synchronous exit hook is the last place that can stop it.
  const stopOnExit = (): void => {
    server?.stopSync();
    rmSync(scratchDir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);

  return async function teardown(): Promise<void> {
    process.off('exit', stopOnExit);
    try {
      await server?.stop();
    } finally {
      server = undefined;
      rmSync(scratchDir, { recursive: true, force: true });
    }
    if (previousEnvUrl === undefined) delete process.env.SLUICE_TEST_DATABASE_URL;
    else process.env.SLUICE_TEST_DATABASE_URL = previousEnvUrl;
  };
}

/** Debian installs each major version side by side; the newest one is the one to test against. */
function newestPostgresBinDir(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && isExecutable(join(POSTGRES_ROOT, name, 'bin', 'initdb')))
    .sort((left, right) => Number(right) - Number(left));
  const newest = versions[0];
  return newest === undefined ? undefined : join(POSTGRES_ROOT, newest, 'bin');
}

async function startThrowawayServer(binDir: string): Promise<ThrowawayServer> {
  // PostgreSQL refuses to run as root, so under root every server command runs as the
  // `postgres` system user, which must own the data directory.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureServerUser();
  const baseDir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const dataDir = join(baseDir, 'data');
  const socketDir = baseDir;
  const logFile = join(baseDir, 'server.log');
  if (asRoot) chownToServerUser(baseDir);
  const asServerUser = (command: string, args: readonly string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', SERVER_USER, '--', command, ...args]] : [command, [...args]];
  const run = (command: string, args: readonly string[]): void => {
    const [file, argv] = asServerUser(command, args);
    const result = spawnSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim();
      throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${output}`);
    }
  };

  let postmaster: ChildProcess | undefined;
  const stopServer = (): void => {
    // A pid file means a server may be running. Fast shutdown rolls back open sessions and exits
    // cleanly; `-w` waits until the server is gone, so the directory is free to remove.
    if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
    try {
      run(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', String(SERVER_STOP_TIMEOUT_SECONDS)]);
    } catch {
      run(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
    }
  };
  const stopSync = (): void => {
    try {
      stopServer();
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  };
  const stop = async (): Promise<void> => {
    try {
      stopServer();
      // The server has exited; wait for its parent (runuser) too, so nothing is left unreaped.
      if (postmaster) await exitOf(postmaster, CHILD_EXIT_WAIT_MS);
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  };

  try {
    // `--no-sync` only skips flushing the files initdb itself writes into a directory that is
    // thrown away afterwards; the running server keeps fsync on, because durability is tested.
    run(join(binDir, 'initdb'), [
      '-D', dataDir, '-U', SERVER_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
    ]);
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
      const port = await freePort();
      // The server runs as a child of this process rather than daemonised by `pg_ctl start`, so
      // that this process reaps it: under an init that does not reap orphans a daemonised server
      // would linger as a zombie. It also means Ctrl-C in the terminal stops it with the run.
      const [file, argv] = asServerUser(join(binDir, 'postgres'), [
        '-D', dataDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `port=${port}`,
        '-c', `unix_socket_directories=${socketDir}`,
        '-c', 'fsync=on',
        '-c', 'synchronous_commit=on',
        '-c', `max_connections=${MAX_CONNECTIONS}`,
      ]);
      const logFd = openSync(logFile, 'a');
      const child = spawn(file, argv, { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      let exitedWith: string | undefined;
      child.once('error', (error) => (exitedWith = error.message));
      child.once('exit', (code, signal) => (exitedWith = `exit code ${code ?? signal}`));
      const url = `postgres://${SERVER_USER}@127.0.0.1:${port}/postgres`;
      try {
        await waitForConnection(url, CONNECT_WAIT_MS, () => (exitedWith ? `the server stopped (${exitedWith})` : undefined));
        postmaster = child;
        return { url, stop, stopSync };
      } catch (error) {
        lastError = error;
        stopServer();
        await exitOf(child, CHILD_EXIT_WAIT_MS);
      }
    }
    throw lastError;
  } catch (error) {
    const log = tail(logFile, LOG_LINES_ON_FAILURE);
    stopSync();
    throw new Error(`${describeError(error)}${log ? `\n--- server log ---\n${log}` : ''}`);
  }
}

/** Resolves when the child has exited, or after `timeoutMs` if it does not. */
function exitOf(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The Debian package creates the user; a hand-built PostgreSQL may not have. */
function ensureServerUser(): void {
  const known = spawnSync('id', ['-u', SERVER_USER], { stdio: 'ignore' });
  if (known.status === 0) return;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function chownToServerUser(path: string): void {
  const uid = Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8' }).trim());
  chownSync(path, uid, gid);
}

/** Asks the kernel for an unused loopback port, then releases it for the server to take. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** Polls until a real client can run a query, so no test races a server that is still starting. */
async function waitForConnection(url: string, timeoutMs: number, giveUp: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const reason = giveUp();
    if (reason) throw new Error(`PostgreSQL at ${redact(url)} will not accept connections: ${reason}`);
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
    await new Promise((resolve) => setTimeout(resolve, CONNECT_POLL_INTERVAL_MS));
  }
  throw new Error(`PostgreSQL at ${redact(url)} did not accept connections within ${timeoutMs} ms: ${describeError(lastError)}`);
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

/** Passwords in a URL given by hand must not end up in CI logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || String(error);
  return String(error);
}
