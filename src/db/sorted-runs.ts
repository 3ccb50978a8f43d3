import type BetterSqlite3 from 'better-sqlite3';

/**
 * An index on SQLite written as sorted runs, the way a log-structured merge tree does it, for rows
 * that an ordinary B-tree index would take at as many random pages as a batch has keys:
 *
 * - Rows newer than `indexed_through` (the tail) are in no run; queries scan them by their own key.
 *   Whoever owns the index turns the tail, or a bounded part of it, into one new run: its entries
 *   sorted by the key columns and appended after every other run (see addRun).
 * - Runs of about the same size (one level) are merged in groups of mergeFanIn into one run of the
 *   next level, a bounded step at a time (see merge), so that no commit stalls on a merge. A step
 *   moves a key range out of the input runs into the output run and deletes it from the inputs in
 *   the same transaction: every entry is in exactly one run at every commit, and every step reads
 *   the merge's position from the state row, so processes sharing the file take turns under
 *   SQLite's write lock.
 * - A query seeks its keys in every run (inEveryRun) and scans the tail (indexedThrough): one
 *   statement, so it reads one consistent state while merges go on.
 *
 * Three tables, named by the owner: entries (`run` and the key columns, WITHOUT ROWID, keyed by all
 * of them), runs (run, level, entries, merging) and one state row (indexed_through, merge_run and
 * merge_<key column> for each key column: where the merge in progress has got to). The ledger's
 * postings and the risk graph's edges by account use it.
 */
export interface SortedRunLimits {
  /**
   * Runs of one level merged into one: more means fewer rewrites of each entry but more runs per
   * query. At 16 a million entries are rewritten about once, and a query seeks its key in at most
   * about 45 runs (15 per level), a fraction of a millisecond.
   */
  readonly mergeFanIn: number;
  /** Runs below mergeFanIn × this many entries are level 0; each level above is mergeFanIn times larger. */
  readonly levelBaseEntries: number;
  /**
   * Entries merged per entry indexed. Each entry is rewritten once per level it climbs (four levels
   * hold about 500 million entries), so four keeps merging abreast.
   */
  readonly mergeWorkPerEntry: number;
  /** Fewer entries than this are not worth a merge step of their own. */
  readonly mergeStepMinEntries: number;
}

export interface SortedRunTables {
  readonly entries: string;
  readonly runs: string;
  readonly state: string;
  /** The entries' key columns after `run`, in index order; every one holds 64-bit integers. */
  readonly keys: readonly string[];
  /** Below every value of every key column: where a merge starts. */
  readonly beforeAll: bigint;
  /**
   * A condition on an entry (its columns named bare) that entries must meet to be carried into a
   * merge's output; those that fail it are dropped there (as entries of rows deleted since).
   */
  readonly keepOnMerge?: string;
  /**
   * Whether two runs may hold the same key (an entry of a deleted row left behind, and one of a new
   * row that took the same key): the merge then keeps one of them rather than fail.
   */
  readonly sameKeyInRuns?: boolean;
}

/** The level of a run: 0 below fan-in × base entries, and one more for each further factor of fan-in. */
export function runLevel(entries: number, limits: SortedRunLimits): number {
  let level = 0;
  for (let bound = limits.levelBaseEntries * limits.mergeFanIn; entries >= bound; bound *= limits.mergeFanIn) level++;
  return level;
}

/** Run states in the runs table's `merging`. */
const SETTLED = 0;
const MERGE_INPUT = 1;
const MERGE_OUTPUT = 2;

type Key = readonly bigint[];

/** Keys in index order, column by column. */
function compareKeys(left: Key, right: Key): number {
  for (let column = 0; column < left.length; column++) {
    const l = left[column] as bigint;
    const r = right[column] as bigint;
    if (l !== r) return l < r ? -1 : 1;
  }
  return 0;
}

export interface SortedRunState {
  readonly indexedThrough: bigint;
  readonly mergeRun: bigint | null;
  /** Where the merge in progress has got to; null when none is. */
  readonly mergePosition: Key | null;
}

