/**
 * The size of the next step of the index of edges by account (GRAPH_LIMITS.edgeIndexStepEntries
 * says why it is paced): scaled by how far the last step's statements were from the target time, by
 * at most a factor of two either way, within [min, max]. A step that did less than it was allowed
 * says nothing about the pace, and leaves the size as it was.
 */
export interface AccountIndexPace {
  readonly min: number;
  readonly max: number;
  readonly targetMs: number;
}

export function nextAccountIndexBatch(current: number, moved: number, tookMs: number, pace: AccountIndexPace): number {
  if (moved < current) return current;
  const scaled = tookMs > 0 ? Math.round((current * pace.targetMs) / tookMs) : current * 2;
  const damped = Math.min(current * 2, Math.max(Math.floor(current / 2), scaled));
  return Math.min(pace.max, Math.max(pace.min, damped));
}
