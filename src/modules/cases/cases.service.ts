import type { Database, Queryable } from '../../db/index.ts';
import { AssertionError, err, isUuid, normalizeUuid, ok, uuidv7, type Clock, type Result } from '../../kernel/index.ts';
import { LISTS_LIMITS, type ListEntryInput } from '../lists/index.ts';
import type { CasesError } from './cases.errors.ts';
import { buildReport, type CaseReport, type ReportContext } from './cases.report.ts';
import { CASES_LIMITS } from './cases.limits.ts';
import {
  addAlertToCase, addLinks, appendAudit, countUnclosed, findOpenCaseId, insertAlert, insertCase, insertNote, latestAlert, linkCount, linkedRefs, listAlerts, listAudit, listCases, listLinks, listNotes,
  loadCase, lockOpenCase, touchCase, updateAssignee, updateStatus, type CaseQuery,
} from './cases.repository.ts';
import { canTransition, isClosed, scoreToBp, type AlertInput, type AlertSink, type CaseNote, type RaisedAlert, type RaiseOutcome, type CaseRecord, type CaseStatus, type CaseView, type LinkKind, type StoredAlert } from './cases.ts';

/** What closing a case as confirmed may add to the block list. */
export interface BlockRequest {
  readonly accounts: boolean;
  readonly parties: boolean;
}

export interface TransitionInput {
  readonly to: CaseStatus;
  readonly reason: string;
  readonly block?: BlockRequest;
}

/** What is on the block list because of a case, by kind, and what the list refused (with its reason). */
export interface BlockOutcome {
  readonly accounts: readonly string[];
  readonly parties: readonly string[];
  readonly refused: readonly { readonly kind: string; readonly value: string; readonly error: string }[];
}

export interface TransitionOutcome {
  readonly case: CaseRecord;
  /** Empty when no block was asked for. */
  readonly blocked: BlockOutcome;
}

export interface ManualCaseInput {
  readonly title: string;
  /** 0..1, higher is more urgent. */
  readonly priority: number;
  readonly reason?: string;
  /** Ledger transfers; each must name a transfer the ledger holds. */
  readonly transferIds?: readonly string[];
  readonly accountIds?: readonly string[];
  /** Registered parties; each must name one. */
  readonly partyIds?: readonly string[];
  /** Payments by UETR; each must name a payment. */
  readonly paymentIds?: readonly string[];
}

/** What an analyst links to a case while investigating it. Each must exist: transfers in the ledger, parties registered, payments by UETR. */
export interface LinkInput {
  readonly transferIds?: readonly string[];
  readonly partyIds?: readonly string[];
  readonly paymentIds?: readonly string[];
}
export type LinkField = keyof LinkInput;

/** A refusal to link: the rule broken and, where one item broke it, the field and index of that item. */
export interface LinkRefusal {
  readonly ok: false;
  readonly error: CasesError;
  readonly field?: LinkField;
  readonly index?: number;
}

/** The case after linking, and what was new (already-linked items are left out: linking them again changes nothing). */
export interface LinkOutcome {
  readonly case: CaseRecord;
  readonly added: { readonly transfers: readonly string[]; readonly parties: readonly string[]; readonly payments: readonly string[] };
}

