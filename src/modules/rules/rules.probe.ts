import type { Worker } from 'node:worker_threads';
import { createBoundedCache, moduleWorkerEntry, startModuleWorker } from '../../kernel/index.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import type { ProbeReply, ProbeRequest } from './rules.probe-worker.ts';

/**
 * The worst-case probe: before a rule is accepted it runs on adversarial inputs in a worker thread
 * with a small heap, and the worker is terminated when it does not answer in time. A rule that
 * explodes in time or size is refused there, so it never reaches a decision, and the process that
 * validates it never blocks: the main thread only waits for a message.
 *
 * One worker serves the probes one after another and lives until it is terminated; a new one is
 * started for the next probe. Starting one costs about a second (it loads the rule compiler), which
 * is not charged to the rule being probed.
 */
export type ProbeRefusal = 'rule_too_slow' | 'rule_timed_out' | 'rule_too_large' | 'probe_busy';
export type ProbeVerdict = { readonly ok: true; readonly worstMs: number } | { readonly ok: false; readonly code: ProbeRefusal; readonly detail: string };

export interface RuleProbe {
  probe(expression: string): Promise<ProbeVerdict>;
  stop(): Promise<void>;
}

export interface RuleProbeOptions {
  readonly timeoutMs?: number;
  readonly evaluationMaxMs?: number;
  readonly heapMaxMb?: number;
  readonly repetitions?: number;
}

/** A worker that has not loaded the compiler in this long is stuck; a loaded machine takes seconds. */
const WORKER_STARTUP_TIMEOUT_MS = 60_000;

const WORKER_ENTRY = moduleWorkerEntry('rules.probe-worker', import.meta.url);

interface Job {
  readonly request: ProbeRequest;
  readonly resolve: (verdict: ProbeVerdict) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
}

export function createRuleProbe(options: RuleProbeOptions = {}): RuleProbe {
  const timeoutMs = options.timeoutMs ?? RULES_LIMITS.probeTimeoutMs;
  const evaluationMaxMs = options.evaluationMaxMs ?? RULES_LIMITS.probeEvaluationMaxMs;
  const heapMaxMb = options.heapMaxMb ?? RULES_LIMITS.probeHeapMaxMb;
  const repetitions = options.repetitions ?? RULES_LIMITS.probeRepetitions;
  const queue: Job[] = [];
  // A verdict forgotten here only costs probing that expression again.
  const verdicts = createBoundedCache<string, ProbeVerdict>(RULES_LIMITS.probeVerdictCacheMax);
  let slot: Slot | null = null;
  let active: { job: Job; slot: Slot; timer: NodeJS.Timeout | null } | null = null;
  let nextId = 1;
  let stopped = false;

  function finish(job: Job, verdict: ProbeVerdict): void {
    if (active?.job !== job) return;
    if (active.timer) clearTimeout(active.timer);
    active = null;
    // Busy is about this process, not the rule: it is not remembered.
    if (verdict.ok || verdict.code !== 'probe_busy') {
      verdicts.set(job.request.expression, verdict);
    }
    job.resolve(verdict);
    setImmediate(runNext);
  }

  function kill(dead: Slot): void {
    if (slot === dead) slot = null;
    void dead.worker.terminate();
  }

  function spawn(): Slot {
    const worker = startModuleWorker(WORKER_ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: heapMaxMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(heapMaxMb / 4)) },
    });
    // A probe worker never keeps the process alive on its own.
    worker.unref();
    let markReady: () => void = () => {};
    let markFailed: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    const created: Slot = { worker, ready };
    const startup = setTimeout(() => {
      markFailed(new Error(`the probe worker did not start within ${WORKER_STARTUP_TIMEOUT_MS} ms`));
      kill(created);
    }, WORKER_STARTUP_TIMEOUT_MS);
    startup.unref();
    worker.on('message', (reply: ProbeReply) => {
      if ('ready' in reply) {
        clearTimeout(startup);
        markReady();
      } else if (active?.slot === created && active.job.request.id === reply.id) {
        finish(active.job, 'refused' in reply ? { ok: false, code: 'probe_busy', detail: reply.detail } : judge(reply.worstMs, reply.input));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      clearTimeout(startup);
      markFailed(error);
      kill(created);
      if (active?.slot !== created) return;
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(active.job, outOfMemory
        ? { ok: false, code: 'rule_too_large', detail: `on a worst-case input the rule built more than the probe's ${heapMaxMb} MB heap` }
        : { ok: false, code: 'probe_busy', detail: `the probe worker failed: ${error.message}` });
    });
    worker.on('exit', () => {
      clearTimeout(startup);
      markFailed(new Error('the probe worker exited'));
      if (slot === created) slot = null;
      if (active?.slot === created) finish(active.job, { ok: false, code: 'probe_busy', detail: 'the probe worker exited' });
    });
    return created;
  }

  function judge(worstMs: number, input: string): ProbeVerdict {
    if (worstMs <= evaluationMaxMs) return { ok: true, worstMs };
    return { ok: false, code: 'rule_too_slow', detail: `on a worst-case input (${input}) the rule took ${worstMs.toFixed(2)} ms at best; a rule may take at most ${evaluationMaxMs} ms` };
  }

  function runNext(): void {
    if (active || stopped) return;
    const job = queue.shift();
    if (!job) return;
    const current = slot ?? (slot = spawn());
    active = { job, slot: current, timer: null };
    current.ready.then(
      () => {
        if (active?.job !== job) return;
        // The clock starts once the worker is ready, so its start-up is not charged to the rule.
        active.timer = setTimeout(() => {
          finish(job, { ok: false, code: 'rule_timed_out', detail: `on worst-case inputs the rule ran longer than ${timeoutMs} ms and was stopped` });
          kill(current);
        }, timeoutMs);
        current.worker.postMessage(job.request);
      },
      (error: Error) => finish(job, { ok: false, code: 'probe_busy', detail: `the probe worker could not start: ${error.message}` }),
    );
  }

  return {
    probe(expression) {
      const known = verdicts.get(expression);
      if (known) return Promise.resolve(known);
      if (stopped || queue.length >= RULES_LIMITS.probeQueueMax) {
        return Promise.resolve({ ok: false, code: 'probe_busy', detail: `more than ${RULES_LIMITS.probeQueueMax} rules are waiting to be probed; try again shortly` });
      }
      return new Promise<ProbeVerdict>((resolve) => {
        queue.push({ request: { id: nextId++, expression, evaluationMaxMs, repetitions }, resolve });
        runNext();
      });
    },
    async stop() {
      stopped = true;
      for (const job of queue.splice(0)) job.resolve({ ok: false, code: 'probe_busy', detail: 'the rules service is stopping' });
      if (active) finish(active.job, { ok: false, code: 'probe_busy', detail: 'the rules service is stopping' });
      const current = slot;
      slot = null;
      if (current) await current.worker.terminate();
    },
  };
}
