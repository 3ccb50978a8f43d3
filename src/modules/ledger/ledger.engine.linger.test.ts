import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../kernel/index.ts';
import type { LedgerStore } from './ledger.store.ts';
import { emptyWriteTx, engineOn } from './ledger.engine.test-support.ts';
import type { TransferRequest } from './ledger.ts';

/**
 * The engine's linger on a store whose commits follow each other across processes: after a group
 * that answered many callers it waits for them to come back before it takes the next batch, and
 * otherwise takes it at once. The store holds nothing (every transfer is refused for its unknown
 * accounts, which is still a batch applied and answered); the engine's metrics tell the batches.
 */
function engineWithLinger(lingerMs: number, duringFirstWrite?: () => void) {
  const tx = emptyWriteTx('postgres');
  let writes = 0;
  const store: LedgerStore = {
    writeBatch: (work) => {
      if (writes++ === 0) duringFirstWrite?.();
      return work(tx);
    },
    lingerMs,
  };
  const batches: number[] = [];
  const engine = engineOn(store, { observeBatch: (items) => batches.push(items), countResults: () => undefined });
  return { engine, batches };
}

const transfer = (): TransferRequest => ({ id: uuidv7(), debitAccountId: uuidv7(), creditAccountId: uuidv7(), amount: 1n, ledger: 1, code: 1, flags: 0 });

/** `count` callers of one transfer each, all queued before the engine takes its next batch. */
const together = (engine: ReturnType<typeof engineWithLinger>['engine'], count: number) => Promise.all(Array.from({ length: count }, () => engine.submitTransfers([transfer()])));

/** `count` callers of one transfer each, one event-loop turn apart. */
async function oneByOne(engine: ReturnType<typeof engineWithLinger>['engine'], count: number) {
  const answers: Promise<unknown>[] = [];
  for (let index = 0; index < count; index++) {
    answers.push(engine.submitTransfers([transfer()]));
    await nextTurn();
  }
  return Promise.all(answers);
}

describe('ledger engine linger', () => {
  it('after answering many callers, waits for as many to come back and takes them as one batch', async () => {
    // A linger far longer than the test may run: only the queue filling up can end it.
    const { engine, batches } = engineWithLinger(60_000);
    await together(engine, 10);
    await oneByOne(engine, 10);
    expect(batches).toEqual([10, 10]);
    await engine.stop();
  });

  it('takes the next batch at once after a few callers or one large request', async () => {
    const { engine, batches } = engineWithLinger(60_000);
    await together(engine, 3);
    await oneByOne(engine, 2);
    await engine.submitTransfers(Array.from({ length: 50 }, transfer));
    await oneByOne(engine, 1);
    expect(batches).toEqual([3, 1, 1, 50, 1]);
    await engine.stop();
  });

  it('takes a backlog as long as what it answered at once, without lingering', async () => {
    // Twelve callers come while the first ten are written: more waiting than were answered.
    let second: Promise<unknown> | undefined;
    const { engine, batches } = engineWithLinger(60_000, () => (second = together(engine, 12)));
    await together(engine, 10);
    await second;
    expect(batches).toEqual([10, 12]);
    await engine.stop();
  });

  it('takes whoever came back once the linger has passed', async () => {
    const { engine, batches } = engineWithLinger(30);
    await together(engine, 10);
    await oneByOne(engine, 2);
    expect(batches).toEqual([10, 2]);
    await engine.stop();
  });

  it('stops without waiting for a linger to pass', async () => {
    const { engine } = engineWithLinger(60_000);
    await together(engine, 10);
    await engine.stop();
    await expect(engine.submitTransfers([transfer()])).rejects.toThrow(/shutting down/);
  });
});
