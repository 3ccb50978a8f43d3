import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../db/index.ts';
import { openSlowDiskSqlite } from '../../db/slow-disk.test-support.ts';
import { paymentsMigrations } from './payments.migrations.ts';
import { eventsAfter } from './payments.repository.ts';
import { createPaymentsWriter, type PaymentsWriter } from './payments.writer.ts';

/**
 * The writer on a database whose flushes the test releases by hand (openSlowDiskSqlite): what may
 * be told before the disk has the batch, and what may not, is then observable.
 */

const event = (paymentId: string, status: 'RCVD' | 'ACTC' | 'ACSP' | 'ACCC') => ({ paymentId, uetr: `uetr-${paymentId}`, status, reasonCode: null, at: 1n, keyId: null });
const settledSoon = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('payments writer on a database that flushes apart from its commits', () => {
  let disk: ReturnType<typeof openSlowDiskSqlite>;
  let writer: PaymentsWriter;
  const open = async () => {
    disk = openSlowDiskSqlite();
    await migrate(disk.db, paymentsMigrations);
    writer = createPaymentsWriter(disk.db);
  };
  afterEach(async () => {
    disk.flush();
    await writer.stop();
    await disk.close();
  });

  it('answers run() only once its batch is on disk, and runCommitted() at the commit', async () => {
    await open();
    const answered: string[] = [];
    const durable = writer.run(async ({ planEvents }) => {
      const planned = planEvents([event('a', 'RCVD')]);
      await planned.record();
      return 'a';
    }).then((value) => answered.push(`run ${value}`));
    const early = writer.runCommitted(async () => 'b').then((committed) => {
      answered.push(`committed ${committed.value}`);
      return committed;
    });
    await settledSoon();
    expect(disk.commits()).toBe(1);
    expect(answered).toEqual(['committed b']);
    disk.flush();
    await durable;
    await (await early).durable;
    expect(answered).toEqual(['committed b', 'run a']);
  });

  it('writes the next batch while the last one is still being flushed, numbering events in commit order', async () => {
    await open();
    const first = writer.run(async ({ planEvents }) => {
      const planned = planEvents([event('p1', 'RCVD'), event('p1', 'ACTC')]);
      await planned.record();
      return planned.numbered.map((numbered) => numbered.seq);
    });
    await settledSoon();
    // The first batch is committed and waits for the disk; the second is not held up by it.
    const second = writer.run(async ({ planEvents }) => {
      const planned = planEvents([event('p2', 'RCVD')]);
      await planned.record();
      return planned.numbered.map((numbered) => numbered.seq);
    });
    await settledSoon();
    expect(disk.commits()).toBe(2);
    disk.flush();
    expect(await first).toEqual([1n, 2n]);
    expect(await second).toEqual([3n]);
    const stored = await eventsAfter(disk.db, 0n, 10);
    expect(stored.map((row) => [row.seq, row.paymentId, row.status])).toEqual([[1n, 'p1', 'RCVD'], [2n, 'p1', 'ACTC'], [3n, 'p2', 'RCVD']]);
  });

  it('writes every event of a large batch, in order, and none of a batch that failed', async () => {
    await open();
    const writes = Array.from({ length: 300 }, (_, index) =>
      writer.run(async ({ planEvents }) => {
        const planned = planEvents([event(`m${index}`, 'RCVD'), event(`m${index}`, 'ACTC')]);
        await planned.record();
        if (index === 7) throw new Error('this unit cannot be written');
        return index;
      }),
    );
    const settled = Promise.allSettled(writes);
    await settledSoon();
    disk.flush();
    const outcomes = await settled;
    // The failing unit fails alone; the others are tried again without it and all written.
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(1);
    await settledSoon();
    disk.flush();
    const stored = await eventsAfter(disk.db, 0n, 1_000);
    expect(stored).toHaveLength(598);
    expect(stored.map((row) => row.seq)).toEqual(stored.map((_, index) => BigInt(index + 1)));
    expect(stored.some((row) => row.paymentId === 'm7')).toBe(false);
    expect(stored.filter((row) => row.paymentId === 'm8').map((row) => row.status)).toEqual(['RCVD', 'ACTC']);
  });

  it('fails the callers of a batch the disk did not confirm, and hands the failure to early callers too', async () => {
    await open();
    const late = writer.run(async () => 'late');
    const early = writer.runCommitted(async () => 'early');
    await settledSoon();
    const committed = await early;
    expect(committed.value).toBe('early');
    disk.flush(new Error('disk gone'));
    await expect(late).rejects.toThrow('disk gone');
    await expect(committed.durable).rejects.toThrow('disk gone');
  });

  it('stop() waits until the batches being flushed have answered', async () => {
    await open();
    const write = writer.run(async () => 'last');
    await settledSoon();
    let stopped = false;
    const stopping = writer.stop().then(() => (stopped = true));
    await settledSoon();
    expect(stopped).toBe(false);
    disk.flush();
    await stopping;
    expect(await write).toBe('last');
    await expect(writer.run(async () => 'after')).rejects.toThrow('shutting down');
  });
});
