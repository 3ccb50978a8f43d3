import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, type Database } from './index.ts';
import { openSortedRuns, runLevel, sortedRunsSchema, textKey, TEXT_KEY_FUNCTION, type SortedRunLimits, type SortedRunTables } from './sorted-runs.ts';

/**
 * The shared machinery of indexes kept as sorted runs, on a table of its own: two key columns,
 * runs written from sets of keys, merges of any budget. Whatever is done, every key written is in
 * exactly one run, and merge steps stay bounded.
 */
const TABLES: SortedRunTables = { entries: 'toy_entries', runs: 'toy_runs', state: 'toy_state', keys: ['k', 'v'], beforeAll: -(2n ** 63n) };
const LIMITS: SortedRunLimits = { mergeFanIn: 3, levelBaseEntries: 2, mergeWorkPerEntry: 1, mergeStepMinEntries: 1 };

const scratch = mkdtempSync(join(tmpdir(), 'sluice-sorted-runs-'));
let files = 0;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function openToy(tables: SortedRunTables = TABLES): Promise<Database> {
  const db = openSqlite(join(scratch, `toy-${files++}.db`));
  await db.exec(sortedRunsSchema(tables, '0'));
  return db;
}

type Op = { kind: 'run'; keys: [number, number][] } | { kind: 'merge'; budget: number };
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -50, max: 50 })), { maxLength: 12 }).map((keys) => ({ kind: 'run' as const, keys })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 10 }).map((budget) => ({ kind: 'merge' as const, budget })) },
);

/** Every entry of a listed run, in key order, and what the runs table says of each run. */
function contents(db: Database) {
  const raw = db.sqlite!;
  const orphans = raw.prepare('SELECT COUNT(*) FROM toy_entries WHERE run NOT IN (SELECT run FROM toy_runs)').pluck().get();
  const entries = (raw.prepare('SELECT k, v FROM toy_entries WHERE run IN (SELECT run FROM toy_runs) ORDER BY k, v').raw(true).all() as bigint[][]).map(([k, v]) => `${k}:${v}`);
  const runs = raw.prepare('SELECT r.merging, r.entries, (SELECT COUNT(*) FROM toy_entries e WHERE e.run = r.run) AS actual FROM toy_runs r').all() as { merging: bigint; entries: bigint; actual: bigint }[];
  return { orphans, entries, runs };
}

describe('sorted runs', () => {
  it('keeps every entry in exactly one run through any sequence of runs written and merge steps, each step bounded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), async (ops) => {
        const db = await openToy();
        try {
          const raw = db.sqlite!;
          const runs = openSortedRuns(raw, TABLES, LIMITS);
          const insert = raw.prepare('INSERT INTO toy_entries (run, k, v) VALUES (?, ?, ?)');
          const written = new Set<string>();
          for (const op of ops) {
            if (op.kind === 'run') {
              // Keys unique across runs, as the ledger's timestamps and the graph's rowids make them.
              const fresh = [...new Set(op.keys.map(([k, v]) => `${k}:${v}`))].filter((key) => !written.has(key));
              db.sqlite!.transaction(() => {
                const run = runs.nextRun();
                for (const key of fresh) {
                  const [k, v] = key.split(':').map(BigInt);
                  insert.run(run, k, v);
                  written.add(key);
                }
                runs.addRun(run, fresh.length);
              })();
            } else {
              const stepped = raw.transaction(() => runs.merge(op.budget))();
              // Steps until the budget is met, each at most its share (budget / inputs, rounded up) from
              // each input, up to the smallest of their share-th keys: under twice the budget and fan-in.
              if (stepped !== null) expect(stepped).toBeLessThanOrEqual(2 * Math.max(op.budget, LIMITS.mergeStepMinEntries) + LIMITS.mergeFanIn - 2);
            }
            const now = contents(db);
            expect(now.orphans).toBe(0n);
            expect(now.entries).toEqual([...written].sort((left, right) => {
              const [lk, lv] = left.split(':').map(Number) as [number, number];
              const [rk, rv] = right.split(':').map(Number) as [number, number];
              return lk - rk || lv - rv;
            }));
            for (const run of now.runs) if (run.merging !== 1n) expect(run.actual).toBe(run.entries);
          }
          // Merged to the end, no level holds fan-in runs.
          while (raw.transaction(() => runs.merge(100))() !== null);
          const levels = new Map<number, number>();
          for (const run of contents(db).runs) levels.set(runLevel(Number(run.entries), LIMITS), (levels.get(runLevel(Number(run.entries), LIMITS)) ?? 0) + 1);
          for (const count of levels.values()) expect(count).toBeLessThan(LIMITS.mergeFanIn);
          expect(runs.state().mergeRun).toBeNull();
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('drops at a merge the entries that fail keepOnMerge, and keeps one of two equal keys when runs may share them', async () => {
    const tables: SortedRunTables = { ...TABLES, keepOnMerge: 'v >= 0', sameKeyInRuns: true };
    const db = await openToy(tables);
    const raw = db.sqlite!;
    const runs = openSortedRuns(raw, tables, { ...LIMITS, mergeFanIn: 2 });
    raw.transaction(() => {
      raw.prepare('INSERT INTO toy_entries (run, k, v) VALUES (1, 1, 5), (1, 2, -1), (2, 1, 5), (2, 3, 7)').run();
      runs.addRun(1n, 2);
      runs.addRun(2n, 2);
    })();
    expect(raw.transaction(() => runs.merge(100))()).toBe(4);
    expect(raw.prepare('SELECT run, k, v FROM toy_entries').raw(true).all()).toEqual([[3n, 1n, 5n], [3n, 3n, 7n]]);
    expect(raw.prepare('SELECT run, entries, merging FROM toy_runs').raw(true).all()).toEqual([[3n, 2n, 0n]]);
    await db.close();
  });

  it('keys a text the same in SQL as in code, as a signed 64-bit integer', async () => {
    const db = await openToy();
    for (const text of ['', 'a', 'acct-1', '账户-42', 'x'.repeat(200)]) {
      expect(await db.get<{ key: bigint }>(`SELECT ${TEXT_KEY_FUNCTION}(?) AS key`, [text])).toEqual({ key: textKey(text) });
    }
    expect(textKey('a')).not.toBe(textKey('b'));
    // FNV-1a over the UTF-16 code units, worked out with bigints.
    const reference = (text: string) => {
      let hash = 0xcbf29ce484222325n;
      for (let index = 0; index < text.length; index++) hash = ((hash ^ BigInt(text.charCodeAt(index))) * 0x100000001b3n) % 2n ** 64n;
      return BigInt.asIntN(64, hash);
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
      expect(textKey(text)).toBe(reference(text));
    }));
    expect(textKey('')).toBe(BigInt.asIntN(64, 0xcbf29ce484222325n));
    expect(await db.get(`SELECT ${TEXT_KEY_FUNCTION}(NULL) AS key`)).toEqual({ key: null });
    await db.close();
  });
});
