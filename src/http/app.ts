import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import secureJson from 'secure-json-parse';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AssertionError, LIMITS, uuidv7 } from '../kernel/index.ts';
import { securityHeaders } from './security-headers.ts';
import { DatabaseUnavailableError } from '../db/index.ts';
import { LedgerOverloadedError, LedgerStoppedError, ledgerRoutes } from '../modules/ledger/index.ts';
import { partiesRoutes } from '../modules/parties/index.ts';
import { SCF_LIMITS, scfRoutes } from '../modules/scf/index.ts';
import { FX_LIMITS, fxRoutes } from '../modules/fx/index.ts';
import { PAYMENT_LIMITS, paymentsRoutes } from '../modules/payments/index.ts';
import { featuresRoutes, FeaturesOverloadedError } from '../modules/features/index.ts';
import { listsRoutes } from '../modules/lists/index.ts';
import { rulesRoutes } from '../modules/rules/index.ts';
import { screeningRoutes } from '../modules/screening/index.ts';
import { RISK_LIMITS, riskRoutes, RiskOverloadedError, RiskStoppedError } from '../modules/risk/index.ts';
import { casesRoutes, CasesOverloadedError } from '../modules/cases/index.ts';
import { caseGraphSource, graphRoutes } from '../modules/graph/index.ts';
import { CheckpointVerificationUnavailableError, JournalAlgorithmError, UnverifiableCheckpointError } from '../modules/journal/index.ts';
import { auditRoutes, registerAuditTrail } from '../modules/audit/index.ts';
import type { Platform } from '../platform.ts';
import { registerAuth } from './auth.ts';
import { adminRoutes } from './admin.routes.ts';
import { proofRoutes } from './proof.routes.ts';
import { overviewRoutes } from './overview.routes.ts';
import { registerConsole } from './console.ts';
import type { Metrics } from './metrics.ts';
import { PROBLEM_CONTENT_TYPE, ProblemError } from './problem.ts';
import { pointerToNul, validationProblem, validatorCompiler } from './validation.ts';
import { isSingle, unwrapPointer } from './single.ts';
import { registerTracing } from './tracing.ts';
import { registerDomainMetrics } from './domain-metrics.ts';

