import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { migrate, openSqlite, textKey, type Database } from '../../db/index.ts';
import type { RiskEvent } from '../features/index.ts';
import { createEdgeIndexWriter, edgeIndexIntact, resetEdgeIndex, type EdgeRunLimits } from './graph.edge-runs.ts';
import { graphMigrations } from './graph.migrations.ts';
import { createGraphService } from './graph.service.ts';
import { createManualClock } from '../../kernel/index.ts';
import { edgesAround, insertEventEdges, pruneEdges, type StoredEdge } from './graph.repository.ts';

/**
 * On SQLite the graph's edges by account are sorted runs and a tail. Whatever state they are in,
 * edgesAround must answer exactly what a scan of graph_edges answers.
 */

/** Limits tiny enough that a few dozen edges make runs, merges of every level, and merges left halfway. */
const TINY: EdgeRunLimits = { tailMaxEdges: 3, mergeFanIn: 2, levelBaseEntries: 2, mergeWorkPerEntry: 1, mergeStepMinEntries: 1 };
const ACCOUNTS = ['a', 'b', 'c', 'd', 'e'];
const ID_MAX = 100;

const scratch = mkdtempSync(join(tmpdir(), 'sluice-edge-runs-'));
let files = 0;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const nextFile = () => join(scratch, `graph-${files++}.db`);
const openFile = () => openSqlite(nextFile());

