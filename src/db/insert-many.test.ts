import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { defineBulkInsert, insertMany, POSTGRES_ROWS_PER_STATEMENT } from './insert-many.ts';
import type { Database, SqlValue } from './port.ts';

const SAMPLES = (dialect: string) => `
CREATE TABLE samples (
  id TEXT PRIMARY KEY,
  code TEXT UNIQUE,
  amount ${dialect === 'postgres' ? 'BIGINT' : 'INTEGER'},
  ratio ${dialect === 'postgres' ? 'DOUBLE PRECISION' : 'REAL'},
  note TEXT NOT NULL
)`;
const INSERT = defineBulkInsert('samples', [['id', 'text'], ['code', 'text'], ['amount', 'int8'], ['ratio', 'float8'], ['note', 'text']]);
const SKIPPING_ANY = defineBulkInsert('samples', [['id', 'text'], ['code', 'text'], ['amount', 'int8'], ['ratio', 'float8'], ['note', 'text']], 'any');
const SKIPPING_ID = defineBulkInsert('samples', [['id', 'text'], ['code', 'text'], ['amount', 'int8'], ['ratio', 'float8'], ['note', 'text']], ['id']);

type Sample = [id: string, code: string | null, amount: bigint | null, ratio: number | null, note: string];
const sample = (index: number, note = `note ${index}`): Sample => [`id-${String(index).padStart(6, '0')}`, `code-${index}`, BigInt(index) * 1_000_000_007n, index / 8, note];

describeEachDialect('bulk inserts', ({ open, dialect }) => {
  let db: Database;
  beforeEach(async () => {
    db = await open();
    await db.run(SAMPLES(dialect));
  });
  afterEach(() => db.close());

  const stored = async (): Promise<Sample[]> =>
    (await db.all<{ id: string; code: string | null; amount: bigint | null; ratio: number | null; note: string }>('SELECT id, code, amount, ratio, note FROM samples ORDER BY id')).map(
      (row) => [row.id, row.code, row.amount === null ? null : BigInt(row.amount), row.ratio === null ? null : Number(row.ratio), row.note],
    );

  it('writes every row of a batch of any size, every value as given', async () => {
    // 500 + 100 + 20 + 5 + 1 + 1 rows: every SQLite statement size, one of them twice.
    const rows = Array.from({ length: 627 }, (_unused, index) => sample(index));
    await db.transaction((tx) => insertMany(tx, INSERT, rows));
    expect(await stored()).toEqual(rows);
    await db.transaction((tx) => insertMany(tx, INSERT, []));
    expect((await stored()).length).toBe(627);
  });

  it('keeps any text, NULLs, the edges of bigint and any finite double exactly', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const row = fc.tuple(
      fc.option(text, { nil: null }),
      fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)), { nil: null }),
      fc.oneof(text, fc.constantFrom('"', '\\', '{}', 'NULL', '汇款', 'with\u0000nul')),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), async (generated) => {
        round += 1;
        await db.run('DELETE FROM samples');
        // SQLite keeps a NUL inside text; PostgreSQL refuses it whichever way it is sent.
        const usable = dialect === 'postgres' ? generated.filter(([code, , , note]) => !code?.includes('\0') && !note.includes('\0')) : generated;
        const rows = usable.map(([code, amount, ratio, note], index): Sample => [`r${round}-${String(index).padStart(3, '0')}`, code === null ? null : `${index}:${code}`, amount, ratio, note]);
        await db.transaction((tx) => insertMany(tx, INSERT, rows));
        expect(await stored()).toEqual(rows);
      }),
      { numRuns: 40 },
    );
  });

  it('skips rows that clash with stored ones only where asked, and on the columns asked', async () => {
    const rows = Array.from({ length: 30 }, (_unused, index) => sample(index));
    await db.transaction((tx) => insertMany(tx, INSERT, rows));
    const clashing = [sample(3, 'again'), sample(100)];
    await expect(db.transaction((tx) => insertMany(tx, INSERT, clashing))).rejects.toThrow();
    await db.transaction((tx) => insertMany(tx, SKIPPING_ID, clashing));
    expect((await stored()).length).toBe(31);
    expect((await stored()).find(([id]) => id === sample(3)[0])?.[4]).toBe('note 3');
    // A clash on another unique column is an error unless every clash is to be skipped.
    const otherKey: Sample = ['id-new', 'code-5', 1n, 1, 'other key'];
    await expect(db.transaction((tx) => insertMany(tx, SKIPPING_ID, [otherKey]))).rejects.toThrow();
    await db.transaction((tx) => insertMany(tx, SKIPPING_ANY, [otherKey, sample(200)]));
    expect((await stored()).length).toBe(32);
    // Duplicates within one batch: the first is kept.
    await db.transaction((tx) => insertMany(tx, SKIPPING_ANY, [sample(300, 'first'), sample(300, 'second')]));
    expect((await stored()).find(([id]) => id === sample(300)[0])?.[4]).toBe('first');
  });

  it('fails the statement on a row that breaks NOT NULL, skipping or not, and refuses rows of the wrong width', async () => {
    const broken = [sample(1), ['id-x', null, null, null, null] as unknown as Sample];
    await expect(db.transaction((tx) => insertMany(tx, SKIPPING_ANY, broken))).rejects.toThrow();
    expect(await stored()).toEqual([]);
    await expect(db.transaction((tx) => insertMany(tx, INSERT, [['id-y', 'code-y', 1n, 1] as SqlValue[]]))).rejects.toThrow(/4 values for 5 columns/);
  });

  it('text the binary arrays cannot carry goes as the driver sends it, and the database takes or refuses it as ever', async () => {
    // A NUL character: SQLite keeps it; PostgreSQL's text refuses it, and the batch with it.
    const rows = [sample(1), sample(2, 'with\u0000nul')];
    if (dialect === 'sqlite') {
      await db.transaction((tx) => insertMany(tx, INSERT, rows));
      expect(await stored()).toEqual(rows);
    } else {
      await expect(db.transaction((tx) => insertMany(tx, INSERT, rows))).rejects.toThrow();
      expect(await stored()).toEqual([]);
    }
  });

  it('writes more rows than one PostgreSQL statement takes', async () => {
    const rows = Array.from({ length: POSTGRES_ROWS_PER_STATEMENT + 3 }, (_unused, index) => sample(index));
    await db.transaction((tx) => insertMany(tx, INSERT, rows));
    const count = await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM samples');
    expect(Number(count?.n)).toBe(rows.length);
    expect((await stored()).at(-1)).toEqual(rows.at(-1));
  });
});
