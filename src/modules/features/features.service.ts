import type { Database } from '../../db/index.ts';
import { assert, createLingeringWriter, err, ok, uuidv7, type Clock, type Result } from '../../kernel/index.ts';
import { FEATURE_CATALOG, scoreDescriptions, scoreNameProblem, type CatalogEntry } from './features.catalog.ts';
import type { FeatureDescription, FeatureSource, FeatureVector, RiskEvent } from './features.event.ts';
import { FEATURES_LIMITS, LONGEST_WINDOW_MS } from './features.limits.ts';
import { headSeq, insertEvents, loadPairs, prunePairs, pruneEvents, readEvents, replayStart } from './features.repository.ts';
import { createFeatureStore, type FeatureLimits } from './features.state.ts';

/**
 * Velocity and behaviour features for the decision path. Every booked event is folded into memory at
 * once (this process sees its own events immediately) and written to the events table in batches,
 * at most one write every `writeLingerMs` under a steady stream (see kernel/lingering-writer.ts). On
 * start the table is replayed over the longest window, so the state survives a restart; while
 * running, each process reads the events the others wrote since the last sequence it saw, every
 * `pollIntervalMs`, so several processes on one PostgreSQL converge on the same features.
 *
 * What a crash can lose: the events recorded since the last write began, at most `writeLingerMs`
 * of them plus one write's duration. Their transfers are booked in the ledger (which stays the
 * record of what moved); after a restart the windows undercount them until they age out. Stopping
 * the service (`stop`, run by a clean shutdown) writes everything first.
 */
export type ScoreError = 'invalid_score_name' | 'invalid_score' | 'too_many_scores';

export interface FeaturesService extends FeatureSource {
  /** Replays the table and starts polling. */
  start(): Promise<void>;
  /** Stops polling and waits for every recorded event to be written. */
  stop(): Promise<void>;
  /** Reads the events other processes recorded since the last poll; returns how many were new here. */
  poll(): Promise<number>;
  /** Deletes events older than the longest window and pairs older than the pair memory (bounded per call). */
  prune(): Promise<{ events: number; pairs: number }>;
  /** Resolves once every event recorded so far is durable. */
  flush(): Promise<void>;
  /** An external score of an account (mule_score from graph detection, say), exposed as a feature. */
  setAccountScore(name: string, accountId: string, score: number): Result<void, ScoreError>;
  /** Declares a score before any account has one, so that rules may name it; describes it. */
  declareScore(name: string, description: string): Result<void, ScoreError>;
  /** The payer-side features of an account as of `atMs` (default now): those that need no counterparty. */
  accountFeatures(accountId: string, atMs?: number): FeatureVector;
  /** `failedEvents`: events whose write failed (each also rejected its record() promise). */
  stats(): { keys: number; heldEvents: number; pairs: number; queued: number; failedEvents: number; lastSeenSeq: bigint };
}

export interface FeaturesServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** How often to read other processes' events; 0 disables the timer (tests call poll()). */
  readonly pollIntervalMs?: number;
  /** Smaller bounds for tests of eviction; production uses FEATURES_LIMITS. */
  readonly limits?: Partial<FeatureLimits>;
}

export class FeaturesOverloadedError extends Error {
  override readonly name = 'FeaturesOverloadedError';
}

const DONE = Promise.resolve();
const ACCOUNT_SCOPE = new Set(FEATURE_CATALOG.filter((entry) => entry.scope === 'account').map((entry) => entry.name));
const describeEntry = (entry: CatalogEntry): FeatureDescription => ({ name: entry.name, description: entry.description, type: entry.type });

