import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, START_MS, type Api } from '../../../test/http/harness.ts';
import type { Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';

const DAY_MS = 86_400_000;

/** Rows of imported messages as a past import would have left them, written straight to the table. */
async function seedImported(db: Database, prefix: string, count: number, importedAtMs: number): Promise<void> {
  const ROWS_PER_STATEMENT = 500;
  await db.transaction(async (tx) => {
    for (let start = 0; start < count; start += ROWS_PER_STATEMENT) {
      const rows = Array.from({ length: Math.min(ROWS_PER_STATEMENT, count - start) }, (_, offset) => ['pacs.008.001.08', 'SEEDCNSH', `${prefix}-${start + offset}`, 'seed', new Date(importedAtMs).toISOString()]);
      await tx.run(`INSERT INTO payment_imported_messages (message_definition, sender, message_id, fingerprint, imported_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, rows.flat());
    }
  });
}

async function countImported(db: Database, prefix: string): Promise<number> {
  return Number((await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM payment_imported_messages WHERE message_id LIKE ?', [`${prefix}-%`]))?.n);
}

/**
 * A sender's MsgId is remembered for the retention (400 days unless configured): past it, the row is
 * pruned, a bounded batch at a time, and a file under that id is a new message again, whose
 * transactions still replay the payments they booked.
 */
describeEachDialect('retention of imported message ids', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const send = (file: string) => api.call('POST', '/v1/payments/import', undefined, { raw: file, headers: { 'content-type': 'application/xml' } });
  const results = async (file: string) => (await send(file)).json().results.map((result: Record<string, unknown>) => [result.status, result.replayed]);

  it('takes a MsgId again once its retention has passed, replays the payments of the same file, and keeps younger ids', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNRET00001');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNRET00002');
    const file = (messageId: string, amount: string, endToEndId = `${messageId}-E`) => pain001({
      messageId, debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: 'Retention Trading',
      transactions: [{ endToEndId, amount, currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' }],
    });
    expect(await results(file('RET-OLD-A', '1.00'))).toEqual([['ACCC', false]]);
    expect(await results(file('RET-OLD-B', '2.00'))).toEqual([['ACCC', false]]);
    api.clock.set(START_MS + 200 * DAY_MS);
    expect(await results(file('RET-YOUNG', '3.00'))).toEqual([['ACCC', false]]);

    // A day before the old ids' retention ends nothing goes; a day after, exactly they do.
    api.clock.set(START_MS + (PAYMENT_LIMITS.importedMessageRetentionDays - 1) * DAY_MS);
    expect(await api.platform.payments.pruneImportedMessages()).toBe(0);
    expectProblem(await send(file('RET-OLD-B', '20.00', 'RET-OLD-B-2')), 409, 'duplicate_message_id');
    api.clock.set(START_MS + (PAYMENT_LIMITS.importedMessageRetentionDays + 1) * DAY_MS);
    expect(await api.platform.payments.pruneImportedMessages()).toBe(2);

    // The same file under a forgotten id books nothing twice: its payment answers as a replay.
    expect(await results(file('RET-OLD-A', '1.00'))).toEqual([['ACCC', true]]);
    // Another file under a forgotten id is a new message; under a younger id it is still refused.
    expect(await results(file('RET-OLD-B', '20.00', 'RET-OLD-B-2'))).toEqual([['ACCC', false]]);
    expectProblem(await send(file('RET-YOUNG', '30.00', 'RET-YOUNG-2')), 409, 'duplicate_message_id');
    expect(await network.balance(creditor.id)).toBe(2_600n);
  });

  it('prunes at most a bounded number of rows per call, and only rows past their retention', async () => {
    const { db } = api.platform;
    const perCall = PAYMENT_LIMITS.importedMessagePruneBatch * PAYMENT_LIMITS.importedMessagePruneBatchesPerPass;
    const now = api.clock.nowMs();
    await seedImported(db, 'BOUND-OLD', perCall + 7, now - (PAYMENT_LIMITS.importedMessageRetentionDays + 30) * DAY_MS);
    await seedImported(db, 'BOUND-YOUNG', 5, now - (PAYMENT_LIMITS.importedMessageRetentionDays - 1) * DAY_MS);
    expect(await api.platform.payments.pruneImportedMessages()).toBe(perCall);
    expect(await countImported(db, 'BOUND-OLD')).toBe(7);
    expect(await api.platform.payments.pruneImportedMessages()).toBe(7);
    expect(await api.platform.payments.pruneImportedMessages()).toBe(0);
    expect(await countImported(db, 'BOUND-YOUNG')).toBe(5);
  });
});

describeEachDialect('pruning imported message ids in the background', ({ open }) => {
  it('prunes past the configured retention from the periodic pass, at most once an hour by the clock', async () => {
    const clock = createManualClock(START_MS);
    const platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 20, graphScanIntervalMs: 0, importedMessageRetentionDays: 30 });
    try {
      await seedImported(platform.db, 'LOOP-OLD', 3, START_MS - 31 * DAY_MS);
      await seedImported(platform.db, 'LOOP-YOUNG', 2, START_MS - 29 * DAY_MS);
      await vi.waitFor(async () => expect(await countImported(platform.db, 'LOOP-OLD')).toBe(0), { timeout: 10_000, interval: 20 });
      expect(await countImported(platform.db, 'LOOP-YOUNG')).toBe(2);

      // The pass just pruned: a row due now waits until an hour has passed on the clock.
      await seedImported(platform.db, 'LOOP-LATER', 1, START_MS - 31 * DAY_MS);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await countImported(platform.db, 'LOOP-LATER')).toBe(1);
      clock.advance(PAYMENT_LIMITS.importedMessagePruneIntervalMs);
      await vi.waitFor(async () => expect(await countImported(platform.db, 'LOOP-LATER')).toBe(0), { timeout: 10_000, interval: 20 });
      expect(await countImported(platform.db, 'LOOP-YOUNG')).toBe(2);
    } finally {
      await platform.close();
    }
  });
});
