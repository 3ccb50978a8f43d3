import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { LIMITS, normalizeUuid, parseMinorUnits } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { partyScope, visibleKeyIds } from '../../http/auth.ts';
import { mayUseQuote } from '../fx/index.ts';
import { decodeBigintCursor, decodeTextCursor, encodeCursor, page } from '../../http/pagination.ts';
import { ProblemError, unknownId } from '../../http/problem.ts';
import { PAYMENT_ERRORS, type PaymentError } from './payments.errors.ts';
import { isDerivedLayout } from './payments.ids.ts';
import type { ImportRefusal, ParsedFile } from './payments.import.ts';
import type { QuoteAccess } from './payments.checks.ts';
import { debtorAgentRefusal, senderRefusal, type ImportAccessRefusal } from './payments.import-access.ts';
import {
  hideKeys, renderAccount, renderCurrency, renderDelivery, renderEvent, renderParticipant, renderPayment, renderStatement, renderTracking, renderWebhook, type KeyView,
} from './payments.render.ts';
import {
  AccountInput, BicParams, CancelInput, CurrencyInput, EventsQuery, ListQuery, MessageParams, PageQuery, ParticipantInput, PaymentInput, RejectInput,
  ReturnInput, StatementQuery, UetrParams, WebhookInput, WebhookParams, CurrencyParams,
} from './payments.schema.ts';
import type { Outcome } from './payments.steps.ts';
import type { PaymentOrder, PaymentRecord } from './payments.ts';
import { PaymentsOverloadedError, PaymentsStoppedError } from './payments.writer.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['payments'];

/** The request field each refusal is about, so that a problem names the field at fault. */
const POINTERS: Partial<Record<PaymentError, string>> = {
  debtor_account_not_found: '/debtor_account', creditor_account_not_found: '/creditor_account', accounts_must_be_different: '/creditor_account',
  account_closed: '/debtor_account', insufficient_funds: '/amount', insufficient_liquidity: '/amount', unsupported_currency: '/currency',
  currency_mismatch: '/currency', fx_rate_not_available: '/currency', amount_below_charges: '/amount', amount_too_small_to_convert: '/amount',
  amount_out_of_range: '/amount', quote_not_found: '/quote_id', quote_expired: '/quote_id', quote_already_used: '/quote_id', quote_does_not_match: '/quote_id',
  payment_exists_with_different_fields: '/id', payment_id_reserved: '/id', uetr_already_used: '/uetr', unknown_participant: '/debtor_agent', account_not_held_at_agent: '/debtor_agent',
  party_not_found: '/party_id', party_not_a_payment_institution: '/party_id', participant_exists_with_different_fields: '/bic', participant_not_found: '/bic',
  account_exists_with_different_fields: '/id', identifier_already_used: '/identifier', webhook_url_not_allowed: '/url', webhook_host_not_resolved: '/url',
  // A move the payment's state does not allow is about the payment named in the path.
  payment_not_awaiting_acceptance: '/params/uetr', payment_held_for_review: '/params/uetr', payment_not_cancellable: '/params/uetr',
  payment_already_settled: '/params/uetr', payment_not_settled: '/params/uetr', payment_already_returned: '/params/uetr',
};

export function paymentProblem(error: PaymentError, options: { field?: string; payment?: PaymentRecord | null; replayed?: boolean } = {}): ProblemError {
  const words = error.replace(/_/g, ' ');
  const pointer = options.field ?? POINTERS[error] ?? '/';
  const { payment } = options;
  const extensions = {
    ...(payment ? { uetr: payment.uetr, payment_status: payment.status, reason_code: payment.reasonCode } : PAYMENT_ERRORS[error].reason ? { reason_code: PAYMENT_ERRORS[error].reason } : {}),
    ...(options.replayed ? { replayed: true } : {}),
  };
  const detail = error === 'settlement_failed'
    ? 'the payment could not be settled and nothing was booked; submit it again with a new id'
    : error === 'webhook_secrets_unavailable'
      ? "the server's key secret does not open the webhook secrets it stores, so it seals no new one; nothing was registered"
      : `refused: ${words}`;
  return new ProblemError(PAYMENT_ERRORS[error].status, error, detail, [{ pointer, code: error, detail: words }], extensions);
}

