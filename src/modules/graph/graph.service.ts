import { createHash } from 'node:crypto';
import type { Database } from '../../db/index.ts';
import { createLingeringWriter, err, ok, uuidv7, type Clock, type Result } from '../../kernel/index.ts';
import type { AlertSink } from '../cases/index.ts';
import type { RiskEvent } from '../features/index.ts';
import type { GraphError } from './graph.errors.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { neighbourhood, type Neighbourhood } from './graph.neighbourhood.ts';
import { nextAccountIndexBatch } from './graph.account-index-pace.ts';
import { createEdgeIndexWriter, EDGE_RUN_LIMITS, edgeIndexIntact, resetEdgeIndex, type EdgeIndexStep, type EdgeRunLimits } from './graph.edge-runs.ts';
import { insertEventEdges, insertScan, loadAllScores, loadScore, loadWindow, pruneEdges, pruneScans, replaceScores, type ScanRecord, type StoredEdge, type StoredScore } from './graph.repository.ts';
import { createScanSchedule, recordScanFinished, type ScheduledScanOutcome } from './graph.schedule.ts';
import { GRAPH_SCORING, isAlertable, scoreEdges } from './graph.scoring.ts';
import type { AccountScore, MuleScores, Ring } from './graph.ts';

/**
 * Mule-ring detection as a service: it keeps its own store of booked money movements (observe), scans
 * a window of them on request (scan), keeps the latest score of every account in memory for the
 * decision path (scoreOf), raises one alert per ring, and hands the scores on (onScores).
 */
export interface ScanInput {
  readonly sinceMs: number;
  /** Defaults to now. */
  readonly untilMs?: number;
}

export interface ScanSummary {
  readonly scan: ScanRecord;
  readonly alerted: readonly { readonly ring: Ring; readonly caseId: string | null; readonly alertId: string | null }[];
  /** The highest scores of the scan. */
  readonly top: readonly AccountScore[];
}

export interface GraphService extends MuleScores {
  /** Loads the latest scores into memory and starts the scan schedule; run once before scoreOf() is asked. */
  start(): Promise<void>;
  /** Adds a booked money movement to the edge store; resolves once it is written. */
  observe(event: RiskEvent): Promise<void>;
  /** Scans now. A scheduled scan in flight is waited for first; another scan asked for at once is refused. */
  scan(input: ScanInput): Promise<Result<ScanSummary, GraphError>>;
  /**
   * Looks at the schedule once, as its timer does: scans the last 30 days if a scan is due and this
   * process takes the lease, skips while a scan of this process runs.
   */
  scheduledScan(): Promise<ScheduledScanOutcome>;
  /** The account's score and explanation from the latest scan. */
  account(accountId: string): Promise<StoredScore | undefined>;
  neighbourhood(accountIds: readonly string[], depth: number, limit: number): Promise<Neighbourhood>;
  /** Resolves once every observed event is written. */
  flush(): Promise<void>;
  /** Accounts scored in memory, events waiting to be written, and events that could not be written. */
  stats(): { readonly scoredAccounts: number; readonly queuedEvents: number; readonly failedEvents: number; readonly scheduledScans: number; readonly scheduledScanFailures: number };
  /** Stops the schedule (waiting for a scheduled scan in flight) and writes the events waiting. */
  stop(): Promise<void>;
}

export interface GraphServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** Where ring alerts go (the cases module); without it scans only score. */
  readonly alerts?: AlertSink;
  /** Receives every account's new score after a scan (accounts that dropped out get 0). */
  readonly onScores?: (scores: ReadonlyMap<string, number>) => void;
  /** How often the processes sharing the database scan, one of them per interval; 0 or absent: never. */
  readonly scanIntervalMs?: number;
  /** Names this process in the scan lease; a fresh id by default. */
  readonly scanHolder?: string;
  /** Told of a scheduled scan that failed (it is retried at the next look). */
  readonly onScanError?: (error: unknown) => void;
  /** The most entries one step of the SQLite index of edges by account does; GRAPH_LIMITS.edgeIndexStepEntries unless a test asks for fewer. */
  readonly edgeIndexStepEntries?: number;
  /** That index's runs and merges; EDGE_RUN_LIMITS unless a test needs runs and merges after a few edges. */
  readonly edgeRunLimits?: EdgeRunLimits;
  /** Milliseconds from a steady clock, to time those steps by; performance.now() unless a test steers it. */
  readonly stepTimer?: () => number;
}

