import { describe, expect, it } from 'vitest';
import { createManualClock } from '../kernel/index.ts';
import type { VerifyReport } from '../modules/journal/index.ts';
import { VERIFY_JOBS_KEPT, createVerifyJobs } from './verify-jobs.ts';

const report = (entries: number): VerifyReport => ({ ok: true, entries, algorithm: 'sha256', headSeq: BigInt(entries), headHash: 'f'.repeat(64), problems: [] });

/** A verification the test finishes by hand, reporting progress on the way. */
function controllable() {
  let finish: (value: VerifyReport) => void = () => {};
  let fail: (error: Error) => void = () => {};
  let progress: (checked: number, total: number) => void = () => {};
  let runs = 0;
  const verify = (onProgress: (checked: number, total: number) => void) => {
    runs += 1;
    progress = onProgress;
    return new Promise<VerifyReport>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { verify, finish: (value: VerifyReport) => finish(value), fail: (error: Error) => fail(error), progress: (checked: number, total: number) => progress(checked, total), runs: () => runs };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('background journal verification', () => {
  it('reports progress while running and the report when done', async () => {
    const clock = createManualClock();
    const run = controllable();
    const jobs = createVerifyJobs({ verify: run.verify, clock });
    const { job, started } = jobs.start();
    expect(started).toBe(true);
    expect(job).toMatchObject({ status: 'running', checked: 0, total: null, finishedAtMs: null, report: null });
    run.progress(500, 2000);
    expect(jobs.get(job.id)).toMatchObject({ status: 'running', checked: 500, total: 2000 });
    clock.advance(1234);
    run.finish(report(2000));
    await settle();
    expect(jobs.get(job.id)).toMatchObject({ status: 'succeeded', checked: 2000, total: 2000, finishedAtMs: job.startedAtMs + 1234, report: { ok: true, entries: 2000 } });
  });

  it('runs one verification at a time: asking again while one runs joins it', async () => {
    const run = controllable();
    const jobs = createVerifyJobs({ verify: run.verify, clock: createManualClock() });
    const first = jobs.start();
    const second = jobs.start();
    expect(second).toEqual({ job: first.job, started: false });
    expect(run.runs()).toBe(1);
    run.finish(report(1));
    await settle();
    expect(jobs.start().started).toBe(true);
    expect(run.runs()).toBe(2);
  });

  it('marks a run that could not finish as failed without saying why to the client', async () => {
    const run = controllable();
    const seen: unknown[] = [];
    const jobs = createVerifyJobs({ verify: run.verify, clock: createManualClock(), onError: (error) => seen.push(error) });
    const { job } = jobs.start();
    run.fail(new Error('database went away at /secret/path'));
    await settle();
    const failed = jobs.get(job.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).not.toContain('/secret/path');
    expect(seen).toHaveLength(1);
  });

  it(`keeps at most ${VERIFY_JOBS_KEPT} jobs, forgetting the oldest finished ones`, async () => {
    const run = controllable();
    const jobs = createVerifyJobs({ verify: run.verify, clock: createManualClock() });
    const ids: string[] = [];
    for (let index = 0; index < VERIFY_JOBS_KEPT + 5; index++) {
      ids.push(jobs.start().job.id);
      run.finish(report(index));
      await settle();
    }
    const kept = ids.filter((id) => jobs.get(id) !== undefined);
    expect(kept).toHaveLength(VERIFY_JOBS_KEPT);
    expect(kept).toEqual(ids.slice(-VERIFY_JOBS_KEPT));
  });
});
