import type { PriorDecision } from './risk.repository.ts';

/**
 * The decisions this process took lately for transfers, by transfer id: what a retried request is
 * answered with before anything is read from the database. Approvals are written to the log a
 * little after they are answered (risk.log.ts) and are not indexed by transfer id, so without this a
 * retry of an approved transfer was evaluated again and logged a second decision. Bounded, the
 * oldest out first; past the bound (or after a restart) a retried approval is caught by the ledger, which
 * answers that it booked the transfer before (see src/flows/risk-gate.ts).
 */
export interface RecentDecisions {
  remember(eventId: string, decision: PriorDecision): void;
  get(eventId: string): PriorDecision | undefined;
  readonly size: number;
}

/**
 * Two generations of at most half the bound each: when the newer fills, the older is dropped whole
 * and the newer takes its place. Evicting one entry at a time from the front of a Map costs more
 * and more as deleted entries pile up before the map is rebuilt; this costs the same every time.
 */
export function createRecentDecisions(maxEntries: number): RecentDecisions {
  const generationMax = Math.max(1, Math.floor(maxEntries / 2));
  let newer = new Map<string, PriorDecision>();
  let older = new Map<string, PriorDecision>();
  const get = (eventId: string) => newer.get(eventId) ?? older.get(eventId);
  return {
    remember(eventId, decision) {
      // The first decision of an event is the one its first request was answered with.
      if (get(eventId)) return;
      if (newer.size >= generationMax) {
        older = newer;
        newer = new Map();
      }
      newer.set(eventId, decision);
    },
    get,
    get size() {
      return newer.size + older.size;
    },
  };
}
