import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportDump, importDump, DumpError, openPostgres, openSqlite, type Database } from '../../src/db/index.ts';
import { createManualClock } from '../../src/kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation, type Platform } from '../../src/platform.ts';
import { loadDemo } from '../../src/demo.ts';
import { freshPostgresUrl, postgresSkipReason, postgresUrl } from '../support/databases.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'sluice-dump-'));
const sqlite = () => openSqlite(join(scratch(), 'sluice.db'));
const open = (db: Database) => createPlatform({ db, clock: createManualClock(), expiryIntervalMs: 0 });

/** Everything a user would compare after a move: balances of every account and the journal head. */
async function fingerprint(platform: Platform) {
  const accounts = await platform.ledger.listAccounts({ order: 'asc', limit: 100 });
  const transfers = await platform.ledger.listTransfers({ order: 'asc', limit: 100 });
  return { accounts, transfers, head: await platform.journal.head(), totals: await platform.ledger.totalsByLedger() };
}

/**
 * Every row of every table, every column the database has (not only those the dump lists): a column a
 * migration added and the dump's table left out shows here as lost. Values are compared as text, since
 * the two databases type them apart (bigint against number, for one).
 */
/**
 * Columns a dump leaves out by design: account_indexed says whether PostgreSQL's by-account indexes hold
 * an edge (an earlier version left some waiting), the store's own business; imported edges are indexed.
 */
const NOT_CARRIED = new Set(['graph_edges.account_indexed']);

async function everyRow(db: Database) {
  const tables: Record<string, string[][]> = {};
  for (const spec of ALL_TABLES) {
    const rows = await db.all(`SELECT * FROM ${spec.name} ORDER BY ${spec.orderBy}`);
    const carried = (column: string) => !NOT_CARRIED.has(`${spec.name}.${column}`);
    tables[spec.name] = rows.map((row) => Object.keys(row).filter(carried).sort().map((column) => `${column}=${row[column] === null ? 'null' : String(row[column])}`));
  }
  return tables;
}

/** `history` adds the demo's month of payments and risk records: slower, so only one move carries it. */
async function move(source: Database, target: Database, history = false) {
  const from = await open(source);
  await loadDemo(from, { payments: 200, history });
  const file = join(scratch(), 'dump.jsonl');
  await exportDump(from.db, ALL_TABLES, file);
  const before = await fingerprint(from);
  const rowsBefore = await everyRow(from.db);
  await from.close();
  const to = await open(target);
  await importDump(to.db, ALL_TABLES, file, () => isEmptyInstallation(to));
  const rowsAfter = await everyRow(to.db);
  const report = await to.verify();
  const after = await fingerprint(to);
  // The moved installation keeps working: the next transfer continues the same chain and clock.
  const next = await to.ledger.createTransfers([{ ...after.transfers[0]!, id: '0190a000-0000-7000-8000-00000000abcd', pendingId: undefined, flags: 0, timeoutSeconds: 0 }]);
  const reportAfterWrite = await to.verify();
  await to.close();
  return { before, after, report, next, reportAfterWrite, rowsBefore, rowsAfter };
}

const KEY_ID = '0123456789abcdef';

/** A demo installation with two FX quotes, one asked by a key and one without, dumped to a file. */
async function dumpWithQuotes() {
  const source = await open(sqlite());
  await loadDemo(source, { payments: 5, history: false });
  const quote = async (requestedBy: string | null) => {
    const result = await source.fx.quote({ sellCurrency: 'USD', buyCurrency: 'CNY', sellAmount: 10_000n, requestedBy });
    if (!result.ok) throw new Error(result.error);
    return result.value.id;
  };
  const [asked, anonymous] = [await quote(KEY_ID), await quote(null)];
  const file = join(scratch(), 'dump.jsonl');
  await exportDump(source.db, ALL_TABLES, file);
  await source.close();
  return { file, asked, anonymous };
}

/** Imports `file` into `db` and answers who asked for each of the quotes named. */
async function quotesAfterImport(db: Database, file: string, ids: readonly string[]) {
  const target = await open(db);
  await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
  const owners = [];
  for (const id of ids) owners.push((await target.fx.getQuote(id))?.requestedBy);
  await target.close();
  return owners;
}

