import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../../../test/support/databases.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { AccountFlags, type TransferRequest } from './ledger.ts';

/**
 * The SQLite store remembers account balances and the largest stored transfer id between batches.
 * These tests change the file behind its back in every way it has to notice, and check that the
 * next batch is decided on what the file holds, not on what the store remembered.
 */
const LEDGER = 1;
const uuid = (family: string, n: number) => `00000000-${family}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const LIMITED = uuid('a000', 1); // debits must not exceed credits
const OTHER = uuid('a000', 2);
/** Transfers of this amount are refused by a trigger that some tests install, to make a batch fail. */
const REFUSED_AMOUNT = 666n;

const sqlite = testDialects().find((candidate) => candidate.dialect === 'sqlite');

describe('SQLite ledger store memory', () => {
  let platform: Platform;
  let next = 1;

  const transfer = (debitAccountId: string, creditAccountId: string, amount: bigint): TransferRequest => ({
    id: uuid('b000', next++), debitAccountId, creditAccountId, amount, ledger: LEDGER, code: 1, flags: 0,
  });
  const results = async (requests: TransferRequest[]) => (await platform.ledger.createTransfers(requests)).map((result) => result.result);
  const creditsOf = async (id: string) => (await platform.ledger.getAccount(id))?.creditsPosted;

  beforeEach(async () => {
    if (!sqlite) throw new Error('SQLite is always available');
    platform = await createPlatform({ db: await sqlite.open(), clock: createManualClock(), expiryIntervalMs: 0 });
    expect((await platform.ledger.createLedger({ id: LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' })).ok).toBe(true);
    const created = await platform.ledger.createAccounts([
      { id: LIMITED, ledger: LEDGER, code: 1, flags: AccountFlags.debits_must_not_exceed_credits },
      { id: OTHER, ledger: LEDGER, code: 1, flags: 0 },
    ]);
    expect(created.map((result) => result.result)).toEqual(['ok', 'ok']);
    // Funds the limited account, so that its balances are now remembered by the store.
    expect(await results([transfer(OTHER, LIMITED, 100n)])).toEqual(['ok']);
  });

  afterEach(async () => {
    await platform.close();
  });

  it('decides the next batch on balances another connection changed', async () => {
    const file = platform.db.sqlite?.name as string;
    const other = new BetterSqlite3(file);
    try {
      other.prepare('UPDATE ledger_accounts SET credits_posted = 0 WHERE id = ?').run(LIMITED);
    } finally {
      other.close();
    }
    expect(await results([transfer(LIMITED, OTHER, 50n)])).toEqual(['exceeds_credits']);
  });

  it('decides the next batch on balances another statement of the same connection changed', async () => {
    await platform.db.run('UPDATE ledger_accounts SET credits_posted = 0 WHERE id = ?', [LIMITED]);
    expect(await results([transfer(LIMITED, OTHER, 50n)])).toEqual(['exceeds_credits']);
  });

  it('keeps what it remembers while the same connection writes other tables', async () => {
    // The payments, risk and feature writers commit between the ledger's batches on this connection.
    await platform.db.run('CREATE TABLE scratch (id INTEGER PRIMARY KEY)');
    await platform.db.run('INSERT INTO scratch (id) VALUES (1)');
    // A change no counted statement makes (the raw handle, which only the ledger store uses for its
    // tables): the store must not have read the row again since the funding.
    platform.db.sqlite!.prepare('UPDATE ledger_accounts SET credits_posted = 0 WHERE id = ?').run(LIMITED);
    expect(await results([transfer(LIMITED, OTHER, 50n)])).toEqual(['ok']);
    const limited = await platform.ledger.getAccount(LIMITED);
    expect([limited?.debitsPosted, limited?.creditsPosted]).toEqual([50n, 100n]);
  });

  it('finds a transfer stored outside the engine even when its id is above every id the engine wrote', async () => {
    const imported = transfer(OTHER, LIMITED, 7n);
    const stored = { ...imported, id: uuid('ffff', 1) };
    // What an import into a running installation would write: the row, without the engine.
    await platform.db.run(
      'INSERT INTO ledger_transfers (timestamp, id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 0, 0, NULL)',
      [1n, stored.id, stored.debitAccountId as string, stored.creditAccountId as string, 7n, LEDGER, 1],
    );
    const [answer] = await platform.ledger.createTransfers([stored]);
    // A single transfer is answered with its record as stored, so the HTTP layer need not read it back.
    expect(answer).toEqual({ result: 'ok', id: stored.id, timestamp: 1n, replayed: true, transfer: expect.objectContaining({ id: stored.id, amount: 7n, timestamp: 1n }) });
    expect((await platform.ledger.createTransfers([{ ...stored, amount: 8n }]))[0]?.result).toBe('exists_with_different_amount');
  });

  it('forgets the balances of a batch that failed midway', async () => {
    // Refuses the very first write of the batch, so that nothing at all reaches the file: only the
    // failure itself tells the store that its balances are wrong.
    await platform.db.exec(`CREATE TRIGGER refuse_balance BEFORE UPDATE ON ledger_accounts WHEN NEW.credits_posted > 500
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    // The engine changes both balances of the limited account in memory before the write fails.
    await expect(platform.ledger.createTransfers([transfer(LIMITED, OTHER, 80n), transfer(OTHER, LIMITED, REFUSED_AMOUNT)])).rejects.toThrow(/refused by the test/);
    // Only the funding is there: remembered balances would allow this (766 credits, 80 debits).
    expect(await results([transfer(LIMITED, OTHER, 101n)])).toEqual(['exceeds_credits']);
    await platform.db.exec('DROP TRIGGER refuse_balance');
    // A batch that touches the account writes what the store holds for it; it must be the file's.
    expect(await results([transfer(OTHER, LIMITED, 1n)])).toEqual(['ok']);
    const limited = await platform.ledger.getAccount(LIMITED);
    expect([limited?.debitsPosted, limited?.creditsPosted]).toEqual([0n, 101n]);
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('writes what every batch of a shared transaction did to an account, though its row is rewritten only at the end', async () => {
    // Three calls too large to share a batch make three batches of one transaction, each deciding on
    // what the batch before it did to the same two accounts before any row has been rewritten.
    const size = 4100;
    const call = (debit: string, credit: string) => Array.from({ length: size }, () => transfer(debit, credit, 1n));
    const [funding, spending, overspending] = await Promise.all([
      platform.ledger.createTransfers(call(OTHER, LIMITED)),
      platform.ledger.createTransfers(call(LIMITED, OTHER)),
      platform.ledger.createTransfers(call(LIMITED, OTHER)),
    ]);
    expect(funding.every((result) => result.result === 'ok')).toBe(true);
    expect(spending.every((result) => result.result === 'ok')).toBe(true);
    // 100 + 4,100 credits against 4,100 debits leave room for 100 more.
    expect(overspending.filter((result) => result.result === 'ok')).toHaveLength(100);
    expect(new Set(overspending.slice(100).map((result) => result.result))).toEqual(new Set(['exceeds_credits']));
    const row = await platform.db.get<{ debits_posted: bigint; credits_posted: bigint }>('SELECT debits_posted, credits_posted FROM ledger_accounts WHERE id = ?', [LIMITED]);
    expect(row).toEqual({ debits_posted: 4200n, credits_posted: 4200n });
    expect((await platform.verify()).problems).toEqual([]);
  });

  /** Opens `count` more accounts (ids in the 'c000' family, in key order) and returns their ids. */
  async function openMany(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, index) => uuid('c000', index + 1));
    const created = await platform.ledger.createAccounts(ids.map((id) => ({ id, ledger: LEDGER, code: 1, flags: 0 })));
    expect(created.every((result) => result.result === 'ok')).toBe(true);
    return ids;
  }

  it('rewrites the rows of many accounts several to a statement, with exactly the balances their transfers make', async () => {
    // 150 accounts: rows go 64 to a statement, then 4 to a statement, then one by one.
    const ids = await openMany(150);
    const pick = (n: number) => ids[n % ids.length] as string;
    // Distinct accounts: the credit side is 1 to 149 places after the debit side.
    const between = (call: number, index: number) => {
      const debit = call * 31 + index * 7;
      return transfer(pick(debit), pick(debit + 1 + (index % 149)), BigInt(1 + ((call * 700 + index) % 97)));
    };
    const calls = Array.from({ length: 5 }, (_, call) => Array.from({ length: 700 }, (_, index) => between(call, index)));
    // The first call alone, then four at once, which share one transaction.
    const answers = [await platform.ledger.createTransfers(calls[0] as TransferRequest[]), ...(await Promise.all(calls.slice(1).map((call) => platform.ledger.createTransfers(call))))];
    expect(answers.flat().every((answer) => answer.result === 'ok')).toBe(true);
    const expected = new Map<string, { debits: bigint; credits: bigint }>(ids.map((id) => [id, { debits: 0n, credits: 0n }]));
    for (const request of calls.flat()) {
      (expected.get(request.debitAccountId as string) as { debits: bigint }).debits += request.amount as bigint;
      (expected.get(request.creditAccountId as string) as { credits: bigint }).credits += request.amount as bigint;
    }
    const rows = await platform.db.all<{ id: string; debits_posted: bigint; credits_posted: bigint; debits_pending: bigint; credits_pending: bigint; timestamp: bigint }>(
      "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending, timestamp FROM ledger_accounts WHERE id LIKE '00000000-c000-%' ORDER BY id",
    );
    expect(rows.map((row) => ({ id: row.id, debits: row.debits_posted, credits: row.credits_posted }))).toEqual(ids.map((id) => ({ id, ...expected.get(id) })));
    expect(rows.every((row) => row.debits_pending === 0n && row.credits_pending === 0n && row.timestamp > 0n)).toBe(true);
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('rolls back a transaction whose rewritten account row is gone rather than store it anew', async () => {
    const ids = await openMany(80);
    const gone = ids[0] as string;
    // Deletes the row inside the engine's own transaction, where the store cannot see it coming.
    await platform.db.exec(`CREATE TRIGGER take_account AFTER INSERT ON ledger_transfers WHEN NEW.amount = ${REFUSED_AMOUNT}
      BEGIN DELETE FROM ledger_accounts WHERE id = NEW.credit_account_id; END`);
    const batch = ids.slice(1).map((id) => transfer(id, gone, 1n));
    batch.push(transfer(OTHER, gone, REFUSED_AMOUNT));
    await expect(platform.ledger.createTransfers(batch)).rejects.toThrow(/was written but not stored/);
    await platform.db.exec('DROP TRIGGER take_account');
    expect(await platform.db.get('SELECT credits_posted, timestamp > 0 AS positive FROM ledger_accounts WHERE id = ?', [gone])).toEqual({ credits_posted: 0n, positive: 1n });
    expect(await platform.db.get('SELECT COUNT(*) AS n FROM ledger_accounts WHERE timestamp < 0')).toEqual({ n: 0n });
    expect(await results([transfer(OTHER, gone, 5n)])).toEqual(['ok']);
    expect(await creditsOf(gone)).toBe(5n);
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('commits queued batches together yet fails only the callers of a batch that cannot be applied', async () => {
    await platform.db.exec(`CREATE TRIGGER refuse_amount BEFORE INSERT ON ledger_transfers WHEN NEW.amount = ${REFUSED_AMOUNT}
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    await results([transfer(OTHER, LIMITED, 1_000_000n)]);
    // Two calls of this size never share a batch, so the three calls make three batches in one group.
    const size = 4100;
    const call = (amount: bigint) => Array.from({ length: size }, () => transfer(LIMITED, OTHER, amount));
    const [first, second, third] = await Promise.allSettled([
      platform.ledger.createTransfers(call(1n)),
      platform.ledger.createTransfers([...call(1n).slice(1), transfer(LIMITED, OTHER, REFUSED_AMOUNT)]),
      platform.ledger.createTransfers(call(2n)),
    ]);
    expect(first.status === 'fulfilled' && first.value.every((result) => result.result === 'ok')).toBe(true);
    expect(second.status === 'rejected' && String(second.reason)).toMatch(/refused by the test/);
    expect(third.status === 'fulfilled' && third.value.every((result) => result.result === 'ok')).toBe(true);
    expect(await creditsOf(OTHER)).toBe(BigInt(size) * 3n);
    expect((await platform.verify()).problems).toEqual([]);
  });
});
