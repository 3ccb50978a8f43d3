import type { Database, Queryable } from '../../db/index.ts';
import { err, ok, type Clock, type Result } from '../../kernel/index.ts';
import type { RiskError } from './risk.errors.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import { claimHold, closeHeld, getHold, guardedTransfers, listHolds, moveHold, openHolds, unclaimHold, unfinishedHolds, type HoldFilter, type OpenHolds } from './risk.repository.ts';
import type { Hold, HoldKind, HoldStatus } from './risk.ts';

/**
 * Holds waiting for review, and their resolution. A hold is written (with its decisions) before the
 * ledger books anything for it, so a crash can leave a hold whose booking never happened but never
 * a booking nobody guards. Releasing or rejecting is written first (releasing / rejecting, with the
 * actor), then carried out by the resolver of the hold's kind (the transfer gate posts or voids the
 * pending transfers, the payment gate settles or rejects the payment), then recorded as done. An
 * interrupted resolution is finished at the next start; resolvers are idempotent.
 */
export type ResolveOutcome =
  | { readonly ok: true; readonly detail?: string }
  /** gone: what the hold guarded no longer exists as held (voided, cancelled, expired): the hold closes. */
  | { readonly ok: false; readonly gone: boolean; readonly detail: string };

export interface HoldResolver {
  release(hold: Hold): Promise<ResolveOutcome>;
  reject(hold: Hold): Promise<ResolveOutcome>;
}

export interface Holds {
  register(kind: HoldKind, resolver: HoldResolver): void;
  get(id: string): Promise<Hold | undefined>;
  list(filter: HoldFilter): Promise<Hold[]>;
  release(id: string, actor: string, note?: string): Promise<Result<Hold, RiskError>>;
  reject(id: string, actor: string, note?: string): Promise<Result<Hold, RiskError>>;
  /** Transfers among these an open hold guards, with the hold's id: only the review may post them. */
  guarded(transferIds: readonly string[]): Promise<Map<string, string>>;
  /** Marks a hold whose booking failed (not_booked) or that was resolved elsewhere (closed). */
  settle(id: string, status: 'not_booked' | 'closed', detail: string): Promise<void>;
  /**
   * Closes a hold still waiting for an analyst because what it guarded ended without the review
   * (a payment cancelled by its debtor's side, say), recording `by` as who or what ended it. `q`
   * is the caller's transaction, so the hold closes in the same commit as the news that closes it.
   * A hold an analyst is already releasing or rejecting is left alone: that resolution finds the
   * news itself and closes the hold. Returns whether a hold was closed.
   */
  closeResolvedElsewhere(q: Queryable, kind: HoldKind, id: string, by: string, detail: string): Promise<boolean>;
  /** How many holds wait for an analyst, and since when the oldest has (for /metrics). */
  waiting(): Promise<OpenHolds>;
  /** True while the hold exists and still guards (held, releasing or rejecting). */
  isOpen(id: string): Promise<boolean>;
  /** Finishes releases and rejections a crash interrupted; returns how many are still unfinished. */
  recover(): Promise<number>;
}

const ACTIONS = {
  release: { working: 'releasing', done: 'released' },
  reject: { working: 'rejecting', done: 'rejected' },
} as const satisfies Record<string, { working: HoldStatus; done: HoldStatus }>;
type Action = keyof typeof ACTIONS;

export function createHolds(db: Database, clock: Clock, report: (message: string) => void): Holds {
  const resolvers = new Map<HoldKind, HoldResolver>();

  async function carryOut(hold: Hold, action: Action): Promise<Result<Hold, RiskError>> {
    const resolver = resolvers.get(hold.kind);
    if (!resolver) throw new Error(`no resolver for ${hold.kind} holds is registered`);
    const outcome = await resolver[action](hold);
    const atMs = clock.nowMs();
    if (outcome.ok) {
      await moveHold(db, hold.id, [ACTIONS[action].working], ACTIONS[action].done, { atMs, detail: outcome.detail ?? null });
    } else if (outcome.gone) {
      await moveHold(db, hold.id, [ACTIONS[action].working], 'closed', { atMs, detail: outcome.detail });
      return err('hold_resolved_elsewhere');
    } else {
      // Nothing happened in the ledger: the hold waits for another try, by anyone.
      await unclaimHold(db, hold.id, ACTIONS[action].working, outcome.detail);
      return err('hold_not_resolvable');
    }
    return ok((await getHold(db, hold.id)) ?? hold);
  }

  async function resolve(id: string, action: Action, actor: string, note: string | undefined): Promise<Result<Hold, RiskError>> {
    const hold = await getHold(db, id);
    if (!hold) return err('hold_not_found');
    const { working, done } = ACTIONS[action];
    // Who resolves a hold and why are written once, by the attempt that moves it out of held.
    if (hold.status === 'held' && (await claimHold(db, id, working, { by: actor, note: note ?? null }))) {
      return carryOut({ ...hold, status: working, resolvedBy: actor, note: note ?? null }, action);
    }
    const current = hold.status === 'held' ? ((await getHold(db, id)) ?? hold) : hold;
    // A hold closed because what it guarded ended elsewhere answers as the attempt that closed it did.
    if (current.status === 'closed') return err('hold_resolved_elsewhere');
    // The same analyst asking again for a resolution under way (a retry after an interruption, or one
    // request sent twice at once) has it carried out as first asked: resolvers are idempotent, and
    // what was recorded of it stays as it was.
    if (current.status === working && current.resolvedBy === actor) return carryOut(current, action);
    // The same analyst asking again for the resolution already carried out gets it as it was kept: a
    // request sent twice at once cannot tell whether the other copy has finished, nor can a retry
    // after a lost answer.
    if (current.status === done && current.resolvedBy === actor) return ok(current);
    // Anyone else's release or rejection of a hold being resolved, or resolved, changes nothing; so
    // does the other resolution asked by the same analyst.
    return err('hold_not_held');
  }

  return {
    register(kind, resolver) {
      resolvers.set(kind, resolver);
    },
    get: (id) => getHold(db, id),
    list: (filter) => listHolds(db, filter),
    release: (id, actor, note) => resolve(id, 'release', actor, note),
    reject: (id, actor, note) => resolve(id, 'reject', actor, note),
    guarded: (transferIds) => (transferIds.length === 0 ? Promise.resolve(new Map()) : guardedTransfers(db, transferIds)),
    async settle(id, status, detail) {
      await moveHold(db, id, ['held'], status, { atMs: clock.nowMs(), detail });
    },
    closeResolvedElsewhere: (q, kind, id, by, detail) => closeHeld(q, id, kind, { atMs: clock.nowMs(), by, detail }),
    waiting: () => openHolds(db),
    async isOpen(id) {
      const hold = await getHold(db, id);
      return hold !== undefined && (hold.status === 'held' || hold.status === 'releasing' || hold.status === 'rejecting');
    },
    async recover() {
      const unfinished = await unfinishedHolds(db, RISK_LIMITS.historyPageRows);
      let left = 0;
      for (const hold of unfinished) {
        if (!resolvers.has(hold.kind)) {
          left += 1;
          continue;
        }
        try {
          await carryOut(hold, hold.status === 'releasing' ? 'release' : 'reject');
        } catch (error) {
          left += 1;
          report(`hold ${hold.id} could not be resolved yet: ${(error as Error).message}`);
        }
      }
      return left;
    },
  };
}
