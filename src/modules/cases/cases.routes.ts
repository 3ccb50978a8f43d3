import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import { decodeTextCursor, page } from '../../http/pagination.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import { CASES_ERROR_STATUS, type CasesError } from './cases.errors.ts';
import { CASES_LIMITS } from './cases.limits.ts';
import { renderCase, renderNote, renderView } from './cases.render.ts';
import { reportHtml, reportMarkdown } from './cases.report.ts';
import type { CasesService, LinkField, LinkRefusal } from './cases.service.ts';
import { ALERT_SOURCES, CASE_STATUSES, CASE_TRANSITIONS, type CaseRecord } from './cases.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];

/**
 * What the case view needs of mule-ring detection: an account's latest score, and the accounts and
 * money around some accounts, already in wire shape (the graph module provides one).
 */
export interface CaseGraphSource {
  scoreOf(accountId: string): number;
  neighbourhood(accountIds: readonly string[], depth: number, limit: number): Promise<{ readonly nodes: readonly unknown[]; readonly edges: readonly unknown[]; readonly truncated: boolean }>;
}

/** Depth and size of the graph drawn around a case's accounts. */
export const CASE_GRAPH_DEPTH_MAX = 3;
export const CASE_GRAPH_NODES_MAX = 500;
const CASE_GRAPH_NODES_DEFAULT = 150;

const Status = Type.Union(CASE_STATUSES.map((status) => Type.Literal(status)));
const Source = Type.Union(ALERT_SOURCES.map((source) => Type.Literal(source)));
const CaseId = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false });
/** Free text keeps tabs and line breaks; other control characters (NUL above all, which PostgreSQL refuses in text) are not text. */
const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
const LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';
const Line = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: LINE_PATTERN });
const Ref = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: 'An account, party or transfer id.' });
const Refs = Type.Array(Ref, { maxItems: CASES_LIMITS.alertRefsMax, uniqueItems: true });
const Uetr = Type.String({ pattern: UUID_PATTERN, description: 'A payment\'s UETR.' });
const PaymentRefs = Type.Array(Uetr, { maxItems: CASES_LIMITS.linkPaymentsMax, uniqueItems: true, description: 'Payments by UETR; each must name a payment (else 422 payment_not_found).' });
const TransferRefs = Type.Array(Ref, { maxItems: CASES_LIMITS.alertRefsMax, uniqueItems: true, description: 'Ledger transfers by id; each must name a transfer the ledger holds (else 422 transfer_not_found).' });
const PartyRefs = Type.Array(Ref, { maxItems: CASES_LIMITS.alertRefsMax, uniqueItems: true, description: 'Parties by id; each must name a registered party (else 422 party_not_found).' });
const Reason = Type.String({ minLength: 1, maxLength: CASES_LIMITS.reasonMaxLength, pattern: TEXT_PATTERN });

const ManualBody = Type.Object(
  {
    title: Line(CASES_LIMITS.titleMaxLength),
    priority: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '0..1, higher is more urgent; default 0.5.' })),
    // The reason becomes the reason of the case's first alert, which holds less than a close reason.
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: CASES_LIMITS.alertReasonMaxLength, pattern: TEXT_PATTERN })),
    transfer_ids: Type.Optional(TransferRefs),
    account_ids: Type.Optional(Refs),
    party_ids: Type.Optional(PartyRefs),
    payment_ids: Type.Optional(PaymentRefs),
  },
  { additionalProperties: false },
);
const LinksBody = Type.Object(
  { transfer_ids: Type.Optional(TransferRefs), party_ids: Type.Optional(PartyRefs), payment_ids: Type.Optional(PaymentRefs) },
  { additionalProperties: false, description: 'At least one id, in any of the three lists. Ids already linked are skipped; every other id must name something that exists, else nothing is linked.' },
);
const AssignBody = Type.Object({ assignee: Type.Union([Line(CASES_LIMITS.assigneeMaxLength), Type.Null()], { description: 'Who works the case; null puts it back in the queue.' }) }, { additionalProperties: false });
const NoteBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: CASES_LIMITS.noteMaxLength, pattern: TEXT_PATTERN }) }, { additionalProperties: false });
const TransitionBody = Type.Object(
  {
    to: Status,
    reason: Reason,
    block: Type.Optional(Type.Object(
      { accounts: Type.Optional(Type.Boolean()), parties: Type.Optional(Type.Boolean()) },
      { additionalProperties: false, description: 'Closing as confirmed only: add the case\'s linked accounts and/or parties to the block list.' },
    )),
  },
  { additionalProperties: false },
);

const POINTERS: Partial<Record<CasesError, string>> = {
  transition_not_allowed: '/to', case_closed: '/assignee', payment_not_found: '/payment_ids', case_changed: '/to', block_needs_confirmed_close: '/block', block_list_unavailable: '/block',
};

export function casesProblem(code: CasesError, detail?: string, pointer = POINTERS[code]): ProblemError {
  const words = detail ?? code.replace(/_/g, ' ');
  return new ProblemError(CASES_ERROR_STATUS[code], code, words, pointer ? [{ pointer, code, detail: words }] : []);
}

