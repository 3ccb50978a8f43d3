import type { ItemResult } from './ledger.apply.ts';
import type { TransferError } from './ledger.errors.ts';

/** What the engine's commands tell of who sent them: transfers and accounts commands carry the submitting key. */
export type SubmittedCommand = { readonly kind: 'transfers' | 'accounts'; readonly submittedBy: string | null } | { readonly kind: 'close' | 'expire' };

/**
 * The runs of timestamps each key's records took in a batch (BatchPayload.keys): new transfers and
 * accounts only (a replay was journaled with its first request), a request's own run merged with the
 * run before it when the same key sent both.
 */
export function submitters(batch: readonly SubmittedCommand[], answers: readonly unknown[]): [string, string, string][] {
  const runs: [string, bigint, bigint][] = [];
  /** The key of the last request that stored records (null: one made inside the process), which a run may extend. */
  let previousKey: string | null = null;
  batch.forEach((command, index) => {
    if (command.kind !== 'transfers' && command.kind !== 'accounts') return;
    let first: bigint | undefined;
    let last: bigint | undefined;
    for (const result of answers[index] as readonly ItemResult<TransferError>[]) {
      if (result.result !== 'ok' || result.replayed) continue;
      if (first === undefined || result.timestamp < first) first = result.timestamp;
      if (last === undefined || result.timestamp > last) last = result.timestamp;
    }
    if (first === undefined || last === undefined) return;
    const key = command.submittedBy;
    if (key !== null && key === previousKey) (runs.at(-1) as [string, bigint, bigint])[2] = last;
    else if (key !== null) runs.push([key, first, last]);
    previousKey = key;
  });
  return runs.map(([key, first, last]) => [key, String(first), String(last)]);
}
