import { defineBulkInsert, insertMany, migrate, openPostgres, type Database, type Queryable, type SqlValue } from '../src/db/index.ts';
import { riskMigrations } from '../src/modules/risk/index.ts';
import { defineBenchmark, figure, progress, type Figure } from './harness.ts';
import { postgresCpuSeconds } from './http-support.ts';

/**
 * Risk control writes a row to its decision log for every transfer it sees (and as many to the
 * feature events and the graph's edges), in transactions of however many arrived during the
 * writer's linger. This times those writes on a throwaway durable PostgreSQL: `insertMany`
 * (src/db/insert-many.ts: one `INSERT … SELECT unnest(…), unnest(…), …` per batch, each column a
 * binary array) beside the multi-row `INSERT … VALUES` statements of 500, 100, 20, 5 and 1 rows it replaced, which
 * stays here as the baseline. The rows have the decision log's shape and sizes. Both run on one
 * connection with named statements, as the server does; the CPU of this process (the client's side:
 * the driver and the encoding) and of PostgreSQL is reported per row.
 */
const ROWS_PER_TURN = 16_000;
/** A lone transfer's decision, and a busy linger's worth. */
const BATCH_SIZES = [16, 128];
/** Turns per contender, taken alternately after one untimed turn each; the median is reported. */
const TURNS = 3;

const COLUMNS = [
  ['id', 'text'], ['event_id', 'text'], ['source', 'text'], ['at_ms', 'int8'], ['outcome', 'text'], ['score', 'float8'], ['ruleset_id', 'text'],
  ['ruleset_version', 'int8'], ['fail_mode', 'text'], ['elapsed_ms', 'float8'], ['body_json', 'text'], ['variables_json', 'text'],
] as const;
const BULK = defineBulkInsert('risk_decisions', COLUMNS);

const VALUES_SIZES = [500, 100, 20, 5, 1];
const valuesSql = new Map(VALUES_SIZES.map((size) => [size, `INSERT INTO risk_decisions (${BULK.columns.join(', ')}) VALUES ${new Array(size).fill(`(${BULK.columns.map(() => '?').join(', ')})`).join(', ')}`]));

/** The replaced form: the batch cut into statements of the fixed sizes, every value a parameter of its own. */
async function insertAsValues(q: Queryable, rows: readonly SqlValue[][]): Promise<void> {
  let start = 0;
  for (const size of VALUES_SIZES) {
    while (rows.length - start >= size) {
      const params: SqlValue[] = [];
      for (let index = start; index < start + size; index++) for (const value of rows[index] as SqlValue[]) params.push(value);
      await q.run(valuesSql.get(size) as string, params);
      start += size;
    }
  }
}

let serial = 0;
/** A decision row as the log writes one for an approved transfer: the event and 20 feature values as JSON. */
function decisionRow(): SqlValue[] {
  serial += 1;
  const id = `0190b0c4-0000-7000-8000-${serial.toString(16).padStart(12, '0')}`;
  const event = `{"event":{"id":"${id}","atMs":${1_800_000_000_000 + serial},"amountMinor":"${1000 + (serial % 997)}","currency":"CNY","debitAccountId":"0190b0c4-0000-7000-9000-${(serial % 9973).toString(16).padStart(12, '0')}","creditAccountId":"0190b0c4-0000-7000-9000-${(serial % 7919).toString(16).padStart(12, '0')}","channel":"api","code":1,"debitPartyId":"party-${serial % 5000}","creditPartyId":"party-${serial % 4001}","debitCountry":"CN","creditCountry":"HK"}}`;
  const variables = `{"features":{"set":"8c1d2e4f6a7b9c0d1e2f3a4b5c6d7e8f","values":[${Array.from({ length: 20 }, (_, index) => (index % 5 === 0 ? (serial % 13) / 7 : serial % (index + 3))).join(',')}]}}`;
  return [id, id, 'transfer', 1_800_000_000_000 + serial, 'approve', 0, 'ruleset-1', 3, null, 0.042 + (serial % 7) / 1000, event, variables];
}

interface Turn {
  readonly clientMicros: number;
  readonly postgresMicros: number;
  readonly rowsPerSecond: number;
}

async function turn(db: Database, port: number, batchSize: number, write: (q: Queryable, rows: SqlValue[][]) => Promise<void>): Promise<Turn> {
  const batches = Array.from({ length: Math.ceil(ROWS_PER_TURN / batchSize) }, () => Array.from({ length: batchSize }, decisionRow));
  const postgresBefore = postgresCpuSeconds(port);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  for (const rows of batches) await db.transaction((tx) => write(tx, rows));
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const rows = batches.length * batchSize;
  return {
    clientMicros: (client.user + client.system) / rows,
    postgresMicros: ((postgresCpuSeconds(port) - postgresBefore) * 1e6) / rows,
    rowsPerSecond: rows / seconds,
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function measure(db: Database, port: number, batchSize: number): Promise<Figure[]> {
  const bulk = (q: Queryable, rows: SqlValue[][]) => insertMany(q, BULK, rows);
  await turn(db, port, batchSize, bulk);
  await turn(db, port, batchSize, insertAsValues);
  const measured: Turn[] = [];
  const baseline: Turn[] = [];
  for (let index = 0; index < TURNS; index++) {
    measured.push(await turn(db, port, batchSize, bulk));
    baseline.push(await turn(db, port, batchSize, insertAsValues));
  }
  const pick = (turns: Turn[], key: keyof Turn) => median(turns.map((one) => one[key]));
  progress(
    `${batchSize} rows a transaction: client ${pick(measured, 'clientMicros').toFixed(1)} µs/row against ${pick(baseline, 'clientMicros').toFixed(1)}, ` +
      `PostgreSQL ${pick(measured, 'postgresMicros').toFixed(1)} against ${pick(baseline, 'postgresMicros').toFixed(1)}, ` +
      `${Math.round(pick(measured, 'rowsPerSecond'))} rows/s against ${Math.round(pick(baseline, 'rowsPerSecond'))}`,
  );
  const baselineName = 'multi-row INSERT … VALUES of 500/100/20/5/1 rows, same rows';
  return [
    figure({ name: `bulk_insert.client_cpu_us_per_row_${batchSize}`, value: pick(measured, 'clientMicros'), unit: 'µs', baseline: baselineName, baselineValue: pick(baseline, 'clientMicros') }),
    figure({ name: `bulk_insert.postgres_cpu_us_per_row_${batchSize}`, value: pick(measured, 'postgresMicros'), unit: 'µs', baseline: baselineName, baselineValue: pick(baseline, 'postgresMicros') }),
    figure({ name: `bulk_insert.rows_per_second_${batchSize}`, value: pick(measured, 'rowsPerSecond'), unit: 'rows/s', baseline: baselineName, baselineValue: pick(baseline, 'rowsPerSecond') }),
  ];
}

export default defineBenchmark({
  name: 'bulk-insert',
  description: 'decision-log rows into a throwaway durable PostgreSQL: UNNEST of binary column arrays beside multi-row VALUES',
  async run() {
    // Loaded only when this benchmark runs: it brings the test tooling that starts the server.
    const { startDedicatedPostgres } = await import('../test/process/postgres-server.ts');
    const server = await startDedicatedPostgres();
    const db = openPostgres(server.url);
    try {
      await migrate(db, riskMigrations);
      const port = Number(new URL(server.url).port);
      const figures: Figure[] = [];
      for (const batchSize of BATCH_SIZES) figures.push(...(await measure(db, port, batchSize)));
      return figures;
    } finally {
      await db.close();
      await server.destroy();
    }
  },
});