const TOP_ACCOUNTS = 10;
const BP = 10_000;
/** Members of a ring whose signals an alert spells out, strongest first, and the signals of each. */
const MEMBERS_EXPLAINED_MAX = 5;
const SIGNALS_EXPLAINED_MAX = 3;

/** The members whose signals an alert spells out: the strongest, at most MEMBERS_EXPLAINED_MAX. */
function explainedMembers(ring: Ring, scoreById: ReadonlyMap<string, AccountScore>): AccountScore[] {
  return ring.accountIds
    .map((id) => scoreById.get(id))
    .filter((score): score is AccountScore => score !== undefined)
    .sort((x, y) => y.score - x.score)
    .slice(0, MEMBERS_EXPLAINED_MAX);
}

/** "r2 scored 0.71: pass_through 0.98 (forwarded_share 0.98, similar_forwards 5); cycles 0.16 (…)". */
function explainMember(score: AccountScore): string {
  return `${score.accountId} scored ${score.score}: ${score.signals.slice(0, SIGNALS_EXPLAINED_MAX).map((reading) => `${reading.signal} ${reading.strength} (${Object.entries(reading.values).map(([key, value]) => `${key} ${value}`).join(', ')})`).join('; ')}`.slice(0, 480);
}

/** The same explanation as data, for readers that word it themselves (the console, in either language). */
function memberDetails(score: AccountScore) {
  return {
    account_id: score.accountId, score: score.score,
    signals: score.signals.slice(0, SIGNALS_EXPLAINED_MAX).map((reading) => ({ signal: reading.signal, strength: reading.strength, values: reading.values })),
  };
}

/**
 * The ids of the transfers among each ring's members in the scanned window, the newest
 * GRAPH_LIMITS.ringEdgesMax, oldest first: the edges whose payer and payee are both in the ring, as
 * the ring's edge count counts them. An edge's id is the id of the event the graph observed: the
 * transfer id, or the UETR of a payment.
 */
function ringTransfers(rings: readonly Ring[], window: readonly StoredEdge[]): StoredEdge[][] {
  const kept = GRAPH_LIMITS.ringEdgesMax;
  const ringOf = new Map<string, number>();
  rings.forEach((ring, index) => ring.accountIds.forEach((id) => ringOf.set(id, index)));
  const transfers = rings.map((): StoredEdge[] => []);
  for (const edge of window) {
    const index = ringOf.get(edge.source);
    if (index === undefined || ringOf.get(edge.target) !== index) continue;
    const list = transfers[index] as StoredEdge[];
    list.push(edge);
    // The window is oldest first: the oldest go, in batches, so that a list holds at most twice the bound.
    if (list.length >= 2 * kept) list.splice(0, list.length - kept);
  }
  return transfers.map((list) => list.slice(-kept));
}

/** A hash of what a ring alert says: members, transfers among them and score in basis points (as cases store it). */
function ringFingerprint(ring: Ring, transfers: readonly StoredEdge[]): string {
  const hash = createHash('sha256');
  hash.update(`${ring.key}\n${ring.edgeCount}\n${Math.round(ring.score * BP)}\n`);
  for (const id of transfers.map((edge) => edge.id).sort()) hash.update(`${id}\n`);
  return hash.digest('hex');
}


export class GraphOverloadedError extends Error {
  override readonly name = 'GraphOverloadedError';
}