export interface AppOptions {
  readonly platform: Platform;
  readonly metrics: Metrics;
  /** pino logger options, or false for silence (tests). */
  readonly logger: boolean | object;
  readonly rateLimitPerMinute?: number;
  readonly version: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { platform, metrics } = options;
  registerDomainMetrics(metrics.registry, platform);
  const app = Fastify({
    logger: options.logger === false ? false : { ...(options.logger === true ? {} : options.logger), redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] },
    bodyLimit: LIMITS.httpBodyMaxBytes,
    requestTimeout: LIMITS.httpRequestTimeoutMs,
    // Keep-alive sockets must outlive the load balancer's idle timeout; Node's 5 s default is short.
    keepAliveTimeout: 65_000,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidv7();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Errors Fastify meets before routing (a malformed percent-encoding, an overlong path segment)
    // skip the error handler and would otherwise answer in Fastify's own JSON shape.
    frameworkErrors: (error, _request, reply) => {
      const problem = toProblem(error).toProblem();
      void (reply as FastifyReply).status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First, so that the span covers every other hook of the request.
  registerTracing(app);

  // JSON bodies are parsed safely (no prototype poisoning); an empty body on an action route such
  // as POST /accounts/{id}/close is no body at all, not malformed JSON.
  app.removeContentTypeParser('application/json');
  // Fastify reads text/plain bodies as strings by default, so JSON sent as text/plain met the schema
  // as a string and was refused with a misleading "must be object". The API takes JSON only (routes
  // that take files add their own parsers), so any other media type is a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      return done(Object.assign(error as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
    // JSON can only carry NUL as the escape \u0000, so bodies without that text skip the walk.
    const nul = text.includes('\\u0000') ? pointerToNul(parsed) : undefined;
    if (nul !== undefined) {
      const detail = 'contains U+0000 (NUL), which no text field accepts';
      return done(new ProblemError(400, 'validation_failed', `${nul} ${detail}`, [{ pointer: nul, code: 'invalid_character', detail }]), undefined);
    }
    done(null, parsed);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSchemaErrorFormatter((errors, dataVar) => validationProblem(errors as never, dataVar));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  const headers = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    // API answers carry balances, payments and, once, new keys and webhook secrets: no browser or
    // proxy cache may keep a copy. The console's files set their own caching.
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
    done();
  });
  // A path no route serves never needs its body: refusing it before the body is read keeps anyone,
  // without a key and outside every rate limit, from making the server parse megabytes of JSON.
  // Only GET and HEAD go on to the not-found handler, which may answer them with the console.
  // A callback hook: every request passes through it, and an async one would cost each a promise.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404 || request.method === 'GET' || request.method === 'HEAD') return done();
    // Answering from a callback hook ends the chain; done is not called.
    void reply.status(404).type(PROBLEM_CONTENT_TYPE).send(routeNotFound(request.method, request.url));
  });
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? LIMITS.rateLimitMax,
    timeWindow: LIMITS.rateLimitWindowMs,
    // Counted after authentication, per API key: keying on the presented header would let a client
    // dodge its limit by inventing keys. Requests without a key (health, docs) count per address.
    hook: 'preHandler',
    keyGenerator: (request) => (request.principal ? `key:${request.principal.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ProblemError(429, 'rate_limited', `more than ${context.max} requests in ${context.after}; slow down`),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Sluice API', version: options.version, description: API_DESCRIPTION },
      tags: API_TAGS.map(([name, description]) => ({ name, description })),
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer sk_…' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: false,
    logo: { type: 'image/svg+xml', content: Buffer.from(REFERENCE_LOGO_SVG), href: '/docs', target: '_self' },
    theme: { title: 'Sluice API reference', favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(REFERENCE_ICON_SVG) }] },
  });
  // The web console's static bundle at `/`; a browser asking for any other page gets the console too.
  const webConsole = await registerConsole(app);

  registerAuth(app, platform.auth);
  // After authentication, which names the key, and before the routes, so that its hooks see them all.
  registerAuditTrail(app, platform.audit);
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const problem = toProblem(error).toProblem();
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    const errors = problem.errors?.map((field) => ({ ...field, pointer: unwrapPointer(request, field.pointer) }));
    const detail = isSingle(request) ? problem.detail.replace(/\/(transfers|accounts)\/0(?=\/| )/, '') : problem.detail;
    void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send({ ...problem, detail, ...(errors ? { errors } : {}) });
  });
  app.setNotFoundHandler((request, reply) => {
    if (webConsole.fallback(request, reply)) return;
    void reply.status(404).type(PROBLEM_CONTENT_TYPE).send(routeNotFound(request.method, request.url));
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (!(await platform.db.ping())) return reply.status(503).type(PROBLEM_CONTENT_TYPE).send(new ProblemError(503, 'not_ready', 'the database does not answer').toProblem());
    const queues = queueFill(platform);
    // A full queue turns new requests away with 503 at once, so the process is not ready for more of them.
    const full = queues.filter((queue) => queue.queued >= queue.limit);
    if (full.length > 0) {
      const detail = full.map((queue) => `the ${queue.label} queue (${queue.name}) is full (${queue.queued} waiting, limit ${queue.limit})`).join('; ');
      return reply.status(503).type(PROBLEM_CONTENT_TYPE).send(new ProblemError(503, 'not_ready', detail, [], { full_queues: full.map((queue) => queue.name) }).toProblem());
    }
    return { status: 'ready', database: platform.db.dialect, queued_items: queues[0]?.queued ?? 0, queues: Object.fromEntries(queues.map((queue) => [queue.name, queue.queued])) };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.register(
    async (v1) => {
      await v1.register(ledgerRoutes(platform));
      await v1.register(partiesRoutes(platform));
      await v1.register(scfRoutes(platform));
      await v1.register(fxRoutes(platform));
      await v1.register(paymentsRoutes(platform));
      await v1.register(featuresRoutes(platform));
      await v1.register(listsRoutes(platform));
      await v1.register(rulesRoutes(platform));
      await v1.register(screeningRoutes(platform));
      await v1.register(riskRoutes(platform));
      await v1.register(casesRoutes({ cases: platform.cases, graph: caseGraphSource(platform.graph) }));
      await v1.register(graphRoutes(platform));
      await v1.register(adminRoutes(platform));
      await v1.register(proofRoutes(platform));
      await v1.register(overviewRoutes(platform));
      await v1.register(auditRoutes(platform.audit));
    },
    { prefix: '/v1' },
  );
  return app;
}

/** The console's icon, and beside it the name, for the reference's top bar (dark) and its tab. */
const REFERENCE_ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1677ff"/><path d="M6 20c4-6 8 6 12 0s6-6 8-2" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/></svg>';
const REFERENCE_LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="190" height="40" viewBox="0 0 190 40"><rect x="0" y="4" width="32" height="32" rx="6" fill="#1677ff"/><path d="M6 24c4-6 8 6 12 0s6-6 8-2" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/><text x="42" y="28" font-family="Helvetica, Arial, sans-serif" font-size="20" font-weight="600" fill="#fff">Sluice API</text></svg>';

/** The reference's opening page: what a client must know before its first call. */
const API_DESCRIPTION = [
  'One service for a double-entry ledger, payments at home and across borders with FX and ISO 20022, real-time risk control, and supply-chain finance, every booking chained into a signed journal.',
  '',
  '- **Keys.** Every `/v1` call takes `Authorization: Bearer sk_…`. A key has one role (admin, operator, analyst, auditor, participant); a participant key sees only its own parties. `GET /v1/api-keys/current` tells a key what it may do.',
  '- **Money.** Amounts are strings of integer minor units (`"12345"` is 123.45 in a currency of scale 2), never floats.',
  '- **Idempotency.** Anything that moves money takes a client-chosen `id`: the same id and body again answers the first result; another body under the same id is refused.',
  '- **Errors.** Refusals are `application/problem+json` with a stable `code` and `errors[].pointer` naming the field at fault.',
  '- **Lists.** Pages of at most 100 items; pass `next_cursor` back as `cursor` for the next.',
].join('\n');

/** The reference's sections, in the order a newcomer meets them. */
const API_TAGS: readonly (readonly [string, string])[] = [
  ['ledger', 'Ledgers, accounts and transfers: linked, pending, balancing; balances now and at a past instant.'],
  ['parties', 'Customers, enterprises and banks that own accounts.'],
  ['payments', 'Participants, payments with their legs settled atomically, the tracker, returns, ISO 20022 import and export, webhooks.'],
  ['fx', 'Rates with spreads and firm quotes that a payment executes.'],
  ['risk', 'Decisions before money moves, holds for review, features, lists, screening, mule-ring scores and cases.'],
  ['risk rules', 'Versioned CEL rulesets: drafts, backtests, shadow and live.'],
  ['supply-chain finance', 'Programs, receivable vouchers split, passed on, financed and settled, and their proofs.'],
  ['journal', 'The hash chain over every booking, signed checkpoints, proofs and verification.'],
  ['access', 'API keys and the audit trail of control-plane actions.'],
  ['overview', 'Figures across modules for dashboards.'],
];

const routeNotFound = (method: string, url: string) => new ProblemError(404, 'route_not_found', `no route ${method} ${url.split('?')[0]}`).toProblem();

type QueueName = 'ledger' | 'scf' | 'payments' | 'risk' | 'fx';

/**
 * The in-process queues that refuse new work once full, each against its own limit: the ledger
 * engine's items, the supply-chain finance engine's operations, the payments writer's writes, the
 * risk decision log (a transfer or payment it cannot log is refused) and the FX quote writer. The
 * feature windows' and graph's writers are left out: a full one drops what it cannot write
 * (counted in /metrics) and refuses nobody.
 */
function queueFill(platform: Platform): { readonly name: QueueName; readonly label: string; readonly queued: number; readonly limit: number }[] {
  return [
    { name: 'ledger', label: 'ledger engine', queued: platform.ledger.queuedItems(), limit: LIMITS.engineQueueMaxItems },
    { name: 'scf', label: 'supply-chain finance engine', queued: platform.scf.queuedOperations(), limit: SCF_LIMITS.queueMaxOperations },
    { name: 'payments', label: 'payments writer', queued: platform.payments.stats().writerQueued, limit: PAYMENT_LIMITS.writerQueueMax },
    { name: 'risk', label: 'risk decision log', queued: platform.risk.stats().logQueued, limit: RISK_LIMITS.logQueueHardMax },
    { name: 'fx', label: 'FX quote writer', queued: platform.fx.queuedQuotes(), limit: FX_LIMITS.writerQueueMax },
  ];
}

/** Maps anything thrown to a problem. Only bugs become 500; an unreachable database is 503. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DatabaseUnavailableError) return new ProblemError(503, 'database_unavailable', 'the database does not answer; retry with the same ids', [], { retryable: true });
  if (error instanceof LedgerOverloadedError) return new ProblemError(503, 'ledger_overloaded', error.message, [], { retryable: true });
  if (error instanceof LedgerStoppedError) return new ProblemError(503, 'shutting_down', error.message, [], { retryable: true });
  if (error instanceof RiskOverloadedError) return new ProblemError(503, 'risk_overloaded', error.message, [], { retryable: true });
  if (error instanceof RiskStoppedError) return new ProblemError(503, 'shutting_down', error.message, [], { retryable: true });
  if (error instanceof FeaturesOverloadedError) return new ProblemError(503, 'features_overloaded', error.message, [], { retryable: true });
  if (error instanceof CasesOverloadedError) return new ProblemError(503, 'cases_overloaded', error.message, [], { retryable: true });
  // The listing answers `verifiable` only once the signatures were checked; when they cannot be now, it says so.
  if (error instanceof CheckpointVerificationUnavailableError) return new ProblemError(503, 'checkpoint_verification_unavailable', error.message, [], { retryable: true });
  // Stored data this version cannot use, not a bug: named, so that the operator knows what to do.
  if (error instanceof JournalAlgorithmError) return new ProblemError(500, 'journal_algorithm_unknown', error.message, [], { algorithm: error.algorithm });
  if (error instanceof UnverifiableCheckpointError) return new ProblemError(500, 'journal_checkpoint_unverifiable', error.message, [], { tree_size: error.treeSize });
  if (error instanceof AssertionError) return new ProblemError(500, 'internal_error', 'an internal invariant failed; the incident is logged');
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationProblem(fastifyError.validation as never, fastifyError.validationContext ?? 'body');
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(400, 'malformed_json', 'the body is not valid JSON', [{ pointer: '/', code: 'malformed_json', detail: fastifyError.message }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, 'body_too_large', `the body is larger than ${LIMITS.httpBodyMaxBytes} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemError(415, 'unsupported_media_type', 'send JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProblemError(400, 'invalid_content_length', 'Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
      return new ProblemError(400, 'malformed_url', 'the path is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ProblemError(414, 'path_segment_too_long', 'a path segment is longer than any identifier this API uses');
  }
  if (error instanceof SyntaxError) return new ProblemError(400, 'malformed_json', 'the body is not valid JSON', [{ pointer: '/', code: 'malformed_json', detail: error.message }]);
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) return new ProblemError(status, (fastifyError.code ?? 'bad_request').toLowerCase(), fastifyError.message);
  return new ProblemError(500, 'internal_error', 'an internal error occurred; the incident is logged');
}