function serviceProblem(error: unknown): unknown {
  if (error instanceof PaymentsOverloadedError) return new ProblemError(503, 'payments_overloaded', error.message, [], { retryable: true });
  if (error instanceof PaymentsStoppedError) return new ProblemError(503, 'shutting_down', error.message, [], { retryable: true });
  return error;
}

const importProblem = (refusal: ImportRefusal) =>
  new ProblemError(refusal.status, refusal.code, `the file was refused and nothing was booked: ${refusal.problems[0]?.reason ?? refusal.code}`,
    refusal.problems.slice(0, 20).map((problem) => ({ pointer: problem.path, code: problem.code, detail: problem.reason })), { reason_code: refusal.reasonCode });

function orderOf(body: Static<typeof PaymentInput>): PaymentOrder {
  return {
    id: normalizeUuid(body.id),
    ...(body.uetr ? { uetr: body.uetr } : {}),
    endToEndId: body.end_to_end_id ?? 'NOTPROVIDED',
    ...(body.instruction_id ? { instructionId: body.instruction_id } : {}),
    debtorAccount: body.debtor_account,
    creditorAccount: body.creditor_account,
    ...(body.debtor_agent ? { debtorAgent: body.debtor_agent } : {}),
    ...(body.creditor_agent ? { creditorAgent: body.creditor_agent } : {}),
    amount: parseMinorUnits(body.amount) ?? 0n,
    currency: body.currency,
    chargeBearer: body.charge_bearer ?? 'SHAR',
    ...(body.purpose ? { purpose: body.purpose } : {}),
    remittance: body.remittance_information ? [body.remittance_information] : [],
    ...(body.quote_id ? { quoteId: normalizeUuid(body.quote_id) } : {}),
    settlement: body.settlement ?? 'immediate',
    ...(body.acceptance_timeout_seconds ? { acceptanceTimeoutSeconds: body.acceptance_timeout_seconds } : {}),
    source: 'api',
  };
}

/** The id of the API key a request came with, which the payment or status change it causes records. */
const keyOf = (request: FastifyRequest): string | null => request.principal?.id ?? null;

/** The key ids a request may see on payments and their events (http/auth.ts visibleKeyIds). */
const keysFor = (request: FastifyRequest): KeyView => visibleKeyIds(request);

