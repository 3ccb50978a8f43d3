import type { Database, Queryable } from '../../db/index.ts';
import { createSerialRunner, isoToNs, NANOSECONDS_PER_MILLISECOND, ok, uuidv7, type Clock } from '../../kernel/index.ts';
import { parseListCsv } from './lists.csv.ts';
import { LISTS_ERROR_FIELD, type ListImportLineCode, type ListsError } from './lists.errors.ts';
import { LISTS_LIMITS } from './lists.limits.ts';
import { createListMatcher, type ListMatcher } from './lists.matcher.ts';
import {
  beginChange, changesSince, deleteEntry, findByValue, findEntry, insertAudit, insertEntry, listAudit, listEntries, readHead, reserveAudits,
  type AuditQuery, type EntryQuery, type Head,
} from './lists.repository.ts';
import type { EntryKind, ListAuditRecord, ListChecker, ListEntry, ListEntryInput } from './lists.ts';
import { isEntryKind, isListName, normalizeValue } from './lists.values.ts';

/**
 * Block and allow lists. Lookups answer from memory (see lists.matcher.ts); changes are written with
 * an audit row in one transaction and applied to this process's memory as soon as they commit. Other
 * processes notice the version in the head row move when they poll, every `pollIntervalMs`, and apply
 * the audit rows they have not seen.
 */
export type Refusal = { readonly ok: false; readonly error: ListsError; readonly detail: string };
export type ListsResult<T> = { readonly ok: true; readonly value: T } | Refusal;

/**
 * A fault of the CSV: its line (1 is the header; 0 for the file as a whole), the column at fault if
 * one is, and its code: a value's fault has the code adding that value alone would get, a fault of
 * the line's shape one of LIST_IMPORT_LINE_CODES.
 */
export interface ImportProblem {
  readonly line: number;
  readonly field?: string;
  readonly code: ListsError | ListImportLineCode;
  readonly detail: string;
}
/**
 * A refused import names its first `importProblemsShownMax` faulty lines, in line order, and counts
 * them all in `invalidLines`.
 */
export type ImportResult =
  | { readonly ok: true; readonly value: { readonly added: number; readonly skipped: number } }
  | (Refusal & { readonly problems: readonly ImportProblem[]; readonly invalidLines: number });

export interface ListsService extends ListChecker {
  /** Loads the lists and starts polling for changes made by other processes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Applies whatever other processes changed since the last refresh, and forgets expired entries. */
  refresh(): Promise<void>;
  /** Adds an entry; a value already listed (and not expired) in that list is refused as entry_exists. */
  add(input: ListEntryInput): Promise<ListsResult<ListEntry>>;
  remove(id: string, actor: string, reason: string): Promise<ListsResult<ListEntry>>;
  get(id: string): Promise<ListEntry | undefined>;
  entries(query: EntryQuery): Promise<ListEntry[]>;
  audit(query: AuditQuery): Promise<ListAuditRecord[]>;
  /** Adds every entry of a CSV (see lists.csv.ts), all or nothing: one bad line refuses the file; values already listed are skipped. */
  importCsv(text: string, actor: string): Promise<ImportResult>;
  stats(): { entries: number; version: bigint };
}

export interface ListsServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** How often to look for other processes' changes; 0 disables the timer (tests call refresh()). */
  readonly pollIntervalMs?: number;
}

/** Thrown inside a transaction to roll it back; turned into a refusal outside. */
class RefusedChange extends Error {
  constructor(readonly code: ListsError, detail: string) {
    super(detail);
  }
}

const refuse = (error: ListsError, detail: string): Refusal => ({ ok: false, error, detail });

type Draft = Omit<ListEntry, 'id'>;

/** Checks an entry to add and brings its value to normal form. */
function draftOf(input: ListEntryInput, nowMs: number): ListsResult<Draft> {
  if (!isListName(input.list)) return refuse('unknown_list', `'${input.list}' is not a list; lists are block and allow`);
  if (!isEntryKind(input.kind)) return refuse('unknown_kind', `'${input.kind}' is not a kind; kinds are account, party, country, ip and device`);
  const value = normalizeValue(input.kind, input.value);
  if (!value.ok) return refuse(value.error, value.detail);
  const reason = input.reason.trim();
  if (reason.length === 0) return refuse('reason_required', 'say why the entry is listed');
  if (reason.length > LISTS_LIMITS.reasonMaxLength) return refuse('reason_too_long', `a reason has at most ${LISTS_LIMITS.reasonMaxLength} characters`);
  const actor = input.actor.trim();
  if (actor.length === 0 || actor.length > LISTS_LIMITS.actorMaxLength) return refuse('actor_required', 'every change names who made it');
  const expires = input.expiresAtMs ?? null;
  if (expires !== null && (!Number.isSafeInteger(expires) || expires <= nowMs)) return refuse('expiry_not_in_future', 'an expiry lies in the future');
  if (expires !== null && expires - nowMs > LISTS_LIMITS.expiryMaxMs) return refuse('expiry_too_far', 'an expiry lies within a hundred years');
  return ok({ list: input.list, kind: input.kind, value: value.value, reason, actor, createdAtMs: nowMs, expiresAtMs: expires });
}

