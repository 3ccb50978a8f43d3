import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isoToNs, LIMITS, NANOSECONDS_PER_MILLISECOND, UUID_PATTERN } from '../../kernel/index.ts';
import { decodeBigintCursor, decodeTextCursor, page, PageQuery } from '../../http/pagination.ts';
import { fieldProblem, fileLineError, ProblemError, unknownId } from '../../http/problem.ts';
import { LISTS_ERROR_FIELD, LISTS_ERROR_STATUS } from './lists.errors.ts';
import { LISTS_LIMITS } from './lists.limits.ts';
import type { ListsService, Refusal } from './lists.service.ts';
import { ENTRY_KINDS, LIST_NAMES, type ListAuditRecord, type ListEntry } from './lists.ts';
import { normalizeValue } from './lists.values.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];

const ListName = Type.Union(LIST_NAMES.map((name) => Type.Literal(name)), { description: 'block or allow.' });
const Kind = Type.Union(ENTRY_KINDS.map((kind) => Type.Literal(kind)), { description: 'What the value is: account, party, country (ISO 3166-1 alpha-2), ip (CIDR or single address) or device.' });
const Value = Type.String({ minLength: 1, maxLength: LISTS_LIMITS.valueMaxLength, description: 'An account, party or device id; a country code; an IPv4 or IPv6 address or CIDR range.' });
const Reason = Type.String({ minLength: 1, maxLength: LISTS_LIMITS.reasonMaxLength, description: 'Why: kept in the audit trail.' });
const Instant = Type.String({ maxLength: 40, description: 'ISO 8601 instant, e.g. 2026-03-01T00:00:00Z.' });
const EntryId = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false });

const EntryBody = Type.Object({ list: ListName, kind: Kind, value: Value, reason: Reason, expires_at: Type.Optional(Instant) }, { additionalProperties: false });
const RemoveBody = Type.Union([Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }), Type.Null()]);
const ImportBody = Type.Object(
  { csv: Type.String({ minLength: 1, maxLength: LISTS_LIMITS.importMaxBytes, description: `CSV with a header line list,kind,value,reason[,expires_at]; at most ${LISTS_LIMITS.importEntriesMax} entries.` }) },
  { additionalProperties: false },
);

