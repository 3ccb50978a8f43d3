import type { Database } from '../../db/index.ts';
import { uuidv7, type Clock } from '../../kernel/index.ts';
import { runBacktest } from './rules.backtest.ts';
import { compileExpression } from './rules.cel.ts';
import { evaluateRuleset, performanceStopwatch, type Stopwatch } from './rules.engine.ts';
import { rulesProblem, type RulesProblem } from './rules.errors.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import { createRuleProbe, type RuleProbe, type RuleProbeOptions } from './rules.probe.ts';
import {
  allocateVersion, bumpGeneration, countShadows, definitionText, insertRuleset, listRulesets, loadRuleset, retireLive, setStage, storeBacktest, updateDraft,
  type ListQuery, type RulesetRecord,
} from './rules.repository.ts';
import { createSnapshotHolder } from './rules.snapshot.ts';
import type { DecisionHistory, RulesEngine, RulesetResult, RulesetStage } from './rules.ts';
import { validateExpression, validateRuleset, type RulesetInput } from './rules.validation.ts';
import { toCelContext } from './rules.variables.ts';

/**
 * Versioned rulesets and their evaluation. Drafts are written and checked here (every expression
 * compiled and probed on worst-case inputs), backtested against the decision history, and promoted
 * through shadow to live; `evaluate` answers from the compiled snapshot in memory, synchronously.
 */
export type RulesResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: RulesProblem };

export type PromotionStage = Extract<RulesetStage, 'shadow' | 'live' | 'retired'>;

export interface RulesService extends RulesEngine {
  /** Compiles and probes one expression; its type when it is acceptable. */
  validateExpression(expression: string): Promise<RulesResult<{ readonly type: 'bool' | 'dyn' }>>;
  createDraft(input: RulesetInput): Promise<RulesResult<RulesetRecord>>;
  editDraft(id: string, input: RulesetInput): Promise<RulesResult<RulesetRecord>>;
  get(id: string): Promise<RulesetRecord | undefined>;
  list(query: ListQuery): Promise<RulesetRecord[]>;
  /**
   * Replays the last `days` of decisions, stores the result and moves a draft to backtested; a
   * version past backtested keeps the backtest it was promoted on and is refused.
   */
  backtest(id: string, days: number): Promise<RulesResult<RulesetRecord>>;
  promote(id: string, stage: PromotionStage): Promise<RulesResult<RulesetRecord>>;
  /** Which versions this process evaluates now. */
  active(): { readonly generation: number; readonly live: VersionRef | null; readonly shadow: readonly VersionRef[] };
  /** Reloads the live and shadow versions from the database (also done by the poll). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface VersionRef {
  readonly id: string;
  readonly version: number;
}

export interface RulesServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly history: DecisionHistory;
  /** Time one decision may spend on one ruleset; RULES_LIMITS.evaluationBudgetMs by default. */
  readonly budgetMs?: number;
  /** How often to look for promotions made by other processes; 0 leaves it to `refresh()`. */
  readonly pollIntervalMs?: number;
  readonly probe?: RuleProbe | RuleProbeOptions;
  readonly stopwatch?: Stopwatch;
}

const DAY_MS = 86_400_000;
/** The shadow results when no ruleset is in shadow (the usual case): one empty list, shared. */
const NO_SHADOW: readonly RulesetResult[] = Object.freeze([]);

/** Thrown inside a transaction to roll it back with a refusal, and caught right outside it. */
class Refusal extends Error {
  constructor(readonly problem: RulesProblem) {
    super(problem.detail);
  }
}

const refuse = (problem: RulesProblem): { ok: false; problem: RulesProblem } => ({ ok: false, problem });
// Every caller names the ruleset by the id in its path.
const notFound = (id: string) => rulesProblem('ruleset_not_found', '/params/id', `no ruleset ${id}`);

/**
 * Stages whose backtest may still be replaced. Past them the stored backtest is the evidence the
 * version was promoted (or retired) on, and an audit must find it as it was then.
 */
const BACKTESTABLE: ReadonlySet<RulesetStage> = new Set(['draft', 'backtested']);

const pastBacktest = (record: RulesetRecord) =>
  rulesProblem('ruleset_past_backtest', '/params/id', `version ${record.version} is ${record.stage}; its backtest is kept as the evidence it moved on with. Create a new draft to backtest these rules again`);

/** Why a version at `from` cannot move to `to`, or null when it can. */
function transitionProblem(from: RulesetStage, to: PromotionStage): RulesProblem | null {
  if (from === to) return null;
  if (from === 'draft') return rulesProblem('ruleset_not_backtested', '/stage', 'a draft must be backtested before it can be promoted');
  if (from === 'live' && to === 'retired') return rulesProblem('live_ruleset_cannot_be_retired', '/stage', 'promote another version to live; the live one is retired then');
  if (from === 'retired' || from === 'live') return rulesProblem('invalid_stage_transition', '/stage', `a ${from} version cannot become ${to}`);
  return null;
}

