import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import type { Database, Row, SqlValue } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { entryHash } from '../journal/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { AccountFlags, TransferFlags, type TransferRequest } from './ledger.ts';
import { EXPIRIES_IN_RANGE } from './ledger.verify.ts';

const LEDGER = 1;
const uuid = (family: string, n: number) => `00000000-${family}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const A = uuid('a000', 1); // no limits
const B = uuid('a000', 2); // keeps balance history
const D = uuid('a000', 3); // debits must not exceed credits
const E = uuid('a000', 4); // closed at the end
const FUNDING = uuid('b000', 1);
const EXPIRED = uuid('b000', 7);

type EntryRow = { seq: bigint; timestamp: bigint; kind: string; payload: string; digest: string; prev_hash: string; hash: string };

interface Fixture {
  readonly platform: Platform;
  readonly clock: ManualClock;
  run(sql: string, params?: readonly (string | bigint | number | null)[]): Promise<void>;
  entries(): Promise<EntryRow[]>;
}

/**
 * A small but complete history: accounts with and without limits and history, posted transfers,
 * a pending transfer posted in part, one voided, one expired by the clock, a failed transfer between
 * two good ones (which leaves a gap in the timestamps), and a closed account. Each call is its own
 * batch, so the journal holds several ledger entries.
 */
async function populate(platform: Platform, clock: ManualClock): Promise<void> {
  const ledger = platform.ledger;
  expect((await ledger.createLedger({ id: LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' })).ok).toBe(true);
  const accounts = await ledger.createAccounts([
    { id: A, ledger: LEDGER, code: 1, flags: 0 },
    { id: B, ledger: LEDGER, code: 1, flags: AccountFlags.history, metadata: '{"owner":"b"}' },
    { id: D, ledger: LEDGER, code: 2, flags: AccountFlags.debits_must_not_exceed_credits },
    { id: E, ledger: LEDGER, code: 1, flags: 0 },
  ]);
  expect(accounts.map((result) => result.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
  const transfer = (n: number, debitAccountId: string, creditAccountId: string, amount: bigint, extra: Partial<TransferRequest> = {}): TransferRequest => ({
    id: uuid('b000', n), debitAccountId, creditAccountId, amount, ledger: LEDGER, code: 1, flags: 0, ...extra,
  });
  const batches: TransferRequest[][] = [
    [{ ...transfer(1, A, D, 500n), id: FUNDING }, transfer(2, D, B, 9_999n), transfer(3, D, B, 120n, { metadata: '{"note":"rent"}' })],
    [transfer(4, A, B, 300n, { flags: TransferFlags.pending }), transfer(5, A, B, 40n, { flags: TransferFlags.pending }), transfer(6, B, E, 5n)],
    [{ id: uuid('b000', 8), pendingId: uuid('b000', 4), flags: TransferFlags.post_pending, amount: 100n }, { id: uuid('b000', 9), pendingId: uuid('b000', 5), flags: TransferFlags.void_pending }],
    [{ ...transfer(7, D, A, 60n, { flags: TransferFlags.pending, timeoutSeconds: 2 }), id: EXPIRED }],
  ];
  const expected = [['ok', 'exceeds_credits', 'ok'], ['ok', 'ok', 'ok'], ['ok', 'ok'], ['ok']];
  for (const [index, batch] of batches.entries()) {
    clock.advance(1000);
    expect((await ledger.createTransfers(batch)).map((result) => result.result)).toEqual(expected[index]);
  }
  clock.advance(5000);
  await ledger.expireDue();
  expect((await ledger.pendingStatus(EXPIRED))?.status).toBe('expired');
  await ledger.createTransfers([transfer(10, E, A, 5n)]);
  expect(await ledger.setAccountClosed(E, true)).toBe('ok');
}

/** Every table the history above writes to, so that each case can start from the same untampered copy. */
const TABLES = [
  'ledger_ledgers', 'ledger_clock', 'ledger_accounts', 'ledger_transfers', 'ledger_pending', 'ledger_balances',
  'ledger_account_events', 'ledger_transfer_failures', 'journal_entries', 'journal_head',
];

async function saveTables(db: Database): Promise<Map<string, Row[]>> {
  const saved = new Map<string, Row[]>();
  for (const table of TABLES) saved.set(table, await db.all(`SELECT * FROM ${table}`));
  return saved;
}

async function restoreTables(db: Database, saved: ReadonlyMap<string, Row[]>): Promise<void> {
  await db.transaction(async (tx) => {
    for (const [table, rows] of saved) {
      await tx.run(`DELETE FROM ${table}`);
      for (const row of rows) {
        const columns = Object.keys(row);
        await tx.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, columns.map((column) => row[column] as SqlValue));
      }
    }
  });
}

describeEachDialect('ledger journal verification', ({ open }) => {
  let fixture: Fixture;
  let untampered: Map<string, Row[]>;

  // Building the history costs a dozen durable commits; each case instead starts from a restored copy of it.
  beforeAll(async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    await populate(platform, clock);
    untampered = await saveTables(platform.db);
    fixture = {
      platform,
      clock,
      async run(sql, params = []) {
        await platform.db.run(sql, params);
      },
      entries: () => platform.db.all<EntryRow>('SELECT seq, timestamp, kind, payload, digest, prev_hash, hash FROM journal_entries ORDER BY seq'),
    };
  });

  beforeEach(async () => {
    await restoreTables(fixture.platform.db, untampered);
  });

  afterAll(async () => {
    await fixture?.platform.close();
  });

  async function problems(target: Fixture): Promise<string[]> {
    const report = await target.platform.verify();
    expect(report.ok).toBe(report.problems.length === 0);
    return report.problems.map((problem) => (problem.seq === null ? problem.problem : `entry ${problem.seq}: ${problem.problem}`));
  }

  /** The ledger batch entries, whose digests cover the ledger tables. */
  async function batchEntries(target: Fixture): Promise<EntryRow[]> {
    return (await target.entries()).filter((entry) => entry.kind === 'ledger.batch');
  }

  it('reads the expiries of each batch through an index, not by scanning every pending transfer', async () => {
    const db = fixture.platform.db;
    const plan =
      db.dialect === 'sqlite'
        ? (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${EXPIRIES_IN_RANGE}`, [0n, 1n])).map((row) => row.detail)
        : await db.transaction(async (tx) => {
            // A table this small is read whole whatever indexes it has, unless the planner may not.
            await tx.run('SET LOCAL enable_seqscan = off');
            return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${EXPIRIES_IN_RANGE}`, [0n, 1n])).map((row) => row['QUERY PLAN']);
          });
    expect(plan.join('\n')).toContain('ledger_pending_expired');
  });

  it('passes on untampered data, and after more activity', async () => {
    const target = fixture;
    expect(await problems(target)).toEqual([]);
    const report = await target.platform.verify();
    expect(report.entries).toBeGreaterThanOrEqual(8);
    await target.platform.ledger.createTransfers([{ id: uuid('b000', 99), debitAccountId: A, creditAccountId: B, amount: 1n, ledger: LEDGER, code: 1, flags: 0 }]);
    expect(await problems(target)).toEqual([]);
  });

  const tampers: { name: string; tamper: (target: Fixture) => Promise<void>; reports: RegExp[] }[] = [
    {
      name: 'a transfer amount edited',
      tamper: (target) => target.run('UPDATE ledger_transfers SET amount = amount + 1 WHERE id = ?', [FUNDING]),
      reports: [/do not match its digest/, new RegExp(`account ${D}: balances differ`)],
    },
    {
      name: 'a transfer amount edited together with the balances it moved',
      tamper: async (target) => {
        await target.run('UPDATE ledger_transfers SET amount = amount + 1000 WHERE id = ?', [FUNDING]);
        await target.run('UPDATE ledger_accounts SET debits_posted = debits_posted + 1000 WHERE id = ?', [A]);
        await target.run('UPDATE ledger_accounts SET credits_posted = credits_posted + 1000 WHERE id = ?', [D]);
      },
      reports: [/do not match its digest/],
    },
    {
      name: 'a transfer redirected to another account',
      tamper: (target) => target.run('UPDATE ledger_transfers SET credit_account_id = ? WHERE id = ?', [B, FUNDING]),
      reports: [/do not match its digest/, /balances differ/],
    },
    {
      name: 'a transfer removed',
      tamper: (target) => target.run('DELETE FROM ledger_transfers WHERE id = ?', [FUNDING]),
      reports: [/do not match its digest/, /the journal records \d+ ledger transfers but the tables hold/, /balances differ/],
    },
    {
      name: 'a transfer inserted into the gap a failed transfer left inside a batch',
      tamper: async (target) => {
        const gap = await target.platform.db.get<{ timestamp: bigint }>('SELECT timestamp FROM ledger_transfer_failures');
        expect(gap).toBeDefined();
        await insertTransfer(target, uuid('b000', 0xbad), gap?.timestamp as bigint);
      },
      reports: [/do not match its digest/, /the journal records \d+ ledger transfers but the tables hold/],
    },
    {
      name: 'a transfer inserted after the last batch',
      tamper: async (target) => {
        const last = await target.platform.db.get<{ t: bigint }>('SELECT MAX(timestamp) AS t FROM ledger_transfers');
        await insertTransfer(target, uuid('b000', 0xbad), BigInt(last?.t as bigint) + 1_000_000_000n);
      },
      reports: [/the journal records \d+ ledger transfers but the tables hold/],
    },
    {
      name: 'an account balance edited',
      tamper: (target) => target.run('UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = ?', [D]),
      reports: [new RegExp(`account ${D}: balances differ from the sum of its transfers`)],
    },
    {
      name: 'an account removed',
      tamper: (target) => target.run('DELETE FROM ledger_accounts WHERE id = ?', [E]),
      reports: [/do not match its digest/, /the journal records \d+ ledger accounts but the tables hold/],
    },
    {
      name: "an account's limit flag removed",
      tamper: (target) => target.run('UPDATE ledger_accounts SET flags = ?, initial_flags = ? WHERE id = ?', [0, 0, D]),
      reports: [/do not match its digest/],
    },
    {
      name: "an account's limit lifted in its current flags only",
      tamper: (target) => target.run('UPDATE ledger_accounts SET flags = ? WHERE id = ?', [0, D]),
      reports: [new RegExp(`account ${D}: flags differ`)],
    },
    {
      name: 'a closed account reopened by editing its flags',
      tamper: (target) => target.run('UPDATE ledger_accounts SET flags = ? WHERE id = ?', [0, E]),
      reports: [new RegExp(`account ${E}: flags differ`)],
    },
    {
      name: 'an expired pending transfer made pending again',
      tamper: (target) => target.run("UPDATE ledger_pending SET status = 'pending', resolved_at = 0 WHERE id = ?", [EXPIRED]),
      reports: [/the journal records \d+ ledger expiries but the tables hold/, /balances differ/],
    },
    {
      name: 'a recorded balance-history row edited',
      tamper: async (target) => {
        const first = await target.platform.db.get<{ t: bigint }>('SELECT MIN(timestamp) AS t FROM ledger_balances WHERE account_id = ?', [B]);
        await target.run('UPDATE ledger_balances SET credits_posted = credits_posted + 7 WHERE account_id = ? AND timestamp = ?', [B, BigInt(first?.t as bigint)]);
      },
      reports: [new RegExp(`account ${B}: balance history differs`)],
    },
    {
      name: 'a recorded balance-history row removed',
      tamper: async (target) => {
        const first = await target.platform.db.get<{ t: bigint }>('SELECT MIN(timestamp) AS t FROM ledger_balances WHERE account_id = ?', [B]);
        await target.run('DELETE FROM ledger_balances WHERE account_id = ? AND timestamp = ?', [B, BigInt(first?.t as bigint)]);
      },
      reports: [new RegExp(`account ${B}: balance history differs`)],
    },
    {
      name: 'a journal entry removed from the middle',
      tamper: async (target) => {
        const [, second] = await batchEntries(target);
        await target.run('DELETE FROM journal_entries WHERE seq = ?', [second?.seq as bigint]);
      },
      reports: [/expected entry \d+ here/, /previous hash does not match/],
    },
    {
      name: 'the last journal entry removed',
      tamper: async (target) => {
        const last = (await target.entries()).at(-1) as EntryRow;
        await target.run('DELETE FROM journal_entries WHERE seq = ?', [last.seq]);
      },
      reports: [/journal head is at entry \d+ but the chain ends at/, /journal head hash does not match/],
    },
    {
      name: "two journal entries' contents swapped",
      tamper: async (target) => {
        const [first, second] = await batchEntries(target);
        for (const [row, other] of [[first, second], [second, first]] as const) {
          await target.run('UPDATE journal_entries SET timestamp = ?, kind = ?, payload = ?, digest = ?, prev_hash = ?, hash = ? WHERE seq = ?', [
            BigInt(other?.timestamp as bigint), other?.kind as string, other?.payload as string, other?.digest as string, other?.prev_hash as string, other?.hash as string, BigInt(row?.seq as bigint),
          ]);
        }
      },
      reports: [/previous hash does not match/, /hash does not match the entry content/],
    },
    {
      name: 'two journal entries reordered by their sequence numbers',
      tamper: async (target) => {
        const [first, second] = await batchEntries(target);
        const [left, right] = [BigInt(first?.seq as bigint), BigInt(second?.seq as bigint)];
        await target.run('UPDATE journal_entries SET seq = ? WHERE seq = ?', [-1n, left]);
        await target.run('UPDATE journal_entries SET seq = ? WHERE seq = ?', [left, right]);
        await target.run('UPDATE journal_entries SET seq = ? WHERE seq = ?', [right, -1n]);
      },
      reports: [/previous hash does not match/, /hash does not match the entry content/],
    },
    {
      name: "a journal entry's payload edited",
      tamper: async (target) => {
        const [entry] = await batchEntries(target);
        const payload = JSON.parse(entry?.payload as string) as { transfers: number };
        await target.run('UPDATE journal_entries SET payload = ? WHERE seq = ?', [JSON.stringify({ ...payload, transfers: payload.transfers + 1 }), BigInt(entry?.seq as bigint)]);
      },
      reports: [/hash does not match the entry content: it was edited/],
    },
    {
      name: "a journal entry's payload replaced with unreadable text",
      tamper: async (target) => {
        const [entry] = await batchEntries(target);
        await target.run('UPDATE journal_entries SET payload = ? WHERE seq = ?', ['not json', BigInt(entry?.seq as bigint)]);
      },
      reports: [/hash does not match the entry content/, /ledger batch payload is not readable/],
    },
    {
      name: "a journal entry edited and its own hash recomputed",
      tamper: async (target) => {
        const [entry] = await batchEntries(target);
        const row = entry as EntryRow;
        const digest = '0'.repeat(64);
        const hash = entryHash('sha256', { seq: BigInt(row.seq), timestamp: BigInt(row.timestamp), kind: row.kind, payload: row.payload, digest, prevHash: row.prev_hash });
        await target.run('UPDATE journal_entries SET digest = ?, hash = ? WHERE seq = ?', [digest, hash, BigInt(row.seq)]);
      },
      reports: [/do not match its digest/, /previous hash does not match/],
    },
    {
      name: 'the journal head moved back',
      tamper: async (target) => {
        const entries = await target.entries();
        const previous = entries.at(-2) as EntryRow;
        await target.run('UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1', [BigInt(previous.seq), previous.hash]);
      },
      reports: [/journal head is at entry \d+ but the chain ends at/],
    },
    {
      name: "the journal head's hash edited",
      tamper: (target) => target.run('UPDATE journal_head SET hash = ? WHERE id = 1', ['f'.repeat(64)]),
      reports: [/journal head hash does not match the last entry/],
    },
  ];

  it.each(tampers)('reports $name', async ({ tamper, reports }) => {
    const target = fixture;
    expect(await problems(target)).toEqual([]);
    await tamper(target);
    const found = await problems(target);
    expect(found.length).toBeGreaterThan(0);
    for (const pattern of reports) expect(found.some((problem) => pattern.test(problem)), `${pattern} in ${JSON.stringify(found)}`).toBe(true);
  });
});

/** A forged transfer from A to B, written straight into the table as an intruder would. */
async function insertTransfer(target: Fixture, id: string, timestamp: bigint): Promise<void> {
  await target.run(
    'INSERT INTO ledger_transfers (id, timestamp, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [id, timestamp, A, B, 77n, null, LEDGER, 1, 0, 0, null],
  );
}