describe('portable dump', () => {
  it('moves an installation between two SQLite files with every balance, transfer and journal entry intact', async () => {
    const { before, after, report, next, reportAfterWrite, rowsBefore, rowsAfter } = await move(sqlite(), sqlite(), true);
    expect(report.ok).toBe(true);
    expect(after).toEqual(before);
    // The demo's history holds a mule-ring case whose alert links payments, and graph edges of payments.
    expect(rowsBefore.case_alerts?.some((row) => row.some((cell) => cell.startsWith('payment_ids=[')))).toBe(true);
    for (const table of Object.keys(rowsBefore)) expect(rowsAfter[table], `rows of ${table} after the move`).toEqual(rowsBefore[table]);
    expect(next[0]?.result).toBe('ok');
    expect(reportAfterWrite.ok).toBe(true);
  });

  it('refuses to import into an installation that already holds ledger data, and changes nothing', async () => {
    const source = await open(sqlite());
    await loadDemo(source, { payments: 10, history: false });
    const file = join(scratch(), 'dump.jsonl');
    await exportDump(source.db, ALL_TABLES, file);
    // The dump holds the whole installation: a new one is its owner's alone.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const headBefore = await source.journal.head();
    await expect(importDump(source.db, ALL_TABLES, file, () => isEmptyInstallation(source))).rejects.toBeInstanceOf(DumpError);
    expect(await source.journal.head()).toEqual(headBefore);
    await source.close();
  });

  it('refuses a damaged dump with the line at fault, and imports nothing of it', async () => {
    const source = await open(sqlite());
    await loadDemo(source, { payments: 5, history: false });
    const file = join(scratch(), 'dump.jsonl');
    await exportDump(source.db, ALL_TABLES, file);
    await source.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const last = lines.length;
    const row = JSON.parse(lines[last - 1]!) as { t: string; r: unknown[] };
    const damaged: [what: string, text: string, message: string][] = [
      ['cut short', [...lines.slice(0, -1), lines[last - 1]!.slice(0, 20)].join('\n'), `line ${last} is not JSON`],
      ['a header that is not an object', ['null', ...lines.slice(1)].join('\n'), 'not a sluice-dump version 1 file'],
      ['a header without its tables', [JSON.stringify({ format: 'sluice-dump', version: 1, tables: 'all' }), ...lines.slice(1)].join('\n'), 'line 1: the header does not list'],
      ['a row of no known table', [...lines, JSON.stringify({ t: 'no_such_table', r: [] })].join('\n'), `line ${last + 1} names no table of this version ("no_such_table")`],
      ['a row that is not an object', [...lines, '[1, 2]'].join('\n'), `line ${last + 1} names no table of this version (nothing)`],
      ['a value that is an object', [...lines, JSON.stringify({ t: row.t, r: row.r.map((value, index) => (index === 0 ? { nested: true } : value)) })].join('\n'), `line ${last + 1}: a row of ${row.t} does not fit`],
      ['a row one value short', [...lines, JSON.stringify({ t: row.t, r: row.r.slice(1) })].join('\n'), `line ${last + 1}: a row of ${row.t} does not fit`],
    ];
    for (const [what, text, message] of damaged) {
      const target = await open(sqlite());
      const broken = join(scratch(), 'broken.jsonl');
      writeFileSync(broken, text);
      const failure = await importDump(target.db, ALL_TABLES, broken, () => isEmptyInstallation(target)).then(() => undefined, (error: unknown) => error);
      expect(failure, what).toBeInstanceOf(DumpError);
      expect((failure as Error).message, what).toContain(message);
      expect(await isEmptyInstallation(target), what).toBe(true);
      await target.close();
    }

    // A line longer than any row is refused by its number without being read whole.
    const longest = Math.max(...lines.map((line) => Buffer.byteLength(line)));
    const target = await open(sqlite());
    const long = join(scratch(), 'long.jsonl');
    writeFileSync(long, [...lines, JSON.stringify({ t: row.t, r: row.r.map((value, index) => (index === 1 ? 'x'.repeat(longest) : value)) }), lines[last - 1]].join('\n'));
    const failure = await importDump(target.db, ALL_TABLES, long, () => isEmptyInstallation(target), { maxLineBytes: longest }).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(DumpError);
    expect((failure as Error).message).toBe(`line ${last + 1} is longer than ${longest} bytes, more than any row this version writes; the dump is damaged`);
    expect(await isEmptyInstallation(target)).toBe(true);
    await target.close();
  });

  it('carries the key that asked for each FX quote, and imports a dump of a version without it as asked by no key', async () => {
    const { file, asked, anonymous } = await dumpWithQuotes();
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { tables: { name: string; columns: string[] }[] };
    expect(header.tables.find((table) => table.name === 'fx_quotes')?.columns.at(-1)).toBe('requested_by');
    const moved = await quotesAfterImport(sqlite(), file, [asked, anonymous]);
    expect(moved).toEqual([KEY_ID, null]);

    // A dump written before the column existed: header and rows of fx_quotes without it.
    const older = join(scratch(), 'older.jsonl');
    writeFileSync(older, `${readFileSync(file, 'utf8').trimEnd().split('\n').map((line, index) => {
      const parsed = JSON.parse(line) as { tables?: { name: string; columns: string[] }[]; t?: string; r?: unknown[] };
      if (index === 0) return JSON.stringify({ ...parsed, tables: parsed.tables!.map((table) => (table.name === 'fx_quotes' ? { ...table, columns: table.columns.slice(0, -1) } : table)) });
      return parsed.t === 'fx_quotes' ? JSON.stringify({ t: parsed.t, r: parsed.r!.slice(0, -1) }) : line;
    }).join('\n')}\n`);
    expect(await quotesAfterImport(sqlite(), older, [asked, anonymous])).toEqual([null, null]);
  });

  const pgDescribe = postgresUrl() ? describe : process.env.SLUICE_REQUIRE_ALL === '1' ? describe : describe.skip;
  pgDescribe(`between SQLite and PostgreSQL${postgresUrl() ? '' : ` [postgres skipped: ${postgresSkipReason()}]`}`, () => {
    it('moves SQLite to PostgreSQL and verifies there', async () => {
      const { before, after, report, reportAfterWrite } = await move(sqlite(), openPostgres(await freshPostgresUrl()));
      expect(report.problems).toEqual([]);
      expect(after).toEqual(before);
      expect(reportAfterWrite.ok).toBe(true);
    });

    it('moves who asked for each FX quote from SQLite to PostgreSQL', async () => {
      const { file, asked, anonymous } = await dumpWithQuotes();
      expect(await quotesAfterImport(openPostgres(await freshPostgresUrl()), file, [asked, anonymous])).toEqual([KEY_ID, null]);
    });

    it('moves PostgreSQL back to SQLite and verifies there', async () => {
      const { before, after, report, reportAfterWrite } = await move(openPostgres(await freshPostgresUrl()), sqlite());
      expect(report.problems).toEqual([]);
      expect(after).toEqual(before);
      expect(reportAfterWrite.ok).toBe(true);
    });
  });
});
