import type { Database } from '../../db/index.ts';
import { adversarialVariables } from './rules.adversarial.ts';
import { compileRuleset, evaluateRuleset, type CompiledRuleset } from './rules.engine.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import { loadActiveRulesets, readGeneration, type RulesetRecord } from './rules.repository.ts';
import { toCelContext } from './rules.variables.ts';

/**
 * The live and shadow rulesets this process evaluates, compiled, as one immutable snapshot. A
 * decision reads the snapshot once and uses it throughout, so it never mixes two versions; a
 * promotion replaces the whole snapshot at once. Versions past draft never change, so a compiled
 * version is cached by id and only newly promoted versions are compiled.
 *
 * Other processes sharing the database promote too: every `pollIntervalMs` this process reads the
 * one-row generation counter (one indexed read) and reloads only when it moved, so a promotion made
 * elsewhere takes effect here within one interval plus the time of a reload.
 */
export interface RulesSnapshot {
  readonly generation: number;
  readonly live: CompiledRuleset | null;
  readonly shadow: readonly CompiledRuleset[];
}

export interface SnapshotHolder {
  current(): RulesSnapshot;
  /** Reloads from the database; a call made while a reload runs waits for a fresh one after it. */
  refresh(): Promise<void>;
  /** A version compiled through the same cache (for backtests). */
  compiled(record: RulesetRecord): CompiledRuleset;
  stop(): void;
}

/**
 * Runs a freshly compiled version a few times before it serves decisions: the first run of each
 * expression settles the evaluator's lazily built state, and should not be charged to the budget of
 * the first real decision after a promotion.
 */
function warmUp(ruleset: CompiledRuleset): void {
  const featureNames = [...new Set(ruleset.rules.flatMap((rule) => rule.compiled?.featureNames ?? []))];
  // The cheapest of the worst-case inputs (empty strings and lists): warming must not itself hold
  // the process up, and any input settles the evaluator's state.
  const inputs = adversarialVariables(featureNames);
  const context = toCelContext((inputs[inputs.length - 1] as (typeof inputs)[number]).variables);
  for (let run = 0; run < RULES_LIMITS.warmUpRuns; run++) evaluateRuleset(ruleset, context, Number.POSITIVE_INFINITY);
}

const EMPTY: RulesSnapshot = Object.freeze({ generation: -1, live: null, shadow: Object.freeze([]) });

export function createSnapshotHolder(db: Database, pollIntervalMs: number): SnapshotHolder {
  let snapshot = EMPTY;
  const cache = new Map<string, CompiledRuleset>();
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  function compiled(record: RulesetRecord): CompiledRuleset {
    const known = cache.get(record.id);
    // A draft's rules may change under the same id, so only versions past draft are cached.
    if (known && record.stage !== 'draft') return known;
    const built = compileRuleset(record);
    if (record.stage === 'draft') return built;
    warmUp(built);
    if (cache.size >= RULES_LIMITS.compiledCacheMax) evict();
    cache.set(record.id, built);
    return built;
  }

  /** Forgets the oldest compiled version the current snapshot does not use. */
  function evict(): void {
    const inUse = new Set([snapshot.live?.id, ...snapshot.shadow.map((ruleset) => ruleset.id)]);
    for (const id of cache.keys()) {
      if (inUse.has(id)) continue;
      cache.delete(id);
      return;
    }
  }

  async function load(): Promise<void> {
    const { generation, records } = await db.snapshot(async (q) => ({ generation: await readGeneration(q), records: await loadActiveRulesets(q) }));
    const live = records.find((record) => record.stage === 'live');
    snapshot = Object.freeze({
      generation,
      live: live ? compiled(live) : null,
      shadow: Object.freeze(records.filter((record) => record.stage === 'shadow').slice(0, RULES_LIMITS.shadowRulesetsMax).map(compiled)),
    });
  }

  function refresh(): Promise<void> {
    if (queued) return queued;
    if (!running) {
      running = load().finally(() => {
        running = null;
      });
      return running;
    }
    // A reload under way may have read before the change the caller just committed: run another after it.
    queued = running.catch(() => undefined).then(() => {
      queued = null;
      return refresh();
    });
    return queued;
  }

  async function poll(): Promise<void> {
    if (running || queued) return;
    if ((await readGeneration(db)) !== snapshot.generation) await refresh();
  }

  const timer = pollIntervalMs > 0
    ? setInterval(() => {
        // A failed poll keeps the last good snapshot; the next interval tries again.
        poll().catch(() => undefined);
      }, pollIntervalMs)
    : null;
  timer?.unref();

  return {
    current: () => snapshot,
    refresh,
    compiled,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
