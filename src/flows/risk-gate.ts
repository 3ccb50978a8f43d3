import { inSpan, NIL_UUID, tracingEnabled, type Clock } from '../kernel/index.ts';
import type { RiskEvent } from '../modules/features/index.ts';
import { TransferFlags, type AccountError, type AccountRequest, type ItemResult, type LedgerService, type TransferError, type TransferRequest } from '../modules/ledger/index.ts';
import type { PartiesService } from '../modules/parties/index.ts';
import type { Decision, Hold, HoldItem, RiskService } from '../modules/risk/index.ts';
import type { Outcome } from '../modules/rules/index.ts';
import { createEventDirectory, type EventDirectory } from './risk-events.ts';
import { createTransferHoldResolver, voidRequestsOf } from './risk-holds.ts';

/**
 * The decision before a transfer is booked: the seam between POST /v1/transfers and the ledger.
 *
 * Evaluated: every new transfer, plain or pending (balancing ones too: they move money), whose code
 * and channel the settings cover. Not evaluated: posting or voiding a pending transfer, which moves
 * nothing new (the money movement was decided when the pending transfer was created).
 *
 * Per linked chain, since the ledger books a chain whole or not at all:
 *   - an item declined → nothing of the chain is booked; it answers risk_declined with the decision,
 *     the others linked_event_failed;
 *   - an item held for review → every new transfer of the chain is booked pending (no timeout, so
 *     the money waits for an analyst) under one hold; releasing posts them as one linked chain,
 *     rejecting voids them;
 *   - otherwise the chain goes to the ledger as the client sent it.
 * Posting a transfer an open hold guards answers held_for_review: only the review may post it.
 *
 * Retries: a client repeating a request gets its first answer, and no second decision is logged.
 * The transfer decisions this process took lately are remembered by transfer id; review and decline
 * decisions are on disk before anyone is answered and are looked up by transfer id; a retried
 * transfer the ledger already booked is answered by the ledger, whatever a fresh evaluation would
 * say, and that evaluation is not logged. Approvals are therefore logged after the ledger answers.
 */
export type GateResult = TransferError | 'risk_declined' | 'held_for_review';

export type GatedTransferResult =
  | { readonly result: 'ok'; readonly id: string; readonly timestamp: bigint; readonly replayed: boolean; readonly decisionId?: string; readonly holdId?: string }
  | { readonly result: Exclude<GateResult, 'ok'>; readonly id: string; readonly decisionId?: string; readonly holdId?: string };

export interface TransferContext {
  /** api for a single transfer, batch for a batch, or whatever the caller names. */
  readonly channel: string;
  /** The API key whose request this is, journaled with what the ledger stores (null or absent: inside the process). */
  readonly submittedBy?: string | null;
}

export interface TransferGate {
  createTransfers(requests: readonly TransferRequest[], context: TransferContext): Promise<GatedTransferResult[]>;
  /** The ledger's account creation, remembering each new account's owner for the decisions to come. */
  /** `submittedBy`: the API key whose request this is, journaled with the accounts opened. */
  createAccounts(requests: readonly AccountRequest[], submittedBy?: string | null): Promise<ItemResult<AccountError>[]>;
  readonly directory: EventDirectory;
}

/** Decisions taken before a batch lets other work run (a decision takes tens of microseconds). */
const DECISIONS_PER_SLICE = 256;
const POST_OR_VOID = TransferFlags.post_pending | TransferFlags.void_pending;
const BALANCING = TransferFlags.balancing_debit | TransferFlags.balancing_credit;
const isNewMoney = (request: TransferRequest): boolean => (request.flags & POST_OR_VOID) === 0;

/**
 * A new transfer the ledger will refuse for its shape alone (no accounts, the same account twice, no
 * ledger, code or amount) moves nothing and is left to the ledger's own answer, undecided.
 */
function isWellFormed(request: TransferRequest): boolean {
  const { debitAccountId: debit, creditAccountId: credit } = request;
  return !!debit && !!credit && debit !== NIL_UUID && credit !== NIL_UUID && debit !== credit && !!request.ledger && !!request.code &&
    (request.amount !== undefined ? request.amount > 0n : (request.flags & BALANCING) !== 0);
}

