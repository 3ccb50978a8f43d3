/**
 * `risk-rules`: one decision's rules in process — 50 CEL rules over 20 features, evaluated by the
 * live ruleset of a rules service exactly as the decision path calls it (`rules.evaluate`), on one
 * thread. Baseline, in the same process and run: the same 50 rules in json-rules-engine, with flat
 * facts (no path lookups), derived facts for the arithmetic and custom operators for the string
 * functions and the two regular expressions (through the same RE2). Both must fire the same rules
 * on every decision, or the benchmark fails.
 */
import { loadavg } from 'node:os';
import { Engine, type Almanac } from 'json-rules-engine';
import { RE2JS } from 're2js';
import { migrate, openSqlite } from '../src/db/index.ts';
import { createManualClock } from '../src/kernel/index.ts';
import { createRulesService, decideOutcome, RULE_ERROR_CODES, rulesMigrations, type DecisionVariables, type Outcome } from '../src/modules/rules/index.ts';
import { defineBenchmark, figure, percentile, progress, settle, withScratchDir } from './harness.ts';
import { celRules, decisions, factsOf, jreRules, RULES, THRESHOLDS } from './risk-rules-workload.ts';

const DISTINCT_DECISIONS = 2_000;
const WARMUP_DECISIONS = 5_000;
const ROUNDS = 3;
/** Per round; json-rules-engine is far slower, so it gets fewer decisions and the same statistics. */
const CEL_DECISIONS_PER_ROUND = 20_000;
const BASELINE_DECISIONS_PER_ROUND = 2_000;
const TARGET_P99_MS = 1;
const TARGET_DECISIONS_PER_SECOND = 20_000;

function baselineEngine(): Engine {
  const engine = new Engine(jreRules(), { allowUndefinedFacts: false });
  const patterns = new Map<string, RE2JS>();
  engine.addOperator('startsWith', (fact: string, prefix: string) => fact.startsWith(prefix));
  engine.addOperator('stringContains', (fact: string, part: string) => fact.includes(part));
  engine.addOperator('sizeGreaterThan', (fact: readonly unknown[], size: number) => fact.length > size);
  engine.addOperator('matchesRe2', (fact: string, pattern: string) => {
    let regex = patterns.get(pattern);
    if (!regex) patterns.set(pattern, (regex = RE2JS.compile(pattern)));
    return regex.test(fact);
  });
  const value = (almanac: Almanac, fact: string) => almanac.factValue<number>(fact);
  engine.addFact('amount_mod_100000', async (_params, almanac) => (await value(almanac, 'amount')) % 100_000);
  engine.addFact('mule_sum', async (_params, almanac) => (await value(almanac, 'mule_credit')) + (await value(almanac, 'mule_debit')));
  engine.addFact('out_minus_three_in', async (_params, almanac) => (await value(almanac, 'account_out_sum_24h')) - (await value(almanac, 'account_in_sum_24h')) * 3);
  engine.addFact('amount_minus_twice_max', async (_params, almanac) => (await value(almanac, 'amount')) - (await value(almanac, 'max_amount_30d')) * 2);
  engine.addFact('amount_minus_ten_average', async (_params, almanac) => (await value(almanac, 'amount')) - (await value(almanac, 'avg_amount_30d')) * 10);
  return engine;
}

interface Decided {
  readonly fired: string[];
  readonly outcome: Outcome;
}

async function decideBaseline(engine: Engine, variables: DecisionVariables): Promise<Decided> {
  const { events } = await engine.run(factsOf(variables));
  let score = 0;
  const forced: Outcome[] = [];
  for (const event of events) {
    const params = event.params as { score?: number; outcome?: Outcome };
    if (params.outcome) forced.push(params.outcome);
    else score += params.score ?? 0;
  }
  return { fired: events.map((event) => event.type), outcome: decideOutcome(score, forced, THRESHOLDS) };
}

