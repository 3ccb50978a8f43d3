import { afterEach, beforeEach, expect, it } from 'vitest';
import { freshPostgresUrl } from '../../../test/support/databases.ts';
import { describeWithPostgres } from '../../../test/process/postgres-server.ts';
import { openPostgres, openSqlite } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { AccountFlags, TransferFlags, type TransferRequest } from './ledger.ts';
import { POSTGRES_PART_ITEMS } from './ledger.store.postgres.ts';
import { partsOf } from './ledger.engine.ts';

/**
 * Batches queued together share one PostgreSQL transaction. The store hands a later batch the
 * account objects an earlier one changed, rewrites each account row once at the end, and answers a
 * later batch's clock from memory. These tests make later batches depend on what earlier batches of
 * the same transaction did and check the answers, the rows and the verifier.
 */
const LEDGER = 1;
const uuid = (family: string, n: number) => `00000000-${family}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const LIMITED = uuid('a000', 1); // debits must not exceed credits
const OTHER = uuid('a000', 2);
/** Calls of this many items never share a batch (at most 8,190 items), so each is a batch of its own. */
const CALL_SIZE = 4100;
/** Transfers of this amount are refused by a trigger that one test installs, to make a batch fail. */
const REFUSED_AMOUNT = 666n;

describeWithPostgres('PostgreSQL ledger store, batches sharing a transaction', () => {
  let platform: Platform;
  let clock: ManualClock;
  let next = 1;

  const transfer = (debitAccountId: string, creditAccountId: string, amount: bigint, extra: Partial<TransferRequest> = {}): TransferRequest => ({
    id: uuid('b000', next++), debitAccountId, creditAccountId, amount, ledger: LEDGER, code: 1, flags: 0, ...extra,
  });
  const call = (debit: string, credit: string, amount = 1n) => Array.from({ length: CALL_SIZE }, () => transfer(debit, credit, amount));
  const allOk = (results: readonly { result: string }[]) => results.every((result) => result.result === 'ok');
  const row = (id: string) =>
    platform.db.get<{ debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint }>(
      'SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts WHERE id = ?',
      [id],
    );

  /** The ledger, its two accounts and 100 credited to LIMITED, as every test starts. */
  async function setUp(target: Platform): Promise<void> {
    expect((await target.ledger.createLedger({ id: LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' })).ok).toBe(true);
    const created = await target.ledger.createAccounts([
      { id: LIMITED, ledger: LEDGER, code: 1, flags: AccountFlags.debits_must_not_exceed_credits | AccountFlags.history },
      { id: OTHER, ledger: LEDGER, code: 1, flags: 0 },
    ]);
    expect(created.map((result) => result.result)).toEqual(['ok', 'ok']);
    expect((await target.ledger.createTransfers([transfer(OTHER, LIMITED, 100n, { id: uuid('b000', 0) })])).map((result) => result.result)).toEqual(['ok']);
  }

  beforeEach(async () => {
    clock = createManualClock();
    platform = await createPlatform({ db: openPostgres(await freshPostgresUrl()), clock, expiryIntervalMs: 0 });
    await setUp(platform);
  });
  afterEach(async () => {
    await platform.close();
  });

  it('decides each batch on what the batches before it did to the same accounts, and writes the sum', async () => {
    const [funding, spending, overspending] = await Promise.all([
      platform.ledger.createTransfers(call(OTHER, LIMITED)),
      platform.ledger.createTransfers(call(LIMITED, OTHER)),
      platform.ledger.createTransfers(call(LIMITED, OTHER)),
    ]);
    expect(allOk(funding)).toBe(true);
    expect(allOk(spending)).toBe(true);
    // 100 + 4,100 credits against 4,100 debits leave room for 100 more.
    expect(overspending.filter((result) => result.result === 'ok')).toHaveLength(100);
    expect(new Set(overspending.slice(100).map((result) => result.result))).toEqual(new Set(['exceeds_credits']));
    expect(await row(LIMITED)).toEqual({ debits_pending: 0n, debits_posted: 4200n, credits_pending: 0n, credits_posted: 4200n });
    expect(await row(OTHER)).toEqual({ debits_pending: 0n, debits_posted: 4200n, credits_pending: 0n, credits_posted: 4200n });
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('lets a later batch use an account, a pending transfer and a transfer id an earlier batch of the transaction created', async () => {
    const fresh = uuid('a000', 3);
    const pendingId = uuid('c000', 1);
    const replayed = transfer(OTHER, LIMITED, 5n);
    const accounts = Array.from({ length: CALL_SIZE }, (_, index) => ({ id: index === 0 ? fresh : uuid('a100', index), ledger: LEDGER, code: 1, flags: 0 }));
    const [opened, first, second] = await Promise.all([
      platform.ledger.createAccounts(accounts),
      platform.ledger.createTransfers([transfer(OTHER, fresh, 7n, { id: pendingId, flags: TransferFlags.pending }), replayed, ...call(OTHER, fresh).slice(2)]),
      platform.ledger.createTransfers([transfer(OTHER, fresh, 0n, { pendingId, flags: TransferFlags.post_pending, amount: 7n }), { ...replayed }, { ...replayed, amount: 6n }, ...call(fresh, OTHER).slice(3)]),
    ]);
    expect(allOk(opened)).toBe(true);
    expect(allOk(first)).toBe(true);
    expect(second.slice(0, 3).map((result) => result.result)).toEqual(['ok', 'ok', 'exists_with_different_amount']);
    expect(second[1]).toMatchObject({ replayed: true });
    expect(allOk(second.slice(3))).toBe(true);
    // Credited 4,098 by the first call and 7 by the post, debited 4,097 by the second call.
    expect(await row(fresh)).toEqual({ debits_pending: 0n, debits_posted: 4097n, credits_pending: 0n, credits_posted: 4105n });
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('commits queued batches together yet fails only the callers of a batch that cannot be applied', async () => {
    await platform.db.exec(`
      CREATE FUNCTION refuse_amount() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.amount = ${REFUSED_AMOUNT} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_amount BEFORE INSERT ON ledger_transfers FOR EACH ROW EXECUTE FUNCTION refuse_amount();
    `);
    await platform.ledger.createTransfers([transfer(OTHER, LIMITED, 1_000_000n)]);
    const [first, second, third] = await Promise.allSettled([
      platform.ledger.createTransfers(call(LIMITED, OTHER)),
      platform.ledger.createTransfers([...call(LIMITED, OTHER).slice(1), transfer(LIMITED, OTHER, REFUSED_AMOUNT)]),
      platform.ledger.createTransfers(call(LIMITED, OTHER, 2n)),
    ]);
    expect(first.status === 'fulfilled' && allOk(first.value)).toBe(true);
    expect(second.status === 'rejected' && String(second.reason)).toMatch(/refused by the test/);
    expect(third.status === 'fulfilled' && allOk(third.value)).toBe(true);
    expect(await row(OTHER)).toMatchObject({ credits_posted: BigInt(CALL_SIZE) * 3n, debits_posted: 1_000_100n });
    expect((await platform.verify()).problems).toEqual([]);
  });

  it('expires a pending transfer once, in the first batch of the transaction, and lets the later ones see it expired', async () => {
    const pendingId = uuid('c000', 2);
    const held = await platform.ledger.createTransfers([transfer(OTHER, LIMITED, 50n, { id: pendingId, flags: TransferFlags.pending, timeoutSeconds: 1 })]);
    expect(held.map((result) => result.result)).toEqual(['ok']);
    clock.advance(2_000);
    const [first, second, third] = await Promise.all([
      platform.ledger.createTransfers(call(OTHER, LIMITED)),
      platform.ledger.createTransfers([transfer(OTHER, LIMITED, 0n, { pendingId, flags: TransferFlags.post_pending, amount: 50n }), ...call(OTHER, LIMITED).slice(1)]),
      platform.ledger.createTransfers(call(OTHER, LIMITED)),
    ]);
    expect(allOk(first)).toBe(true);
    expect(second[0]?.result).toBe('pending_transfer_expired');
    expect(allOk(second.slice(1))).toBe(true);
    expect(allOk(third)).toBe(true);
    const state = await platform.db.get<{ status: string }>('SELECT status FROM ledger_pending WHERE id = ?', [pendingId]);
    expect(state?.status).toBe('expired');
    expect(await row(OTHER)).toMatchObject({ debits_pending: 0n, debits_posted: 100n + BigInt(CALL_SIZE) * 3n - 1n });
    expect((await platform.verify()).problems).toEqual([]);
  });
  it('applies a large request in parts that answer exactly as the request applied whole', async () => {
    const part = POSTGRES_PART_ITEMS;
    const linked = { flags: TransferFlags.linked };
    const items: TransferRequest[] = [];
    // Part one credits LIMITED, which later parts spend: 3,000 against 100 + 2,000 of credits.
    for (let index = 0; index < 2_000; index++) items.push(transfer(OTHER, LIMITED, 1n));
    // A chain across the first boundary, which must not be cut, then one that fails whole.
    for (let index = 0; index < 100; index++) items.push(transfer(LIMITED, OTHER, 1n, index < 99 ? linked : {}));
    items.push(transfer(LIMITED, OTHER, 1n, linked), transfer(LIMITED, LIMITED, 1n, linked), transfer(LIMITED, OTHER, 1n));
    const repeated = items[5] as TransferRequest;
    items.push({ ...repeated }, { ...repeated, amount: 2n });
    for (let index = 0; index < 3_000; index++) items.push(transfer(LIMITED, OTHER, 1n));
    // An open chain at the very end is refused, as it is when the request is applied whole.
    items.push(transfer(OTHER, LIMITED, 1n, linked), transfer(OTHER, LIMITED, 1n, linked));
    expect(items.length).toBeGreaterThan(2 * part);

    const whole = await createPlatform({ db: openSqlite(':memory:'), clock: createManualClock(), expiryIntervalMs: 0 });
    try {
      await setUp(whole);
      const batchesBefore = (await platform.journal.listByKind('ledger.batch', { afterSeq: 0n, limit: 100 })).length;
      const inParts = await platform.ledger.createTransfers(items);
      const asWhole = await whole.ledger.createTransfers(items);
      expect(inParts.map((result) => [result.id, result.result])).toEqual(asWhole.map((result) => [result.id, result.result]));
      const counts = new Map<string, number>();
      for (const result of inParts) counts.set(result.result, (counts.get(result.result) ?? 0) + 1);
      // 100 + 2,000 credited, 100 spent by the chain: 2,000 of the 3,000 spends fit under the limit.
      expect(counts.get('exceeds_credits')).toBe(1_000);
      expect(inParts.slice(-2).map((result) => result.result)).toEqual(['linked_event_failed', 'linked_event_chain_open']);
      expect(inParts[items.length - 3]).toMatchObject({ result: 'exceeds_credits' });
      for (const id of [LIMITED, OTHER]) {
        const [account, same] = [await platform.ledger.getAccount(id), await whole.ledger.getAccount(id)];
        expect([account?.debitsPosted, account?.creditsPosted]).toEqual([same?.debitsPosted, same?.creditsPosted]);
      }
      const batches = (await platform.journal.listByKind('ledger.batch', { afterSeq: 0n, limit: 100 })).length - batchesBefore;
      expect(partsOf(items, part).map((run) => run.length)).toEqual([2_100, part, items.length - 2_100 - part]);
      // A journal entry for each part that booked something: every spend of the last part exceeds the limit.
      expect(batches).toBe(2);
      expect((await platform.verify()).problems).toEqual([]);
    } finally {
      await whole.close();
    }
  });
});
