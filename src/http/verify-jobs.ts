import { uuidv7, type Clock } from '../kernel/index.ts';
import type { VerifyReport } from '../modules/journal/index.ts';

/**
 * Journal verification as a background job whose progress a client can poll. Verifying a long
 * journal takes longer than a browser is willing to wait on one request, and an operator wants to
 * see how far it has got. One job runs at a time: asking again while one runs returns that job,
 * because two runs over the same journal would only compete for the same disk.
 */
export const VERIFY_JOBS_KEPT = 16;

export type VerifyJobStatus = 'running' | 'succeeded' | 'failed';

export interface VerifyJob {
  readonly id: string;
  readonly status: VerifyJobStatus;
  readonly checked: number;
  /** Entries in the journal when the run started; null until the first page has been read. */
  readonly total: number | null;
  readonly startedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly report: VerifyReport | null;
  /** Why the run itself failed (the database went away), as opposed to problems it found. */
  readonly error: string | null;
}

export interface VerifyJobs {
  /** Starts a run, or returns the one already running (`started` false). */
  start(): { job: VerifyJob; started: boolean };
  get(id: string): VerifyJob | undefined;
}

export function createVerifyJobs(deps: {
  readonly verify: (onProgress: (checked: number, total: number) => void) => Promise<VerifyReport>;
  readonly clock: Clock;
  readonly onError?: (error: unknown) => void;
}): VerifyJobs {
  // Insertion order is start order, so the oldest finished job is the first one to forget.
  const jobs = new Map<string, VerifyJob>();
  let running: string | null = null;

  const update = (id: string, change: Partial<VerifyJob>) => {
    const job = jobs.get(id);
    if (job) jobs.set(id, { ...job, ...change });
  };

  const forgetOldest = () => {
    for (const [id, job] of jobs) {
      if (jobs.size < VERIFY_JOBS_KEPT) return;
      if (job.status !== 'running') jobs.delete(id);
    }
  };

  return {
    start() {
      const current = running ? jobs.get(running) : undefined;
      if (current) return { job: current, started: false };
      forgetOldest();
      const id = uuidv7();
      const job: VerifyJob = { id, status: 'running', checked: 0, total: null, startedAtMs: deps.clock.nowMs(), finishedAtMs: null, report: null, error: null };
      jobs.set(id, job);
      running = id;
      deps
        .verify((checked, total) => update(id, { checked, total }))
        .then(
          (report) => update(id, { status: 'succeeded', report, checked: report.entries, total: report.entries }),
          (error: unknown) => {
            deps.onError?.(error);
            update(id, { status: 'failed', error: 'verification could not run to the end; the server log has the cause' });
          },
        )
        .finally(() => {
          update(id, { finishedAtMs: deps.clock.nowMs() });
          running = null;
        });
      return { job, started: true };
    },
    get: (id) => jobs.get(id),
  };
}
