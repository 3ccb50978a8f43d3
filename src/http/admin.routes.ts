import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AMOUNT_MAX, LIMITS, UUID_PATTERN, nsToIso } from '../kernel/index.ts';
import { allows, apiKeyNameProblem, PERMISSIONS, ROLES, type Permission, type Role } from '../modules/auth/index.ts';
import type { Platform } from '../platform.ts';
import { fieldProblem, unknownId } from './problem.ts';
import { CONSISTENCY_FILE_FORMAT, MAX_PROOF_ENTRIES, proofFileText, verifyReportJson, type JournalEntry } from '../modules/journal/index.ts';
import { SIGNATURE_ALGORITHMS } from '../crypto/index.ts';
import { createVerifyJobs, type VerifyJob } from './verify-jobs.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

const renderEntry = (entry: JournalEntry) => ({
  seq: String(entry.seq), timestamp: String(entry.timestamp), created_at: nsToIso(entry.timestamp), kind: entry.kind,
  payload: entry.payload, digest: entry.digest, prev_hash: entry.prevHash, hash: entry.hash,
});

const renderReport = verifyReportJson;

const renderJob = (job: VerifyJob) => ({
  id: job.id, status: job.status, checked: job.checked, total: job.total,
  started_at: new Date(job.startedAtMs).toISOString(), finished_at: job.finishedAtMs === null ? null : new Date(job.finishedAtMs).toISOString(),
  report: job.report === null ? null : renderReport(job.report), error: job.error,
});

