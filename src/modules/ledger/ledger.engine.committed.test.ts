import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../kernel/index.ts';
import type { LedgerStore } from './ledger.store.ts';
import { emptyWriteTx, engineOn } from './ledger.engine.test-support.ts';
import type { TransferRequest } from './ledger.ts';

/**
 * Callers who ask to hear at the commit (submitTransfersCommitted) get their results as soon as the
 * group has committed, with the promise of its flush; everyone else still hears only once the flush
 * is done. The store holds nothing (every transfer is refused for its unknown accounts, which is
 * still a batch applied and answered) and its commits reach the disk when the test says so.
 */
function engineWithFlushes() {
  const tx = emptyWriteTx('sqlite');
  const flushes: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let commits = 0;
  const store: LedgerStore = {
    writeBatch: (work) => work(tx),
    async writeBatchPipelined(work) {
      const result = await work(tx);
      commits += 1;
      const durable = new Promise<void>((resolve, reject) => flushes.push({ resolve, reject }));
      return { result, durable };
    },
  };
  const engine = engineOn(store);
  return { engine, flushes, commits: () => commits };
}

const transfer = (): TransferRequest => ({ id: uuidv7(), debitAccountId: uuidv7(), creditAccountId: uuidv7(), amount: 1n, ledger: 1, code: 1, flags: 0 });

async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  for (let turn = 0; turn < 20; turn++) await nextTurn();
  return settled;
}

describe('ledger engine: answers at the commit for callers who ask', () => {
  it('answers a committed caller before the flush and every other caller of the group only after it', async () => {
    const { engine, flushes, commits } = engineWithFlushes();
    const committed = engine.submitTransfersCommitted([transfer()]);
    const plain = engine.submitTransfers([transfer()]);
    const early = await committed;
    expect(commits()).toBe(1);
    expect(early.results).toEqual([expect.objectContaining({ result: 'debit_account_not_found' })]);
    expect(await settledSoon(early.durable)).toBe(false);
    expect(await settledSoon(plain)).toBe(false);
    flushes.shift()!.resolve();
    await expect(early.durable).resolves.toBeUndefined();
    expect(await plain).toEqual([expect.objectContaining({ result: 'debit_account_not_found' })]);
    await engine.stop();
  });

  it('hands a failed flush to the committed caller through its promise, and fails the others', async () => {
    const { engine, flushes } = engineWithFlushes();
    const committed = engine.submitTransfersCommitted([transfer()]);
    const plain = engine.submitTransfers([transfer()]);
    const early = await committed;
    flushes.shift()!.reject(new Error('the disk did not confirm a write'));
    await expect(early.durable).rejects.toThrow('the disk did not confirm a write');
    await expect(plain).rejects.toThrow('the disk did not confirm a write');
    await engine.stop();
  });
});
