import type { Queryable } from '../../db/index.ts';
import type { Clock } from '../../kernel/index.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';

/**
 * Scans on a schedule. Every process asks now and then (scanCheckMaxMs, or the interval when it is
 * shorter) whether a scan is due; the one that takes the lease row with a conditional UPDATE scans,
 * the others find it taken until the next interval. So processes sharing one database scan once per
 * interval between them, and a process that dies mid-scan only delays the next scan to the end of
 * its interval. A process never starts a scheduled scan while one of its own scans runs.
 */
export const SCAN_LEASE_NAME = 'scheduled_scan';

/** What one look at the schedule did. */
export type ScheduledScanOutcome =
  /** This process took the lease and scanned. */
  | 'scanned'
  /** The next scan is not due yet, or another process took the lease for this interval. */
  | 'not_due'
  /** A scan of this process was running; the tick was skipped. */
  | 'busy'
  /** The scan failed; the lease was given back, so the next look tries again. */
  | 'failed'
  /** The schedule is off or stopped. */
  | 'off';

/** Takes the lease until `untilMs` if it has expired; true if this holder now has it. */
export async function takeScanLease(q: Queryable, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
  const taken = await q.run(
    'UPDATE graph_scan_lease SET holder = ?, taken_at_ms = ?, expires_at_ms = ? WHERE name = ? AND expires_at_ms <= ?',
    [holder, nowMs, untilMs, SCAN_LEASE_NAME, nowMs],
  );
  return taken.changes === 1;
}

/** Gives back a lease this holder took at `takenAtMs` (after a failed scan), so the next look may retry. */
export async function releaseScanLease(q: Queryable, holder: string, takenAtMs: number): Promise<void> {
  await q.run('UPDATE graph_scan_lease SET expires_at_ms = ? WHERE name = ? AND holder = ? AND taken_at_ms = ?', [takenAtMs, SCAN_LEASE_NAME, holder, takenAtMs]);
}

/**
 * Records a finished scan of any kind (scheduled, or asked for by the API) and puts the next
 * scheduled one an interval after it: a scan asked for a minute ago need not be repeated now.
 */
export async function recordScanFinished(q: Queryable, nowMs: number, nextDueMs: number): Promise<void> {
  await q.run('UPDATE graph_scan_lease SET scanned_at_ms = ?, expires_at_ms = CASE WHEN expires_at_ms < ? THEN ? ELSE expires_at_ms END WHERE name = ?', [nowMs, nextDueMs, nextDueMs, SCAN_LEASE_NAME]);
}

export interface ScanLease {
  readonly holder: string | null;
  readonly takenAtMs: number | null;
  readonly expiresAtMs: number;
  readonly scannedAtMs: number | null;
}

export async function loadScanLease(q: Queryable): Promise<ScanLease | undefined> {
  const row = await q.get('SELECT holder, taken_at_ms, expires_at_ms, scanned_at_ms FROM graph_scan_lease WHERE name = ?', [SCAN_LEASE_NAME]);
  if (!row) return undefined;
  const optional = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return { holder: (row.holder as string | null) ?? null, takenAtMs: optional(row.taken_at_ms), expiresAtMs: Number(row.expires_at_ms), scannedAtMs: optional(row.scanned_at_ms) };
}

export interface ScanScheduleDeps {
  readonly db: Queryable;
  readonly clock: Clock;
  /** 0 turns the schedule off. */
  readonly intervalMs: number;
  /** Names this process in the lease row. */
  readonly holder: string;
  /** Whether a scan of this process runs now. */
  readonly busy: () => boolean;
  /** Runs one scan of the window ending now; rejects or returns false when it could not. */
  readonly scan: (sinceMs: number) => Promise<boolean>;
  readonly onError?: (error: unknown) => void;
}

export interface ScanSchedule {
  /** Looks at the schedule once: scans if the scan is due and this process takes the lease. */
  tick(): Promise<ScheduledScanOutcome>;
  /** Starts asking on a timer (unref'd: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a scheduled scan in flight. */
  stop(): Promise<void>;
  /** The scheduled scan in flight, if any. */
  running(): Promise<unknown> | undefined;
}

export function createScanSchedule(deps: ScanScheduleDeps): ScanSchedule {
  const intervalMs = deps.intervalMs === 0 ? 0 : Math.max(GRAPH_LIMITS.scanIntervalMinMs, deps.intervalMs);
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<ScheduledScanOutcome> | undefined;
  let stopped = false;

  async function once(): Promise<ScheduledScanOutcome> {
    const nowMs = deps.clock.nowMs();
    if (!(await takeScanLease(deps.db, deps.holder, nowMs, nowMs + intervalMs))) return 'not_due';
    try {
      if (await deps.scan(nowMs - GRAPH_LIMITS.scheduledScanWindowMs)) return 'scanned';
    } catch (error) {
      deps.onError?.(error);
    }
    await releaseScanLease(deps.db, deps.holder, nowMs).catch((error: unknown) => deps.onError?.(error));
    return 'failed';
  }

  const schedule: ScanSchedule = {
    tick() {
      if (intervalMs === 0 || stopped) return Promise.resolve('off');
      if (inFlight || deps.busy()) return Promise.resolve('busy');
      const run = once().catch((error: unknown) => {
        // The lease could not be read or taken (the database did not answer): the next look tries again.
        deps.onError?.(error);
        return 'failed' as const;
      });
      inFlight = run.finally(() => (inFlight = undefined));
      return inFlight;
    },
    start() {
      if (intervalMs === 0 || timer || stopped) return;
      timer = setInterval(() => void schedule.tick(), Math.min(intervalMs, GRAPH_LIMITS.scanCheckMaxMs));
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await inFlight;
    },
    running: () => inFlight,
  };
  return schedule;
}