export function createFeaturesService(deps: FeaturesServiceDeps): FeaturesService {
  const { db, clock } = deps;
  const limits: FeatureLimits = { ...FEATURES_LIMITS, ...deps.limits };
  const store = createFeatureStore(limits);
  // Rows this process wrote are already in its memory; the origin tells them apart when polling.
  const origin = uuidv7();
  const scoreText = new Map<string, string>();
  let lastSeenSeq = 0n;
  let timer: NodeJS.Timeout | undefined;
  let ticks = 0;
  let ticking = false;
  let started = false;

  let failedEvents = 0;
  // Pairs are not written here: the events table holds them for as long as it holds the events, and
  // prune() folds the pairs of the events it deletes into the pair table (see pruneEvents).
  const writer = createLingeringWriter<RiskEvent>({
    lingerMs: limits.writeLingerMs,
    maxBatch: limits.writeBatchMax,
    maxQueued: limits.writeQueueMax,
    write: (events) => db.transaction((tx) => insertEvents(tx, origin, events)),
    overloaded: () => new FeaturesOverloadedError(`more than ${limits.writeQueueMax} feature events are waiting to be written`),
    onError: (_error, events) => void (failedEvents += events.length),
  });

  async function replay(): Promise<void> {
    const now = clock.nowMs();
    const pairs = await loadPairs(db, now - limits.pairMemoryMs, limits.pairsMax);
    // Oldest first, so that the pairs used most recently are the last to be forgotten.
    for (let index = pairs.length - 1; index >= 0; index -= 1) {
      const pair = pairs[index] as (typeof pairs)[number];
      store.rememberPair(pair.debit, pair.credit, pair.lastAtMs);
    }
    const through = await headSeq(db);
    const sinceMs = now - LONGEST_WINDOW_MS;
    let after = await replayStart(db, sinceMs, limits.replayEventsMax);
    // Bounded: each page advances past readPageRows rows, and there are at most replayEventsMax young rows.
    const pagesMax = Math.ceil(limits.replayEventsMax / limits.readPageRows) + 1;
    for (let page = 0; page < pagesMax && after < through; page += 1) {
      const rows = await readEvents(db, after, through, sinceMs, limits.readPageRows);
      for (const row of rows) store.apply(row.event);
      if (rows.length < limits.readPageRows) break;
      after = (rows[rows.length - 1] as (typeof rows)[number]).seq;
    }
    lastSeenSeq = through;
  }

  async function poll(): Promise<number> {
    const through = await headSeq(db);
    // A sequence that went back means a restored database: follow it from where it stands now.
    if (through < lastSeenSeq) lastSeenSeq = through;
    const sinceMs = clock.nowMs() - LONGEST_WINDOW_MS;
    let applied = 0;
    let read = 0;
    while (lastSeenSeq < through && read < limits.pollRowsMax) {
      // This process's own rows are skipped by the query: they are in memory already.
      const rows = await readEvents(db, lastSeenSeq, through, sinceMs, Math.min(limits.readPageRows, limits.pollRowsMax - read), origin);
      for (const row of rows) if (store.apply(row.event)) applied += 1;
      read += rows.length;
      const last = rows[rows.length - 1];
      // A short page means nothing young is left up to `through`: skip whatever old rows lie between.
      lastSeenSeq = last === undefined || rows.length < limits.readPageRows ? through : last.seq;
    }
    return applied;
  }

  async function prune(): Promise<{ events: number; pairs: number }> {
    const now = clock.nowMs();
    // The events and the pairs taken from them go in one transaction, so no pair is lost between.
    const events = await db.transaction((tx) => pruneEvents(tx, now - LONGEST_WINDOW_MS, limits.pruneRowsMax));
    return { events, pairs: await prunePairs(db, now - limits.pairMemoryMs, limits.pruneRowsMax) };
  }

  async function tick(intervalMs: number): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      ticks += 1;
      await poll();
      store.sweep(clock.nowMs());
      // Counted in ticks rather than read from a clock: scheduling is not part of what features mean.
      if (ticks % Math.max(1, Math.round(limits.pruneIntervalMs / intervalMs)) === 0) await prune();
    } catch {
      // A database that does not answer now is asked again at the next tick; features stay as they were.
    } finally {
      ticking = false;
    }
  }

  function checkScore(name: string): Result<void, ScoreError> {
    if (scoreNameProblem(name)) return err('invalid_score_name');
    if (!scoreText.has(name) && scoreText.size >= limits.scoreNamesMax) return err('too_many_scores');
    return ok(undefined);
  }

  const service: FeaturesService = {
    compute: (event) => store.compute(event),
    record(event) {
      assert(event.debitAccountId.length > 0 && event.creditAccountId.length > 0, 'a risk event names both accounts');
      assert(event.id.length > 0 && Number.isFinite(event.atMs) && event.amountMinor >= 0n, 'a risk event has an id, a time and an amount');
      if (writer.length >= limits.writeQueueMax) return Promise.reject(new FeaturesOverloadedError(`more than ${limits.writeQueueMax} feature events are waiting to be written`));
      if (!store.apply(event)) return DONE;
      return writer.push(event);
    },
    describe() {
      const scores = [...scoreText].flatMap(([name, text]) => scoreDescriptions(name, text));
      return [...FEATURE_CATALOG, ...scores].map(describeEntry);
    },
    async start() {
      if (started) return;
      started = true;
      await replay();
      const intervalMs = deps.pollIntervalMs ?? limits.pollIntervalMs;
      if (intervalMs > 0) {
        timer = setInterval(() => void tick(intervalMs), intervalMs);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await writer.flush();
    },
    poll,
    prune,
    flush: () => writer.flush(),
    setAccountScore(name, accountId, score) {
      const checked = checkScore(name);
      if (!checked.ok) return checked;
      if (!Number.isFinite(score)) return err('invalid_score');
      if (!scoreText.has(name)) scoreText.set(name, `External score ${name}`);
      store.setScore(name, accountId, score);
      return ok(undefined);
    },
    declareScore(name, description) {
      const checked = checkScore(name);
      if (!checked.ok) return checked;
      scoreText.set(name, description);
      store.declareScore(name);
      return ok(undefined);
    },
    accountFeatures(accountId, atMs) {
      const vector = store.compute({ id: '', atMs: atMs ?? clock.nowMs(), amountMinor: 0n, currency: '', debitAccountId: accountId, creditAccountId: '' });
      const names = new Set(store.scoreNames());
      return Object.fromEntries(Object.entries(vector).filter(([name]) => ACCOUNT_SCOPE.has(name) || names.has(name)));
    },
    stats: () => ({ ...store.stats(), queued: writer.length, failedEvents, lastSeenSeq }),
  };
  return service;
}
