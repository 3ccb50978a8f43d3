import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, freshPostgresUrl } from '../../../test/support/databases.ts';
import { migrate, openPostgres, openSqlite, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { rulesMigrations } from './rules.migrations.ts';
import { createRuleProbe, type RuleProbe } from './rules.probe.ts';
import { createRulesService, type RulesService } from './rules.service.ts';
import { forceRule, sampleVariables, scoreRule } from './rules.test-support.ts';
import type { DecisionHistory, DecisionVariables, Outcome } from './rules.ts';
import type { RulesetInput } from './rules.validation.ts';

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 2, 1);

/** Past decisions in memory, oldest first, as the risk module will serve them. */
function historyOf(decisions: Array<{ id: string; atMs: number; variables: DecisionVariables; outcome: Outcome }>): DecisionHistory {
  return {
    async *since(fromMs, limit) {
      let given = 0;
      for (const decision of decisions) {
        if (decision.atMs < fromMs) continue;
        if (given++ >= limit) return;
        yield decision;
      }
    },
  };
}

const input = (name: string, rules = [scoreRule('large', 'event.amount > 100000', 60), forceRule('blocked', 'lists.blocked', 'decline')]): RulesetInput => ({
  name, rules, thresholds: { reviewAt: 50, declineAt: 100 },
});