export interface SortedRuns {
  state(): SortedRunState;
  /** The number the next run takes: after every other. */
  nextRun(): bigint;
  /** Records a run of `entries` entries just written under `run` (nextRun()), settled. */
  addRun(run: bigint, entries: number): void;
  setIndexedThrough(through: bigint): void;
  /**
   * Does about `budget` entries of merge work (at least one step's, at most about twice the budget);
   * returns the entries stepped over, or null when no level is full. Bounded: every step takes at
   * least its per-input share or ends a merge, and every merge ended leaves fewer runs.
   */
  merge(budget: number): number | null;
}

/**
 * The run bookkeeping and merges of one index, on `raw` (whose statements must run inside a write
 * transaction). `limits` other than an owner's defaults are for tests, which need merges after a
 * handful of rows.
 */
export function openSortedRuns(raw: BetterSqlite3.Database, tables: SortedRunTables, limits: SortedRunLimits): SortedRuns {
  const sql = prepare(raw, tables);
  const width = tables.keys.length;

  function state(): SortedRunState {
    const row = sql.state.get() as bigint[];
    const position = row.slice(2) as (bigint | null)[];
    return {
      indexedThrough: row[0] as bigint,
      mergeRun: (row[1] as bigint | null) ?? null,
      mergePosition: row[1] === null ? null : position.map((value) => value ?? tables.beforeAll),
    };
  }
  const nextRun = () => (sql.nextRun.get() as [bigint])[0];

  /**
   * Starts merging the oldest runs of the lowest full level; false when no level is full. Levels are
   * worked out from the runs' sizes (the stored level is for people reading the table), so that a
   * change of limits applies to runs already written.
   */
  function startMerge(): boolean {
    const levels = new Map<number, bigint[]>();
    for (const [run, entries] of sql.settledRuns.all() as [bigint, bigint][]) {
      const level = runLevel(Number(entries), limits);
      levels.set(level, [...(levels.get(level) ?? []), run]);
    }
    const full = [...levels.entries()].filter(([, runs]) => runs.length >= limits.mergeFanIn).sort(([left], [right]) => left - right)[0];
    if (!full) return false;
    const inputs = full[1].slice(0, limits.mergeFanIn);
    const output = nextRun();
    for (const run of inputs) sql.markRun.run(MERGE_INPUT, run);
    sql.addRun.run(output, full[0] + 1, 0, MERGE_OUTPUT);
    sql.setMerge.run(output, ...Array.from({ length: width }, () => tables.beforeAll));
    return true;
  }

  /**
   * Moves the input runs' entries after the merge's position, up to a boundary, into the output run;
   * returns how many it stepped over (deleted from the inputs): at most `perRun` from each input,
   * and `perRun` at least unless the merge ended. The boundary is the smallest of the inputs'
   * perRun-th keys. A boundary taken from one input alone (the largest) swept up whole stretches of
   * the others where their keys differed, as runs written at different times do within a key busy
   * in all of them: a step asked for 1,760 entries moved 24,751 and held every request for 19 ms.
   */
  function mergeStep(output: bigint, from: Key, perRun: number): number {
    const inputRuns = (sql.inputRuns.all() as [bigint][]).map((row) => row[0]);
    // Each input's first key after the position: inputs with none have nothing to move, and those
    // whose first key is past the boundary have nothing to move or delete, nor need their perRun-th
    // key looked up (a walk of perRun entries), so inputs are taken in the order of their first keys.
    const firsts: { run: bigint; first: Key }[] = [];
    for (const run of inputRuns) {
      const first = sql.keyAfter.get(run, ...from, 0) as Key | undefined;
      if (first) firsts.push({ run, first });
    }
    firsts.sort((left, right) => compareKeys(left.first, right.first));
    let boundary: Key | undefined;
    for (const { run, first } of firsts) {
      if (boundary && compareKeys(first, boundary) > 0) break;
      const last = sql.keyAfter.get(run, ...from, perRun - 1) as Key | undefined;
      if (last && (!boundary || compareKeys(last, boundary) < 0)) boundary = last;
    }
    // Deleted run by run: with the run given, SQLite deletes a key range as it walks it, while a
    // range over several runs at once is first collected and then deleted key by key, which made
    // the deletes a third of a merge's cost.
    let stepped = 0;
    if (boundary) {
      const moved = sql.moveRange.run(output, ...from, ...boundary).changes;
      for (const { run, first } of firsts) {
        if (compareKeys(first, boundary) > 0) break;
        stepped += sql.deleteRange.run(run, ...from, ...boundary).changes;
      }
      sql.setMerge.run(output, ...boundary);
      sql.addEntries.run(moved, output);
    } else {
      // Every input has fewer than perRun entries left: the merge ends with them.
      const moved = sql.moveRest.run(output, ...from).changes;
      for (const { run } of firsts) stepped += sql.deleteRest.run(run, ...from).changes;
      sql.addEntries.run(moved, output);
      const entries = Number((sql.entriesOf.get(output) as [bigint])[0]);
      sql.dropInputs.run(MERGE_INPUT);
      sql.settle.run(runLevel(entries, limits), SETTLED, output);
      sql.setMerge.run(null, ...Array.from({ length: width }, () => null));
    }
    return stepped;
  }

  function merge(budget: number): number | null {
    const asked = Math.max(budget, limits.mergeStepMinEntries);
    let stepped = 0;
    while (stepped < asked) {
      let current = state();
      if (current.mergeRun === null) {
        if (!startMerge()) return stepped > 0 ? stepped : null;
        current = state();
      }
      const inputs = Number((sql.inputCount.get() as [bigint])[0]);
      stepped += mergeStep(current.mergeRun as bigint, current.mergePosition as Key, Math.max(1, Math.ceil(asked / Math.max(1, inputs))));
    }
    return stepped;
  }

  return {
    state,
    nextRun,
    addRun(run, entries) {
      if (entries > 0) sql.addRun.run(run, runLevel(entries, limits), entries, SETTLED);
    },
    setIndexedThrough(through) {
      sql.setIndexed.run(through);
    },
    merge,
  };
}