export interface CasesService extends AlertSink {
  /**
   * Raises an alert on behalf of `actor` (detectors act as `detector:<source>`). An alert with a
   * fingerprint equal to that of the latest alert of its kind on the open case it joins writes
   * nothing; beyond CASES_LIMITS.caseAlertsMax alerts a case only counts further alerts.
   *
   * The transfers, parties and payments an alert names are linked without being looked up, unlike
   * those an analyst links (open, link). Detectors name what they saw, and some of it is legitimately
   * not stored: a decision's alert names the transfer it declined or held before the ledger books it
   * (a declined one never is), and a decision asked for through POST /v1/risk/decisions names the
   * transfer and parties of another system's event. Mule-ring alerts name the transfers, payments and
   * parties of the events the graph observed, and screening alerts a party just registered.
   */
  raise(alert: AlertInput, actor?: string): Promise<RaisedAlert>;
  /** A case an analyst opens by hand: one manual alert carries its links. Refused when a transfer, party or payment named is unknown. */
  open(input: ManualCaseInput, actor: string): Promise<{ readonly ok: true; readonly value: CaseRecord } | LinkRefusal>;
  list(query: CaseQuery): Promise<CaseRecord[]>;
  /** The case with its newest alerts, notes and audit entries (at most `limit` of each). */
  get(id: string, limit?: number): Promise<CaseView | undefined>;
  assign(id: string, assignee: string | null, actor: string): Promise<Result<CaseRecord, CasesError>>;
  /** Refused on a closed case (case_closed), as assigning and linking are. */
  addNote(id: string, text: string, actor: string): Promise<Result<CaseNote, CasesError>>;
  /**
   * Links transfers, parties and payments to a case that is not closed, all or nothing. Items already
   * linked are skipped; when something is new the audit trail records what (links_added). Refused
   * when a transfer, party or payment not already linked is unknown, or when the new links would take
   * the case beyond CASES_LIMITS.caseLinksMax.
   */
  link(id: string, input: LinkInput, actor: string): Promise<{ readonly ok: true; readonly value: LinkOutcome } | LinkRefusal>;
  transition(id: string, input: TransitionInput, actor: string): Promise<Result<TransitionOutcome, CasesError>>;
  /** Everything about the case for filing, up to CASES_LIMITS.reportItemsMax alerts, notes and audit entries. */
  report(id: string, context: Omit<ReportContext, 'generatedAtMs'>): Promise<CaseReport | undefined>;
  /** Cases not yet closed, by status, across every process (for /metrics). */
  unclosed(): Promise<Record<string, number>>;
}

export interface CasesServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** The block list; without it a confirmed case cannot feed it (block_list_unavailable). */
  readonly lists?: { add(input: ListEntryInput): Promise<unknown> };
  /** Payments by UETR, to check that a payment linked by hand exists; without it none can be linked by hand. */
  readonly payments?: { get(uetr: string): Promise<unknown> };
  /**
   * Ledger transfers by id, to check that the transfers linked by hand exist: answers those of the
   * ids the ledger holds (any order; ids in lower case, as given). Without it none can be linked by hand.
   */
  readonly transfers?: { lookup(ids: readonly string[]): Promise<readonly { readonly id: string }[]> };
  /** Which of some party ids are registered, to check that a party linked by hand exists; without it none can be linked by hand. */
  readonly parties?: { existing(ids: readonly string[]): Promise<ReadonlySet<string>> };
}

/** The ids of one request to link, by field, in the form they are stored in. */
type LinkLists = { readonly [field in LinkField]: readonly string[] };

/** How often a raise retries when the case it joins closes at the same moment. */
const RAISE_ATTEMPTS_MAX = 3;

