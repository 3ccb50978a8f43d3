import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import { decodeBigintCursor, page, PageQuery } from '../../http/pagination.ts';
import type { BacktestResult } from './rules.backtest.ts';
import { RULES_ERROR_STATUS, type RulesProblem } from './rules.errors.ts';
import { RULE_ID_PATTERN, RULES_LIMITS } from './rules.limits.ts';
import type { RulesetRecord } from './rules.repository.ts';
import type { RulesResult } from './rules.service.ts';
import { RULESET_STAGES, type Outcome, type RuleDefinition } from './rules.ts';
import type { RulesetInput } from './rules.validation.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk rules'];

// Long enough that an over-long expression reaches the rules service and is refused with its own
// code and reason, short enough that the body stays small.
const EXPRESSION_WIRE_MAX_LENGTH = RULES_LIMITS.expressionMaxLength * 4;
const Text = (description: string) => Type.String({ minLength: 1, maxLength: RULES_LIMITS.ruleTextMaxLength, description });
const Expression = Type.String({ minLength: 1, maxLength: EXPRESSION_WIRE_MAX_LENGTH, description: 'A CEL expression over event, features, lists, screening and graph that yields a bool.' });
const RuleBody = Type.Object(
  {
    id: Type.String({ pattern: RULE_ID_PATTERN, description: 'Unique within the ruleset.' }),
    name: Text('What the rule looks for.'),
    expression: Expression,
    score: Type.Optional(Type.Integer({ minimum: 0, maximum: RULES_LIMITS.scorePointsMax, description: 'Points added when the rule fires (give score or outcome).' })),
    outcome: Type.Optional(Type.Union([Type.Literal('approve'), Type.Literal('review'), Type.Literal('decline')], { description: 'Outcome forced when the rule fires (give score or outcome).' })),
    reason: Text('The reason given with every decision the rule fires on.'),
  },
  { additionalProperties: false },
);
const Threshold = (description: string) => Type.Integer({ minimum: 0, maximum: RULES_LIMITS.thresholdMax, description });
const RulesetBody = Type.Object(
  {
    name: Text('A name for this version.'),
    rules: Type.Array(RuleBody, { maxItems: RULES_LIMITS.rulesPerRulesetMax }),
    thresholds: Type.Object({ review_at: Threshold('Score from which a decision is review.'), decline_at: Threshold('Score from which a decision is decline.') }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false });

export function rulesProblemError(problem: RulesProblem): ProblemError {
  const status = RULES_ERROR_STATUS[problem.code];
  const extensions = { ...(status === 503 ? { retryable: true } : {}), ...(problem.syntax ? { syntax: problem.syntax } : {}) };
  return new ProblemError(status, problem.code, problem.detail, [{ pointer: problem.pointer, code: problem.code, detail: problem.detail }], extensions);
}

function unwrap<T>(result: RulesResult<T>): T {
  if (!result.ok) throw rulesProblemError(result.problem);
  return result.value;
}

function toInput(body: Static<typeof RulesetBody>): RulesetInput {
  const rules = body.rules.map((rule, index): RuleDefinition => {
    if ((rule.score === undefined) === (rule.outcome === undefined)) throw fieldProblem(422, 'one_effect_required', `/rules/${index}/score`, 'give a rule either a score or an outcome');
    const effect: RuleDefinition['effect'] = rule.score !== undefined ? { kind: 'score', points: rule.score } : { kind: 'force', outcome: rule.outcome as Outcome };
    return { id: rule.id, name: rule.name, expression: rule.expression, effect, reason: rule.reason };
  });
  return { name: body.name, rules, thresholds: { reviewAt: body.thresholds.review_at, declineAt: body.thresholds.decline_at } };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function renderBacktest(result: BacktestResult) {
  return {
    days: result.days, from: iso(result.fromMs), to: iso(result.toMs), decisions: result.decisions, truncated: result.truncated,
    recorded: result.recorded, would_be: result.wouldBe, matrix: result.matrix, changed: result.changed, with_errors: result.withErrors,
    rule_hits: result.ruleHits.map((entry) => ({ rule_id: entry.ruleId, hits: entry.hits })),
    sample: result.sample.map((change) => ({
      decision_id: change.decisionId, at: iso(change.atMs), recorded: change.recorded, would_be: change.wouldBe, score: change.score, fired: change.fired,
    })),
  };
}

export function renderRuleset(record: RulesetRecord, withRules = true) {
  return {
    id: record.id,
    version: record.version,
    name: record.name,
    stage: record.stage,
    rule_count: record.rules.length,
    ...(withRules
      ? { rules: record.rules.map((rule) => ({ id: rule.id, name: rule.name, expression: rule.expression, ...(rule.effect.kind === 'score' ? { score: rule.effect.points } : { outcome: rule.effect.outcome }), reason: rule.reason })) }
      : {}),
    thresholds: { review_at: record.thresholds.reviewAt, decline_at: record.thresholds.declineAt },
    backtest: record.backtest ? renderBacktest(record.backtest) : null,
    created_at: iso(record.createdAtMs),
    updated_at: iso(record.updatedAtMs),
  };
}

export function rulesRoutes(platform: Platform) {
  const { rules } = platform;
  return async function register(app: App) {
    app.get('/risk/rulesets', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS,
        summary: 'List ruleset versions (without their rules), oldest first',
        querystring: Type.Object({ stage: Type.Optional(Type.Union(RULESET_STAGES.map((stage) => Type.Literal(stage)))), ...PageQuery }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { limit = LIMITS.pageDefaultItems, order = 'asc' } = request.query;
      const after = decodeBigintCursor(request.query.cursor);
      const records = await rules.list({ stage: request.query.stage, afterVersion: after === undefined ? undefined : Number(after), order, limit });
      return page(records, limit, (record) => BigInt(record.version), (record) => renderRuleset(record, false));
    });

    app.post('/risk/rulesets', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Create a draft ruleset version; every expression is checked and probed on worst-case inputs', body: RulesetBody },
    }, async (request, reply) => reply.status(201).send(renderRuleset(unwrap(await rules.createDraft(toInput(request.body))))));

    app.get('/risk/rulesets/:id', {
      config: { permission: 'oversee' },
      schema: { tags: TAGS, summary: 'A ruleset version with its rules and last backtest', params: IdParams },
    }, async (request) => {
      const record = await rules.get(request.params.id.toLowerCase());
      if (!record) throw unknownId('ruleset_not_found', '/params/id', `no ruleset ${request.params.id}`);
      return renderRuleset(record);
    });

    app.put('/risk/rulesets/:id', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Replace the rules of a draft (versions past draft never change)', params: IdParams, body: RulesetBody },
    }, async (request) => renderRuleset(unwrap(await rules.editDraft(request.params.id.toLowerCase(), toInput(request.body)))));

    app.post('/risk/rulesets/:id/backtest', {
      config: { permission: 'risk' },
      schema: {
        tags: TAGS,
        summary: 'Replay the last N days of decisions through this version; a draft becomes backtested, a version past backtested keeps the backtest it was promoted on (409)',
        params: IdParams,
        body: Type.Object({ days: Type.Integer({ minimum: 1, maximum: RULES_LIMITS.backtestDaysMax }) }, { additionalProperties: false }),
      },
    }, async (request) => renderRuleset(unwrap(await rules.backtest(request.params.id.toLowerCase(), request.body.days))));

    app.post('/risk/rulesets/:id/promote', {
      config: { permission: 'risk' },
      schema: {
        tags: TAGS,
        summary: 'Move a version to shadow, live (the live one is retired at the same instant) or retired',
        params: IdParams,
        body: Type.Object({ stage: Type.Union([Type.Literal('shadow'), Type.Literal('live'), Type.Literal('retired')]) }, { additionalProperties: false }),
      },
    }, async (request) => renderRuleset(unwrap(await rules.promote(request.params.id.toLowerCase(), request.body.stage))));

    app.post('/risk/rules/validate', {
      // A check that changes nothing, asked as a rule is typed: not a done action for the audit trail.
      config: { permission: 'risk', audit: false },
      schema: { tags: TAGS, summary: 'Check one rule expression: compiled, type-checked and probed on worst-case inputs', body: Type.Object({ expression: Expression }, { additionalProperties: false }) },
    }, async (request) => ({ valid: true, type: unwrap(await rules.validateExpression(request.body.expression)).type }));
  };
}
