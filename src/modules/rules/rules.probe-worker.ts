import { parentPort } from 'node:worker_threads';
import { adversarialVariables } from './rules.adversarial.ts';
import { compileExpression } from './rules.cel.ts';
import { toCelContext } from './rules.variables.ts';

/**
 * The probe's worker thread: runs one expression on every worst-case input and reports the slowest
 * input's fastest run. It never decides anything itself; the main thread compares the figure with
 * its limit and terminates this thread when it does not answer in time or runs out of heap.
 */
export interface ProbeRequest {
  readonly id: number;
  readonly expression: string;
  /** An input counts as fast once one of its runs takes no longer than this. */
  readonly evaluationMaxMs: number;
  readonly repetitions: number;
}

export type ProbeReply =
  | { readonly ready: true }
  | { readonly id: number; readonly worstMs: number; readonly input: string }
  | { readonly id: number; readonly refused: string; readonly detail: string };

function measure(request: ProbeRequest): ProbeReply {
  const compiled = compileExpression(request.expression);
  if (!compiled.ok) return { id: request.id, refused: compiled.error, detail: compiled.detail };
  const program = compiled.value.program;
  let worstMs = 0;
  let worstInput = '';
  for (const { name, variables } of adversarialVariables(compiled.value.featureNames)) {
    const context = toCelContext(variables);
    let fastestMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < request.repetitions && fastestMs > request.evaluationMaxMs; run++) {
      const startedAt = performance.now();
      try {
        program(context);
      } catch {
        // A rule that fails on an input is recorded as an error when it runs live; only its cost matters here.
      }
      fastestMs = Math.min(fastestMs, performance.now() - startedAt);
    }
    if (fastestMs > worstMs) {
      worstMs = fastestMs;
      worstInput = name;
    }
  }
  return { id: request.id, worstMs, input: worstInput };
}

const port = parentPort;
if (port) {
  port.on('message', (request: ProbeRequest) => port.postMessage(measure(request)));
  port.postMessage({ ready: true } satisfies ProbeReply);
}