export function createCasesService(deps: CasesServiceDeps): CasesService {
  const { db, clock } = deps;
  let raisesInFlight = 0;

  async function raiseOnce(tx: Queryable, alert: AlertInput, actor: string): Promise<RaisedAlert | undefined> {
    const nowMs = clock.nowMs();
    const scoreBp = scoreToBp(alert.score);
    const dedupeKey = alert.dedupeKey ?? null;
    const alertId = uuidv7(nowMs);
    let caseId: string;
    let outcome: RaiseOutcome;
    const fresh: CaseRecord = {
      id: uuidv7(nowMs), title: alert.title, status: 'open', priorityBp: scoreBp, source: alert.source, kind: alert.kind, titleValues: alert.titleValues ?? null,
      dedupeKey, assignee: null, alertCount: 1, createdAtMs: nowMs, updatedAtMs: nowMs, closedAtMs: null,
    };
    if (await insertCase(tx, fresh)) {
      caseId = fresh.id;
      outcome = 'opened';
      await appendAudit(tx, caseId, actor, nowMs, 'created', { alert_id: alertId, source: alert.source, kind: alert.kind, score: scoreBp / 10_000 });
    } else {
      const key = dedupeKey as string;
      const existing = await findOpenCaseId(tx, key);
      // Locked before its alerts are read, so that of two equal alerts raised at once (two processes
      // scanning the same ring) the second sees the first. Gone: the open case closed between the
      // insert and the lookup; try again, which opens a new one.
      const locked = existing === undefined ? undefined : await lockOpenCase(tx, existing, key);
      if (!existing || !locked) return undefined;
      if (alert.fingerprint !== undefined) {
        const latest = await latestAlert(tx, existing, alert.kind);
        if (latest && latest.fingerprint === alert.fingerprint) return { caseId: existing, alertId: latest.id, outcome: 'unchanged' };
      }
      if (!(await addAlertToCase(tx, existing, key, scoreBp, nowMs))) return undefined;
      caseId = existing;
      if (locked.alertCount >= CASES_LIMITS.caseAlertsMax) {
        const latest = await latestAlert(tx, existing);
        return { caseId, alertId: (latest as { id: string }).id, outcome: 'capped' };
      }
      outcome = 'added';
      await appendAudit(tx, caseId, actor, nowMs, 'alert_added', { alert_id: alertId, source: alert.source, kind: alert.kind, score: scoreBp / 10_000 });
    }
    const stored: StoredAlert = {
      id: alertId, caseId, source: alert.source, kind: alert.kind, title: alert.title, scoreBp, reasons: [...alert.reasons], dedupeKey,
      transferIds: [...(alert.transferIds ?? [])], paymentIds: [...(alert.paymentIds ?? [])], accountIds: [...(alert.accountIds ?? [])], partyIds: [...(alert.partyIds ?? [])],
      details: alert.details ?? {}, fingerprint: alert.fingerprint ?? null, raisedAtMs: nowMs,
    };
    await insertAlert(tx, stored);
    await addLinks(tx, caseId, linksOf(stored), nowMs, CASES_LIMITS.caseLinksMax);
    return { caseId, alertId, outcome };
  }

  async function raise(alert: AlertInput, actor = `detector:${alert.source}`): Promise<RaisedAlert> {
    checkAlert(alert);
    if (raisesInFlight >= CASES_LIMITS.raiseQueueMax) throw new CasesOverloadedError(`more than ${CASES_LIMITS.raiseQueueMax} alerts are waiting to be filed`);
    raisesInFlight += 1;
    try {
      for (let attempt = 0; attempt < RAISE_ATTEMPTS_MAX; attempt++) {
        const raised = await db.transaction((tx) => raiseOnce(tx, alert, actor));
        if (raised) return raised;
      }
      throw new AssertionError(`an alert with dedupe key ${alert.dedupeKey} found no case to join after ${RAISE_ATTEMPTS_MAX} attempts`);
    } finally {
      raisesInFlight -= 1;
    }
  }

  /**
   * Adds the case's linked accounts and parties to the block list, after the case closed. A value
   * already listed counts as blocked; any other refusal is recorded, and the close stands: the
   * finding is confirmed whether or not the list took every value.
   */
  async function feedBlockList(record: CaseRecord, block: BlockRequest, reason: string): Promise<BlockOutcome> {
    const lists = deps.lists as NonNullable<CasesServiceDeps['lists']>;
    const links = await listLinks(db, record.id, CASES_LIMITS.caseLinksMax);
    const wanted: [ 'account' | 'party', string][] = [
      ...(block.accounts ? links.filter((link) => link.kind === 'account').map((link) => ['account', link.refId] as ['account', string]) : []),
      ...(block.parties ? links.filter((link) => link.kind === 'party').map((link) => ['party', link.refId] as ['party', string]) : []),
    ];
    const outcome: { accounts: string[]; parties: string[]; refused: { kind: string; value: string; error: string }[] } = { accounts: [], parties: [], refused: [] };
    if (wanted.length === 0) return outcome;
    const actor = `case:${record.id}`;
    // A list reason is shorter than a close reason: a long one is cut (the whole of it is in the case's trail).
    const fullReason = `confirmed in case ${record.id}: ${reason}`;
    const listReason = fullReason.length > LISTS_LIMITS.reasonMaxLength ? `${fullReason.slice(0, LISTS_LIMITS.reasonMaxLength - 1)}…` : fullReason;
    try {
      for (const [kind, value] of wanted) {
        const result = (await lists.add({ list: 'block', kind, value, reason: listReason, actor })) as { ok?: boolean; error?: string } | undefined;
        if (result?.ok === false && result.error !== 'entry_exists') outcome.refused.push({ kind, value, error: String(result.error) });
        else (kind === 'account' ? outcome.accounts : outcome.parties).push(value);
      }
    } finally {
      // Recorded even when the list failed part way, so the trail shows exactly what was blocked.
      await appendAudit(db, record.id, actor, clock.nowMs(), 'block_list_fed', { accounts: outcome.accounts, parties: outcome.parties, refused: outcome.refused });
    }
    return outcome;
  }

  /**
   * The first item of a request to link that names nothing this server holds, field by field in the
   * order of the request, as a refusal; undefined when every item names something. Items the case
   * links already (`linked`) are not looked up: linking them again changes nothing, and a detector
   * may have linked what an analyst could not (see raise).
   */
  async function firstUnknown(lists: LinkLists, linked: (kind: LinkKind, refIds: readonly string[]) => Promise<ReadonlySet<string>>): Promise<LinkRefusal | undefined> {
    const { transfers, parties, payments } = deps;
    const linkedTransfers = await linked('transfer', lists.transferIds);
    // Ledger ids are UUIDs: anything else names no transfer, and is not put to a UUID column. The
    // rest are looked up in one call, however many the request names.
    const wantedTransfers = [...new Set(lists.transferIds.filter((refId) => !linkedTransfers.has(refId) && isUuid(refId)))];
    const stored = transfers && wantedTransfers.length > 0 ? new Set((await transfers.lookup(wantedTransfers)).map((found) => found.id)) : new Set<string>();
    for (const [index, refId] of lists.transferIds.entries()) {
      if (!linkedTransfers.has(refId) && !stored.has(refId)) return { ok: false, error: 'transfer_not_found', field: 'transferIds', index };
    }
    const linkedParties = await linked('party', lists.partyIds);
    const wantedParties = [...new Set(lists.partyIds.filter((refId) => !linkedParties.has(refId)))];
    const registered = parties && wantedParties.length > 0 ? await parties.existing(wantedParties) : new Set<string>();
    for (const [index, refId] of lists.partyIds.entries()) {
      if (!linkedParties.has(refId) && !registered.has(refId)) return { ok: false, error: 'party_not_found', field: 'partyIds', index };
    }
    const linkedPayments = await linked('payment', lists.paymentIds);
    for (const [index, uetr] of lists.paymentIds.entries()) {
      if (linkedPayments.has(uetr)) continue;
      if (!payments || (await payments.get(uetr)) === undefined) return { ok: false, error: 'payment_not_found', field: 'paymentIds', index };
    }
    return undefined;
  }

  async function linkOnce(tx: Queryable, id: string, wanted: readonly (readonly [LinkField, LinkKind, readonly string[]])[], actor: string): Promise<{ ok: true; value: LinkOutcome } | LinkRefusal> {
    // Locked, so that a close or another link request waits, and the bound is checked against the links the case holds.
    const record = await loadCase(tx, id, true);
    if (!record) return err('case_not_found');
    if (isClosed(record.status)) return err('case_closed');
    let count = await linkCount(tx, id);
    const fresh: { kind: LinkKind; refId: string }[] = [];
    for (const [field, kind, refIds] of wanted) {
      const linked = await linkedRefs(tx, id, kind, [...new Set(refIds)]);
      for (const [index, refId] of refIds.entries()) {
        if (linked.has(refId)) continue;
        // A repeat further on in the request (a UETR in other letter case) is linked by then.
        linked.add(refId);
        if (count >= CASES_LIMITS.caseLinksMax) return { ok: false, error: 'too_many_links', field, index };
        count += 1;
        fresh.push({ kind, refId });
      }
    }
    const of = (kind: LinkKind) => fresh.filter((link) => link.kind === kind).map((link) => link.refId);
    const added = { transfers: of('transfer'), parties: of('party'), payments: of('payment') };
    if (fresh.length > 0) {
      const nowMs = clock.nowMs();
      await addLinks(tx, id, fresh, nowMs, CASES_LIMITS.caseLinksMax);
      await touchCase(tx, id, nowMs);
      await appendAudit(tx, id, actor, nowMs, 'links_added', added);
    }
    return ok({ case: (await loadCase(tx, id)) as CaseRecord, added });
  }

  const service: CasesService = {
    raise,
    async open(input, actor) {
      const lists = linkLists(input);
      // A new case links nothing yet: every item is looked up, and one unknown opens nothing.
      const unknown = await firstUnknown(lists, async () => new Set());
      if (unknown) return unknown;
      const refs = { transferIds: [...new Set(lists.transferIds)], accountIds: input.accountIds ?? [], partyIds: [...new Set(lists.partyIds)], paymentIds: [...new Set(lists.paymentIds)] };
      const raised = await raise({ source: 'manual', kind: 'manual', title: input.title, score: input.priority, reasons: input.reason ? [input.reason] : [], ...refs }, actor);
      return ok((await loadCase(db, raised.caseId)) as CaseRecord);
    },
    async link(id, input, actor) {
      // The case first, so that a closed or unknown case is refused as such before anything is looked up.
      const before = await loadCase(db, id);
      if (!before) return err('case_not_found');
      if (isClosed(before.status)) return err('case_closed');
      // Everything is looked up before anything is linked: one unknown item links nothing.
      const lists = linkLists(input);
      const unknown = await firstUnknown(lists, (kind, refIds) => linkedRefs(db, id, kind, [...new Set(refIds)]));
      if (unknown) return unknown;
      const wanted = [['transferIds', 'transfer', lists.transferIds], ['partyIds', 'party', lists.partyIds], ['paymentIds', 'payment', lists.paymentIds]] as const;
      return db.transaction((tx) => linkOnce(tx, id, wanted, actor));
    },
    list: (query) => listCases(db, query),
    async get(id, limit = CASES_LIMITS.detailItemsMax) {
      return db.snapshot(async (q) => {
        const record = await loadCase(q, id);
        if (!record) return undefined;
        return {
          case: record, alerts: await listAlerts(q, id, limit), notes: await listNotes(q, id, limit),
          links: await listLinks(q, id, CASES_LIMITS.caseLinksMax), audit: await listAudit(q, id, limit),
        };
      });
    },
    async assign(id, assignee, actor) {
      return db.transaction(async (tx) => {
        // Locked, so that two assignments at once each record the assignee the other one left.
        const before = await loadCase(tx, id, true);
        if (!before) return err('case_not_found');
        const nowMs = clock.nowMs();
        if (!(await updateAssignee(tx, id, assignee, nowMs))) return err('case_closed');
        await appendAudit(tx, id, actor, nowMs, 'assigned', { from: before.assignee, to: assignee });
        return ok((await loadCase(tx, id)) as CaseRecord);
      });
    },
    async addNote(id, text, actor) {
      return db.transaction(async (tx) => {
        // Locked, so that a close at the same moment either comes first and refuses the note, or waits for it.
        const record = await loadCase(tx, id, true);
        if (!record) return err('case_not_found');
        // A closed case is the record that was filed: later findings go to a new case, as new alerts do.
        if (isClosed(record.status)) return err('case_closed');
        const nowMs = clock.nowMs();
        const note: CaseNote = { id: uuidv7(nowMs), caseId: id, author: actor, text, createdAtMs: nowMs };
        await insertNote(tx, note);
        await appendAudit(tx, id, actor, nowMs, 'note_added', { note_id: note.id });
        return ok(note);
      });
    },
    async transition(id, input, actor) {
      const wantsBlock = input.block !== undefined && (input.block.accounts || input.block.parties);
      if (wantsBlock && input.to !== 'closed_confirmed') return err('block_needs_confirmed_close');
      if (wantsBlock && !deps.lists) return err('block_list_unavailable');
      const moved = await db.transaction(async (tx): Promise<Result<CaseRecord, CasesError>> => {
        const before = await loadCase(tx, id);
        if (!before) return err('case_not_found');
        if (!canTransition(before.status, input.to)) return err('transition_not_allowed');
        const nowMs = clock.nowMs();
        if (!(await updateStatus(tx, id, before.status, input.to, nowMs, isClosed(input.to)))) return err('case_changed');
        await appendAudit(tx, id, actor, nowMs, 'status_changed', { from: before.status, to: input.to, reason: input.reason, ...(wantsBlock ? { block: input.block } : {}) });
        return ok((await loadCase(tx, id)) as CaseRecord);
      });
      if (!moved.ok) return moved;
      const blocked = wantsBlock ? await feedBlockList(moved.value, input.block as BlockRequest, input.reason) : { accounts: [], parties: [], refused: [] };
      return ok({ case: moved.value, blocked });
    },
    async report(id, context) {
      const view = await service.get(id, CASES_LIMITS.reportItemsMax);
      return view && buildReport(view, { ...context, generatedAtMs: clock.nowMs() });
    },
    unclosed: () => countUnclosed(db),
  };
  return service;
}

