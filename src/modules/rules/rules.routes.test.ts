/**
 * Rulesets over HTTP: a draft written, refused with the field at fault, edited, backtested and
 * promoted to live; a single expression validated; who may do what.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import { sampleVariables } from './rules.test-support.ts';

const body = (name: string) => ({
  name,
  rules: [
    { id: 'large', name: 'Large amount', expression: 'event.amount > 100000', score: 60, reason: 'amount over 1,000.00' },
    { id: 'blocked', name: 'Block list', expression: 'lists.blocked', outcome: 'decline', reason: 'on the block list' },
  ],
  thresholds: { review_at: 50, decline_at: 100 },
});

describeEachDialect('rulesets over HTTP', ({ open }) => {
  let api: Api;
  let auditorKey: string;
  let analystKey: string;

  beforeAll(async () => {
    api = await startApi(open);
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    analystKey = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
  });
  afterAll(async () => api?.close());

  it('takes a draft through backtest to live, in snake_case, with the version on every read', async () => {
    const draft = await api.ok('POST', '/v1/risk/rulesets', body('first'), 201, { key: analystKey });
    expect(draft).toMatchObject({ stage: 'draft', version: expect.any(Number), rule_count: 2, thresholds: { review_at: 50, decline_at: 100 }, backtest: null });
    expect(draft.rules[1]).toEqual({ id: 'blocked', name: 'Block list', expression: 'lists.blocked', outcome: 'decline', reason: 'on the block list' });
    const edited = await api.ok('PUT', `/v1/risk/rulesets/${draft.id}`, { ...body('first, edited'), thresholds: { review_at: 40, decline_at: 90 } }, 200, { key: analystKey });
    expect(edited).toMatchObject({ name: 'first, edited', thresholds: { review_at: 40, decline_at: 90 } });
    expectProblem(await api.call('POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' }), 409, 'ruleset_not_backtested', '/stage');
    const backtested = await api.ok('POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 30 }, 200, { key: analystKey });
    expect(backtested).toMatchObject({ stage: 'backtested', backtest: { days: 30, decisions: 0, would_be: { approve: 0, review: 0, decline: 0 }, rule_hits: [{ rule_id: 'large', hits: 0 }, { rule_id: 'blocked', hits: 0 }] } });
    expectProblem(await api.call('PUT', `/v1/risk/rulesets/${draft.id}`, body('too late')), 409, 'ruleset_not_draft', '/params/id');
    const live = await api.ok('POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' }, 200, { key: analystKey });
    expect(live.stage).toBe('live');
    const again = expectProblem(await api.call('POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 7 }, { key: analystKey }), 409, 'ruleset_past_backtest', '/params/id');
    expect(again.detail).toContain('is live');
    expect((await api.ok('GET', `/v1/risk/rulesets/${draft.id}`)).backtest).toEqual(backtested.backtest);
    expect(api.platform.rules.evaluate(sampleVariables()).live).toMatchObject({ rulesetId: draft.id, version: draft.version, outcome: 'review', score: 60 });
    expect(await api.ok('GET', `/v1/risk/rulesets/${draft.id}`, undefined, 200, { key: auditorKey })).toMatchObject({ id: draft.id, stage: 'live', rules: expect.any(Array) });
  });

  it('lists versions by stage with cursors, without their rules', async () => {
    for (const name of ['second', 'third']) await api.ok('POST', '/v1/risk/rulesets', body(name), 201);
    const first = await api.ok('GET', '/v1/risk/rulesets?stage=draft&limit=1', undefined, 200, { key: auditorKey });
    expect(first.data).toHaveLength(1);
    expect(first.data[0]).not.toHaveProperty('rules');
    const second = await api.ok('GET', `/v1/risk/rulesets?stage=draft&limit=1&cursor=${first.next_cursor}`);
    expect(second.data[0].version).toBeGreaterThan(first.data[0].version);
    expect((await api.ok('GET', '/v1/risk/rulesets?stage=live')).data.map((item: { stage: string }) => item.stage)).toEqual(['live']);
  });

  it('validates one expression, naming /expression and the reason when it is refused', async () => {
    expect(await api.ok('POST', '/v1/risk/rules/validate', { expression: 'event.amount > 5000 && event.device.matches("^dev-")' }, 200, { key: analystKey })).toEqual({ valid: true, type: 'bool' });
    const unknown = expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'user.age > 18' }), 422, 'unknown_variable', '/expression');
    expect(unknown.detail).toContain('event, features, lists, screening, graph');
    expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'event.ip.matches("(?<=a)b")' }), 422, 'regex_refused', '/expression');
    expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: `event.ip == "${'x'.repeat(2100)}"` }), 422, 'expression_too_long', '/expression');
    expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'lists.hits.all(a, lists.hits.all(b, lists.hits.all(c, a == b)))' }), 422, 'macros_nested_too_deeply', '/expression');
    const huge = expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'event.amount > 99999999999999999999999' }), 422, 'integer_literal_out_of_range', '/expression');
    expect(huge.detail).toContain('99999999999999999999999');
  });

  it('says where and why an expression does not parse, beside the English detail', async () => {
    const open = expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: '(event.amount > 5' }, { key: analystKey }), 422, 'expression_syntax_error', '/expression');
    expect(open.syntax).toEqual({ reason: 'expected_token', offset: 17, line: 1, column: 18, found: null, expected: ')' });
    expect(open.detail).toContain('at characters 17');
    const inRuleset = expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...body('bad'), rules: [body('bad').rules[0], { ...body('bad').rules[1], expression: 'lists.blocked &&\n  @' }] }), 422, 'expression_syntax_error', '/rules/1/expression');
    expect(inRuleset.syntax).toEqual({ reason: 'unexpected_character', offset: 19, line: 2, column: 3, found: '@' });
    // Other refusals carry no syntax member.
    expect(expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'user.age > 18' }), 422, 'unknown_variable', '/expression')).not.toHaveProperty('syntax');
  });

  it('answers bad rulesets with the field at fault', async () => {
    const bad = body('bad');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, rules: [{ ...bad.rules[0], expression: 'evnt.amount > 1' }] }), 422, 'unknown_variable', '/rules/0/expression');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, rules: [{ ...bad.rules[0], outcome: 'decline' }] }), 422, 'one_effect_required', '/rules/0/score');
    const wide = expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, rules: [bad.rules[0], { ...bad.rules[1], expression: 'uint(event.amount) > 0x10000000000000000u' }] }), 422, 'integer_literal_out_of_range', '/rules/1/expression');
    expect(wide.detail).toContain('0x10000000000000000u');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, rules: [bad.rules[0], bad.rules[0]] }), 422, 'duplicate_rule_id', '/rules/1/id');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, thresholds: { review_at: 100, decline_at: 50 } }), 422, 'invalid_thresholds', '/thresholds/review_at');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, rules: [{ ...bad.rules[0], id: 'Has Spaces' }] }), 400, undefined, '/rules/0/id');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', { ...bad, extra: true }), 400, undefined, '/extra');
    expectProblem(await api.call('POST', '/v1/risk/rulesets/0190d1e2-0000-7000-8000-000000000000/backtest', { days: 7 }), 404, 'ruleset_not_found', '/params/id');
    expectProblem(await api.call('POST', '/v1/risk/rulesets/0190d1e2-0000-7000-8000-000000000000/backtest', { days: 91 }), 400, undefined, '/days');
    expectProblem(await api.call('GET', '/v1/risk/rulesets/not-a-uuid'), 400);
  });

  it('lets analysts write rules and auditors only read them', async () => {
    expectProblem(await api.call('POST', '/v1/risk/rulesets', body('no'), { key: auditorKey }), 403, 'forbidden');
    expectProblem(await api.call('POST', '/v1/risk/rules/validate', { expression: 'true' }, { key: auditorKey }), 403, 'forbidden');
    expectProblem(await api.call('GET', '/v1/risk/rulesets', undefined, { key: null }), 401, 'unauthenticated');
    await api.ok('GET', '/v1/risk/rulesets', undefined, 200, { key: auditorKey });
  });
});