function prepare(raw: BetterSqlite3.Database, tables: SortedRunTables) {
  const { entries, runs, state } = tables;
  const keys = tables.keys.join(', ');
  const marks = tables.keys.map(() => '?').join(', ');
  const position = tables.keys.map((key) => `merge_${key}`);
  const inputs = `run IN (SELECT run FROM ${runs} WHERE merging = ${MERGE_INPUT})`;
  const kept = tables.keepOnMerge ? ` AND (${tables.keepOnMerge})` : '';
  const insert = tables.sameKeyInRuns ? 'INSERT OR IGNORE' : 'INSERT';
  const arrays = (statement: BetterSqlite3.Statement) => statement.raw(true);
  return {
    state: arrays(raw.prepare(`SELECT indexed_through, merge_run, ${position.join(', ')} FROM ${state} WHERE id = 1`)),
    nextRun: arrays(raw.prepare(`SELECT COALESCE(MAX(run), 0) + 1 AS run FROM ${runs}`)),
    addRun: raw.prepare(`INSERT INTO ${runs} (run, level, entries, merging) VALUES (?, ?, ?, ?)`),
    setIndexed: raw.prepare(`UPDATE ${state} SET indexed_through = ? WHERE id = 1`),
    settledRuns: arrays(raw.prepare(`SELECT run, entries FROM ${runs} WHERE merging = ${SETTLED} ORDER BY run`)),
    markRun: raw.prepare(`UPDATE ${runs} SET merging = ? WHERE run = ?`),
    setMerge: raw.prepare(`UPDATE ${state} SET merge_run = ?, ${position.map((column) => `${column} = ?`).join(', ')} WHERE id = 1`),
    inputCount: arrays(raw.prepare(`SELECT COUNT(*) AS n FROM ${runs} WHERE merging = ${MERGE_INPUT}`)),
    inputRuns: arrays(raw.prepare(`SELECT run FROM ${runs} WHERE merging = ${MERGE_INPUT} ORDER BY run`)),
    keyAfter: arrays(raw.prepare(`SELECT ${keys} FROM ${entries} WHERE run = ? AND (${keys}) > (${marks}) ORDER BY ${keys} LIMIT 1 OFFSET ?`)),
    moveRange: raw.prepare(
      `${insert} INTO ${entries} (run, ${keys}) SELECT ?, ${keys} FROM ${entries}
       WHERE ${inputs} AND (${keys}) > (${marks}) AND (${keys}) <= (${marks})${kept} ORDER BY ${keys}`,
    ),
    deleteRange: raw.prepare(`DELETE FROM ${entries} WHERE run = ? AND (${keys}) > (${marks}) AND (${keys}) <= (${marks})`),
    moveRest: raw.prepare(`${insert} INTO ${entries} (run, ${keys}) SELECT ?, ${keys} FROM ${entries} WHERE ${inputs} AND (${keys}) > (${marks})${kept} ORDER BY ${keys}`),
    deleteRest: raw.prepare(`DELETE FROM ${entries} WHERE run = ? AND (${keys}) > (${marks})`),
    addEntries: raw.prepare(`UPDATE ${runs} SET entries = entries + ? WHERE run = ?`),
    entriesOf: arrays(raw.prepare(`SELECT entries FROM ${runs} WHERE run = ?`)),
    dropInputs: raw.prepare(`DELETE FROM ${runs} WHERE merging = ?`),
    settle: raw.prepare(`UPDATE ${runs} SET level = ?, merging = ? WHERE run = ?`),
  };
}

