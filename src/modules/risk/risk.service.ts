import type { Database } from '../../db/index.ts';
import { coalesceLookups, err, ok, type Clock, type Result } from '../../kernel/index.ts';
import type { AlertInput, AlertSink } from '../cases/index.ts';
import type { FeatureSource, RiskEvent } from '../features/index.ts';
import type { MuleScores } from '../graph/index.ts';
import type { ListChecker } from '../lists/index.ts';
import { OUTCOMES, type DecisionHistory, type Outcome, type RulesEngine } from '../rules/index.ts';
import type { NameScreener } from '../screening/index.ts';
import type { RiskError } from './risk.errors.ts';
import { createEvaluator } from './risk.evaluate.ts';
import { createHolds, type Holds } from './risk.holds.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import { createDecisionLog } from './risk.log.ts';
import { createFeatureSets, getDecision, historyPage, listDecisions, type DecisionFilter } from './risk.decisions.ts';
import { createRecentDecisions } from './risk.recent.ts';
import { createPriorLookup, loadSettings, saveSettings, type PriorDecision } from './risk.repository.ts';
import { coverageOf, DECISION_SOURCES, DEFAULT_SETTINGS, FAIL_MODES, type Decision, type DecisionSource, type FailMode, type Hold, type RiskSettings } from './risk.ts';

/**
 * The decision before money moves. The gates (src/flows/risk-gate.ts) turn a transfer or a payment
 * into a RiskEvent, ask for a decision, and act on it; the stand-alone API asks for one without
 * booking anything. Decisions are logged with the variables their rules saw; review and decline
 * decisions are on disk before anyone is answered, and raise an alert for an analyst.
 */
export interface RiskServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly rules: RulesEngine;
  readonly features: FeatureSource;
  readonly lists: ListChecker;
  readonly screening?: NameScreener;
  readonly graph?: MuleScores;
  readonly alerts?: AlertSink;
  /** Monotonic milliseconds for the time budget; tests replace it to make an evaluation overrun. */
  readonly timer?: () => number;
  readonly report?: (message: string) => void;
}

export type SettingsInput = Partial<Omit<RiskSettings, 'updatedAt' | 'updatedBy'>>;

/** What this process has decided since it started, for /metrics. */
export interface RiskStats {
  /** Decisions logged, by what asked for them and their outcome. */
  readonly decisions: Readonly<Record<DecisionSource, Readonly<Record<Outcome, number>>>>;
  /** Of those, decisions whose evaluation failed or overran its budget, by the fail mode that decided them. */
  readonly failed: Readonly<Record<FailMode, number>>;
  /** Decisions taken and not yet written to the log. */
  readonly logQueued: number;
}