export function paymentsRoutes(platform: Platform) {
  const { payments } = platform;
  const quoteOwners = { findKey: (id: string) => platform.auth.find(id) };

  /** The request's key spends only quotes it may (fx.access.ts), for the parties of the payment's debtor side. */
  const quoteAccess = (request: FastifyRequest): QuoteAccess => (quote, debtor) => mayUseQuote(quoteOwners, request.principal, quote, [debtor.partyId, debtor.agentPartyId]);

  /** A participant's key sees payments of its own parties (as customer or as agent), and nothing of others. */
  function visible(request: FastifyRequest, uetr: string, payment: PaymentRecord | undefined): PaymentRecord {
    const scope = partyScope(request);
    const parties = payment ? [payment.debtor?.partyId, payment.debtor?.agentPartyId, payment.creditor?.partyId, payment.creditor?.agentPartyId] : [];
    if (!payment || (scope && !parties.some((id) => id && scope.includes(id)))) throw unknownId('payment_not_found', '/params/uetr', `no payment ${uetr}`);
    return payment;
  }

  /**
   * A participant's key moves money only out of accounts of its own parties, or as their agent. A
   * refusal points at the field naming the account: the body's, or per order the file's element.
   */
  async function requireDebtorSide(request: FastifyRequest, orders: readonly PaymentOrder[], paths: readonly string[] = []): Promise<void> {
    const scope = partyScope(request);
    if (!scope) return;
    for (const [index, order] of orders.entries()) {
      const account = await payments.directory.account(order.debtorAccount);
      const agent = account && (await payments.directory.participant(account.bic));
      if (!account || !(scope.includes(account.partyId) || (agent && scope.includes(agent.partyId)))) {
        const pointer = paths[index] ?? '/debtor_account';
        throw new ProblemError(403, 'account_not_owned', 'a participant key may only pay from accounts of its own parties', [{ pointer, code: 'account_not_owned', detail: 'is not an account of your parties' }]);
      }
    }
  }

  /**
   * A participant's key imports only files it may have sent: from its own side's accounts, as its
   * own bank, naming its own bank or its account's as debtor agent (payments.import-access.ts).
   */
  async function requireImportSide(request: FastifyRequest, file: ParsedFile): Promise<void> {
    const scope = partyScope(request);
    if (!scope) return;
    const refuse = (refusal: ImportAccessRefusal | null) => {
      if (refusal) throw new ProblemError(403, refusal.code, `the file was refused and nothing was booked: ${refusal.detail}`, refusal.errors);
    };
    refuse(await senderRefusal(payments.directory, scope, file));
    await requireDebtorSide(request, file.orders, file.debtorAccountPaths);
    refuse(await debtorAgentRefusal(payments.directory, scope, file));
  }

  function answer(request: FastifyRequest, reply: FastifyReply, outcome: Outcome) {
    if (!outcome.ok) throw paymentProblem(outcome.error, { ...(outcome.field ? { field: outcome.field } : {}), payment: outcome.payment, replayed: outcome.replayed });
    return reply.status(outcome.replayed ? 200 : 201).send(renderPayment(outcome.payment, outcome.replayed, keysFor(request)));
  }

  /**
   * Who may decide what: the creditor's side accepts, rejects and returns; the debtor's side cancels.
   * A participant's key must act for a party on that side (the customer or its agent).
   */
  function requireSide(request: FastifyRequest, payment: PaymentRecord, side: 'debtor' | 'creditor'): void {
    const scope = partyScope(request);
    const party = payment[side];
    if (scope && !(party && (scope.includes(party.partyId) || scope.includes(party.agentPartyId)))) {
      throw new ProblemError(403, 'not_your_side', `only the ${side}'s side may do this`, [{ pointer: '/params/uetr', code: 'not_your_side', detail: `is not a payment your parties are the ${side} side of` }]);
    }
  }

  async function act(request: FastifyRequest, uetr: string, side: 'debtor' | 'creditor', action: (uetr: string) => Promise<{ ok: true; value: PaymentRecord } | { ok: false; error: PaymentError }>) {
    requireSide(request, visible(request, uetr, await payments.get(uetr.toLowerCase())), side);
    let result;
    try {
      result = await action(uetr.toLowerCase());
    } catch (error) {
      throw serviceProblem(error);
    }
    // The body holds at most a reason code, which the schema checks: whatever the service refuses
    // (a state that does not allow the move, or a leg of a return the ledger refuses, such as
    // insufficient_funds) is about the payment in the path, not about a field of the body.
    if (!result.ok) throw paymentProblem(result.error, { field: '/params/uetr', payment: (await payments.get(uetr.toLowerCase())) ?? null });
    return renderPayment(result.value, false, keysFor(request));
  }

  return async function register(app: App) {
    // ISO 20022 files arrive as XML; the size is checked against the payments limit by the import itself.
    // The bytes are kept as sent: decoding them here would turn a file that is not UTF-8 into
    // replacement characters that the import could no longer tell from real text, and book them.
    app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer', bodyLimit: LIMITS.httpBodyMaxBytes }, (_request, body, done) => done(null, body));

    app.post('/payments', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Submit a payment (domestic or cross-border); 201 when booked, 200 when replayed', body: PaymentInput } }, async (request, reply) => {
      const order = orderOf(request.body);
      // Version 8 ids are the ones imports derive: no client may take one a file will need.
      if (isDerivedLayout(order.id)) throw paymentProblem('payment_id_reserved');
      await requireDebtorSide(request, [order]);
      try {
        return answer(request, reply, await payments.submit(order, quoteAccess(request), keyOf(request)));
      } catch (error) {
        throw serviceProblem(error);
      }
    });

    app.get('/payments', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'List payments by the time they were received, oldest first unless order=desc', querystring: ListQuery } }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const scope = partyScope(request);
      const list = await payments.list({
        ...(request.query.status ? { status: request.query.status } : {}), ...(scope ? { partyIds: scope } : {}),
        after: decodeTextCursor(request.query.cursor), order: request.query.order ?? 'asc', limit,
      });
      const keys = keysFor(request);
      return page(list, limit, (payment) => `${payment.createdAt} ${payment.id}`, (payment) => renderPayment(payment, false, keys));
    });

    app.get('/payments/events', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Status changes after a cursor, for clients that poll instead of taking webhooks', querystring: EventsQuery } }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const events = await payments.events(decodeBigintCursor(request.query.after, '/query/after') ?? 0n, limit, partyScope(request) ?? undefined);
      const last = events.at(-1);
      const keys = keysFor(request);
      return { data: events.map((event) => renderEvent(event, keys)), next_cursor: last ? encodeCursor(last.seq) : request.query.after ?? null };
    });

    app.get('/payments/:uetr', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Get a payment by UETR', params: UetrParams } }, async (request) =>
      renderPayment(visible(request, request.params.uetr, await payments.get(request.params.uetr.toLowerCase())), false, keysFor(request)));

    app.get('/payments/:uetr/track', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Every hop and every status change of a payment', params: UetrParams } }, async (request) => {
      visible(request, request.params.uetr, await payments.get(request.params.uetr.toLowerCase()));
      return renderTracking((await payments.track(request.params.uetr.toLowerCase()))!, keysFor(request));
    });

    app.post('/payments/:uetr/accept', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'The creditor agent accepts a held payment: every leg posts', params: UetrParams } },
      (request) => act(request, request.params.uetr, 'creditor', (uetr) => payments.accept(uetr, keyOf(request))));
    app.post('/payments/:uetr/reject', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'The creditor agent rejects a held payment: every leg is released', params: UetrParams, body: RejectInput } },
      (request) => act(request, request.params.uetr, 'creditor', (uetr) => payments.reject(uetr, request.body.reason, undefined, keyOf(request))));
    app.post('/payments/:uetr/cancel', {
      config: { permission: 'write' },
      // The reason is optional (CUST when left out), so is the body: a bare POST cancels.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: { tags: TAGS, summary: 'Cancel a payment not yet settled: every leg is released; the body and its reason (default CUST) are optional', params: UetrParams, body: CancelInput },
    },
      (request) => act(request, request.params.uetr, 'debtor', (uetr) => payments.cancel(uetr, request.body?.reason ?? 'CUST', keyOf(request))));
    app.post('/payments/:uetr/return', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Return a settled payment (pacs.004) with a reason', params: UetrParams, body: ReturnInput } },
      (request) => act(request, request.params.uetr, 'creditor', (uetr) => payments.returnPayment(uetr, request.body.reason, keyOf(request))));

    app.get('/payments/:uetr/messages/:kind', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Export an ISO 20022 message of a payment (header and document)', params: MessageParams } }, async (request, reply) => {
      const uetr = request.params.uetr.toLowerCase();
      visible(request, request.params.uetr, await payments.get(uetr));
      const exported = await payments.exportMessage(uetr, request.params.kind);
      if (!exported.ok) throw paymentProblem(exported.error, { field: '/params/kind' });
      return reply.type('application/xml; charset=utf-8').header('content-disposition', `attachment; filename="${request.params.kind}-${exported.value.messageId}.xml"`).send(exported.value.xml);
    });

    app.post('/payments/import', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Import a pain.001 or pacs.008 file (Content-Type: application/xml); the same file twice books once' } }, async (request) => {
      if (!Buffer.isBuffer(request.body)) throw new ProblemError(415, 'unsupported_media_type', 'send the ISO 20022 file with Content-Type: application/xml');
      let imported;
      try {
        imported = await payments.importXml(request.body, (file) => requireImportSide(request, file), partyScope(request), keyOf(request));
      } catch (error) {
        throw serviceProblem(error);
      }
      if (!imported.ok) throw importProblem(imported.refusal);
      return {
        message: imported.value.kind, message_id: imported.value.messageId,
        results: imported.value.outcomes.map(({ order, outcome }, index) => ({
          index, end_to_end_id: order.endToEndId, payment_id: order.id, uetr: outcome.payment?.uetr ?? order.uetr ?? null,
          status: outcome.payment?.status ?? 'RJCT', reason_code: outcome.payment?.reasonCode ?? null, error: outcome.ok ? null : outcome.error, replayed: outcome.replayed,
        })),
      };
    });

    app.get('/payments/statements', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'A day\'s statement of an account: camt.053 (format=xml) or JSON', querystring: StatementQuery } }, async (request, reply) => {
      const scope = partyScope(request);
      const account = await payments.directory.account(request.query.account);
      if (!account || (scope && !scope.includes(account.partyId))) throw paymentProblem('account_not_found', { field: '/query/account' });
      const built = await payments.statement(account.accountId, request.query.date);
      if (!built.ok) throw paymentProblem(built.error, { field: built.error === 'amount_out_of_range' ? '/query/account' : '/query/date' });
      if (request.query.format === 'json') return renderStatement(built.value);
      return reply.type('application/xml; charset=utf-8').send(built.value.xml);
    });

    app.post('/payments/participants', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Register a bank or payment firm under a BIC', body: ParticipantInput } }, async (request, reply) => {
      const result = await payments.directory.register({ bic: request.body.bic, partyId: request.body.party_id, ...(request.body.name ? { name: request.body.name } : {}) });
      if (!result.ok) throw paymentProblem(result.error);
      return reply.status(result.value.created ? 201 : 200).send(renderParticipant(result.value.participant, await payments.directory.currenciesOf(request.body.bic)));
    });

    app.get('/payments/participants', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'List participants by BIC', querystring: PageQuery } }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const list = await payments.directory.listParticipants(decodeTextCursor(request.query.cursor), limit);
      return page(list, limit, (participant) => participant.bic, (participant) => renderParticipant(participant));
    });

    app.get('/payments/participants/:bic', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'A participant with its accounts and charges per currency', params: BicParams } }, async (request) => {
      const participant = await payments.directory.participant(request.params.bic);
      if (!participant) throw unknownId('participant_not_found', '/params/bic', `no participant ${request.params.bic}`);
      return renderParticipant(participant, await payments.directory.currenciesOf(request.params.bic));
    });

    app.put('/payments/participants/:bic/currencies/:currency', {
      config: { permission: 'manage' },
      schema: { tags: TAGS, summary: 'Let a participant clear a currency: opens its settlement and fee accounts and sets its charges', params: CurrencyParams, body: CurrencyInput },
    }, async (request) => {
      const { bic, currency } = request.params;
      const fees = { feeFixed: BigInt(request.body.fee_fixed ?? '0'), feeBps: request.body.fee_bps ?? 0 };
      const result = await payments.directory.enableCurrency(bic, currency, fees, request.principal?.id ?? null);
      if (!result.ok) throw paymentProblem(result.error, { field: result.error === 'participant_not_found' ? '/params/bic' : '/params/currency' });
      return renderCurrency(result.value);
    });

    app.post('/payments/accounts', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Open a customer account at a participant', body: AccountInput } }, async (request, reply) => {
      const body = request.body;
      const input = { id: normalizeUuid(body.id ?? crypto.randomUUID()), ...(body.identifier ? { identifier: body.identifier } : {}), bic: body.bic, partyId: body.party_id, currency: body.currency };
      const result = await payments.directory.openAccount(input, request.principal?.id ?? null);
      if (!result.ok) throw paymentProblem(result.error, { field: result.error === 'participant_not_found' ? '/bic' : POINTERS[result.error] ?? '/' });
      return reply.status(result.value.created ? 201 : 200).send(renderAccount(result.value.account));
    });

    app.post('/payments/webhooks', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Subscribe a URL to status changes; the signing secret is shown once', body: WebhookInput } }, async (request, reply) => {
      const result = await payments.webhooks.subscribe({ url: request.body.url, ...(request.body.secret ? { secret: request.body.secret } : {}) });
      if (!result.ok) throw paymentProblem(result.error);
      return reply.status(201).send({ ...renderWebhook(result.value.webhook), secret: result.value.secret });
    });

    app.get('/payments/webhooks', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'List webhook subscriptions' } }, async () => ({ data: (await payments.webhooks.list()).map(renderWebhook) }));

    app.delete('/payments/webhooks/:id', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Stop a subscription (its delivery log stays)', params: WebhookParams } }, async (request, reply) => {
      if (!(await payments.webhooks.remove(request.params.id.toLowerCase()))) throw unknownId('webhook_not_found', '/params/id', `no webhook ${request.params.id}`);
      return reply.status(204).send();
    });

    app.get('/payments/webhooks/:id/deliveries', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'The delivery log of a subscription: every attempt with its answer', params: WebhookParams, querystring: EventsQuery } }, async (request) => {
      const id = request.params.id.toLowerCase();
      if (!(await payments.webhooks.get(id))) throw unknownId('webhook_not_found', '/params/id', `no webhook ${request.params.id}`);
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const deliveries = await payments.webhooks.deliveries(id, { after: decodeBigintCursor(request.query.after, '/query/after') ?? 0n, limit: Math.min(limit, PAYMENT_LIMITS.pageMaxItems) });
      return page(deliveries, limit, (delivery) => delivery.eventSeq, renderDelivery);
    });
  };
}
