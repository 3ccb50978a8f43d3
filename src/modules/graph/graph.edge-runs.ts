import type BetterSqlite3 from 'better-sqlite3';
import { indexedThrough, inEveryRun, openSortedRuns, sortedRunsSchema, textKey, TEXT_KEY_FUNCTION, type SortedRunLimits, type SortedRunTables } from '../../db/index.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';

/**
 * The graph's index of edges by account on SQLite, as sorted runs (db/sorted-runs.ts, as the
 * ledger's postings are). An edge kept in two by-account B-trees landed at two random pages of
 * each: past a few hundred thousand edges every edge cost about 25 µs of page writes however they
 * were batched, and each batch held SQLite's one writer 8 to 14 ms. Here:
 *
 * - A new edge is only appended to graph_edges. Edges after `indexed_through` (a rowid of
 *   graph_edges) are the tail, which queries scan by rowid, the end of the table.
 * - Once the tail holds GRAPH_LIMITS.edgeIndexTailMax edges, a step turns its oldest edges (at most
 *   half a step's entries) into one run: two entries an edge, one per end, keyed by
 *   (account, at_ms, edge), where `account` is a 64-bit key of the account id (textKey) and `edge`
 *   the edge's rowid, sorted and written front to back after every other run.
 * - Runs are merged a bounded step at a time, paying off the merge work that writing them incurred.
 * - A query seeks its accounts' keys in every run and scans the tail, in one statement, and re-checks
 *   the account columns of the edges it reads: a key two ids share, or an entry whose edge was
 *   pruned (and whose rowid a new edge took), never returns an edge not of those accounts.
 *
 * Pruned edges' entries stay until a merge passes them, which leaves out entries older than every
 * edge left (and keeps one of two entries with the same key, should a new edge have taken a pruned
 * one's rowid). Entries of edges deleted otherwise stay; reads re-check them.
 * The index is derived data: not in the dump; an import leaves every edge in the tail, and the
 * service's steps index it from its start (see catchUp in graph.service.ts).
 */
export const EDGE_RUN_TABLES: SortedRunTables = Object.freeze({
  entries: 'graph_edge_entries',
  runs: 'graph_edge_runs',
  state: 'graph_edge_index_state',
  keys: ['account', 'at_ms', 'edge'],
  /** int64's least value: account keys are hashes, negative as often as not. */
  beforeAll: -(2n ** 63n),
  /**
   * Pruning deletes the oldest edges first: entries older than every edge left are of pruned edges.
   * One lookup per merge statement; a lookup of each entry's edge made merges a third slower.
   */
  keepOnMerge: 'at_ms >= (SELECT MIN(at_ms) FROM graph_edges)',
  sameKeyInRuns: true,
});

export interface EdgeRunLimits extends SortedRunLimits {
  /** Edges the tail holds before a step writes them as a run. */
  readonly tailMaxEdges: number;
}

export const EDGE_RUN_LIMITS: EdgeRunLimits = Object.freeze({
  tailMaxEdges: GRAPH_LIMITS.edgeIndexTailMax,
  mergeFanIn: GRAPH_LIMITS.edgeRunMergeFanIn,
  levelBaseEntries: GRAPH_LIMITS.edgeRunLevelBaseEntries,
  mergeWorkPerEntry: GRAPH_LIMITS.edgeRunMergeWorkPerEntry,
  mergeStepMinEntries: GRAPH_LIMITS.edgeRunMergeStepMinEntries,
});

/** Both ends of the edges in (after, through], as entries of `run`; an edge to itself gives one (UNION). */
const tailEntries = (run: string, after: string, through: string) => `
  SELECT ${run}, ${TEXT_KEY_FUNCTION}(source_account), at_ms, rowid FROM graph_edges WHERE rowid > ${after} AND rowid <= ${through}
  UNION
  SELECT ${run}, ${TEXT_KEY_FUNCTION}(target_account), at_ms, rowid FROM graph_edges WHERE rowid > ${after} AND rowid <= ${through}
  ORDER BY 2, 3, 4`;

/** The level of a run of `entries` as SQL, up to five (informational: the writer works levels out from sizes). */
function levelSql(entries: string): string {
  const bounds = [1, 2, 3, 4, 5].map((level) => ({ level, below: EDGE_RUN_LIMITS.levelBaseEntries * EDGE_RUN_LIMITS.mergeFanIn ** level }));
  return `CASE ${bounds.map(({ level, below }) => `WHEN ${entries} < ${below} THEN ${level - 1}`).join(' ')} ELSE 5 END`;
}

