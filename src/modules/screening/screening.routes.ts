import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LIMITS } from '../../kernel/index.ts';
import { decodeTextCursor, page } from '../../http/pagination.ts';
import { fieldProblem, fileLineError, ProblemError } from '../../http/problem.ts';
import { SCREENING_ERROR_STATUS, type ScreeningError } from './screening.errors.ts';
import { SCREENING_LIMITS, SCREENING_THRESHOLD_MIN } from './screening.limits.ts';
import { tokenise } from './screening.normalise.ts';
import { LIST_NAME_PATTERN, type ScreeningOutcome, type ScreeningService } from './screening.service.ts';
import { LIST_FORMATS, type ImportReport, type ListFormat, type ScreeningResult, type WatchListSummary } from './screening.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];

/** Raw list files may be sent as they are, with one of these content types, instead of inside JSON. */
const RAW_TYPES: Readonly<Record<string, ListFormat>> = {
  'text/csv': 'csv', 'application/x-ndjson': 'ftm-jsonl', 'application/jsonl': 'ftm-jsonl', 'application/x-jsonlines': 'ftm-jsonl', 'text/plain': 'ftm-jsonl',
};
/** A list sent inside JSON is escaped (every quote of a JSON line doubles), so the body may be twice the file. */
const IMPORT_BODY_MAX_BYTES = SCREENING_LIMITS.importMaxBytes * 2;

const ListName = Type.String({ pattern: LIST_NAME_PATTERN, description: 'Lower-case letters, digits, . _ -; importing under an existing name replaces that list.' });
const Format = Type.Union(LIST_FORMATS.map((format) => Type.Literal(format)), { description: 'ftm-jsonl: FollowTheMoney entities, one JSON object per line (OpenSanctions); csv: a header line, then one entity per line.' });
const ImportJson = Type.Object(
  { name: ListName, format: Format, content: Type.String({ minLength: 1, description: `The file's text, at most ${SCREENING_LIMITS.importMaxBytes} bytes.` }) },
  { additionalProperties: false },
);
const ImportQuery = Type.Object({ name: Type.Optional(ListName), format: Type.Optional(Format) }, { additionalProperties: false });
const ScreenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: SCREENING_LIMITS.nameMaxLength, description: 'A person\'s or organisation\'s name in any script.' }),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 64, description: 'ISO 3166-1 alpha-2 code (or a country name as the lists write it).' })),
    birth_year: Type.Optional(Type.Integer({ minimum: 1800, maximum: 2200 })),
    threshold: Type.Optional(Type.Number({ minimum: SCREENING_THRESHOLD_MIN, maximum: 1, description: 'Score at or above which a name matches; the configured default otherwise.' })),
  },
  { additionalProperties: false },
);
const ListParams = Type.Object({ name: ListName }, { additionalProperties: false });

const POINTERS: Partial<Record<ScreeningError, string>> = { invalid_list_name: '/name', list_not_found: '/params/name' };

function screeningProblem(refusal: Exclude<ScreeningOutcome<unknown>, { ok: true }>): ProblemError {
  const pointer = POINTERS[refusal.error] ?? '/content';
  const where = refusal.line === undefined ? '' : ` (line ${refusal.line})`;
  // The line where the file broke a limit is in its field error too, as the lists' CSV import names its lines.
  const error = fileLineError(pointer, { line: refusal.line, code: refusal.error, detail: refusal.detail });
  return new ProblemError(SCREENING_ERROR_STATUS[refusal.error], refusal.error, `${refusal.detail}${where}`, [error], refusal.line === undefined ? {} : { line: refusal.line });
}

export const renderList = (summary: WatchListSummary) => ({
  name: summary.name, format: summary.format, entity_count: summary.entityCount, name_count: summary.nameCount,
  source_sha256: summary.sourceSha256, imported_at: summary.importedAt, version: summary.version,
});

const renderReport = (report: ImportReport) => ({
  list: renderList(report.list), imported: report.imported, skipped: report.skipped, replaced: report.replaced,
  malformed: report.malformed.map((line) => ({ line: line.line, code: line.code, reason: line.reason })),
});

export const renderResult = (result: ScreeningResult) => ({
  query: result.query, top_score: result.topScore, threshold: result.threshold,
  matches: result.matches.map((match) => ({
    entity_id: match.entityId, list: match.listName, matched_name: match.matchedName, score: match.score, name_score: match.nameScore ?? match.score,
    schema: match.schema ?? null, explanation: match.explanation,
  })),
});

export function screeningRoutes(platform: { readonly screening: ScreeningService }) {
  const { screening } = platform;
  return async function register(app: App) {
    app.addContentTypeParser(Object.keys(RAW_TYPES), { parseAs: 'string', bodyLimit: IMPORT_BODY_MAX_BYTES }, (_request, body, done) => done(null, body));

    app.post('/risk/screening/lists', {
      config: { permission: 'risk' },
      bodyLimit: IMPORT_BODY_MAX_BYTES,
      schema: {
        tags: TAGS, summary: 'Import a watch list; a list of the same name is replaced whole',
        description: 'Either JSON {name, format, content}, or the file itself with content type text/csv or application/x-ndjson and ?name=…&format=… in the query.',
        querystring: ImportQuery, body: Type.Union([ImportJson, Type.String({ minLength: 1 })]),
      },
    }, async (request, reply) => {
      const body = request.body;
      let input: { name: string; format: ListFormat; content: string };
      if (typeof body === 'string') {
        const name = request.query.name;
        if (name === undefined) throw fieldProblem(400, 'list_name_required', '/query/name', 'name the list in the query (?name=…) when sending the file itself');
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        input = { name, format: request.query.format ?? RAW_TYPES[contentType] ?? 'ftm-jsonl', content: body };
      } else {
        input = body;
      }
      const outcome = await screening.importList(input);
      if (!outcome.ok) throw screeningProblem(outcome);
      return reply.status(outcome.value.replaced ? 200 : 201).send(renderReport(outcome.value));
    });

    // Watch lists, and screening against them, are for the bank's staff: a participant could list
    // an internal list or try spellings of a name until it no longer matches, and so learn how to
    // steer around screening (the reason the other cross-party risk reads need `oversee`).
    app.get('/risk/screening/lists', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS, summary: 'The watch lists loaded, by name',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
          cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const after = decodeTextCursor(request.query.cursor);
      const lists = (await screening.lists()).filter((list) => after === undefined || list.name > after).slice(0, limit);
      return page(lists, limit, (list) => list.name, renderList);
    });

    app.delete('/risk/screening/lists/:name', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Remove a watch list', params: ListParams },
    }, async (request) => {
      const outcome = await screening.removeList(request.params.name);
      if (!outcome.ok) throw screeningProblem(outcome);
      return renderList(outcome.value);
    });

    app.post('/risk/screening/screen', {
      config: { permission: 'oversee' },
      schema: { tags: TAGS, summary: 'Screen one name against every watch list, with an explanation of each match', body: ScreenBody },
    }, async (request) => {
      const { name, country, birth_year: birthYear, threshold } = request.body;
      // A name of only spaces, punctuation or symbols matches nothing; answering "no match" would read as cleared.
      if (tokenise(name).length === 0) throw fieldProblem(422, 'name_not_screenable', '/name', 'the name has no letters or digits to screen');
      return renderResult(screening.screen(name, { ...(country === undefined ? {} : { country }), ...(birthYear === undefined ? {} : { birthYear }), ...(threshold === undefined ? {} : { threshold }) }));
    });
  };
}