describeEachDialect('rules service', ({ dialect, open }) => {
  const clock = createManualClock(START_MS);
  let probe: RuleProbe;
  let db: Database;
  let rules: RulesService;
  const history = historyOf([
    // Three weeks ago: out of a 7-day window.
    { id: 'd-old', atMs: START_MS - 21 * DAY_MS, variables: sampleVariables({ event: { amount: 500_000n } }), outcome: 'approve' },
    { id: 'd-1', atMs: START_MS - 3 * DAY_MS, variables: sampleVariables({ event: { amount: 500_000n } }), outcome: 'approve' },
    { id: 'd-2', atMs: START_MS - 2 * DAY_MS, variables: sampleVariables({ event: { amount: 1_000n } }), outcome: 'approve' },
    { id: 'd-3', atMs: START_MS - DAY_MS, variables: { ...sampleVariables({ event: { amount: 1_000n } }), lists: { blocked: true, allowed: false, hits: ['block:account'] } }, outcome: 'review' },
  ]);

  beforeAll(async () => {
    probe = createRuleProbe();
    db = await open();
    await migrate(db, rulesMigrations);
    // A generous budget: these tests are about which rules fire, not about how busy the machine is.
    rules = createRulesService({ db, clock, history, probe, pollIntervalMs: 0, budgetMs: 1000 });
    await rules.refresh();
  });
  afterAll(async () => {
    await rules?.stop();
    await probe?.stop();
  });

  it('creates a draft with a version number, refusing a bad rule with a pointer to it', async () => {
    const refused = await rules.createDraft(input('bad', [scoreRule('ok', 'event.amount > 1', 10), scoreRule('typo', 'evnt.amount > 1', 10)]));
    expect(refused).toMatchObject({ ok: false, problem: { code: 'unknown_variable', pointer: '/rules/1/expression' } });
    expect(await rules.createDraft(input('dupes', [scoreRule('same', 'true', 1), scoreRule('same', 'true', 1)]))).toMatchObject({ ok: false, problem: { code: 'duplicate_rule_id', pointer: '/rules/1/id' } });
    expect(await rules.createDraft({ ...input('order'), thresholds: { reviewAt: 200, declineAt: 100 } })).toMatchObject({ ok: false, problem: { code: 'invalid_thresholds' } });
    const first = await rules.createDraft(input('first'));
    const second = await rules.createDraft(input('second'));
    if (!first.ok || !second.ok) throw new Error('drafts refused');
    expect(first.value).toMatchObject({ stage: 'draft', name: 'first', backtest: null });
    expect(second.value.version).toBe(first.value.version + 1);
    expect(await rules.get(first.value.id)).toEqual(first.value);
  });

  it('edits a draft, and never a version past draft', async () => {
    const created = await rules.createDraft(input('editable'));
    if (!created.ok) throw new Error('draft refused');
    const edited = await rules.editDraft(created.value.id, input('edited', [scoreRule('night', 'event.hour < 6', 70)]));
    expect(edited.ok && edited.value.rules.map((rule) => rule.id)).toEqual(['night']);
    expect(await rules.promote(created.value.id, 'live')).toMatchObject({ ok: false, problem: { code: 'ruleset_not_backtested' } });
    expect((await rules.backtest(created.value.id, 7)).ok).toBe(true);
    expect(await rules.editDraft(created.value.id, input('again'))).toMatchObject({ ok: false, problem: { code: 'ruleset_not_draft' } });
    expect((await rules.get(created.value.id))?.rules.map((rule) => rule.id)).toEqual(['night']);
  });

  it('backtests over the last N days: would-be outcomes against the recorded ones, rule hits and changed examples', async () => {
    const created = await rules.createDraft(input('to backtest'));
    if (!created.ok) throw new Error('draft refused');
    expect(await rules.backtest(created.value.id, 0)).toMatchObject({ ok: false, problem: { code: 'days_out_of_range', pointer: '/days' } });
    const result = await rules.backtest(created.value.id, 7);
    if (!result.ok) throw new Error(result.problem.detail);
    expect(result.value.stage).toBe('backtested');
    const backtest = result.value.backtest;
    expect(backtest).toMatchObject({
      days: 7, decisions: 3, truncated: false,
      recorded: { approve: 2, review: 1, decline: 0 },
      wouldBe: { approve: 1, review: 1, decline: 1 },
      changed: 2, withErrors: 0,
      ruleHits: [{ ruleId: 'large', hits: 1 }, { ruleId: 'blocked', hits: 1 }],
    });
    expect(backtest?.matrix.approve).toEqual({ approve: 1, review: 1, decline: 0 });
    expect(backtest?.sample.map((change) => [change.decisionId, change.recorded, change.wouldBe])).toEqual([['d-1', 'approve', 'review'], ['d-3', 'review', 'decline']]);
  });

  it('promotes through shadow to live atomically: one live version, the old one retired, every result naming its version', async () => {
    const ids: string[] = [];
    for (const name of ['v-a', 'v-b']) {
      const created = await rules.createDraft(input(name, [scoreRule(`${name}-large`, 'event.amount > 100000', 60)]));
      if (!created.ok) throw new Error('draft refused');
      await rules.backtest(created.value.id, 1);
      ids.push(created.value.id);
    }
    const [a, b] = ids as [string, string];
    expect((await rules.promote(a, 'shadow')).ok).toBe(true);
    let result = rules.evaluate(sampleVariables());
    expect(result.live).toBeNull();
    expect(result.shadow.map((shadow) => shadow.fired.map((rule) => rule.ruleId))).toEqual([['v-a-large']]);
    expect((await rules.promote(a, 'live')).ok).toBe(true);
    const versionA = (await rules.get(a))?.version;
    result = rules.evaluate(sampleVariables());
    expect(result).toMatchObject({ live: { rulesetId: a, version: versionA, outcome: 'review', score: 60 }, shadow: [] });
    expect((await rules.promote(b, 'live')).ok).toBe(true);
    expect((await rules.get(a))?.stage).toBe('retired');
    expect((await rules.list({ stage: 'live', order: 'asc', limit: 10 })).map((record) => record.id)).toEqual([b]);
    expect(rules.evaluate(sampleVariables()).live?.fired.map((rule) => rule.ruleId)).toEqual(['v-b-large']);
    expect(await rules.promote(b, 'retired')).toMatchObject({ ok: false, problem: { code: 'live_ruleset_cannot_be_retired' } });
    expect(await rules.promote(a, 'live')).toMatchObject({ ok: false, problem: { code: 'invalid_stage_transition' } });
    expect(await rules.promote(b, 'live')).toMatchObject({ ok: true });
    expect(await rules.promote('0190d1e2-0000-7000-8000-000000000000', 'live')).toMatchObject({ ok: false, problem: { code: 'ruleset_not_found' } });
  });

  it('keeps at most the allowed number of shadow versions', async () => {
    const outcomes: boolean[] = [];
    for (let index = 0; index < 4; index++) {
      const created = await rules.createDraft(input(`shadow-${index}`));
      if (!created.ok) throw new Error('draft refused');
      await rules.backtest(created.value.id, 1);
      const promoted = await rules.promote(created.value.id, 'shadow');
      outcomes.push(promoted.ok);
      if (!promoted.ok) expect(promoted.problem.code).toBe('too_many_shadow_rulesets');
    }
    expect(outcomes).toEqual([true, true, true, false]);
    expect(rules.evaluate(sampleVariables()).shadow).toHaveLength(3);
  });

  it('lets another process on the same database pick up a promotion by polling the generation row', async () => {
    const location = dialect === 'sqlite' ? join(mkdtempSync(join(tmpdir(), 'rules-two-')), 'shared.db') : await freshPostgresUrl();
    const connect = () => (dialect === 'sqlite' ? openSqlite(location) : openPostgres(location));
    const [first, second] = [await connect(), await connect()];
    await migrate(first, rulesMigrations);
    const one = createRulesService({ db: first, clock, history, probe, pollIntervalMs: 0, budgetMs: 1000 });
    const other = createRulesService({ db: second, clock, history, probe, pollIntervalMs: 25, budgetMs: 1000 });
    try {
      await Promise.all([one.refresh(), other.refresh()]);
      const created = await one.createDraft(input('shared', [scoreRule('shared-rule', 'true', 10)]));
      if (!created.ok) throw new Error('draft refused');
      await one.backtest(created.value.id, 1);
      await one.promote(created.value.id, 'live');
      expect(one.evaluate(sampleVariables()).live?.rulesetId).toBe(created.value.id);
      // The other process has no timer-free way to know; its poll must find the new generation.
      const deadline = Date.now() + 10_000;
      while (other.evaluate(sampleVariables()).live?.rulesetId !== created.value.id && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(other.evaluate(sampleVariables()).live).toMatchObject({ rulesetId: created.value.id, version: created.value.version, fired: [{ ruleId: 'shared-rule' }] });
      expect(other.active().generation).toBe(one.active().generation);
    } finally {
      await one.stop();
      await other.stop();
      await first.close();
      await second.close();
    }
  });

  it('serialises concurrent promotions: exactly one version ends live, and no evaluation mixes two versions', async () => {
    const prefixOf = new Map<string, string>();
    for (let index = 0; index < 4; index++) {
      const prefix = `race-${index}`;
      const created = await rules.createDraft(input(prefix, [scoreRule(`${prefix}-a`, 'true', 10), scoreRule(`${prefix}-b`, 'event.amount > 0', 20), scoreRule(`${prefix}-c`, 'true', 30)]));
      if (!created.ok) throw new Error('draft refused');
      await rules.backtest(created.value.id, 1);
      prefixOf.set(created.value.id, prefix);
    }
    const seen: Array<{ rulesetId: string; fired: string[] }> = [];
    let promoting = true;
    const watcher = (async () => {
      while (promoting) {
        const live = rules.evaluate(sampleVariables()).live;
        if (live) seen.push({ rulesetId: live.rulesetId, fired: live.fired.map((rule) => rule.ruleId) });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const results = await Promise.all([...prefixOf.keys()].map((id) => rules.promote(id, 'live')));
    promoting = false;
    await watcher;
    const after = rules.evaluate(sampleVariables()).live;
    if (after) seen.push({ rulesetId: after.rulesetId, fired: after.fired.map((rule) => rule.ruleId) });
    expect(results.every((result) => result.ok)).toBe(true);
    const live = await rules.list({ stage: 'live', order: 'asc', limit: 10 });
    expect(live).toHaveLength(1);
    await rules.refresh();
    expect(rules.active().live?.id).toBe(live[0]?.id);
    // Every result is wholly one version's: the three rules of the version it names, or the version live before.
    for (const result of seen) {
      const prefix = prefixOf.get(result.rulesetId);
      if (prefix) expect(result.fired).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    }
    expect(seen.some((result) => prefixOf.has(result.rulesetId))).toBe(true);
  });

  // Earlier tests leave shadow versions; these need a free shadow place.
  const retireShadows = async () => {
    for (const record of await rules.list({ stage: 'shadow', order: 'asc', limit: 10 })) await rules.promote(record.id, 'retired');
  };

  it('keeps the backtest a version was promoted on: a version past backtested is refused another, naming its stage', async () => {
    await retireShadows();
    const created = await rules.createDraft(input('evidence'));
    if (!created.ok) throw new Error('draft refused');
    const id = created.value.id;
    expect((await rules.backtest(id, 7)).ok).toBe(true);
    clock.advance(DAY_MS);
    const rerun = await rules.backtest(id, 1);
    expect(rerun.ok && rerun.value).toMatchObject({ stage: 'backtested', backtest: { days: 1 } });
    const evidence = (await rules.get(id))?.backtest;
    for (const stage of ['shadow', 'live', 'retired'] as const) {
      if (stage === 'retired') {
        const successor = await rules.createDraft(input('successor'));
        if (!successor.ok) throw new Error('draft refused');
        await rules.backtest(successor.value.id, 1);
        expect((await rules.promote(successor.value.id, 'live')).ok).toBe(true);
        expect((await rules.get(id))?.stage).toBe('retired');
      } else {
        expect((await rules.promote(id, stage)).ok).toBe(true);
      }
      clock.advance(DAY_MS);
      const refused = await rules.backtest(id, 30);
      expect(refused).toMatchObject({ ok: false, problem: { code: 'ruleset_past_backtest', pointer: '/params/id' } });
      expect(!refused.ok && refused.problem.detail).toContain(`is ${stage}`);
      expect((await rules.get(id))?.backtest).toEqual(evidence);
    }
  });

  it('keeps the backtest a version was promoted on while another replay of it was running', async () => {
    let release = () => {};
    let started = () => {};
    const replayStarted = new Promise<void>((resolve) => (started = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowHistory: DecisionHistory = {
      async *since(fromMs, limit) {
        started();
        await gate;
        yield* history.since(fromMs, limit);
      },
    };
    const slow = createRulesService({ db, clock, history: slowHistory, probe, pollIntervalMs: 0, budgetMs: 1000 });
    await retireShadows();
    try {
      const created = await rules.createDraft(input('promoted mid-replay'));
      if (!created.ok) throw new Error('draft refused');
      const id = created.value.id;
      expect((await rules.backtest(id, 7)).ok).toBe(true);
      const evidence = (await rules.get(id))?.backtest;
      const replay = slow.backtest(id, 1);
      await replayStarted;
      expect((await rules.promote(id, 'shadow')).ok).toBe(true);
      release();
      expect(await replay).toMatchObject({ ok: false, problem: { code: 'ruleset_past_backtest', pointer: '/params/id' } });
      expect(await rules.get(id)).toMatchObject({ stage: 'shadow', backtest: evidence });
      expect((await rules.promote(id, 'retired')).ok).toBe(true);
    } finally {
      await slow.stop();
    }
  });
});