export function listsProblem(refusal: Refusal): ProblemError {
  const field = LISTS_ERROR_FIELD[refusal.error];
  return new ProblemError(LISTS_ERROR_STATUS[refusal.error], refusal.error, refusal.detail, field ? [{ pointer: `/${field}`, code: refusal.error, detail: refusal.detail }] : []);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const renderEntry = (entry: ListEntry, nowMs: number) => ({
  id: entry.id, list: entry.list, kind: entry.kind, value: entry.value, reason: entry.reason, actor: entry.actor,
  created_at: iso(entry.createdAtMs), expires_at: iso(entry.expiresAtMs), expired: entry.expiresAtMs !== null && entry.expiresAtMs <= nowMs,
});

export const renderAudit = (record: ListAuditRecord) => ({
  seq: String(record.seq), at: iso(record.atMs), actor: record.actor, action: record.action, entry_id: record.entryId,
  list: record.list, kind: record.kind, value: record.value, reason: record.reason, expires_at: iso(record.expiresAtMs),
});

function instantMs(text: string | undefined, pointer: string): number | undefined {
  if (text === undefined) return undefined;
  const ns = isoToNs(text);
  if (ns === undefined) throw fieldProblem(400, 'invalid_instant', pointer, `'${text}' is not an ISO 8601 instant`);
  return Number(ns / NANOSECONDS_PER_MILLISECOND);
}

/** Who acts: the API key's id, as the audit trail records it. */
const actorOf = (request: FastifyRequest): string => `key:${request.principal?.id ?? 'unknown'}`;

export function listsRoutes(platform: { readonly lists: ListsService; readonly clock: { nowMs(): number } }) {
  const { lists, clock } = platform;
  return async function register(app: App) {
    app.get('/risk/lists/entries', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'List block and allow entries (expired ones included, marked expired)',
        querystring: Type.Object({ list: Type.Optional(ListName), kind: Type.Optional(Kind), value: Type.Optional(Value), ...PageQuery }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { list, kind, cursor, order } = request.query;
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const normal = kind && request.query.value !== undefined ? normalizeValue(kind, request.query.value) : undefined;
      const value = normal?.ok ? normal.value : request.query.value?.trim();
      const items = await lists.entries({ list, kind, value, afterId: decodeTextCursor(cursor), order, limit });
      const nowMs = clock.nowMs();
      return page(items, limit, (entry) => entry.id, (entry) => renderEntry(entry, nowMs));
    });

    app.post('/risk/lists/entries', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Add a value to the block or allow list', body: EntryBody },
    }, async (request, reply) => {
      const body = request.body;
      const expiresAtMs = instantMs(body.expires_at, '/expires_at');
      const added = await lists.add({ list: body.list, kind: body.kind, value: body.value, reason: body.reason, actor: actorOf(request), expiresAtMs });
      if (!added.ok) throw listsProblem(added);
      return reply.status(201).send(renderEntry(added.value, clock.nowMs()));
    });

    app.get('/risk/lists/entries/:id', {
      config: { permission: 'oversee' },
      schema: { tags: TAGS, summary: 'Get a list entry', params: EntryId },
    }, async (request) => {
      const entry = await lists.get(request.params.id.toLowerCase());
      if (!entry) throw unknownId('entry_not_found', '/params/id', `no list entry ${request.params.id}`);
      return renderEntry(entry, clock.nowMs());
    });

    app.delete('/risk/lists/entries/:id', {
      config: { permission: 'risk' },
      schema: {
        tags: TAGS, summary: 'Remove a list entry; the reason goes in the body or the query',
        params: EntryId, body: RemoveBody,
        querystring: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
      },
    }, async (request) => {
      const reason = request.body?.reason ?? request.query.reason;
      if (reason === undefined) throw fieldProblem(400, 'reason_required', '/reason', 'say why the entry is removed, in the body or as ?reason=');
      const removed = await lists.remove(request.params.id.toLowerCase(), actorOf(request), reason);
      if (!removed.ok) throw removed.error === 'entry_not_found' ? unknownId('entry_not_found', '/params/id', `no list entry ${request.params.id}`) : listsProblem(removed);
      return renderEntry(removed.value, clock.nowMs());
    });

    app.get('/risk/lists/audit', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'The audit trail of the lists: who added or removed what, when and why',
        querystring: Type.Object({ entry_id: Type.Optional(Type.String({ pattern: UUID_PATTERN })), ...PageQuery }, { additionalProperties: false }),
      },
    }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const records = await lists.audit({ entryId: request.query.entry_id?.toLowerCase(), afterSeq: decodeBigintCursor(request.query.cursor), order: request.query.order, limit });
      return page(records, limit, (record) => record.seq, renderAudit);
    });

    app.post('/risk/lists/import', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Add many entries from CSV, all or nothing; values already listed are skipped', body: ImportBody },
    }, async (request) => {
      const imported = await lists.importCsv(request.body.csv, actorOf(request));
      if (imported.ok) return { added: imported.value.added, skipped: imported.value.skipped };
      // Each faulty line with its number, column and code, so a client can say it in its own words;
      // `invalid_lines` counts them all, since no more than importProblemsShownMax are listed.
      const errors = imported.problems.slice(0, LISTS_LIMITS.importProblemsShownMax).map((problem) => fileLineError('/csv', problem));
      const counted = imported.invalidLines > 0 ? { invalid_lines: imported.invalidLines } : {};
      throw new ProblemError(LISTS_ERROR_STATUS[imported.error], imported.error, imported.detail, errors.length > 0 ? errors : [{ pointer: '/csv', code: imported.error, detail: imported.detail }], counted);
    });
  };
}