/**
 * SQLite: the tables of the index, the edges already stored as its first run, and the by-account
 * indexes of the deferred scheme (graph/003) dropped with the index of edges waiting for them.
 * account_indexed stays (PostgreSQL reads it), meaning nothing on SQLite.
 *
 * The trigger keeps the tail whole when the newest rows by rowid are deleted (by pruning, which
 * goes by time, or by hand): SQLite gives their rowids to the next rows written, which must then be
 * in the tail, not taken for indexed. It costs a lookup of the last rowid per row deleted.
 */
export const sqliteEdgeRuns = `${sortedRunsSchema(EDGE_RUN_TABLES, '(SELECT COALESCE(MAX(rowid), 0) FROM graph_edges)')}
INSERT INTO graph_edge_entries (run, account, at_ms, edge) ${tailEntries('1', '0', '(SELECT indexed_through FROM graph_edge_index_state)')};
INSERT INTO graph_edge_runs (run, level, entries, merging)
  SELECT 1, ${levelSql('n')}, n, 0 FROM (SELECT COUNT(*) AS n FROM graph_edge_entries) WHERE n > 0;
CREATE TRIGGER graph_edges_last_deleted AFTER DELETE ON graph_edges
  WHEN old.rowid > (SELECT COALESCE(MAX(rowid), 0) FROM graph_edges)
  BEGIN UPDATE graph_edge_index_state SET indexed_through = MIN(indexed_through, (SELECT COALESCE(MAX(rowid), 0) FROM graph_edges)) WHERE id = 1; END;
DROP INDEX IF EXISTS graph_edges_source_indexed;
DROP INDEX IF EXISTS graph_edges_target_indexed;
DROP INDEX IF EXISTS graph_edges_unindexed;
`;

/** What one step did: entries written or merged, the tail it found (at most tailMaxEdges), and whether work is left. */
export interface EdgeIndexStep {
  readonly entries: number;
  readonly tail: number;
  readonly more: boolean;
}

/**
 * Whether the index still names the edges it was written for. Entries name edges by rowid, and a
 * plain `VACUUM` may renumber the rowids of a table without an INTEGER PRIMARY KEY, as graph_edges
 * is (SQLite does not promise otherwise, though today's keeps them): every entry would then point at
 * another edge or none, and edges past the old end of the table would be taken for indexed, so
 * queries by account would miss edges without any error. So the service checks at its start, inside
 * a write transaction: the tail's boundary must not lie past the last edge (deleting the newest
 * edges moves it back, by trigger; a renumbering does not), and of the first and last entries of up
 * to GRAPH_LIMITS.edgeIndexCheckRunsMax runs, at most half may name an edge that does not carry
 * their time and account. An entry of an edge pruned since is fine; one of an edge deleted by hand
 * whose rowid a newer edge took mismatches, but such entries are few where a renumbering moves
 * nearly all of them.
 */
export function edgeIndexIntact(raw: BetterSqlite3.Database, runsMax: number = GRAPH_LIMITS.edgeIndexCheckRunsMax): boolean {
  const through = raw.prepare('SELECT indexed_through FROM graph_edge_index_state WHERE id = 1').pluck().get() as bigint;
  const last = raw.prepare('SELECT COALESCE(MAX(rowid), 0) FROM graph_edges').pluck().get() as bigint;
  if (through > last) return false;
  const runs = raw.prepare('SELECT run FROM graph_edge_runs ORDER BY run LIMIT ?').pluck().all(runsMax) as bigint[];
  const ends = ['ASC', 'DESC'].map((order) =>
    raw.prepare(`SELECT account, at_ms, edge FROM graph_edge_entries WHERE run = ? ORDER BY account ${order}, at_ms ${order}, edge ${order} LIMIT 1`).raw(true));
  const edge = raw.prepare('SELECT at_ms, source_account, target_account FROM graph_edges WHERE rowid = ?').raw(true);
  let checked = 0;
  let mismatched = 0;
  for (const run of runs) {
    for (const end of ends) {
      const entry = end.get(run) as [bigint, bigint, bigint] | undefined;
      if (!entry) continue;
      const [account, atMs, rowid] = entry;
      const row = edge.get(rowid) as [bigint, string, string] | undefined;
      checked += 1;
      if (row && (row[0] !== atMs || (textKey(row[1]) !== account && textKey(row[2]) !== account))) mismatched += 1;
    }
  }
  return mismatched * 2 <= checked;
}