/** API keys and the journal: operating the platform rather than booking on it. */
export function adminRoutes(platform: Platform) {
  return async function register(app: App) {
    app.post('/api-keys', {
      config: { permission: 'admin' },
      schema: {
        tags: ['access'], summary: 'Create an API key; its text is shown in this answer only',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength }),
          role: Type.Union(ROLES.map((role) => Type.Literal(role))),
          party_ids: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }), { maxItems: 100, uniqueItems: true })),
        }, { additionalProperties: false }),
      },
    }, async (request, reply) => {
      const nameProblem = apiKeyNameProblem(request.body.name);
      if (nameProblem) throw fieldProblem(422, 'invalid_key_name', '/name', nameProblem);
      const partyIds = request.body.party_ids ?? [];
      if (request.body.role === 'participant' && partyIds.length === 0) throw fieldProblem(400, 'party_ids_required', '/party_ids', 'must name at least one party for a participant key');
      if (request.body.role !== 'participant' && partyIds.length > 0) throw fieldProblem(400, 'party_ids_not_allowed', '/party_ids', 'only participant keys act for parties');
      const known = await platform.parties.existing(partyIds);
      const unknown = partyIds.findIndex((id) => !known.has(id));
      if (unknown >= 0) throw fieldProblem(422, 'party_not_found', `/party_ids/${unknown}`, 'is not a registered party');
      const { key, secret } = await platform.auth.createKey({ name: request.body.name, role: request.body.role, partyIds });
      return reply.status(201).send({ id: key.id, name: key.name, role: key.role, party_ids: key.partyIds, created_at: key.createdAt, key: secret });
    });
    app.get('/api-keys', { config: { permission: 'admin' }, schema: { tags: ['access'], summary: 'List API keys (never their text)' } }, async () => ({
      data: (await platform.auth.list()).map((key) => ({ id: key.id, name: key.name, role: key.role, party_ids: key.partyIds, created_at: key.createdAt, revoked_at: key.revokedAt })),
    }));
    // Every role has `read`, so any valid key may ask who it is; the console shows only what the
    // key's role may use. The answer names the key, never its text or hash.
    app.get('/api-keys/current', {
      config: { permission: 'read' },
      schema: {
        tags: ['access'], summary: "The calling key: its id, name, role, parties and its role's permissions (never its text)",
        response: {
          200: Type.Object({
            id: Type.String(), name: Type.String(), role: Type.Unsafe<Role>(Type.String({ enum: [...ROLES] })),
            party_ids: Type.Array(Type.String(), { description: 'Parties a participant key acts for; empty for other roles.' }),
            permissions: Type.Array(Type.Unsafe<Permission>(Type.String({ enum: PERMISSION_NAMES })), { description: "What the key's role may do; each route needs one of these." }),
            created_at: Type.String(),
          }, { additionalProperties: false }),
        },
      },
    }, async (request) => {
      const key = request.principal;
      if (!key) throw new Error('an authenticated route ran without a key');
      return {
        id: key.id, name: key.name, role: key.role, party_ids: [...key.partyIds],
        permissions: PERMISSION_NAMES.filter((permission) => allows(key.role, permission)), created_at: key.createdAt,
      };
    });
    app.delete('/api-keys/:id', {
      config: { permission: 'admin' },
      schema: { tags: ['access'], summary: 'Revoke an API key', params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }) },
    }, async (request, reply) => {
      const revoked = await platform.auth.revoke(request.params.id);
      if (revoked === 'api_key_not_found') throw unknownId('api_key_not_found', '/params/id', `no active API key ${request.params.id}`);
      if (revoked === 'last_admin_key') throw fieldProblem(409, 'last_admin_key', '/params/id', 'is the last active admin key; create another admin key before revoking it');
      request.server.forgetApiKey(request.params.id);
      return reply.status(204).send();
    });

    app.get('/journal/head', { config: { permission: 'read' }, schema: { tags: ['journal'], summary: 'The latest entry of the hash chain' } }, async () => {
      const head = await platform.journal.head();
      return { seq: String(head.seq), hash: head.hash, algorithm: head.algorithm };
    });
    app.get('/journal/entries', {
      config: { permission: 'verify' },
      schema: {
        tags: ['journal'], summary: 'Entries of the hash chain in order',
        querystring: Type.Object({
          after: Type.Optional(Type.String({ pattern: '^\\d{1,19}$' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const afterSeq = BigInt(request.query.after ?? '0');
      // Nineteen digits pass the pattern but may still exceed the signed 64-bit sequence column.
      if (afterSeq > AMOUNT_MAX) throw fieldProblem(400, 'invalid_sequence', '/query/after', 'is larger than any journal sequence number');
      const entries = await platform.journal.list({ afterSeq, limit: request.query.limit ?? LIMITS.pageDefaultItems });
      return { data: entries.map(renderEntry) };
    });
    app.get('/journal/verify', { config: { permission: 'verify' }, schema: { tags: ['journal'], summary: 'Verify the whole chain and the records behind it' } }, async () =>
      renderReport(await platform.verify()));
    // The same verification in the background, for clients that show progress on a long journal.
    const verifyJobs = createVerifyJobs({
      verify: (onProgress) => platform.verify(onProgress), clock: platform.clock, onError: (error) => app.log.error({ err: error }, 'journal verification failed'),
    });
    app.post('/journal/verify-jobs', {
      config: { permission: 'verify' },
      schema: { tags: ['journal'], summary: 'Start verifying the journal in the background; 200 with the run in progress if one is running' },
    }, async (_request, reply) => {
      const { job, started } = verifyJobs.start();
      return reply.status(started ? 202 : 200).header('location', `/v1/journal/verify-jobs/${job.id}`).send(renderJob(job));
    });
    app.get('/journal/verify-jobs/:id', {
      config: { permission: 'verify' },
      schema: { tags: ['journal'], summary: 'Progress and report of a background verification', params: Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false }) },
    }, async (request) => {
      const job = verifyJobs.get(request.params.id.toLowerCase());
      if (!job) throw unknownId('verify_job_not_found', '/params/id', `no verification job ${request.params.id} (the server keeps the latest few)`);
      return renderJob(job);
    });
    app.post('/journal/proofs/verify', {
      config: { permission: 'read' },
      schema: {
        tags: ['journal'],
        summary: "Check a proof file (a voucher's, or GET /journal/proof) or a consistency file (GET /journal/consistency) against this platform's public keys, as sluice verify does",
        body: Type.Object({ proof: Type.Unknown({ description: 'The proof or consistency file, as downloaded.' }) }, { additionalProperties: false }),
      },
    }, async (request) => {
      const file = request.body.proof;
      const consistency = typeof file === 'object' && file !== null && (file as { format?: unknown }).format === CONSISTENCY_FILE_FORMAT;
      // The checkpoints' signatures are checked in the checkpoint verifier's worker: 503 when it cannot take them.
      return consistency ? platform.checkpoints.verifyConsistency(file) : platform.checkpoints.verifyProof(file);
    });
    app.get('/journal/consistency', {
      config: { permission: 'verify' },
      schema: {
        tags: ['journal'],
        summary: 'Proof that a later signed checkpoint extends an earlier one (the journal between them was only appended to), checkable offline',
        querystring: Type.Object({
          from: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Entries covered by the earlier checkpoint: the one a holder kept.' }),
          to: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Entries covered by the later checkpoint; the latest by default.' })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { from, to } = request.query;
      const file = await platform.checkpoints.consistency(from, to);
      if (file === 'from_not_found') throw unknownId('checkpoint_not_found', '/query/from', `no signed checkpoint covers exactly ${from} entries`);
      if (file === 'to_not_found') throw unknownId('checkpoint_not_found', '/query/to', `no signed checkpoint covers exactly ${to} entries`);
      if (file === 'range_reversed') throw fieldProblem(400, 'checkpoint_range_reversed', '/query/to', `names a checkpoint earlier than from (${from} entries)`);
      return file;
    });

    app.get('/journal/keys', { config: { permission: 'read' }, schema: { tags: ['journal'], summary: 'Public keys that sign checkpoints (a keys file for offline verification)' } }, async () =>
      platform.checkpoints.keysFile());
    app.post('/journal/keys/rotate', {
      config: { permission: 'admin' },
      schema: {
        tags: ['journal'], summary: 'Rotate one signing key; the old public key stays in the keys file',
        body: Type.Object({ algorithm: Type.Union(SIGNATURE_ALGORITHMS.map((algorithm) => Type.Literal(algorithm))) }, { additionalProperties: false }),
      },
    }, async (request) => platform.checkpoints.rotateKey(request.body.algorithm));
    app.get('/journal/checkpoints', {
      config: { permission: 'read' },
      schema: {
        tags: ['journal'], summary: 'Signed checkpoints, oldest first',
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
        }, { additionalProperties: false }),
      },
    }, async (request) => ({ data: await platform.checkpoints.list({ afterTreeSize: request.query.after ?? 0, limit: request.query.limit ?? LIMITS.pageDefaultItems }) }));
    app.post('/journal/checkpoints', { config: { permission: 'manage' }, schema: { tags: ['journal'], summary: 'Sign a checkpoint of everything journaled so far' } }, async (_request, reply) => {
      const made = await platform.checkpoints.checkpoint();
      if (made) return reply.status(201).send(made);
      return reply.status(200).send(await platform.checkpoints.latest());
    });
    app.get('/journal/proof', {
      config: { permission: 'verify' },
      schema: {
        tags: ['journal'], summary: 'Inclusion proofs of journal entries against a signed checkpoint, checkable offline',
        querystring: Type.Object({ seq: Type.String({ pattern: '^[1-9][0-9]{0,15}(,[1-9][0-9]{0,15})*$', maxLength: 2000, description: 'Entry numbers, comma-separated.' }) }, { additionalProperties: false }),
      },
    }, async (request, reply) => {
      const seqs = [...new Set(request.query.seq.split(','))].map((text) => BigInt(text));
      const proof = await platform.checkpoints.proof(seqs);
      if (proof === 'entry_not_found') throw fieldProblem(404, 'entry_not_found', '/query/seq', 'names an entry the journal does not have');
      if (proof === 'too_many_entries') throw fieldProblem(400, 'too_many_entries', '/query/seq', `names more than ${MAX_PROOF_ENTRIES} entries`);
      // One entry per line, so that sluice verify --proof reads the saved file a line at a time.
      return reply.type('application/json; charset=utf-8').send(proofFileText(proof));
    });
  };
}