/**
 * Free text that is empty once its spaces are trimmed says nothing: a case titled, closed or noted
 * with blanks leaves the audit trail without the words it exists for. The schemas bound length and
 * characters; this refuses what they cannot, naming the field.
 */
function requireText(value: string | undefined, pointer: string): void {
  if (value !== undefined && value.trim().length === 0) throw fieldProblem(422, 'blank_text', pointer, 'must hold more than spaces');
}

const LINK_FIELDS: Readonly<Record<LinkField, string>> = { transferIds: 'transfer_ids', partyIds: 'party_ids', paymentIds: 'payment_ids' };

/** What an unknown item of each link field names none of. */
const UNKNOWN_WORDS: Partial<Record<CasesError, string>> = { transfer_not_found: 'transfer', party_not_found: 'party', payment_not_found: 'payment' };

/** A refusal to link, naming the item at fault (e.g. /payment_ids/2) and, for an unknown one, its id as the client sent it. */
function linkProblem(refusal: LinkRefusal, sent: Partial<Record<LinkField, readonly string[]>>, refuse: (error: LinkRefusal['error'], detail?: string, pointer?: string) => ProblemError): ProblemError {
  const field = refusal.field === undefined ? undefined : LINK_FIELDS[refusal.field];
  const pointer = field === undefined ? undefined : refusal.index === undefined ? `/${field}` : `/${field}/${refusal.index}`;
  const unknown = UNKNOWN_WORDS[refusal.error];
  if (unknown !== undefined) {
    const refId = refusal.field === undefined || refusal.index === undefined ? undefined : sent[refusal.field]?.[refusal.index];
    return refuse(refusal.error, refId === undefined ? `names no ${unknown}` : `no ${unknown} ${refId}`, pointer);
  }
  if (refusal.error === 'too_many_links') return refuse('too_many_links', `a case holds at most ${CASES_LIMITS.caseLinksMax} links`, pointer);
  if (refusal.error === 'case_closed') return refuse('case_closed', 'a closed case takes no new links', '/params/id');
  return refuse(refusal.error, undefined, pointer);
}

const actorOf = (request: FastifyRequest): string => `key:${request.principal?.id ?? 'unknown'}`;

/** A queue position: priority, age and id of the last case of a page. */
const positionOf = (record: CaseRecord) => `${record.priorityBp}:${record.createdAtMs}:${record.id}`;