/**
 * Empties the index: every edge is in the tail again, for the service's steps to index from its
 * start (queries scan the tail meanwhile, so nothing is missing, only slower).
 */
export function resetEdgeIndex(raw: BetterSqlite3.Database): void {
  raw.prepare('DELETE FROM graph_edge_entries').run();
  raw.prepare('DELETE FROM graph_edge_runs').run();
  raw.prepare('UPDATE graph_edge_index_state SET indexed_through = 0, merge_run = NULL, merge_account = NULL, merge_at_ms = NULL, merge_edge = NULL WHERE id = 1').run();
}

export interface EdgeIndexWriter {
  /**
   * One step, inside a write transaction: writes the tail's oldest edges as a run when the tail
   * holds tailMaxEdges (at most `entries` / 2 edges) and little merging is owed, and otherwise does
   * up to about `entries` of the merge work outstanding.
   */
  step(entries: number): EdgeIndexStep;
}

export function createEdgeIndexWriter(raw: BetterSqlite3.Database, limits: EdgeRunLimits = EDGE_RUN_LIMITS): EdgeIndexWriter {
  const runs = openSortedRuns(raw, EDGE_RUN_TABLES, limits);
  const lastEdge = raw.prepare('SELECT COALESCE(MAX(rowid), 0) FROM graph_edges').pluck();
  const indexTail = raw.prepare(`INSERT INTO graph_edge_entries (run, account, at_ms, edge) ${tailEntries('@run', '@after', '@through')}`);
  /**
   * Merge work (entries) that writing runs has incurred and no step has done yet. In memory only,
   * as the ledger's: a restart forgets it, and merging lags until the next run incurs more.
   */
  let mergeDebt = 0;

  return {
    step(entries) {
      const after = runs.state().indexedThrough;
      const last = lastEdge.get() as bigint;
      // Rowids are given one after another, so this counts the tail without reading it (rows of
      // the tail deleted since, which are few, make it more than there are).
      const tail = Number(last > after ? last - after : 0n);
      // A tail long enough is written as a run unless more than two steps' merging is owed: after an
      // import, which leaves every edge in the tail, runs and merges then alternate rather than a
      // thousand runs being written, for every query to seek, before the first merge.
      if (tail >= limits.tailMaxEdges && mergeDebt <= 2 * entries * limits.mergeWorkPerEntry) {
        const edges = Math.max(1, Math.floor(entries / 2));
        const through = after + BigInt(Math.min(edges, tail));
        const run = runs.nextRun();
        const written = indexTail.run({ run, after, through }).changes;
        runs.addRun(run, written);
        runs.setIndexedThrough(through);
        mergeDebt += written * limits.mergeWorkPerEntry;
        return { entries: written, tail, more: true };
      }
      if (mergeDebt <= 0) return { entries: 0, tail, more: false };
      const asked = Math.min(mergeDebt, entries);
      const stepped = runs.merge(asked);
      // Nothing to merge: the work incurred is not owed to any run.
      mergeDebt = stepped === null ? 0 : Math.max(0, mergeDebt - Math.max(stepped, asked));
      return { entries: stepped ?? 0, tail, more: mergeDebt > 0 || tail >= limits.tailMaxEdges };
    },
  };
}

/**
 * A subquery (with its parameters) selecting the rowids of graph_edges that may touch the accounts:
 * their entries in every run and the whole tail. The caller re-checks the account columns.
 */
export function edgeRowids(accountIds: readonly string[]): { sql: string; params: bigint[] } {
  const keys = [...new Set(accountIds.map(textKey))];
  return {
    sql: `SELECT edge FROM graph_edge_entries WHERE ${inEveryRun(EDGE_RUN_TABLES)} AND account IN (${keys.map(() => '?').join(', ')})
      UNION ALL SELECT rowid FROM graph_edges WHERE rowid > ${indexedThrough(EDGE_RUN_TABLES)}`,
    params: keys,
  };
}
