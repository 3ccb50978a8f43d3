import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LIMITS } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { partyScope } from '../../http/auth.ts';
import { decodeTextCursor, page } from '../../http/pagination.ts';
import { ProblemError, unknownId } from '../../http/problem.ts';
import { canonicalMetadata, MetadataSchema as Metadata } from '../ledger/index.ts';
import { PARTY_KINDS, type Party } from './parties.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

const PartyId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'Your identifier for the party (letters, digits, . _ : -).' });
/**
 * A name is one line of text that also travels in ISO 20022 payment messages and statements, which
 * cannot carry control characters, lone surrogates, U+FFFE or U+FFFF, and whose readers drop a leading
 * byte order mark. A party is never changed once registered, so a name like that would fail every
 * payment to or from the party's accounts; it is refused when the party is registered. Ajv compiles
 * patterns with the `u` flag, so the surrogate range matches only surrogates that are not part of a pair.
 */
const NAME_PATTERN = '^(?!\\uFEFF)[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF\\uFFFE\\uFFFF]*$';
const PartyInput = Type.Object(
  {
    id: PartyId,
    name: Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength, pattern: NAME_PATTERN, description: 'One line of text, without control characters.' }),
    kind: Type.Union(PARTY_KINDS.map((kind) => Type.Literal(kind))),
    jurisdiction: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code.' }),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const render = (party: Party) => ({
  id: party.id, name: party.name, kind: party.kind, jurisdiction: party.jurisdiction,
  metadata: party.metadata ? (JSON.parse(party.metadata) as Record<string, string>) : null, created_at: party.createdAt,
});

export function partiesRoutes(platform: Platform) {
  const { parties } = platform;
  return async function register(app: App) {
    app.post('/parties', { config: { permission: 'manage' }, schema: { tags: ['parties'], summary: 'Register a customer, enterprise or bank', body: PartyInput } }, async (request, reply) => {
      const body = request.body;
      const result = await parties.create({ id: body.id, name: body.name, kind: body.kind, jurisdiction: body.jurisdiction, metadata: canonicalMetadata(body.metadata) });
      if (!result.ok) throw new ProblemError(409, result.error, `party ${body.id} exists with other fields`, [{ pointer: '/id', code: result.error, detail: 'exists with other fields' }]);
      return reply.status(result.value.created ? 201 : 200).send(render(result.value.party));
    });
    app.get('/parties', {
      config: { permission: 'read' },
      schema: {
        tags: ['parties'], summary: 'List parties by id',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
          cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const list = await parties.list({ after: decodeTextCursor(request.query.cursor), limit, ids: partyScope(request) ?? undefined });
      return page(list, limit, (party) => party.id, render);
    });
    app.get('/parties/:id', { config: { permission: 'read' }, schema: { tags: ['parties'], summary: 'Get a party', params: Type.Object({ id: PartyId }) } }, async (request) => {
      const scope = partyScope(request);
      const party = scope && !scope.includes(request.params.id) ? undefined : await parties.get(request.params.id);
      if (!party) throw unknownId('party_not_found', '/params/id', `no party ${request.params.id}`);
      return render(party);
    });
  };
}
