/**
 * Test access to the databases of this run. SQLite is always there; PostgreSQL is there when the
 * global setup started a throwaway server or SLUICE_TEST_DATABASE_URL names one. Every `open()`
 * gives a database nobody else uses, so test files stay independent and can run in parallel.
 *
 * A suite that needs an optional back end which this machine lacks is registered as skipped, with
 * the reason in its title, so `npm test` can say what it did not run. With SLUICE_REQUIRE_ALL=1
 * (set by .ci/run) the same suite fails instead, so CI never passes by skipping.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, inject, it } from 'vitest';
import type { ProvidedContext } from 'vitest';
import { openPostgres, openSqlite, type Database, type Dialect } from '../../src/db/index.ts';
// The declarations of the provided values live beside the code that provides them.
import type {} from './global-setup.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** Set on tests skipped because this machine lacks something; read by scripts/test.mjs. */
    sluiceSkipReason?: string;
  }
}

export interface DialectContext {
  readonly dialect: Dialect;
  /** Opens a fresh, empty database of this dialect. */
  open(): Promise<Database>;
}

const DEFAULT_POSTGRES_REASON = 'no PostgreSQL server binaries and no SLUICE_TEST_DATABASE_URL';
const DEFAULT_CHROMIUM_REASON = 'no Chromium at /usr/bin/chromium';
/** Creating a database can wait behind another CREATE DATABASE copying the template. */
const ADMIN_CONNECT_TIMEOUT_MS = 10_000;

/** URL of the PostgreSQL server for this run, or undefined when the run has none. */
export function postgresUrl(): string | undefined {
  return provided('pgUrl') ?? (process.env.SLUICE_TEST_DATABASE_URL || undefined);
}

/** Why this run has no PostgreSQL, in words fit for a skipped suite's title. */
export function postgresSkipReason(): string {
  return provided('pgSkipReason') ?? DEFAULT_POSTGRES_REASON;
}

let databaseCounter = 0;

/**
 * Creates a new, uniquely named database on the run's PostgreSQL server and returns its URL.
 * Throwaway servers are deleted whole at the end of the run; on a server named by
 * SLUICE_TEST_DATABASE_URL the `sluice_test_*` databases stay behind and may be dropped by hand.
 */
