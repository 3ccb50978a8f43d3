/**
 * Real Sluice server processes for tests that kill, restart and starve them of their database.
 * Each server is `node --import tsx src/cli.ts start`, run directly by this Node (not through npx,
 * whose extra process would swallow SIGKILL), listening on a port the kernel picks on 127.0.0.1.
 * Every process started here is killed when the test file ends, even if the test forgot to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A preset admin key, so that every process of a test authenticates with the same text. */
export const TEST_ADMIN_KEY = 'sluice-process-test-admin-key-0123456789';
/** Processes sharing one PostgreSQL database must seal their signing keys with one secret. */
const TEST_KEY_SECRET = 'sluice-process-test-key-secret-0123456789';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'src/cli.ts';
/** The Node flags `bin/sluice.js` and `npm start` run the server with, so that tests and benchmarks see what operators run. */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
/** tsx compiles the sources on first start, and the machine may be busy with other test files. */
const START_TIMEOUT_MS = 60_000;
/** A process that ignores SIGTERM this long is killed outright. */
const EXIT_WAIT_MS = 10_000;
/** How much of a process's output is kept for failure messages. */
const OUTPUT_KEEP_CHARS = 16_000;
/** Client-side limit on one HTTP request, so a hung server fails the test instead of stalling it. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface SluiceOptions {
  /**
   * The data folder (the embedded SQLite database lives there). Without one, the process gets a
   * temporary folder of its own, removed when it exits, so nothing is written into the repository.
   */
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  /** Extra environment variables (SLUICE_* settings) for this process. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SluiceProcess {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  readonly pid: number;
  /** True once the process has exited. */
  exited(): boolean;
  /** How the process ended: its exit code, or the signal that ended it; undefined while it runs. */
  exitStatus(): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  /** Closes this end of the process's stdout and stderr pipes, as a log reader that died would. */
  closeOutput(): void;
  /** The last part of what the process wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** Sends the signal and waits (bounded) for the process to exit; SIGTERM escalates to SIGKILL. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
const temporaryDirs = new Set<string>();
// The worker running a test file may exit without running afterAll (a crash, a timeout); the
// servers it started must not outlive it. Only synchronous work can run in an exit hook.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts a server and resolves once it prints its address, which it does only after migrations,
 * bootstrap and listen have completed. Rejects (and kills the process) if that does not happen.
 */
export async function startSluice(options: SluiceOptions): Promise<SluiceProcess> {
  const env: Record<string, string> = {};
  // Settings of the test run itself (the test database URL, Vitest's own variables) must not
  // leak into the server: it is configured only by what this test passes.
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(SLUICE_|VITEST|NODE_OPTIONS$)/.test(name)) env[name] = value;
  }
  const ownDataDir = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'sluice-process-'));
  if (ownDataDir) temporaryDirs.add(ownDataDir);
  Object.assign(env, {
    SLUICE_HOST: '127.0.0.1',
    SLUICE_PORT: '0',
    SLUICE_ADMIN_KEY: TEST_ADMIN_KEY,
    SLUICE_DEMO: '0',
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_KEY_SECRET: TEST_KEY_SECRET,
    SLUICE_DATA_DIR: options.dataDir ?? ownDataDir,
    ...(options.databaseUrl ? { SLUICE_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  });
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', CLI, 'start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEEP_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      children.delete(child);
      if (ownDataDir) {
        rmSync(ownDataDir, { recursive: true, force: true });
        temporaryDirs.delete(ownDataDir);
      }
      resolve();
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (exited()) return;
    child.kill(signal);
    if (await within(exit, EXIT_WAIT_MS)) return;
    child.kill('SIGKILL');
    await within(exit, EXIT_WAIT_MS);
  };

  const url = await new Promise<string>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`did not print its address within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void kill('SIGKILL').then(() => reject(new Error(`sluice start ${why}; its output:\n${output}`)));
    };
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match?.[1] || settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off('data', look);
      resolve(match[1]);
    };
    child.stdout?.on('data', look);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    child.once('exit', (code, signal) => fail(`exited with ${code ?? signal} before listening`));
  });

  const exitStatus = () => (exited() ? { code: child.exitCode, signal: child.signalCode } : undefined);
  const closeOutput = () => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  return { url, pid: child.pid as number, exited, exitStatus, closeOutput, output: () => output, kill };
}

/** Kills every server this test file started and has not stopped yet; for afterAll. */
export async function killAllSluice(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await within(exit, EXIT_WAIT_MS);
    }),
  );
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: any;
  readonly elapsedMs: number;
}

export interface Client {
  readonly url: string;
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Answer>;
  get(path: string, timeoutMs?: number): Promise<Answer>;
  post(path: string, body: unknown, timeoutMs?: number): Promise<Answer>;
}

/**
 * A small JSON client. It never retries: tests decide what an unanswered request means. A request
 * that gets no answer in time rejects (AbortSignal timeout), so a hung server cannot hang the test.
 */
export function sluiceClient(url: string, key: string = TEST_ADMIN_KEY): Client {
  const request = async (method: string, path: string, body?: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (contentType.includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // A body that claims to be JSON and is not stays text; the test's assertions will say so.
      }
    }
    return { status: response.status, contentType, body: parsed, elapsedMs: performance.now() - started };
  };
  return {
    url,
    request,
    get: (path, timeoutMs) => request('GET', path, undefined, timeoutMs),
    post: (path, body, timeoutMs) => request('POST', path, body, timeoutMs),
  };
}

/** Asks the kernel for an unused loopback port, for servers (PostgreSQL) that cannot take port 0. */
export function freePort(): Promise<number> {
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

/** Resolves true when `promise` settles within `ms`, false when the time runs out first. */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; rejects with `what` on timeout. A
 * probe that throws counts as "not yet", so a server that is still starting is simply retried.
 */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