interface Verdict {
  readonly outcome: Outcome;
  readonly decisionId: string | null;
  /** Taken now (true) or read back from a first attempt of the same request (false). */
  readonly fresh: boolean;
}

interface ChainPlan {
  readonly start: number;
  readonly end: number;
  kind: 'plain' | 'held' | 'refused';
  /** Answers of a refused chain, by index. */
  readonly refusals: Map<number, GatedTransferResult>;
  hold: Hold | null;
  /** The decision that held the chain, reported with each held item. */
  holdDecisionId: string | null;
}

/** Chains as the ledger sees them: runs of linked items, each ending at the first item without the flag. */
function chainsOf(requests: readonly TransferRequest[]): { start: number; end: number }[] {
  const chains: { start: number; end: number }[] = [];
  let start = 0;
  for (let index = 0; index < requests.length; index++) {
    if (!((requests[index] as TransferRequest).flags & TransferFlags.linked) || index === requests.length - 1) {
      chains.push({ start, end: index + 1 });
      start = index + 1;
    }
  }
  return chains;
}

export function createTransferGate(deps: {
  readonly risk: RiskService;
  readonly ledger: LedgerService;
  readonly parties: Pick<PartiesService, 'list'>;
  readonly clock: Clock;
}): TransferGate {
  const { risk, ledger } = deps;
  const directory = createEventDirectory(deps);
  risk.holds.register('transfer', createTransferHoldResolver(ledger, deps.clock));

  function refuseChain(plan: ChainPlan, requests: readonly TransferRequest[], at: number, result: GatedTransferResult): void {
    plan.kind = 'refused';
    for (let index = plan.start; index < plan.end; index++) {
      plan.refusals.set(index, index === at ? result : { result: 'linked_event_failed', id: (requests[index] as TransferRequest).id });
    }
  }

  function holdOf(plan: ChainPlan, requests: readonly TransferRequest[], events: Map<number, RiskEvent>, decisions: readonly Decision[], earlier: readonly string[], atMs: number): Hold {
    const items: HoldItem[] = [];
    for (let index = plan.start; index < plan.end; index++) {
      const request = requests[index] as TransferRequest;
      if (isNewMoney(request)) items.push({ transferId: request.id, onRelease: request.flags & TransferFlags.pending ? 'keep' : 'post' });
    }
    const first = items[0] as HoldItem;
    const firstIndex = requests.findIndex((request, index) => index >= plan.start && request.id === first.transferId);
    const event = events.get(firstIndex);
    const request = requests[firstIndex] as TransferRequest;
    return {
      id: first.transferId, kind: 'transfer', status: 'held', decisionIds: [...earlier, ...decisions.map((decision) => decision.id)], items,
      amountMinor: event?.amountMinor ?? request.amount ?? 0n, currency: event?.currency ?? '', debitAccountId: request.debitAccountId ?? '',
      creditAccountId: request.creditAccountId ?? '', reasons: decisions.flatMap((decision) => decision.reasons), createdAtMs: atMs,
      resolvedAtMs: null, resolvedBy: null, note: null, detail: null,
    };
  }

  /** The booked form of a held chain: new transfers become pending without a timeout; the rest is unchanged. */
  function heldRequests(plan: ChainPlan, requests: readonly TransferRequest[]): TransferRequest[] {
    return requests.slice(plan.start, plan.end).map((request) =>
      isNewMoney(request) && !(request.flags & TransferFlags.pending) ? { ...request, flags: request.flags | TransferFlags.pending, timeoutSeconds: 0 } : request);
  }

  /** A chain already in the ledger is a retry of something booked before: the ledger answers it. Its ids are looked up at once. */
  async function alreadyBooked(start: number, end: number, requests: readonly TransferRequest[]): Promise<boolean> {
    const ids = requests.slice(start, end).filter(isNewMoney).map((request) => request.id);
    return ids.length > 0 && (await ledger.lookupTransfers(ids)).length > 0;
  }

  interface Decided {
    readonly events: Map<number, RiskEvent>;
    readonly decisions: Map<number, Decision>;
    readonly verdicts: Map<number, Verdict>;
  }

  /** A decision span's attributes: how many items got each outcome. */
  function outcomeCounts(decided: Decided): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const verdict of decided.verdicts.values()) counts[`sluice.risk.${verdict.outcome}`] = (counts[`sluice.risk.${verdict.outcome}`] ?? 0) + 1;
    return counts;
  }

  /** Each evaluated item's verdict: the decision of a first attempt of the same request, or a fresh one. */
  async function decideItems(requests: readonly TransferRequest[], evaluated: readonly number[], channel: string, atMs: number): Promise<Decided> {
    const ids: string[] = [];
    for (const index of evaluated) ids.push((requests[index] as TransferRequest).id);
    const prior = await risk.priorDecisions(ids);
    const decided: Decided = { events: new Map(), decisions: new Map(), verdicts: new Map() };
    for (let position = 0; position < evaluated.length; position++) {
      const index = evaluated[position] as number;
      // A full batch takes a while to decide: other requests get the event loop between slices.
      if (position > 0 && position % DECISIONS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      const request = requests[index] as TransferRequest;
      // Accounts and ledger known already (the usual case): the event is built without a promise.
      const event = directory.knownTransferEvent(request, channel, atMs) ?? (await directory.transferEvent(request, channel, atMs));
      decided.events.set(index, event);
      const earlier = prior.get(request.id);
      if (earlier) {
        decided.verdicts.set(index, { outcome: earlier.outcome, decisionId: earlier.decisionId, fresh: false });
        continue;
      }
      const decision = risk.evaluate(event, 'transfer');
      decided.decisions.set(index, decision);
      decided.verdicts.set(index, { outcome: decision.outcome, decisionId: decision.id, fresh: true });
    }
    return decided;
  }

  /** The item whose verdict decides a chain: the first declined, else the first held for review; -1 when all approve. */
  function flaggedOf(decided: Decided, start: number, end: number): number {
    let flagged = -1;
    let flaggedOutcome: Outcome = 'approve';
    for (let index = start; index < end; index++) {
      const verdict = decided.verdicts.get(index);
      if (verdict && verdict.outcome !== 'approve' && (flagged < 0 || (verdict.outcome === 'decline' && flaggedOutcome !== 'decline'))) {
        flagged = index;
        flaggedOutcome = verdict.outcome;
      }
    }
    return flagged;
  }

  function isGuarded(guarded: ReadonlyMap<number, string>, start: number, end: number): boolean {
    for (let index = start; index < end; index++) if (guarded.get(index)) return true;
    return false;
  }

  /**
   * The chains (by their first index) that a fresh review or decline would hold or refuse and that
   * the ledger has booked already: retries of chains approved the first time (see planChains).
   */
  async function bookedChains(requests: readonly TransferRequest[], decided: Decided, guarded: ReadonlyMap<number, string>): Promise<ReadonlySet<number>> {
    const booked = new Set<number>();
    for (const { start, end } of chainsOf(requests)) {
      if (isGuarded(guarded, start, end)) continue;
      const flagged = flaggedOf(decided, start, end);
      if (flagged >= 0 && (decided.verdicts.get(flagged) as Verdict).fresh && (await alreadyBooked(start, end, requests))) booked.add(start);
    }
    return booked;
  }

  const NOTHING_BOOKED: ReadonlySet<number> = new Set();

  /** Whether any verdict taken now is a review or a decline: only then may a chain be a retry to look up. */
  function anyFreshFlag(decided: Decided): boolean {
    for (const verdict of decided.verdicts.values()) if (verdict.fresh && verdict.outcome !== 'approve') return true;
    return false;
  }

  /**
   * What happens to each chain: booked as sent, held, or refused; and what is logged for it, before
   * the booking (toLog) or after it (approvals of chains booked as sent, by index: see afterBooking).
   * `booked`: the chains found in the ledger already, from bookedChains.
   */
  function planChains(requests: readonly TransferRequest[], decided: Decided, guarded: ReadonlyMap<number, string>, atMs: number, booked: ReadonlySet<number>) {
    const plans: ChainPlan[] = [];
    const toLog: Decision[] = [];
    const approved: number[] = [];
    const holds: Hold[] = [];
    for (const { start, end } of chainsOf(requests)) {
      const plan: ChainPlan = { start, end, kind: 'plain', refusals: new Map(), hold: null, holdDecisionId: null };
      plans.push(plan);
      const chainDecisions: Decision[] = [];
      for (let index = start; index < end; index++) {
        const decision = decided.decisions.get(index);
        if (decision) chainDecisions.push(decision);
        const holdId = guarded.get(index);
        if (holdId && plan.kind !== 'refused') refuseChain(plan, requests, index, { result: 'held_for_review', id: (requests[index] as TransferRequest).id, holdId });
      }
      if (plan.kind === 'refused') {
        for (const decision of chainDecisions) toLog.push(decision);
        continue;
      }
      const flaggedIndex = flaggedOf(decided, start, end);
      if (flaggedIndex < 0) {
        for (let index = start; index < end; index++) if (decided.decisions.has(index)) approved.push(index);
        continue;
      }
      const flagged = { index: flaggedIndex, verdict: decided.verdicts.get(flaggedIndex) as Verdict };
      // A fresh review or decline of something the ledger already booked is a retry of a request
      // approved the first time: the ledger's answer stands and the new evaluation is not logged.
      if (flagged.verdict.fresh && booked.has(start)) continue;
      for (const decision of chainDecisions) toLog.push(decision);
      const decisionId = flagged.verdict.decisionId ?? undefined;
      if (flagged.verdict.outcome === 'decline') {
        refuseChain(plan, requests, flagged.index, { result: 'risk_declined', id: (requests[flagged.index] as TransferRequest).id, ...(decisionId ? { decisionId } : {}) });
        continue;
      }
      plan.kind = 'held';
      plan.holdDecisionId = flagged.verdict.decisionId;
      const reviewing = chainDecisions.filter((decision) => decision.outcome === 'review');
      plan.hold = holdOf(plan, requests, decided.events, reviewing, flagged.verdict.fresh ? [] : [flagged.verdict.decisionId as string], atMs);
      holds.push(plan.hold);
    }
    return { plans, toLog, approved, holds };
  }

  /** Sends the chains that are not refused to the ledger in one call, and puts every answer in its place. */
  async function book(requests: readonly TransferRequest[], plans: readonly ChainPlan[], submittedBy: string | null): Promise<GatedTransferResult[]> {
    const submitted: TransferRequest[] = [];
    const origin: number[] = [];
    for (const plan of plans) {
      if (plan.kind === 'refused') continue;
      const chain = plan.kind === 'held' ? heldRequests(plan, requests) : requests.slice(plan.start, plan.end);
      chain.forEach((request, offset) => (submitted.push(request), origin.push(plan.start + offset)));
    }
    const answers = submitted.length > 0 ? await ledger.createTransfers(submitted, submittedBy) : [];
    const results: GatedTransferResult[] = new Array(requests.length);
    answers.forEach((answer, position) => (results[origin[position] as number] = answer));
    for (const plan of plans) for (const [index, refusal] of plan.refusals) results[index] = refusal;
    return results;
  }

  /** A held chain the ledger refused holds nothing; one it booked is marked with its hold in the answers. */
  async function settleHold(plan: ChainPlan, hold: Hold, results: GatedTransferResult[]): Promise<void> {
    const chainAnswers = results.slice(plan.start, plan.end);
    const failed = chainAnswers.find((answer) => answer.result !== 'ok' && answer.result !== 'linked_event_failed');
    if (failed) return risk.holds.settle(hold.id, 'not_booked', `the ledger refused ${failed.id}: ${failed.result}`);
    for (let index = plan.start; index < plan.end; index++) {
      const answer = results[index] as GatedTransferResult;
      results[index] = plan.holdDecisionId ? { ...answer, holdId: hold.id, decisionId: plan.holdDecisionId } : { ...answer, holdId: hold.id };
    }
    // An analyst who closed the hold while this booking was on its way (it found nothing to post
    // or void) must not leave the transfers held with nobody guarding them.
    const bookedNow = chainAnswers.some((answer) => answer.result === 'ok' && !answer.replayed);
    if (bookedNow && !(await risk.holds.isOpen(hold.id))) await ledger.createTransfers(voidRequestsOf(hold));
  }

  /**
   * The fresh approvals to log once the ledger has answered: all but those of transfers it had
   * booked before, which are retries of requests approved (and logged) the first time, by this
   * process before it restarted or by another one. A retry this process remembers was answered
   * with its first decision and evaluated nothing.
   */
  function afterBooking(approved: readonly number[], decided: Decided, results: readonly GatedTransferResult[]): Decision[] {
    const toLog: Decision[] = [];
    for (const index of approved) {
      const answer = results[index] as GatedTransferResult;
      if ((answer.result === 'ok' && answer.replayed) || answer.result.startsWith('exists')) continue;
      toLog.push(decided.decisions.get(index) as Decision);
    }
    return toLog;
  }

  return {
    directory,
    async createAccounts(requests, submittedBy = null) {
      const results = await ledger.createAccounts(requests, submittedBy);
      const created = requests.filter((_request, index) => results[index]?.result === 'ok');
      await directory.learn(created);
      return results;
    },
    async createTransfers(requests, context) {
      const atMs = deps.clock.nowMs();
      const posts: number[] = [];
      const evaluated: number[] = [];
      for (let index = 0; index < requests.length; index++) {
        const request = requests[index] as TransferRequest;
        if (request.flags & TransferFlags.post_pending && request.pendingId) posts.push(index);
        if (isNewMoney(request) && isWellFormed(request) && risk.covers(request.code, context.channel)) evaluated.push(index);
      }
      const guarded = new Map<number, string>();
      if (posts.length > 0) {
        const guardedIds = await risk.holds.guarded(posts.map((index) => (requests[index] as TransferRequest).pendingId as string));
        for (const index of posts) {
          const holdId = guardedIds.get((requests[index] as TransferRequest).pendingId as string);
          if (holdId) guarded.set(index, holdId);
        }
      }
      if (evaluated.length === 0 && guarded.size === 0) return ledger.createTransfers(requests, context.submittedBy ?? null);

      // Without tracing the span is nothing but promise hops: the decisions are taken directly.
      const decided = tracingEnabled()
        ? await inSpan('risk.decide', { 'sluice.risk.items': evaluated.length }, () => decideItems(requests, evaluated, context.channel, atMs), outcomeCounts)
        : await decideItems(requests, evaluated, context.channel, atMs);
      const retried = anyFreshFlag(decided) ? await bookedChains(requests, decided, guarded) : NOTHING_BOOKED;
      const { plans, toLog, approved, holds } = planChains(requests, decided, guarded, atMs, retried);
      // Called even with nothing to write when the log is backed up (it slows the caller down
      // before it books) or stopped (it refuses); otherwise there is nothing to wait for.
      if (toLog.length > 0 || holds.length > 0 || risk.commitWaits()) await risk.commit(toLog, holds);
      const results = await book(requests, plans, context.submittedBy ?? null);
      risk.logApprovals(afterBooking(approved, decided, results));
      const booked: RiskEvent[] = [];
      for (const plan of plans) {
        if (plan.kind === 'held' && plan.hold) await settleHold(plan, plan.hold, results);
        for (let index = plan.start; index < plan.end; index++) {
          const answer = results[index];
          const event = decided.events.get(index);
          if (event && answer?.result === 'ok' && !answer.replayed) booked.push(event);
        }
      }
      // Windows advance with what was booked (held transfers too: they are attempts worth counting).
      // They advance in memory at once; the answer does not wait for the features to be written.
      if (booked.length > 0) void risk.record(booked);
      return results;
    },
  };
}