const auditOf = (entry: ListEntry, action: 'add' | 'remove', actor: string, reason: string, atMs: number, seq: bigint, version: bigint) => ({
  seq, version, atMs, actor, action, entryId: entry.id, list: entry.list, kind: entry.kind, value: entry.value, reason, expiresAtMs: entry.expiresAtMs,
});

export function createListsService(deps: ListsServiceDeps): ListsService {
  const { db, clock } = deps;
  let matcher: ListMatcher = createListMatcher();
  let version = 0n;
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  // Loads and refreshes run one after another, so that changes are applied exactly in the order made.
  const serially = createSerialRunner();

  async function loadAll(): Promise<void> {
    const now = clock.nowMs();
    const fresh = createListMatcher();
    const head = await db.snapshot(async (q) => {
      const seen = await readHead(q);
      let afterId: string | undefined;
      const pagesMax = Math.ceil(LISTS_LIMITS.entriesMax / LISTS_LIMITS.loadPageRows) + 1;
      for (let page = 0; page < pagesMax; page += 1) {
        const rows = await listEntries(q, { afterId, limit: LISTS_LIMITS.loadPageRows });
        for (const entry of rows) if (entry.expiresAtMs === null || entry.expiresAtMs > now) fresh.add(entry);
        if (rows.length < LISTS_LIMITS.loadPageRows) break;
        afterId = (rows[rows.length - 1] as ListEntry).id;
      }
      return seen;
    });
    matcher = fresh;
    version = head.version;
  }

  async function catchUp(): Promise<void> {
    const head = await readHead(db);
    if (head.version !== version) {
      // A version that went back means another database behind the same name (a restore): start afresh.
      const changes = head.version < version ? [] : await changesSince(db, version, head.version, LISTS_LIMITS.refreshChangesMax + 1);
      if (head.version < version || changes.length > LISTS_LIMITS.refreshChangesMax) {
        await loadAll();
      } else {
        // Applied in one synchronous run, in the order made: no lookup sees half of a refresh.
        for (const change of changes) {
          if (change.action === 'add') matcher.add({ id: change.entryId, list: change.list, kind: change.kind, value: change.value, reason: change.reason, actor: change.actor, createdAtMs: change.atMs, expiresAtMs: change.expiresAtMs });
          else matcher.remove(change.entryId);
        }
        version = head.version;
      }
    }
    matcher.sweep(clock.nowMs());
  }

  async function change<T>(work: (tx: Queryable, head: Head) => Promise<T>): Promise<ListsResult<T>> {
    try {
      return ok(await db.transaction(async (tx) => work(tx, await beginChange(tx))));
    } catch (error) {
      if (error instanceof RefusedChange) return refuse(error.code, error.message);
      throw error;
    }
  }

  /** Writes drafts in the caller's change; an expired entry of the same value is replaced, a live one refused or skipped. */
  async function writeDrafts(tx: Queryable, head: Head, drafts: readonly Draft[], onExisting: 'refuse' | 'skip') {
    const now = clock.nowMs();
    const added: ListEntry[] = [];
    const replaced: ListEntry[] = [];
    // Who replaced each expired entry: the actor of this change, not the one who listed the old entry.
    const replacedBy: string[] = [];
    const inThisChange = new Set<string>();
    let skipped = 0;
    for (const draft of drafts) {
      const key = `${draft.list}\u0000${draft.kind}\u0000${draft.value}`;
      const existing = inThisChange.has(key) ? undefined : await findByValue(tx, draft.list, draft.kind, draft.value);
      if (inThisChange.has(key) || (existing && (existing.expiresAtMs === null || existing.expiresAtMs > now))) {
        if (onExisting === 'refuse') throw new RefusedChange('entry_exists', `${draft.value} is already on the ${draft.list} list as entry ${existing?.id}`);
        skipped += 1;
        continue;
      }
      if (existing) {
        await deleteEntry(tx, existing.id);
        replaced.push(existing);
        replacedBy.push(draft.actor);
      }
      const entry: ListEntry = { id: uuidv7(now), ...draft };
      await insertEntry(tx, entry);
      added.push(entry);
      inThisChange.add(key);
    }
    const delta = added.length - replaced.length;
    if (head.entryCount + BigInt(delta) > BigInt(LISTS_LIMITS.entriesMax)) throw new RefusedChange('lists_full', `the lists hold at most ${LISTS_LIMITS.entriesMax} entries`);
    let seq = await reserveAudits(tx, head, added.length + replaced.length, delta);
    for (const [index, old] of replaced.entries()) await insertAudit(tx, auditOf(old, 'remove', replacedBy[index] as string, 'expired; replaced by a new entry', now, seq++, head.version));
    for (const entry of added) await insertAudit(tx, auditOf(entry, 'add', entry.actor, entry.reason, now, seq++, head.version));
    return { added, replaced, skipped };
  }

  const refresh = () => serially(catchUp);

  /**
   * This process sees its own change at once: it catches up through the audit rows, its change among
   * them, so that changes apply in the order made. Should that read fail, the change is applied
   * directly and the next refresh puts everything in order.
   */
  async function applyOwn(result: { added: readonly ListEntry[]; replaced: readonly ListEntry[] }): Promise<void> {
    try {
      await refresh();
    } catch {
      for (const old of result.replaced) matcher.remove(old.id);
      for (const entry of result.added) matcher.add(entry);
    }
  }

  return {
    match: (subject) => matcher.match(subject, clock.nowMs()),
    async start() {
      await serially(loadAll);
      const intervalMs = deps.pollIntervalMs ?? LISTS_LIMITS.pollIntervalMs;
      if (intervalMs > 0 && !timer) {
        timer = setInterval(() => {
          if (refreshing) return;
          refreshing = true;
          // A database that does not answer now is asked again at the next tick; the lists stay as they were.
          refresh().catch(() => {}).finally(() => (refreshing = false));
        }, intervalMs);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    refresh,
    async add(input) {
      const draft = draftOf(input, clock.nowMs());
      if (!draft.ok) return draft;
      const written = await change((tx, head) => writeDrafts(tx, head, [draft.value], 'refuse'));
      if (!written.ok) return written;
      await applyOwn(written.value);
      return ok(written.value.added[0] as ListEntry);
    },
    async remove(id, actor, reason) {
      const why = reason.trim();
      if (why.length === 0) return refuse('reason_required', 'say why the entry is removed');
      if (why.length > LISTS_LIMITS.reasonMaxLength) return refuse('reason_too_long', `a reason has at most ${LISTS_LIMITS.reasonMaxLength} characters`);
      if (actor.trim().length === 0) return refuse('actor_required', 'every change names who made it');
      const removed = await change(async (tx, head) => {
        const entry = await findEntry(tx, id);
        if (!entry) throw new RefusedChange('entry_not_found', `no list entry ${id}`);
        await deleteEntry(tx, id);
        const seq = await reserveAudits(tx, head, 1, -1);
        await insertAudit(tx, auditOf(entry, 'remove', actor.trim(), why, clock.nowMs(), seq, head.version));
        return entry;
      });
      if (removed.ok) await applyOwn({ added: [], replaced: [removed.value] });
      return removed;
    },
    get: (id) => findEntry(db, id),
    entries: (query) => listEntries(db, query),
    audit: (query) => listAudit(db, query),
    async importCsv(text, actor) {
      const parsed = parseListCsv(text);
      if (!parsed.ok) return { ...refuse('import_too_large', parsed.detail), problems: [{ line: parsed.line, code: 'import_too_large', detail: parsed.detail }], invalidLines: parsed.line >= 1 ? 1 : 0 };
      const now = clock.nowMs();
      const drafts: Draft[] = [];
      // Faults of the file's shape and of the values, in the order of their lines.
      const problems: ImportProblem[] = [];
      let faults = 0;
      let invalidLines = 0;
      const note = (problem: ImportProblem) => {
        invalidLines += 1;
        if (problems.length < LISTS_LIMITS.importProblemsShownMax) problems.push(problem);
      };
      for (const row of parsed.entries) {
        while (faults < parsed.faults.length && (parsed.faults[faults] as ImportProblem).line < row.line) note(parsed.faults[faults++] as ImportProblem);
        // Parsed as the HTTP route parses it: Date.parse would take "2027", local times and 30 February.
        const expiresNs = row.expiresAt === '' ? undefined : isoToNs(row.expiresAt);
        const expiresAtMs = expiresNs === undefined ? undefined : Number(expiresNs / NANOSECONDS_PER_MILLISECOND);
        if (row.expiresAt !== '' && expiresNs === undefined) {
          note({ line: row.line, field: 'expires_at', code: 'invalid_instant', detail: `'${row.expiresAt}' is not an ISO 8601 instant` });
          continue;
        }
        const draft = draftOf({ list: row.list as never, kind: row.kind as EntryKind, value: row.value, reason: row.reason, actor, expiresAtMs }, now);
        if (draft.ok) drafts.push(draft.value);
        else note({ line: row.line, field: LISTS_ERROR_FIELD[draft.error] ?? 'value', code: draft.error, detail: draft.detail });
      }
      while (faults < parsed.faults.length) note(parsed.faults[faults++] as ImportProblem);
      // All or nothing: one bad line, of shape or of value, and no line is imported.
      if (invalidLines > 0) return { ...refuse('import_invalid', `${invalidLines} line(s) of the CSV are not valid entries; nothing was imported`), problems, invalidLines };
      const written = await change((tx, head) => writeDrafts(tx, head, drafts, 'skip'));
      if (!written.ok) return { ...written, problems: [], invalidLines: 0 };
      await applyOwn(written.value);
      return ok({ added: written.value.added.length, skipped: written.value.skipped });
    },
    stats: () => ({ entries: matcher.size, version }),
  };
}