export interface RiskService {
  /** Loads the settings; run once before the first decision. */
  start(): Promise<void>;
  settings(): RiskSettings;
  updateSettings(input: SettingsInput, actor: string): Promise<Result<RiskSettings, RiskError>>;
  /** Whether an event of this code and channel is evaluated under the current settings. */
  covers(code: number | undefined, channel: string | undefined): boolean;
  /** Computes a decision in memory; nothing is written until commit(). */
  evaluate(event: RiskEvent, source: DecisionSource): Decision;
  /**
   * Logs decisions and the holds decided with them. Resolves after the commit when any decision is
   * review or decline or any hold is given; approvals alone are answered at once and written soon.
   */
  commit(decisions: readonly Decision[], holds?: readonly Hold[]): Promise<void>;
  /**
   * Whether commit() with nothing to log would do anything (wait for a backed-up log, or refuse while
   * stopping); when not, a caller with nothing to log may skip it.
   */
  commitWaits(): boolean;
  /**
   * Logs approvals of transfers after the ledger answered them, leaving out by the caller those it
   * had booked before (retries). Never waits and never throws: an approval that cannot be logged is
   * reported. commit() is still called first, with whatever must be on disk before the booking, so
   * that a backed-up log slows callers down before they book.
   */
  logApprovals(decisions: readonly Decision[]): void;
  /** evaluate() and commit() in one, for callers that book nothing themselves. */
  decide(event: RiskEvent, source: DecisionSource): Promise<Decision>;
  /**
   * Adds booked events to the feature windows. The windows advance before this returns; the promise
   * says when the features module has also written them. A failure is reported, never thrown.
   */
  record(events: readonly RiskEvent[]): Promise<void>;
  /**
   * Decisions already taken for these event ids (retried requests): any this process took lately for
   * a transfer (approvals too), else review and decline decisions from the log.
   */
  priorDecisions(eventIds: readonly string[]): Promise<Map<string, PriorDecision>>;
  getDecision(id: string): Promise<Decision | undefined>;
  listDecisions(filter: DecisionFilter): Promise<Decision[]>;
  readonly history: DecisionHistory;
  readonly holds: Holds;
  stats(): RiskStats;
  /** Writes every decision decided so far. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_BY_FIELD = { codes: RISK_LIMITS.settingsListMax, exemptCodes: RISK_LIMITS.settingsListMax, channels: RISK_LIMITS.settingsListMax, exemptChannels: RISK_LIMITS.settingsListMax } as const;

function checkSettings(settings: RiskSettings): boolean {
  if (!Number.isInteger(settings.budgetMs) || settings.budgetMs < RISK_LIMITS.decisionBudgetMinMs || settings.budgetMs > RISK_LIMITS.decisionBudgetMaxMs) return false;
  if (settings.failMode !== 'open' && settings.failMode !== 'closed') return false;
  return (Object.keys(MAX_BY_FIELD) as (keyof typeof MAX_BY_FIELD)[]).every((field) => settings[field].length <= MAX_BY_FIELD[field]);
}

/**
 * The score an alert carries, 0..1. Rulesets add points per rule on a scale of their own; a hundred
 * points is taken as certainty. A review is at least 0.5 and a decline at least 0.8, so that a
 * decision forced by a list or by a failed evaluation, which scores nothing, still ranks in the queue.
 */
export function alertScoreOf(decision: Decision): number {
  const scaled = decision.score > 1 ? decision.score / 100 : decision.score;
  const floor = decision.outcome === 'decline' ? 0.8 : 0.5;
  return Math.min(1, Math.max(floor, scaled));
}

function alertOf(decision: Decision): AlertInput {
  const { event } = decision;
  const blocked = decision.listHits.some((hit) => hit.list === 'block');
  const kind = decision.failMode ? 'decision:evaluation_failed' : blocked ? 'list:block' : decision.fired[0] ? `rule:${decision.fired[0].ruleId}` : `decision:${decision.outcome}`;
  return {
    source: 'decision',
    kind,
    title: `${decision.outcome === 'decline' ? 'Declined' : 'Held for review'}: ${event.amountMinor} ${event.currency} from ${event.debitAccountId} to ${event.creditAccountId}`,
    score: alertScoreOf(decision),
    reasons: decision.reasons,
    dedupeKey: `decision:${event.debitAccountId}`,
    ...(decision.source === 'transfer' ? { transferIds: [event.id] } : {}),
    accountIds: [event.debitAccountId, event.creditAccountId],
    partyIds: [event.debitPartyId, event.creditPartyId].filter((id): id is string => !!id),
    details: { decision_id: decision.id, event_id: event.id, source: decision.source, outcome: decision.outcome, score: decision.score, ruleset: decision.ruleset },
  };
}

export function createRiskService(deps: RiskServiceDeps): RiskService {
  const { db, clock } = deps;
  const report = deps.report ?? ((message: string) => process.stderr.write(`sluice risk: ${message}\n`));
  const evaluate = createEvaluator(deps);
  const timer = () => performance.now();
  const sets = createFeatureSets();
  const log = createDecisionLog(db, sets, report);
  const holds = createHolds(db, clock, report);
  const lookupPrior = coalesceLookups(createPriorLookup(db), RISK_LIMITS.lookupChunk);
  const recent = createRecentDecisions(RISK_LIMITS.recentDecisionsMax);
  const alerting = new Set<Promise<unknown>>();
  // Until start() has read the stored settings, the defaults apply and the first use reads them.
  let current: RiskSettings = DEFAULT_SETTINGS;
  let coverage = coverageOf(current);
  let loadedAt = Number.NEGATIVE_INFINITY;
  let reloading: Promise<void> | null = null;

  function adopt(settings: RiskSettings): void {
    current = settings;
    coverage = coverageOf(settings);
    loadedAt = timer();
  }

  /** Settings another process changed are picked up in the background, never on the money path. */
  function settings(): RiskSettings {
    const now = current;
    if (!reloading && timer() - loadedAt > RISK_LIMITS.settingsRefreshMs) {
      reloading = loadSettings(db)
        .then(adopt, (error: unknown) => report(`settings could not be reloaded: ${(error as Error).message}`))
        .finally(() => (reloading = null));
    }
    return now;
  }

  async function raise(decision: Decision): Promise<void> {
    const sink = deps.alerts;
    if (!sink) return;
    while (alerting.size >= RISK_LIMITS.alertsInFlightMax) await Promise.race(alerting);
    const raised = sink.raise(alertOf(decision)).catch((error: unknown) => report(`alert for decision ${decision.id} could not be raised: ${(error as Error).message}`));
    alerting.add(raised);
    void raised.finally(() => alerting.delete(raised));
  }

  const counts = {
    decisions: Object.fromEntries(DECISION_SOURCES.map((source) => [source, Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0]))])) as Record<DecisionSource, Record<Outcome, number>>,
    failed: Object.fromEntries(FAIL_MODES.map((mode) => [mode, 0])) as Record<FailMode, number>,
  };

  /** Every decision that reaches the log passes here once: logged decisions are what is counted. */
  function remember(decisions: readonly Decision[]): void {
    for (const decision of decisions) {
      counts.decisions[decision.source][decision.outcome] += 1;
      if (decision.failMode) counts.failed[decision.failMode] += 1;
      if (decision.source === 'transfer') recent.remember(decision.eventId, { decisionId: decision.id, outcome: decision.outcome });
    }
  }

  async function commit(decisions: readonly Decision[], newHolds: readonly Hold[] = []): Promise<void> {
    const flagged = decisions.filter((decision) => decision.outcome !== 'approve');
    await log.write(decisions, newHolds, flagged.length > 0 || newHolds.length > 0);
    remember(decisions);
    for (const decision of flagged) await raise(decision);
  }

  function unlogged(count: number, error: unknown): void {
    report(`${count} approval decisions could not be logged: ${(error as Error).message}`);
  }

  async function priorDecisions(eventIds: readonly string[]): Promise<Map<string, PriorDecision>> {
    const found = new Map<string, PriorDecision>();
    const unknown: string[] = [];
    for (const id of eventIds) {
      const known = recent.get(id);
      if (known) found.set(id, known);
      else unknown.push(id);
    }
    if (unknown.length === 0) return found;
    const logged = await lookupPrior(unknown);
    for (const [id, prior] of logged) found.set(id, prior);
    return found;
  }

  const service: RiskService = {
    async start() {
      adopt(await loadSettings(db));
    },
    settings,
    async updateSettings(input, actor) {
      const updatedAt = new Date(clock.nowMs()).toISOString();
      const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as SettingsInput;
      const next: RiskSettings = Object.freeze({ ...current, ...given, updatedAt, updatedBy: actor });
      if (!checkSettings(next)) return err('invalid_settings');
      await db.transaction((tx) => saveSettings(tx, next, updatedAt, actor));
      adopt(next);
      return ok(next);
    },
    covers(code, channel) {
      settings();
      return coverage.covers(code, channel);
    },
    evaluate: (event, source) => evaluate(event, source, settings()),
    commit,
    commitWaits: () => log.waits(),
    async decide(event, source) {
      const decision = evaluate(event, source, settings());
      await commit([decision]);
      return decision;
    },
    async record(events) {
      const writes = events.map((event) => {
        const failed = (error: unknown) => report(`event ${event.id} could not be recorded to features: ${(error as Error).message}`);
        try {
          return deps.features.record(event).catch(failed);
        } catch (error) {
          failed(error);
          return undefined;
        }
      });
      await Promise.all(writes);
    },
    logApprovals(decisions) {
      if (decisions.length === 0) return;
      remember(decisions);
      // Buffered (the usual case) without a promise; a backed-up log answers with the queue's.
      try {
        log.append(decisions)?.catch((error: unknown) => unlogged(decisions.length, error));
      } catch (error) {
        unlogged(decisions.length, error);
      }
    },
    priorDecisions,
    async getDecision(id) {
      return (await getDecision(db, id, sets)) ?? (await log.flush(), getDecision(db, id, sets));
    },
    async listDecisions(filter) {
      // The feed shows the approvals of the last moments too.
      await log.flush();
      return listDecisions(db, filter);
    },
    history: {
      async *since(fromMs, limit) {
        // A backtest sees the decisions of the last moments too.
        await log.flush();
        let after: { atMs: number; id: string } | null = null;
        let yielded = 0;
        while (yielded < limit) {
          const asked = Math.min(RISK_LIMITS.historyPageRows, limit - yielded);
          const page = await historyPage(db, fromMs, after, asked, sets);
          for (const decision of page) {
            after = { atMs: decision.atMs, id: decision.id };
            // A decision whose evaluation failed before the variables were built has nothing to replay.
            if (!decision.variables) continue;
            yielded += 1;
            yield { id: decision.id, atMs: decision.atMs, variables: decision.variables, outcome: decision.outcome };
          }
          if (page.length < asked) return;
        }
      },
    },
    holds,
    stats: () => ({ decisions: counts.decisions, failed: counts.failed, logQueued: log.queued() }),
    flush: () => log.flush(),
    async stop() {
      await log.stop();
      await Promise.allSettled([...alerting]);
    },
  };
  return service;
}
