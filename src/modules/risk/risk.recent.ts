import { createBoundedCache } from '../../kernel/index.ts';
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
 * A kernel bounded cache (createBoundedCache): the oldest decision is forgotten first, at a cost
 * that does not grow with the bound.
 */
export function createRecentDecisions(maxEntries: number): RecentDecisions {
  const decisions = createBoundedCache<string, PriorDecision>(maxEntries);
  return {
    remember(eventId, decision) {
      // The first decision of an event is the one its first request was answered with.
      if (decisions.has(eventId)) return;
      decisions.set(eventId, decision);
    },
    get: (eventId) => decisions.get(eventId),
    get size() {
      return decisions.size;
    },
  };
}