/** The ids of a request to link as they are stored: ledger ids and UETRs in lower case, party ids as given. */
function linkLists(input: LinkInput): LinkLists {
  return {
    transferIds: (input.transferIds ?? []).map(normalizeUuid),
    partyIds: input.partyIds ?? [],
    paymentIds: (input.paymentIds ?? []).map(normalizeUuid),
  };
}

function linksOf(alert: StoredAlert): { kind: LinkKind; refId: string }[] {
  return [
    ...alert.accountIds.map((refId) => ({ kind: 'account' as const, refId })),
    ...alert.partyIds.map((refId) => ({ kind: 'party' as const, refId })),
    ...alert.transferIds.map((refId) => ({ kind: 'transfer' as const, refId })),
    ...alert.paymentIds.map((refId) => ({ kind: 'payment' as const, refId })),
  ];
}

/** Detectors are code: an alert outside the limits is a bug in the detector, not bad input. */
function checkAlert(alert: AlertInput): void {
  const L = CASES_LIMITS;
  const problems: string[] = [];
  if (!Number.isFinite(alert.score) || alert.score < 0 || alert.score > 1) problems.push('score must be within 0..1');
  if (alert.title.length === 0 || alert.title.length > L.titleMaxLength) problems.push(`title must have 1..${L.titleMaxLength} characters`);
  if (alert.kind.length === 0 || alert.kind.length > L.kindMaxLength) problems.push(`kind must have 1..${L.kindMaxLength} characters`);
  if (alert.dedupeKey !== undefined && (alert.dedupeKey.length === 0 || alert.dedupeKey.length > L.dedupeKeyMaxLength)) problems.push('dedupeKey is empty or too long');
  if (alert.reasons.length > L.alertReasonsMax || alert.reasons.some((reason) => reason.length > L.alertReasonMaxLength)) problems.push('too many or too long reasons');
  for (const refs of [alert.transferIds, alert.paymentIds, alert.accountIds, alert.partyIds]) if (refs && refs.length > L.alertRefsMax) problems.push(`more than ${L.alertRefsMax} references`);
  if (alert.details && JSON.stringify(alert.details).length > L.alertDetailsMaxBytes) problems.push('details too large');
  if (alert.fingerprint !== undefined && (alert.fingerprint.length === 0 || alert.fingerprint.length > L.fingerprintMaxLength)) problems.push('fingerprint is empty or too long');
  if (alert.titleValues && JSON.stringify(alert.titleValues).length > L.titleValuesMaxBytes) problems.push('title values too large');
  if (problems.length > 0) throw new AssertionError(`invalid alert from ${alert.source}: ${problems.join('; ')}`);
}

export class CasesOverloadedError extends Error {
  override readonly name = 'CasesOverloadedError';
}
