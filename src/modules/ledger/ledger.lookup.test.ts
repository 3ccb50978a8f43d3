/**
 * Batch lookups of the ledger (TigerBeetle's lookup_accounts and lookup_transfers): the records the
 * ids name, in the order of the ids, each once, missing ones left out, read a chunk of ids per
 * statement rather than one statement per id.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import type { Queryable } from '../../db/index.ts';
import { AssertionError, LIMITS, createManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { createLedgerRepository } from './ledger.repository.ts';
import type { Account, Transfer } from './ledger.ts';

const LEDGER = 1;
const ACCOUNTS = 6;
const TRANSFERS = 9;

/** The database, counting the statements that read many rows (a lookup's chunks). */
function counting(db: Queryable): { readonly q: Queryable; readonly statements: () => number } {
  let statements = 0;
  const q: Queryable = {
    dialect: db.dialect,
    all: (sql, params) => ((statements += 1), db.all(sql, params)),
    get: (sql, params) => db.get(sql, params),
    run: (sql, params) => db.run(sql, params),
  };
  return { q, statements: () => statements };
}

/** What a lookup must answer: each id read alone, the ones found, each record once at its first id. */
async function oneByOne<T extends { id: string }>(ids: readonly string[], get: (id: string) => Promise<T | undefined>): Promise<T[]> {
  const answered: T[] = [];
  for (const id of ids) {
    const found = await get(id);
    if (found && !answered.some((record) => record.id === found.id)) answered.push(found);
  }
  return answered;
}

describeEachDialect('ledger lookups', ({ open }) => {
  let platform: Platform;
  const accounts: string[] = [];
  const transfers: string[] = [];
  const missing = () => crypto.randomUUID();

  beforeAll(async () => {
    platform = await createPlatform({ db: await open(), clock: createManualClock(Date.UTC(2026, 0, 1)), expiryIntervalMs: 0 });
    expect((await platform.ledger.createLedger({ id: LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' })).ok).toBe(true);
    for (let index = 0; index < ACCOUNTS; index++) accounts.push(crypto.randomUUID());
    const opened = await platform.ledger.createAccounts(accounts.map((id, index) => ({ id, ledger: LEDGER, code: 10 + index, flags: 0 })));
    expect(opened.map((item) => item.result)).toEqual(accounts.map(() => 'ok'));
    for (let index = 0; index < TRANSFERS; index++) transfers.push(crypto.randomUUID());
    const booked = await platform.ledger.createTransfers(transfers.map((id, index) => ({
      id, debitAccountId: accounts[index % ACCOUNTS] as string, creditAccountId: accounts[(index + 1) % ACCOUNTS] as string, amount: BigInt(index + 1), ledger: LEDGER, code: 1, flags: 0,
    })));
    expect(booked.map((item) => item.result)).toEqual(transfers.map(() => 'ok'));
  });
  afterAll(async () => platform?.close());

  const transfer = (index: number) => transfers[index] as string;
  const account = (index: number) => accounts[index] as string;

  it('answers transfers in the order of the ids, each once at its first id, leaving out ids not found', async () => {
    const [gone, alsoGone] = [missing(), missing()];
    const ids = [transfer(4), gone, transfer(0), transfer(4), transfer(7), alsoGone, transfer(0), transfer(2)];
    const found = await platform.ledger.lookupTransfers(ids);
    expect(found.map((record) => record.id)).toEqual([transfer(4), transfer(0), transfer(7), transfer(2)]);
    expect(found).toEqual([4, 0, 7, 2].map((index) => expect.objectContaining({ id: transfer(index), amount: BigInt(index + 1) })));
    expect(found[0]).toEqual(await platform.ledger.getTransfer(transfer(4)));
    expect(await platform.ledger.lookupTransfers([gone, alsoGone])).toEqual([]);
    expect(await platform.ledger.lookupTransfers([])).toEqual([]);
    // Account ids name no transfer, and transfer ids no account.
    expect(await platform.ledger.lookupTransfers([account(0)])).toEqual([]);
    expect(await platform.ledger.lookupAccounts([transfer(0)])).toEqual([]);
  });

  it('answers accounts in the order of the ids, each once at its first id, with their balances, leaving out ids not found', async () => {
    const ids = [account(5), account(1), missing(), account(5), account(3)];
    const found = await platform.ledger.lookupAccounts(ids);
    expect(found.map((record) => record.id)).toEqual([account(5), account(1), account(3)]);
    for (const record of found) expect(record).toEqual(await platform.ledger.getAccount(record.id));
    expect(found[0]?.debitsPosted).toBeGreaterThan(0n);
  });

  it('reads one statement per chunk of distinct ids, and answers as a single statement would', async () => {
    const { q, statements } = counting(platform.db);
    const repository = createLedgerRepository(q);
    // 9 transfers, 3 missing ids and 4 repeats: 12 distinct ids, 4 chunks of 3.
    const ids = [...transfers.slice().reverse(), missing(), transfer(3), missing(), transfer(8), missing(), transfer(0), transfer(5)];
    const chunked = await repository.lookupTransfers(ids, 3);
    expect(statements()).toBe(4);
    expect(chunked.map((record) => record.id)).toEqual(transfers.slice().reverse());
    expect(await repository.lookupTransfers(ids)).toEqual(chunked);
    expect(statements()).toBe(5);
    const accountIds = [account(2), missing(), account(0), account(4), account(2), account(1)];
    const chunkedAccounts = await repository.lookupAccounts(accountIds, 2);
    expect(statements()).toBe(5 + 3);
    expect(chunkedAccounts.map((record) => record.id)).toEqual([account(2), account(0), account(4), account(1)]);
    expect(await repository.lookupAccounts(accountIds)).toEqual(chunkedAccounts);
  });

  it('takes at most the batch limit of ids', async () => {
    const tooMany = Array.from({ length: LIMITS.batchMaxItems + 1 }, () => missing());
    await expect(platform.ledger.lookupTransfers(tooMany)).rejects.toThrow(AssertionError);
    await expect(platform.ledger.lookupAccounts(tooMany)).rejects.toThrow(AssertionError);
    expect(await platform.ledger.lookupTransfers(tooMany.slice(1))).toEqual([]);
  });

  it('answers any list of ids as reading each alone would, deduplicated, in any chunk size', async () => {
    // Known ids, ids nobody has, and other letter cases of known ids (which PostgreSQL's uuid column finds and SQLite's text column does not).
    const id = (known: readonly string[]) => fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...known) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.constantFrom(...known).map((text) => text.toUpperCase()) },
    );
    const repository = createLedgerRepository(platform.db);
    await fc.assert(
      fc.asyncProperty(fc.array(id(transfers), { maxLength: 30 }), fc.array(id(accounts), { maxLength: 20 }), fc.integer({ min: 1, max: 8 }), async (transferIds, accountIds, chunk) => {
        const expectedTransfers: Transfer[] = await oneByOne(transferIds, (one) => platform.ledger.getTransfer(one));
        expect(await repository.lookupTransfers(transferIds, chunk)).toEqual(expectedTransfers);
        expect(await platform.ledger.lookupTransfers(transferIds)).toEqual(expectedTransfers);
        const expectedAccounts: Account[] = await oneByOne(accountIds, (one) => platform.ledger.getAccount(one));
        expect(await repository.lookupAccounts(accountIds, chunk)).toEqual(expectedAccounts);
      }),
      { numRuns: 50 },
    );
  });
});