export async function freshPostgresUrl(): Promise<string> {
  const base = postgresUrl();
  if (!base) throw new Error(`PostgreSQL is not available: ${postgresSkipReason()}`);
  databaseCounter += 1;
  // Only lower-case letters, digits and underscores, so the name needs no quoting; the pid and
  // random suffix keep parallel workers and repeated runs against one server apart.
  const name = `sluice_test_${process.pid}_${databaseCounter}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: ADMIN_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Opens a fresh SQLite file (not `:memory:`, so WAL and fsync behave as in production). */
async function openFreshSqlite(): Promise<Database> {
  const directory = mkdtempSync(join(provided('scratchDir') ?? tmpdir(), 'sqlite-'));
  return openSqlite(join(directory, 'sluice.db'));
}

async function openFreshPostgres(): Promise<Database> {
  return openPostgres(await freshPostgresUrl());
}

/** The dialects this run can test: SQLite always, PostgreSQL when a server is available. */
export function testDialects(): Array<{ dialect: Dialect; open(): Promise<Database> }> {
  const dialects: Array<{ dialect: Dialect; open(): Promise<Database> }> = [{ dialect: 'sqlite', open: openFreshSqlite }];
  if (postgresUrl()) dialects.push({ dialect: 'postgres', open: openFreshPostgres });
  return dialects;
}

/**
 * Declares the same suite once per dialect, titled `name [sqlite]` and `name [postgres]`.
 * `fn` runs at collection time, like a `describe` body, and receives the dialect and an `open`
 * that gives a fresh database. Databases the suite leaves open are closed after it.
 *
 * Without PostgreSQL the postgres copy is still declared, skipped, with the reason in its title
 * (`name [postgres skipped: …]`); with SLUICE_REQUIRE_ALL=1 it fails instead.
 */
export function describeEachDialect(name: string, fn: (context: DialectContext) => void): void {
  describeWithTrackedOpen(`${name} [sqlite]`, 'sqlite', openFreshSqlite, fn);
  if (postgresUrl()) {
    describeWithTrackedOpen(`${name} [postgres]`, 'postgres', openFreshPostgres, fn);
    return;
  }
  const reason = postgresSkipReason();
  declareUnavailable(name, 'postgres', reason, () =>
    fn({
      dialect: 'postgres',
      open: () => Promise.reject(new Error(`PostgreSQL is not available: ${reason}`)),
    }),
  );
}

/**
 * Returns the Chromium executable for console tests. When there is none, declares a suite
 * `name [chromium skipped: …]` (or a failing one under SLUICE_REQUIRE_ALL=1) and returns
 * undefined; the caller then declares its own suite only when a path came back
 * (`if (chromium) describe(…)`), so its tests are not counted as skipped a second time.
 */
export function requireChromium(name: string): string | undefined {
  const path = provided('chromiumPath');
  if (path) return path;
  declareUnavailable(name, 'chromium', chromiumSkipReason());
  return undefined;
}

/**
 * Declares a console suite that needs Chromium: `fn` receives the executable's path. Without
 * Chromium the suite is declared skipped with the reason in its title (its tests counted as
 * skipped), or failing under SLUICE_REQUIRE_ALL=1, exactly like the PostgreSQL copy of
 * `describeEachDialect`.
 */
export function describeWithChromium(name: string, fn: (chromiumPath: string) => void): void {
  const path = provided('chromiumPath');
  if (path) {
    describe(name, () => fn(path));
    return;
  }
  const reason = chromiumSkipReason();
  declareUnavailable(name, 'chromium', reason, () => fn(`/nonexistent/chromium (${reason})`));
}

function chromiumSkipReason(): string {
  return provided('chromiumSkipReason') ?? DEFAULT_CHROMIUM_REASON;
}

function describeWithTrackedOpen(
  title: string,
  dialect: Dialect,
  openFresh: () => Promise<Database>,
  fn: (context: DialectContext) => void,
): void {
  describe(title, () => {
    const opened: Database[] = [];
    // Registered before the suite's own hooks: after-hooks run in reverse order, so this runs
    // last, once the suite has closed what it meant to close. A pool left open would keep
    // connections to the server busy for the rest of the worker's life.
    afterAll(async () => {
      await Promise.all(opened.map((database) => database.close().catch(() => {})));
    });
    fn({
      dialect,
      async open() {
        const database = await openFresh();
        opened.push(database);
        return database;
      },
    });
  });
}

/**
 * Declares a suite for something this machine lacks. Normally it is skipped, its title carries
 * the reason and `body` (if given) declares the tests that would have run, so they are counted
 * as skipped. Under SLUICE_REQUIRE_ALL=1 a single test fails with the reason instead.
 */
function declareUnavailable(name: string, what: string, reason: string, body?: () => void): void {
  if (process.env.SLUICE_REQUIRE_ALL === '1') {
    describe(`${name} [${what}]`, () => {
      it(`needs ${what}`, () => {
        throw new Error(`${what} is required (SLUICE_REQUIRE_ALL=1) but unavailable: ${reason}`);
      });
    });
    return;
  }
  const meta = { sluiceSkipReason: `${what}: ${reason}` };
  describe.skip(`${name} [${what} skipped: ${reason}]`, { meta }, () => {
    let declaredByBody = false;
    if (body) {
      try {
        body();
        declaredByBody = true;
      } catch {
        // A body that cannot even be declared without the back end still counts as skipped.
      }
    }
    if (!declaredByBody) it(`needs ${what}`, { meta }, () => {});
  });
}

/** `inject` only works inside a Vitest worker, and a key may simply not have been provided. */
function provided<K extends keyof ProvidedContext>(key: K): ProvidedContext[K] | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}