export function createRulesService(deps: RulesServiceDeps): RulesService {
  const { db, clock, history } = deps;
  const budgetMs = deps.budgetMs ?? RULES_LIMITS.evaluationBudgetMs;
  const stopwatch = deps.stopwatch ?? performanceStopwatch;
  // A probe handed in is shared with others and stays theirs to stop; one made here is stopped here.
  const ownProbe = !(deps.probe && 'probe' in deps.probe);
  const probe: RuleProbe = deps.probe && 'probe' in deps.probe ? deps.probe : createRuleProbe(deps.probe as RuleProbeOptions | undefined);
  const snapshots = createSnapshotHolder(db, deps.pollIntervalMs ?? RULES_LIMITS.pollIntervalMs);
  let backtestsRunning = 0;

  async function promote(id: string, stage: PromotionStage): Promise<RulesResult<RulesetRecord>> {
    const nowMs = clock.nowMs();
    try {
      const promoted = await db.transaction(async (tx) => {
        // First, so that promotions queue behind each other on this row's lock.
        await bumpGeneration(tx);
        const record = await loadRuleset(tx, id);
        if (!record) throw new Refusal(notFound(id));
        const problem = transitionProblem(record.stage, stage);
        if (problem) throw new Refusal(problem);
        if (record.stage === stage) return record;
        if (stage === 'shadow' && (await countShadows(tx)) >= RULES_LIMITS.shadowRulesetsMax) {
          throw new Refusal(rulesProblem('too_many_shadow_rulesets', '/stage', `at most ${RULES_LIMITS.shadowRulesetsMax} versions run in shadow at once; retire one first`));
        }
        if (stage === 'live') await retireLive(tx, nowMs);
        await setStage(tx, id, record.stage, stage, nowMs);
        return { ...record, stage, updatedAtMs: nowMs };
      });
      await snapshots.refresh();
      return { ok: true, value: promoted };
    } catch (error) {
      if (error instanceof Refusal) return refuse(error.problem);
      throw error;
    }
  }

  async function backtest(id: string, days: number): Promise<RulesResult<RulesetRecord>> {
    if (!Number.isInteger(days) || days < 1 || days > RULES_LIMITS.backtestDaysMax) {
      return refuse(rulesProblem('days_out_of_range', '/days', `a backtest covers 1 to ${RULES_LIMITS.backtestDaysMax} days`));
    }
    if (backtestsRunning >= RULES_LIMITS.backtestsConcurrentMax) return refuse(rulesProblem('backtest_in_progress', '/', 'another backtest is running in this process; try again when it is done'));
    backtestsRunning += 1;
    try {
      const record = await loadRuleset(db, id);
      if (!record) return refuse(notFound(id));
      if (!BACKTESTABLE.has(record.stage)) return refuse(pastBacktest(record));
      const toMs = clock.nowMs();
      const result = await runBacktest(snapshots.compiled(record), history, { days, fromMs: toMs - days * DAY_MS, toMs }, deps.stopwatch);
      if ((await storeBacktest(db, id, definitionText(record), result, clock.nowMs())) === 0) {
        // Promoted while the replay ran (the stored result stays the one it was promoted on), or edited.
        const now = await loadRuleset(db, id);
        if (now && !BACKTESTABLE.has(now.stage)) return refuse(pastBacktest(now));
        return refuse(rulesProblem('ruleset_not_draft', '/', 'the draft was edited while the backtest ran; run it again'));
      }
      return { ok: true, value: (await loadRuleset(db, id)) as RulesetRecord };
    } finally {
      backtestsRunning -= 1;
    }
  }

  return {
    evaluate(variables) {
      const snapshot = snapshots.current();
      if (!snapshot.live && snapshot.shadow.length === 0) return { live: null, shadow: [] };
      const context = toCelContext(variables);
      const live = snapshot.live ? evaluateRuleset(snapshot.live, context, budgetMs, stopwatch) : null;
      const shadow: readonly RulesetResult[] = snapshot.shadow.length === 0 ? NO_SHADOW : snapshot.shadow.map((ruleset) => evaluateRuleset(ruleset, context, budgetMs, stopwatch));
      return { live, shadow };
    },

    async validateExpression(expression) {
      const problem = await validateExpression(expression, '/expression', probe);
      if (problem) return refuse(problem);
      const compiled = compileExpression(expression);
      return compiled.ok ? { ok: true, value: { type: compiled.value.type } } : refuse(rulesProblem(compiled.error, '/expression', compiled.detail, compiled.syntax));
    },

    async createDraft(input) {
      const problem = await validateRuleset(input, probe);
      if (problem) return refuse(problem);
      const nowMs = clock.nowMs();
      const record = await db.transaction(async (tx) => {
        const created: RulesetRecord = {
          id: uuidv7(nowMs), version: await allocateVersion(tx), name: input.name, stage: 'draft', rules: input.rules, thresholds: input.thresholds,
          backtest: null, createdAtMs: nowMs, updatedAtMs: nowMs,
        };
        await insertRuleset(tx, created);
        return created;
      });
      return { ok: true, value: record };
    },

    async editDraft(id, input) {
      const existing = await loadRuleset(db, id);
      if (!existing) return refuse(notFound(id));
      if (existing.stage !== 'draft') return refuse(rulesProblem('ruleset_not_draft', '/params/id', `version ${existing.version} is ${existing.stage}; only a draft can be edited`));
      const problem = await validateRuleset(input, probe);
      if (problem) return refuse(problem);
      const changed = await db.transaction((tx) => updateDraft(tx, id, input.name, input, clock.nowMs()));
      if (changed === 0) return refuse(rulesProblem('ruleset_not_draft', '/params/id', 'the version left draft while it was being edited'));
      return { ok: true, value: (await loadRuleset(db, id)) as RulesetRecord };
    },

    get: (id) => loadRuleset(db, id),
    list: (query) => listRulesets(db, query),
    backtest,
    promote,

    active() {
      const snapshot = snapshots.current();
      const ref = (ruleset: { id: string; version: number }): VersionRef => ({ id: ruleset.id, version: ruleset.version });
      return { generation: snapshot.generation, live: snapshot.live ? ref(snapshot.live) : null, shadow: snapshot.shadow.map(ref) };
    },

    refresh: () => snapshots.refresh(),

    async stop() {
      snapshots.stop();
      if (ownProbe) await probe.stop();
    },
  };
}