export default defineBenchmark({
  name: 'risk-rules',
  description: `one decision: ${RULES.length} CEL rules over 20 features in process, beside json-rules-engine`,
  run: () =>
    withScratchDir('risk-rules', async (dir) => {
      const db = await openSqlite(`${dir}/rules.db`);
      await migrate(db, rulesMigrations);
      const rules = createRulesService({ db, clock: createManualClock(), history: { async *since() {} }, pollIntervalMs: 0 });
      try {
        const probed = performance.now();
        const draft = await rules.createDraft({ name: 'benchmark', rules: celRules(), thresholds: THRESHOLDS });
        if (!draft.ok) throw new Error(`the benchmark ruleset was refused: ${draft.problem.code} at ${draft.problem.pointer}: ${draft.problem.detail}`);
        progress(`ruleset of ${RULES.length} rules checked and probed in ${((performance.now() - probed) / 1000).toFixed(1)} s`);
        await rules.backtest(draft.value.id, 1);
        const promoted = await rules.promote(draft.value.id, 'live');
        if (!promoted.ok) throw new Error(promoted.problem.detail);

        const inputs = decisions(DISTINCT_DECISIONS, 20_260_301);
        const engine = baselineEngine();
        // Both must decide every input alike: the same rules fired, the same outcome.
        for (let index = 0; index < WARMUP_DECISIONS; index++) rules.evaluate(inputs[index % inputs.length] as DecisionVariables);
        let firedTotal = 0;
        let unchecked = 0;
        for (const variables of inputs) {
          // A decision the busy machine cut short is tried again; one that never completes is not compared.
          let live = rules.evaluate(variables).live;
          for (let attempt = 0; attempt < 3 && live && live.errors.length > 0; attempt++) live = rules.evaluate(variables).live;
          if (live?.errors.some((error) => !error.message.startsWith(RULE_ERROR_CODES.budgetExceeded))) throw new Error(`a rule failed: ${JSON.stringify(live.errors)}`);
          if (!live || live.errors.length > 0) {
            unchecked += 1;
            continue;
          }
          const baseline = await decideBaseline(engine, variables);
          // json-rules-engine reports rules in the order their (asynchronous) conditions settle.
          const fired = live.fired.map((rule) => rule.ruleId).sort();
          baseline.fired.sort();
          if (fired.join() !== baseline.fired.join() || live.outcome !== baseline.outcome) {
            throw new Error(`the two engines disagree on ${JSON.stringify(variables, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))}: ${fired} vs ${baseline.fired}`);
          }
          firedTotal += fired.length;
        }
        if (unchecked > inputs.length / 100) throw new Error(`${unchecked} decisions never completed within their budget; the comparison is void`);
        const checked = inputs.length - unchecked;
        progress(`both engines agree on ${checked.toLocaleString('en-US')} decisions (${(firedTotal / checked).toFixed(2)} rules fired per decision; ${unchecked} cut short by the budget, not compared)`);

        const celSamples: number[] = [];
        const baselineSamples: number[] = [];
        // CPU time of each stretch, besides wall time: on a shared machine the wall clock also counts
        // the time other processes held the core, and the target is about what one core can do.
        const cpuMs = { cel: 0, baseline: 0 };
        const cpuSince = (start: NodeJS.CpuUsage) => {
          const used = process.cpuUsage(start);
          return (used.user + used.system) / 1000;
        };
        let overBudget = 0;
        for (let round = 0; round < ROUNDS; round++) {
          await settle();
          let cpu = process.cpuUsage();
          for (let index = 0; index < CEL_DECISIONS_PER_ROUND; index++) {
            const variables = inputs[index % inputs.length] as DecisionVariables;
            const started = performance.now();
            const result = rules.evaluate(variables);
            celSamples.push(performance.now() - started);
            if (result.live && result.live.errors.length > 0) overBudget += 1;
          }
          cpuMs.cel += cpuSince(cpu);
          await settle();
          cpu = process.cpuUsage();
          for (let index = 0; index < BASELINE_DECISIONS_PER_ROUND; index++) {
            const variables = inputs[index % inputs.length] as DecisionVariables;
            const started = performance.now();
            await decideBaseline(engine, variables);
            baselineSamples.push(performance.now() - started);
          }
          cpuMs.baseline += cpuSince(cpu);
          progress(`round ${round + 1}/${ROUNDS} done`);
        }
        const wallRate = (samples: readonly number[]) => (samples.length * 1000) / samples.reduce((sum, ms) => sum + ms, 0);
        const cpuRate = (samples: readonly number[], ms: number) => (samples.length * 1000) / ms;
        progress(`${overBudget} of ${celSamples.length.toLocaleString('en-US')} decisions ran out of their 1 ms budget`);
        progress(`by the wall clock: ${Math.round(wallRate(celSamples)).toLocaleString('en-US')} decisions/s, baseline ${Math.round(wallRate(baselineSamples)).toLocaleString('en-US')}/s; load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
        celSamples.sort((a, b) => a - b);
        baselineSamples.sort((a, b) => a - b);
        const baseline = `the same ${RULES.length} rules in json-rules-engine, same process`;
        const celRate = cpuRate(celSamples, cpuMs.cel);
        return [
          figure({
            name: 'risk-rules.decisions_per_cpu_second', value: celRate, unit: 'decisions/s', baseline, baselineValue: cpuRate(baselineSamples, cpuMs.baseline),
            target: `≥ ${TARGET_DECISIONS_PER_SECOND.toLocaleString('en-US')}/s on one core`, met: celRate >= TARGET_DECISIONS_PER_SECOND,
          }),
          ...[0.5, 0.99].map((fraction) => {
            const value = percentile(celSamples, fraction) * 1000;
            return figure({
              name: `risk-rules.decision_p${Math.round(fraction * 100)}`, value, unit: 'µs', baseline, baselineValue: percentile(baselineSamples, fraction) * 1000,
              ...(fraction === 0.99 ? { target: `≤ ${TARGET_P99_MS * 1000} µs`, met: value <= TARGET_P99_MS * 1000 } : {}),
            });
          }),
        ];
      } finally {
        await rules.stop();
        await db.close();
      }
    }),
});