type Op =
  | { kind: 'record'; via: number; edges: { id: number; at: number; source: number; target: number }[] }
  | { kind: 'step'; writer: number; entries: number }
  | { kind: 'prune'; via: number; before: number; limit: number }
  | { kind: 'deleteNewest' };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(fc.record({ id: fc.nat(80), at: fc.nat(40), source: fc.nat(ACCOUNTS.length - 1), target: fc.nat(ACCOUNTS.length - 1) }), { maxLength: 6 })
      .chain((edges) => fc.nat(1).map((via) => ({ kind: 'record' as const, via, edges }))),
  },
  { weight: 6, arbitrary: fc.record({ writer: fc.nat(1), entries: fc.integer({ min: 1, max: 8 }) }).map((step) => ({ kind: 'step' as const, ...step })) },
  { weight: 1, arbitrary: fc.record({ via: fc.nat(1), before: fc.nat(40), limit: fc.nat(6) }).map((prune) => ({ kind: 'prune' as const, ...prune })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deleteNewest' as const }) },
);

const event = (id: string, atMs: number, source: string, target: string): RiskEvent => ({ id, atMs, amountMinor: BigInt(atMs + 1), currency: 'CNY', debitAccountId: source, creditAccountId: target });

async function openGraph(): Promise<Database> {
  const db = openFile();
  await migrate(db, graphMigrations);
  return db;
}

/**
 * Two connections to the file, as two processes sharing it have, each recording, pruning and
 * stepping with a writer of its own (and its own merge debt). Queries are checked through the
 * first after every op that leaves a merge in progress too, and at the end.
 */
async function apply(db: Database, other: Database, ops: readonly Op[], limits: EdgeRunLimits): Promise<void> {
  const connections = [db, other];
  const writers = connections.map((connection) => createEdgeIndexWriter(connection.sqlite!, limits));
  const merging = db.sqlite!.prepare('SELECT merge_run FROM graph_edge_index_state').pluck();
  for (const op of ops) {
    if (merging.get() !== null) {
      checkStructure(db);
      await checkQueries(db);
    }
    if (op.kind === 'record') {
      const events = op.edges.map((edge) => event(`e${edge.id}`, edge.at, ACCOUNTS[edge.source] as string, ACCOUNTS[edge.target] as string));
      await connections[op.via]!.transaction((tx) => insertEventEdges(tx, events, ID_MAX));
    } else if (op.kind === 'step') {
      await connections[op.writer]!.transaction(async () => writers[op.writer]?.step(op.entries));
    } else if (op.kind === 'prune') {
      await pruneEdges(connections[op.via]!, op.before, op.limit);
    } else {
      // As a repair by hand might: the newest row goes, and SQLite gives its rowid to the next edge.
      await db.run('DELETE FROM graph_edges WHERE rowid = (SELECT MAX(rowid) FROM graph_edges)');
    }
  }
}

/** What edgesAround must answer, from a scan of every edge. */
async function scanned(db: Database, accountIds: readonly string[], limit: number): Promise<StoredEdge[]> {
  const all = await db.all<{ id: string }>('SELECT id FROM graph_edges');
  const every = await edgesAroundByScan(db, all.map((row) => row.id));
  return every
    .filter((edge) => accountIds.includes(edge.source) || accountIds.includes(edge.target))
    .sort((left, right) => right.atMs - left.atMs || (left.id < right.id ? 1 : left.id > right.id ? -1 : 0))
    .slice(0, limit);
}

async function edgesAroundByScan(db: Database, ids: readonly string[]): Promise<StoredEdge[]> {
  const rows = await db.all<{ id: string; at_ms: bigint; source_account: string; target_account: string; amount_minor: bigint; currency: string; payment: bigint }>(
    'SELECT id, at_ms, source_account, target_account, amount_minor, currency, payment FROM graph_edges',
  );
  const wanted = new Set(ids);
  return rows.filter((row) => wanted.has(row.id)).map((row) => ({
    id: row.id, atMs: Number(row.at_ms), source: row.source_account, target: row.target_account, amountMinor: row.amount_minor, currency: row.currency,
    deviceId: null, sourceParty: null, targetParty: null, payment: Number(row.payment) === 1,
  }));
}

/** Structural promises: entries only in listed runs, settled runs' counts true, every indexed edge's two ends in a run. */
function checkStructure(db: Database): void {
  const raw = db.sqlite!;
  const count = (sql: string) => Number(raw.prepare(sql).pluck().get() as bigint);
  expect(count('SELECT COUNT(*) FROM graph_edge_entries WHERE run NOT IN (SELECT run FROM graph_edge_runs)')).toBe(0);
  const settled = raw.prepare('SELECT r.entries, (SELECT COUNT(*) FROM graph_edge_entries e WHERE e.run = r.run) AS actual FROM graph_edge_runs r WHERE r.merging <> 1').all() as { entries: bigint; actual: bigint }[];
  for (const run of settled) expect(run.actual).toBe(run.entries);
  const through = raw.prepare('SELECT indexed_through FROM graph_edge_index_state').pluck().get() as bigint;
  const has = raw.prepare('SELECT COUNT(*) FROM graph_edge_entries WHERE run IN (SELECT run FROM graph_edge_runs) AND account = ? AND at_ms = ? AND edge = ?').pluck();
  const edges = raw.prepare('SELECT rowid, at_ms, source_account, target_account FROM graph_edges WHERE rowid <= ?').all(through) as { rowid: bigint; at_ms: bigint; source_account: string; target_account: string }[];
  for (const edge of edges) {
    for (const account of [edge.source_account, edge.target_account]) expect(has.get(textKey(account), edge.at_ms, edge.rowid)).toBeGreaterThanOrEqual(1n);
  }
}

const GROUPS = [...ACCOUNTS.map((account) => [account]), ['a', 'b'], ['c', 'e', 'nobody'], ['nobody']];

async function checkQueries(db: Database, groups: readonly (readonly string[])[] = GROUPS): Promise<void> {
  for (const accounts of groups) {
    for (const limit of [1, 3, 1000]) expect(await edgesAround(db, accounts, limit)).toEqual(await scanned(db, accounts, limit));
  }
}

describe('edges by account on SQLite (sorted runs and a tail)', () => {
  it('answers every query by account exactly as a scan of the edges does, in any state of runs, tail, merges and pruning by two processes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 10, maxLength: 60, size: '+1' }), async (ops) => {
        const file = nextFile();
        const db = openSqlite(file);
        await migrate(db, graphMigrations);
        const other = openSqlite(file);
        try {
          await apply(db, other, ops, TINY);
          checkStructure(db);
          await checkQueries(db);
        } finally {
          await other.close();
          await db.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('re-checks the accounts of the edges an entry names, so a key two ids share returns only their own edges', async () => {
    const db = await openGraph();
    await db.transaction((tx) => insertEventEdges(tx, [event('x1', 5, 'x', 'y'), event('a1', 6, 'a', 'b')], ID_MAX));
    const writer = createEdgeIndexWriter(db.sqlite!, { ...TINY, tailMaxEdges: 1 });
    await db.transaction(async () => writer.step(100));
    // An entry under a's key naming the edge x → y: what a collision of a's key with x's would leave.
    await db.run('INSERT INTO graph_edge_entries (run, account, at_ms, edge) SELECT 1, ?, at_ms, rowid FROM graph_edges WHERE id = ?', [textKey('a'), 'x1']);
    expect((await edgesAround(db, ['a'], 10)).map((edge) => edge.id)).toEqual(['a1']);
    expect((await edgesAround(db, ['x'], 10)).map((edge) => edge.id)).toEqual(['x1']);
    await db.close();
  });

  it('gives a new edge that takes the rowid of a deleted one to the tail, and merges its entry with the one left behind', async () => {
    const db = await openGraph();
    const writer = createEdgeIndexWriter(db.sqlite!, { tailMaxEdges: 1, mergeFanIn: 2, levelBaseEntries: 1000, mergeWorkPerEntry: 4, mergeStepMinEntries: 1 });
    // The second edge arrived late: it is older than the first, and pruned first.
    await db.transaction((tx) => insertEventEdges(tx, [event('first', 7, 'a', 'b'), event('second', 5, 'a', 'c')], ID_MAX));
    await db.transaction(async () => writer.step(100));
    expect(await pruneEdges(db, 6, 10)).toBe(1);
    // SQLite gives its rowid to the next edge, at the same instant and from the same account.
    await db.transaction((tx) => insertEventEdges(tx, [event('third', 5, 'a', 'd')], ID_MAX));
    expect(await db.get("SELECT rowid AS edge FROM graph_edges WHERE id = 'third'")).toEqual({ edge: 2n });
    expect((await edgesAround(db, ['a'], 10)).map((edge) => edge.id)).toEqual(['first', 'third']);
    await db.transaction((tx) => insertEventEdges(tx, [event('fourth', 9, 'a', 'b')], ID_MAX));
    // A run of the tail, then the merge of the two runs, which both hold (a, 5, 2).
    await db.transaction(async () => writer.step(100));
    while ((await db.transaction(async () => writer.step(100))).more);
    // Eight entries less the one key held twice. The pruned edge's entry under c stays: it is no older
    // than the oldest edge left, so the merge cannot tell it from a live one; reads re-check it.
    expect(await db.all('SELECT run, entries, merging FROM graph_edge_runs')).toEqual([{ run: 3n, entries: 7n, merging: 0n }]);
    expect(await edgesAround(db, ['c'], 10)).toEqual([]);
    checkStructure(db);
    await checkQueries(db);
    await db.close();
  });

  it('drops at a merge the entries of edges pruned before it', async () => {
    const db = await openGraph();
    const writer = createEdgeIndexWriter(db.sqlite!, { tailMaxEdges: 3, mergeFanIn: 2, levelBaseEntries: 1000, mergeWorkPerEntry: 4, mergeStepMinEntries: 1 });
    const write = (from: number) => db.transaction((tx) => insertEventEdges(tx, [0, 1, 2].map((offset) => event(`p${from + offset}`, from + offset, 'a', `b${offset}`)), ID_MAX));
    await write(0);
    await db.transaction(async () => writer.step(100));
    expect(await pruneEdges(db, 2, 10)).toBe(2);
    await write(3);
    while ((await db.transaction(async () => writer.step(100))).more);
    expect(await db.all('SELECT run, entries FROM graph_edge_runs')).toEqual([{ run: 3n, entries: 8n }]);
    expect(await db.get('SELECT MIN(at_ms) AS oldest FROM graph_edge_entries')).toEqual({ oldest: 2n });
    await checkQueries(db, [['a'], ['b0'], ['b1']]);
    await db.close();
  });

  it('alternates runs and merges while indexing a long tail, as an import leaves, so queries do not seek every run written', async () => {
    const db = await openGraph();
    const limits: EdgeRunLimits = { tailMaxEdges: 4, mergeFanIn: 4, levelBaseEntries: 4, mergeWorkPerEntry: 4, mergeStepMinEntries: 1 };
    await db.transaction((tx) => insertEventEdges(tx, Array.from({ length: 400 }, (_, n) => event(`i${n}`, n, `acct-${n % 13}`, `acct-${(n * 7 + 1) % 13}`)), ID_MAX));
    const writer = createEdgeIndexWriter(db.sqlite!, limits);
    const runCount = db.sqlite!.prepare('SELECT COUNT(*) FROM graph_edge_runs').pluck();
    let most = 0;
    for (let step = 0; step < 2_000 && (await db.transaction(async () => writer.step(8))).more; step++) most = Math.max(most, Number(runCount.get() as bigint));
    expect(Number(db.sqlite!.prepare('SELECT indexed_through FROM graph_edge_index_state').pluck().get() as bigint)).toBeGreaterThan(400 - limits.tailMaxEdges);
    // 100 runs of 4 edges were written, and without merging between them all 100 were there at once.
    // One merge goes on at a time, so runs gather while a large one does (26 here), but not all.
    expect(most).toBeLessThan(40);
    checkStructure(db);
    await checkQueries(db, [['acct-0'], ['acct-5', 'acct-12']]);
    await db.close();
  });

  it('indexes the edges already stored when an installation upgrades, waiting or not, and drops the by-account indexes', async () => {
    const db = openFile();
    await migrate(db, graphMigrations.slice(0, 4));
    const insert = "INSERT INTO graph_edges (id, at_ms, source_account, target_account, amount_minor, currency, account_indexed) VALUES (?, ?, ?, ?, 1, 'CNY', ?)";
    for (let index = 0; index < 12; index++) await db.run(insert, [`old-${index}`, 100 + (index % 5), ACCOUNTS[index % 5] as string, ACCOUNTS[(index + 1) % 5] as string, index % 3 === 0 ? 0 : 1]);
    // An edge from an account to itself has one entry.
    await db.run(insert, ['self', 200, 'a', 'a', 1]);
    await migrate(db, graphMigrations);
    expect(await db.get('SELECT indexed_through, merge_run FROM graph_edge_index_state')).toEqual({ indexed_through: 13n, merge_run: null });
    expect(await db.all('SELECT run, level, entries, merging FROM graph_edge_runs')).toEqual([{ run: 1n, level: 0n, entries: 25n, merging: 0n }]);
    const indexes = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'graph_edges' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    expect(indexes.map((row) => row.name)).toEqual(['graph_edges_at']);
    checkStructure(db);
    await checkQueries(db);
    // New edges go to the tail and are found there, then in a run of their own.
    await db.transaction((tx) => insertEventEdges(tx, [event('new-1', 300, 'a', 'c'), event('new-2', 301, 'd', 'a')], ID_MAX));
    expect((await edgesAround(db, ['a'], 3)).map((edge) => edge.id)).toEqual(['new-2', 'new-1', 'self']);
    await db.transaction(async () => createEdgeIndexWriter(db.sqlite!, { ...TINY, tailMaxEdges: 2 }).step(100));
    expect(await db.get('SELECT indexed_through FROM graph_edge_index_state')).toEqual({ indexed_through: 15n });
    checkStructure(db);
    await checkQueries(db);
    await db.close();
  });

  it('keeps each step bounded: a run of at most half its entries in edges, merges of about its entries', async () => {
    const db = await openGraph();
    const limits: EdgeRunLimits = { tailMaxEdges: 8, mergeFanIn: 4, levelBaseEntries: 16, mergeWorkPerEntry: 4, mergeStepMinEntries: 4 };
    const writer = createEdgeIndexWriter(db.sqlite!, limits);
    const done: number[] = [];
    // Batches of three tails: a step writes at most 8 edges (16 entries) of them as a run.
    for (let batch = 0; batch < 30; batch++) {
      const events = Array.from({ length: 24 }, (_, index) => {
        const n = batch * 24 + index;
        return event(`b${n}`, n, `acct-${(n * 37) % 101}`, `acct-${(n * 53 + 1) % 101}`);
      });
      await db.transaction((tx) => insertEventEdges(tx, events, ID_MAX));
      for (let step = 0; step < 20; step++) {
        const result = await db.transaction(async () => writer.step(16));
        done.push(result.entries);
        if (!result.more) break;
      }
    }
    checkStructure(db);
    // A step asked for 16 entries does at most about twice that (a merge takes its share from each input).
    expect(Math.max(...done)).toBeLessThanOrEqual(2 * 16 + limits.mergeFanIn);
    // Merging keeps abreast: 90 runs were written, a handful are left.
    const runs = Number(db.sqlite!.prepare('SELECT COUNT(*) FROM graph_edge_runs').pluck().get() as bigint);
    expect(runs).toBeLessThanOrEqual(3 * limits.mergeFanIn);
    await checkQueries(db, [['acct-0'], ['acct-1', 'acct-54'], ['acct-100']]);
    await db.close();
  });
});

describe('an index whose edges were renumbered, as a VACUUM may renumber rowids', () => {
  const SMALL: EdgeRunLimits = { ...TINY, tailMaxEdges: 4, mergeFanIn: 4 };

  /** Records `count` edges among the accounts from `first` on, each at its own instant. */
  async function record(db: Database, first: number, count: number): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => event(`r${first + i}`, first + i, ACCOUNTS[(first + i) % 5] as string, ACCOUNTS[(first + i + 2) % 5] as string));
    await db.transaction((tx) => insertEventEdges(tx, events, ID_MAX));
  }

  async function indexAll(db: Database): Promise<void> {
    const writer = createEdgeIndexWriter(db.sqlite!, SMALL);
    for (let step = 0; step < 10_000; step++) if (!(await db.transaction(async () => writer.step(8))).more) return;
    throw new Error('the index did not catch up');
  }

  /** What a VACUUM that fills the gap pruning left at the front does: every rowid moves down by the gap. */
  async function renumber(db: Database, gap: number): Promise<void> {
    await db.run('UPDATE graph_edges SET rowid = rowid - ?', [gap]);
  }

  async function queriesWrong(db: Database): Promise<boolean> {
    const ids = (edges: readonly StoredEdge[]) => edges.map((edge) => edge.id).join();
    for (const account of ACCOUNTS) if (ids(await edgesAround(db, [account], 1000)) !== ids(await scanned(db, [account], 1000))) return true;
    return false;
  }

  it('finds an index that names other edges, and one whose tail starts past the last edge, and builds it again from the edges', async () => {
    for (const unindexedTail of [0, 40]) {
      const db = await openGraph();
      try {
        await record(db, 0, 60);
        await indexAll(db);
        await record(db, 60, unindexedTail);
        expect(await db.transaction(async () => edgeIndexIntact(db.sqlite!))).toBe(true);
        await pruneEdges(db, 21, 1000);
        expect(await db.transaction(async () => edgeIndexIntact(db.sqlite!))).toBe(true);
        await renumber(db, 21);
        // Without a check, queries by account now miss edges (and no error says so).
        expect(await queriesWrong(db)).toBe(true);
        expect(await db.transaction(async () => edgeIndexIntact(db.sqlite!))).toBe(false);
        await db.transaction(async () => resetEdgeIndex(db.sqlite!));
        await checkQueries(db);
        await indexAll(db);
        checkStructure(db);
        await checkQueries(db);
        expect(await db.transaction(async () => edgeIndexIntact(db.sqlite!))).toBe(true);
      } finally {
        await db.close();
      }
    }
  });

  it('is checked by the graph service as it starts, which builds it again in the background', async () => {
    const db = await openGraph();
    try {
      await record(db, 0, 60);
      await indexAll(db);
      await record(db, 60, 40);
      await pruneEdges(db, 21, 1000);
      await renumber(db, 21);
      const graph = createGraphService({ db, clock: createManualClock(1_000), edgeRunLimits: SMALL, edgeIndexStepEntries: 8 });
      await graph.start();
      await vi.waitFor(async () => expect(await queriesWrong(db)).toBe(false), { timeout: 10_000 });
      await graph.stop();
      await checkQueries(db);
    } finally {
      await db.close();
    }
  });
});