/** SQL selecting entries of settled and merging runs alike: with the run named, each run is one seek. */
export const inEveryRun = (tables: SortedRunTables): string => `run IN (SELECT run FROM ${tables.runs})`;

/** SQL for the key of the last row in a run; rows after it are the tail. */
export const indexedThrough = (tables: SortedRunTables): string => `(SELECT indexed_through FROM ${tables.state} WHERE id = 1)`;

/**
 * The tables of a new index (the ledger's postings were created before this, by hand, the same way),
 * with its state row: indexed through `through` (SQL), no merge in progress.
 */
export function sortedRunsSchema(tables: SortedRunTables, through: string): string {
  return `
CREATE TABLE ${tables.entries} (
  run INTEGER NOT NULL,
  ${tables.keys.map((key) => `${key} INTEGER NOT NULL,`).join('\n  ')}
  PRIMARY KEY (run, ${tables.keys.join(', ')})
) WITHOUT ROWID;
CREATE TABLE ${tables.runs} (
  run INTEGER PRIMARY KEY,
  level INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  merging INTEGER NOT NULL
);
CREATE TABLE ${tables.state} (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL,
  merge_run INTEGER,
  ${tables.keys.map((key) => `merge_${key} INTEGER`).join(',\n  ')}
);
INSERT INTO ${tables.state} (id, indexed_through) VALUES (1, ${through});
`;
}

/**
 * A 64-bit key for a text, for entries that name a text column compactly: FNV-1a (64 bits) over its
 * UTF-16 code units, as a signed integer. Different texts may share a key, so a reader re-checks the
 * text; a text made to share another's key only makes that one's reads longer, never wrong. It is
 * computed in two 32-bit halves, making no bigint until the end: SHA-256 took ten times as long, and
 * keying the ends of 4,096 edges with it was half of the step that writes them as a run.
 * Stored keys depend on it: a change needs the indexes that use it built again.
 */
export function textKey(text: string): bigint {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let index = 0; index < text.length; index++) {
    low = (low ^ text.charCodeAt(index)) >>> 0;
    // × 0x100000001b3 modulo 2^64: low × 0x1b3 (exact below 2^53), and high × 0x1b3 plus the carry
    // plus low shifted 40 bits up (8 bits into the high half).
    const product = low * 0x1b3;
    high = (Math.imul(high, 0x1b3) + Math.floor(product / 0x1_0000_0000) + (low << 8)) >>> 0;
    low = product >>> 0;
  }
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}

/** textKey as an SQL function of the connection, so that migrations and INSERT … SELECT can key rows. */
export const TEXT_KEY_FUNCTION = 'sluice_text_key';

export function registerTextKey(raw: BetterSqlite3.Database): void {
  raw.function(TEXT_KEY_FUNCTION, { deterministic: true }, (text: unknown) => (typeof text === 'string' ? textKey(text) : null));
}