export function createGraphService(deps: GraphServiceDeps): GraphService {
  const { db, clock } = deps;
  let scores = new Map<string, number>();
  let scanning = false;
  let failedEvents = 0;
  let scheduledScans = 0;
  let scheduledScanFailures = 0;
  const scanIntervalMs = deps.scanIntervalMs ?? 0;
  const stepEntriesMax = deps.edgeIndexStepEntries ?? GRAPH_LIMITS.edgeIndexStepEntries;
  const pace = {
    max: stepEntriesMax,
    min: Math.min(GRAPH_LIMITS.edgeIndexStepEntriesMin, stepEntriesMax),
    targetMs: GRAPH_LIMITS.edgeIndexStepTargetMs,
  };
  const stepTimer = deps.stepTimer ?? (() => performance.now());
  /** The size of the next step (see nextAccountIndexBatch). */
  let stepEntries = stepEntriesMax;
  const runLimits = deps.edgeRunLimits ?? EDGE_RUN_LIMITS;
  /** Index entries a write of `edges` owes: its own two an edge, and the merging they incur. */
  const workOf = (edges: number) => 2 * edges * (1 + runLimits.mergeWorkPerEntry);
  /**
   * Steps after one write, at most: enough to pay what the largest write owes at the least step
   * size, so that the index keeps abreast of the writes; bounded, since a write adds at most
   * writerBatchMax edges.
   */
  const stepsPerWriteMax = Math.ceil(workOf(GRAPH_LIMITS.writerBatchMax) / pace.min) + 1;
  // The index of edges by account is SQLite's (graph.edge-runs.ts); PostgreSQL keeps B-tree indexes.
  const edgeIndex = db.sqlite ? createEdgeIndexWriter(db.sqlite, runLimits) : undefined;
  /** Edges in the index's tail as far as this process knows: what the last step found, and what it wrote since. */
  let tail = 0;
  /** Whether the last steps left work: a tail to write as a run, or merging owed. */
  let stepsLeft = false;
  /** The catch-up of start(), until it ends; stop() ends it early (the next start goes on with it). */
  let catchingUp: Promise<void> | undefined;
  let stopping = false;

  /**
   * Steps of the index of edges by account, each its own transaction, after the edges' own: the
   * edges are written whether or not this succeeds, and a failed step is tried again after the
   * next write (queries by account read the tail too, so nothing is missing). Stops once about
   * `work` entries are done (one step at least), `stepsMax` steps are taken, nothing is left, or
   * `halt` says so.
   */
  async function indexSteps(work: number, stepsMax: number, halt: () => boolean = () => false): Promise<void> {
    if (!edgeIndex) return;
    let done = 0;
    for (let count = 0; count < stepsMax && (count === 0 || done < work) && !halt(); count++) {
      let step: EdgeIndexStep;
      try {
        const size = stepEntries;
        let tookMs = 0;
        step = await db.transaction(async () => {
          // The statements alone: time spent waiting for the writer before them is not the step's.
          const started = stepTimer();
          const result = edgeIndex.step(size);
          tookMs = stepTimer() - started;
          return result;
        });
        stepEntries = nextAccountIndexBatch(size, step.entries, tookMs, pace);
      } catch {
        stepsLeft = true;
        return;
      }
      done += step.entries;
      if (!step.more) {
        tail = step.tail;
        stepsLeft = false;
        return;
      }
    }
    stepsLeft = true;
  }

  /**
   * Steps until nothing is left, as after an import, which leaves every edge in the tail: bounded
   * by the work the tail found at the start can owe (a step does at least pace.min entries, or ends).
   */
  async function catchUp(): Promise<void> {
    if (!edgeIndex || !db.sqlite) return;
    const raw = db.sqlite;
    // An index whose rowids no longer name its edges (a VACUUM may renumber them) is built again.
    await db.transaction(async () => {
      if (!edgeIndexIntact(raw)) resetEdgeIndex(raw);
    });
    const waiting = await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM graph_edges WHERE rowid > (SELECT indexed_through FROM graph_edge_index_state WHERE id = 1)');
    const edges = Number(waiting?.n ?? 0);
    if (edges >= runLimits.tailMaxEdges) await indexSteps(workOf(edges), Math.ceil(workOf(edges) / pace.min) + 1, () => stopping);
  }

  // The events themselves wait for the write (they are made by the caller anyway); they become rows
  // only in the batch, so observing one costs no object of its own.
  const writer = createLingeringWriter<RiskEvent>({
    lingerMs: GRAPH_LIMITS.writerLingerMs,
    maxBatch: GRAPH_LIMITS.writerBatchMax,
    maxQueued: GRAPH_LIMITS.writerQueueMax,
    async write(events) {
      await db.transaction((tx) => insertEventEdges(tx, events, GRAPH_LIMITS.idMaxLength));
      if (!edgeIndex) return;
      tail += events.length;
      if (tail >= runLimits.tailMaxEdges || stepsLeft) await indexSteps(workOf(events.length), stepsPerWriteMax);
    },
    overloaded: () => new GraphOverloadedError(`more than ${GRAPH_LIMITS.writerQueueMax} events are waiting to be written to the graph`),
    onError: (_error, events) => void (failedEvents += events.length),
  });

  async function raiseAlerts(rings: readonly Ring[], scanId: string, window: readonly StoredEdge[], partiesOf: Map<string, Set<string>>, scoreById: ReadonlyMap<string, AccountScore>) {
    const alerted: { ring: Ring; caseId: string | null; alertId: string | null }[] = [];
    const chosen = rings.filter((candidate) => isAlertable(candidate)).slice(0, GRAPH_LIMITS.alertsPerScanMax);
    const transfersOf = ringTransfers(chosen, window);
    for (const [index, ring] of chosen.entries()) {
      if (!deps.alerts) {
        alerted.push({ ring, caseId: null, alertId: null });
        continue;
      }
      const transfers = transfersOf[index] as StoredEdge[];
      const named = ring.accountIds.slice(0, GRAPH_LIMITS.ringAccountsInAlertMax);
      const parties = [...new Set(named.flatMap((id) => [...(partiesOf.get(id) ?? [])]))].slice(0, GRAPH_LIMITS.ringAccountsInAlertMax);
      // The newest are named when there are more than an alert holds; payments by their UETR.
      const linked = transfers.slice(-GRAPH_LIMITS.ringTransfersInAlertMax);
      const transferIds = linked.filter((edge) => !edge.payment).map((edge) => edge.id);
      const paymentIds = linked.filter((edge) => edge.payment).map((edge) => edge.id);
      const members = explainedMembers(ring, scoreById);
      const raised = await deps.alerts.raise({
        source: 'graph', kind: 'graph:mule_ring',
        title: ring.accountIds.length > 1 ? `Possible mule ring of ${ring.accountIds.length} accounts` : `Possible mule account ${ring.accountIds[0]}`,
        score: ring.score,
        reasons: [
          `${ring.accountIds.length} account(s) scoring at least ${GRAPH_SCORING.alertThreshold}, joined by split payments, money passed on or short cycles; ${ring.edgeCount} transfer(s) among them`,
          ...members.map(explainMember),
        ],
        // Keyed on the ring's lowest account id: the same ring seen again, grown or shrunk, joins its open case.
        dedupeKey: `graph:mule_ring:${ring.accountIds[0]}`,
        // What the alert says: the members, the transfers among them and the score as the case stores
        // it. A later scan that finds the same says nothing new and adds nothing to the case.
        fingerprint: ringFingerprint(ring, transfers),
        titleValues: { members: ring.accountIds.length, account: ring.accountIds[0] as string },
        accountIds: named, partyIds: parties, transferIds, paymentIds,
        details: {
          ring_key: ring.key, members: ring.accountIds.length, account: ring.accountIds[0], edge_count: ring.edgeCount, threshold: GRAPH_SCORING.alertThreshold,
          score: ring.score, transfers_linked: linked.length, member_signals: members.map(memberDetails), scan_id: scanId,
        },
      });
      alerted.push({ ring, caseId: raised.caseId, alertId: raised.alertId });
    }
    return alerted;
  }

  async function runScan(sinceMs: number, untilMs: number): Promise<ScanSummary> {
    await writer.flush();
    const startedAtMs = clock.nowMs();
    await pruneEdges(db, startedAtMs - GRAPH_LIMITS.edgeRetentionMs, GRAPH_LIMITS.pruneBatchMax);
    const stored = await loadWindow(db, sinceMs, untilMs, GRAPH_LIMITS.scanEdgesMax + 1);
    const edgesTruncated = stored.length > GRAPH_LIMITS.scanEdgesMax;
    const window = edgesTruncated ? stored.slice(stored.length - GRAPH_LIMITS.scanEdgesMax) : stored;
    const result = scoreEdges(window.map((edge) => ({ source: edge.source, target: edge.target, amountMinor: edge.amountMinor, atMs: edge.atMs, currency: edge.currency, deviceId: edge.deviceId ?? undefined })));
    const scanId = uuidv7(startedAtMs);
    const ringOf = new Map<string, string>();
    for (const ring of result.rings) for (const id of ring.accountIds) ringOf.set(id, ring.key);
    const kept = [...result.scores].sort((x, y) => y.score - x.score).slice(0, GRAPH_LIMITS.scoresKeptMax);
    await db.transaction((tx) => replaceScores(tx, kept.map((score) => ({
      accountId: score.accountId, scoreBp: Math.round(score.score * BP), signals: score.signals, ringKey: ringOf.get(score.accountId) ?? null, scanId, scannedAtMs: startedAtMs,
    }))));
    const fresh = new Map(kept.map((score) => [score.accountId, score.score]));
    const handed = new Map(fresh);
    for (const id of scores.keys()) if (!fresh.has(id)) handed.set(id, 0);
    scores = fresh;
    deps.onScores?.(handed);
    const partiesOf = new Map<string, Set<string>>();
    for (const edge of window) {
      for (const [account, party] of [[edge.source, edge.sourceParty], [edge.target, edge.targetParty]] as const) {
        if (party && ringOf.has(account)) partiesOf.set(account, (partiesOf.get(account) ?? new Set()).add(party));
      }
    }
    const alerted = await raiseAlerts(result.rings, scanId, window, partiesOf, new Map(result.scores.map((score) => [score.accountId, score])));
    const scan: ScanRecord = {
      id: scanId, startedAtMs, sinceMs, untilMs, accounts: result.stats.accounts, edges: result.stats.edges, edgesTruncated, cycles: result.stats.cycles,
      cycleSearchTruncated: result.stats.cycleSearchTruncated, rings: result.rings.length, alerts: alerted.length,
    };
    await db.transaction(async (tx) => {
      await insertScan(tx, scan);
      await pruneScans(tx);
      const finishedAtMs = clock.nowMs();
      if (scanIntervalMs > 0) await recordScanFinished(tx, finishedAtMs, finishedAtMs + Math.max(GRAPH_LIMITS.scanIntervalMinMs, scanIntervalMs));
    });
    return { scan, alerted, top: kept.slice(0, TOP_ACCOUNTS) };
  }

  async function scanOnce(sinceMs: number, untilMs: number): Promise<Result<ScanSummary, GraphError>> {
    if (sinceMs >= untilMs) return err('window_empty');
    if (untilMs - sinceMs > GRAPH_LIMITS.scanWindowMaxMs) return err('window_too_long');
    if (scanning) return err('scan_in_progress');
    scanning = true;
    try {
      return ok(await runScan(sinceMs, untilMs));
    } finally {
      scanning = false;
    }
  }

  const schedule = createScanSchedule({
    db, clock, intervalMs: scanIntervalMs, holder: deps.scanHolder ?? uuidv7(clock.nowMs()),
    busy: () => scanning,
    async scan(sinceMs) {
      const scanned = await scanOnce(sinceMs, clock.nowMs());
      if (scanned.ok) scheduledScans += 1;
      return scanned.ok;
    },
    onError(error) {
      scheduledScanFailures += 1;
      deps.onScanError?.(error);
    },
  });

  return {
    async start() {
      scores = new Map((await loadAllScores(db, GRAPH_LIMITS.scoresKeptMax)).map((row) => [row.accountId, row.scoreBp / BP]));
      // Whoever takes the scores (the features) starts from the latest scan, not from nothing.
      if (scores.size > 0) deps.onScores?.(scores);
      // Edges an import (or another version) left in the index's tail are indexed in the background.
      stopping = false;
      catchingUp = catchUp().catch(() => undefined);
      schedule.start();
    },
    scoreOf: (accountId) => scores.get(accountId) ?? 0,
    observe(event) {
      try {
        return writer.push(event);
      } catch (error) {
        failedEvents += 1;
        return Promise.reject(error);
      }
    },
    async scan(input) {
      // A scheduled scan in flight is background work: whoever asked for a scan waits for it, not a 409.
      // Awaited only when there is one, so that a scan asked for is marked as running at once.
      const scheduled = schedule.running();
      if (scheduled) await scheduled;
      return scanOnce(input.sinceMs, input.untilMs ?? clock.nowMs());
    },
    scheduledScan: () => schedule.tick(),
    account: (accountId) => loadScore(db, accountId),
    neighbourhood: (accountIds, depth, limit) => neighbourhood(db, accountIds, depth, limit, (id) => scores.get(id) ?? 0),
    flush: () => writer.flush(),
    stats: () => ({ scoredAccounts: scores.size, queuedEvents: writer.length, failedEvents, scheduledScans, scheduledScanFailures }),
    async stop() {
      await schedule.stop();
      await writer.flush();
      stopping = true;
      await catchingUp;
      // What the last writes left undone (a full tail, merging owed) is done now.
      if (stepsLeft || tail >= runLimits.tailMaxEdges) await indexSteps(workOf(runLimits.tailMaxEdges), stepsPerWriteMax);
    },
  };
}