function decodePosition(cursor: string | undefined) {
  const text = decodeTextCursor(cursor);
  if (text === undefined) return undefined;
  const match = /^(\d{1,5}):(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
  if (!match) throw fieldProblem(400, 'invalid_cursor', '/query/cursor', 'is not a cursor this API gave out');
  return { priorityBp: Number(match[1]), createdAtMs: Number(match[2]), id: match[3] as string };
}

export function casesRoutes(platform: { readonly cases: CasesService; readonly graph?: CaseGraphSource }) {
  const { cases } = platform;
  const unknownCase = (id: string) => unknownId('case_not_found', '/params/id', `no case ${id}`);
  const found = <T>(value: T | undefined, id: string): T => {
    if (value === undefined) throw unknownCase(id);
    return value;
  };
  /** A refusal of a change to the case in the path: an unknown case answers as a read of one does. */
  const refusal = (error: CasesError, id: string, detail?: string, pointer?: string) => (error === 'case_not_found' ? unknownCase(id) : casesProblem(error, detail, pointer ?? POINTERS[error]));
  return async function register(app: App) {
    app.get('/risk/cases', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'The case queue: highest priority first, then the oldest',
        querystring: Type.Object({
          status: Type.Optional(Status), source: Type.Optional(Source), assignee: Type.Optional(Line(CASES_LIMITS.assigneeMaxLength)),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
          cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { status, source, assignee, cursor } = request.query;
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const items = await cases.list({ status, source, assignee, after: decodePosition(cursor), limit });
      return page(items, limit, positionOf, renderCase);
    });

    app.post('/risk/cases', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Open a case by hand; every transfer, party and payment named must exist, else nothing is opened', body: ManualBody },
    }, async (request, reply) => {
      const body = request.body;
      requireText(body.title, '/title');
      requireText(body.reason, '/reason');
      const opened = await cases.open({
        title: body.title, priority: body.priority ?? 0.5, reason: body.reason, transferIds: body.transfer_ids, accountIds: body.account_ids, partyIds: body.party_ids, paymentIds: body.payment_ids,
      }, actorOf(request));
      if (!opened.ok) throw linkProblem(opened, { transferIds: body.transfer_ids, partyIds: body.party_ids, paymentIds: body.payment_ids }, (error, detail, pointer) => casesProblem(error, detail, pointer));
      return reply.status(201).send(renderView(found(await cases.get(opened.value.id), opened.value.id)));
    });

    app.get('/risk/cases/:id', {
      config: { permission: 'oversee' },
      schema: { tags: TAGS, summary: 'A case with its alerts, notes, links and audit trail', params: CaseId },
    }, async (request) => renderView(found(await cases.get(request.params.id.toLowerCase()), request.params.id)));

    app.post('/risk/cases/:id/assign', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Assign a case (or put it back in the queue with null)', params: CaseId, body: AssignBody },
    }, async (request) => {
      requireText(request.body.assignee ?? undefined, '/assignee');
      const result = await cases.assign(request.params.id.toLowerCase(), request.body.assignee, actorOf(request));
      if (!result.ok) throw refusal(result.error, request.params.id, result.error === 'case_closed' ? 'a closed case is not assigned any more' : undefined);
      return renderCase(result.value);
    });

    app.post('/risk/cases/:id/notes', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Add a note to a case that is not closed (a closed case answers 409 case_closed)', params: CaseId, body: NoteBody },
    }, async (request, reply) => {
      requireText(request.body.text, '/text');
      const result = await cases.addNote(request.params.id.toLowerCase(), request.body.text, actorOf(request));
      if (!result.ok) throw refusal(result.error, request.params.id, result.error === 'case_closed' ? 'a closed case takes no new notes' : undefined, result.error === 'case_closed' ? '/params/id' : undefined);
      return reply.status(201).send(renderNote(result.value));
    });

    app.post('/risk/cases/:id/links', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Link transfers, parties and payments to a case that is not closed; ids already linked are skipped, and an unknown one links nothing', params: CaseId, body: LinksBody },
    }, async (request) => {
      const { transfer_ids: transferIds = [], party_ids: partyIds = [], payment_ids: paymentIds = [] } = request.body;
      if (transferIds.length + partyIds.length + paymentIds.length === 0) throw fieldProblem(422, 'nothing_to_link', '/transfer_ids', 'name at least one transfer, party or payment');
      const result = await cases.link(request.params.id.toLowerCase(), { transferIds, partyIds, paymentIds }, actorOf(request));
      if (!result.ok) throw linkProblem(result, { transferIds, partyIds, paymentIds }, (error, detail, pointer) => refusal(error, request.params.id, detail, pointer));
      const view = found(await cases.get(result.value.case.id), request.params.id);
      return { ...renderView(view), added: result.value.added };
    });

    app.post('/risk/cases/:id/transition', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Move a case along its lifecycle; closing as confirmed may feed the block list', params: CaseId, body: TransitionBody },
    }, async (request) => {
      const id = request.params.id.toLowerCase();
      const { to, reason, block } = request.body;
      requireText(reason, '/reason');
      const result = await cases.transition(id, { to, reason, block: block && { accounts: block.accounts ?? false, parties: block.parties ?? false } }, actorOf(request));
      if (!result.ok) {
        if (result.error !== 'transition_not_allowed') throw refusal(result.error, request.params.id);
        const current = (await cases.get(id, 0))?.case.status;
        const allowed = current ? CASE_TRANSITIONS[current] : [];
        throw casesProblem('transition_not_allowed', `a case in status ${current} cannot move to ${to}; it may move to ${allowed.length ? allowed.join(', ') : 'nothing (closed cases are final)'}`);
      }
      return { ...renderCase(result.value.case), blocked: result.value.blocked };
    });

    app.get('/risk/cases/:id/report', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'The case report for filing: JSON, or readable Markdown (format=md) or HTML (format=html)', params: CaseId,
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('md'), Type.Literal('html')], { default: 'json' })) }, { additionalProperties: false }),
      },
    }, async (request, reply) => {
      const id = request.params.id.toLowerCase();
      const graph = platform.graph;
      const report = found(await cases.report(id, { generatedBy: actorOf(request), accountScore: graph && ((accountId) => graph.scoreOf(accountId)) }), request.params.id);
      const format = request.query.format ?? 'json';
      if (format === 'json') return report;
      const disposition = `inline; filename="case-${id}.${format}"`;
      if (format === 'md') return reply.type('text/markdown; charset=utf-8').header('content-disposition', disposition).send(reportMarkdown(report));
      return reply.type('text/html; charset=utf-8').header('content-disposition', disposition).send(reportHtml(report));
    });

    app.get('/risk/cases/:id/graph', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'Nodes and edges among the case\'s accounts and their neighbours, from mule-ring detection', params: CaseId,
        querystring: Type.Object({
          depth: Type.Optional(Type.Integer({ minimum: 0, maximum: CASE_GRAPH_DEPTH_MAX, default: 1, description: 'Hops out from the case\'s accounts.' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: CASE_GRAPH_NODES_MAX, default: CASE_GRAPH_NODES_DEFAULT, description: 'Most nodes drawn; the case\'s own accounts come first.' })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const id = request.params.id.toLowerCase();
      const view = found(await cases.get(id, 0), request.params.id);
      const graph = platform.graph;
      if (!graph) throw new ProblemError(503, 'graph_unavailable', 'mule-ring detection is not running on this server');
      const accounts = view.links.filter((link) => link.kind === 'account').map((link) => link.refId);
      const drawn = await graph.neighbourhood(accounts, request.query.depth ?? 1, request.query.limit ?? CASE_GRAPH_NODES_DEFAULT);
      return { case_id: id, account_ids: accounts, ...drawn };
    });
  };
}

