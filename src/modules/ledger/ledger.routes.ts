import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ISO_4217_SCALES, LIMITS, isoToNs, msToNs, normalizeUuid, parseMinorUnits } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { partyScope, visibleKeyIds } from '../../http/auth.ts';
import { decodeBigintCursor, page, PageQuery } from '../../http/pagination.ts';
import { fieldProblem, ProblemError, unknownId, type FieldError } from '../../http/problem.ts';
import { acceptSingleOrBatch, isSingle } from '../../http/single.ts';
import { AccountFlags, TransferFlags, canonicalMetadata, flagsToBits, type AccountRequest, type Transfer, type TransferRequest } from './ledger.ts';
import { LEDGER_ERROR_STATUS } from './ledger.errors.ts';
import { AccountBatch, IdParams, Instant, LedgerId, LedgerInput, TransferBatch, Uuid, type AccountInput, type TransferInput } from './ledger.schema.ts';
import { fieldOfResult, renderAccount, renderBalances, renderLedger, renderTransfer } from './ledger.render.ts';
import { registerLookupRoutes } from './ledger.lookup.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

function parseInstant(text: string | undefined, pointer: string): bigint | undefined {
  if (text === undefined) return undefined;
  const ns = /^\d{1,19}$/.test(text) ? BigInt(text) : isoToNs(text);
  // Timestamps are signed 64-bit nanoseconds since 1970, and nothing in a ledger predates its epoch.
  if (ns === undefined || ns < 0n || ns > 2n ** 63n - 1n) throw fieldProblem(400, 'invalid_instant', pointer, 'is not an ISO 8601 instant or nanoseconds since the epoch');
  return ns;
}

function amountOf(text: string | undefined, pointer: string): bigint | undefined {
  if (text === undefined) return undefined;
  const amount = parseMinorUnits(text);
  if (amount === undefined || amount === 0n) throw fieldProblem(400, 'amount_out_of_range', pointer, 'must be between 1 and 9223372036854775807 minor units');
  return amount;
}

function toTransferRequest(input: Static<typeof TransferInput>, pointer: string): TransferRequest {
  return {
    id: normalizeUuid(input.id),
    debitAccountId: input.debit_account_id && normalizeUuid(input.debit_account_id),
    creditAccountId: input.credit_account_id && normalizeUuid(input.credit_account_id),
    amount: amountOf(input.amount, `${pointer}/amount`),
    pendingId: input.pending_id && normalizeUuid(input.pending_id),
    ledger: input.ledger,
    code: input.code,
    flags: flagsToBits(input.flags ?? [], TransferFlags),
    timeoutSeconds: input.timeout,
    metadata: canonicalMetadata(input.metadata),
  };
}

function toAccountRequest(input: Static<typeof AccountInput>): AccountRequest {
  return {
    id: normalizeUuid(input.id),
    ledger: input.ledger,
    code: input.code,
    flags: flagsToBits(input.flags ?? [], AccountFlags),
    partyId: input.party_id ?? null,
    metadata: canonicalMetadata(input.metadata),
  };
}

/** What risk control said about an item (src/flows/risk-gate.ts): the decision, and the hold it waits in. */
interface RiskNote {
  readonly decisionId?: string;
  readonly holdId?: string;
}

function riskFields(item: RiskNote): { decision_id?: string; hold_id?: string } {
  const fields: { decision_id?: string; hold_id?: string } = {};
  if (item.decisionId) fields.decision_id = item.decisionId;
  if (item.holdId) fields.hold_id = item.holdId;
  return fields;
}

function ruleProblem(code: string, pointerPrefix: string, risk: RiskNote = {}): ProblemError {
  if (code === 'risk_declined') {
    return new ProblemError(422, code, `risk control declined the transfer (decision ${risk.decisionId ?? 'unknown'}); nothing was booked`, [{ pointer: `${pointerPrefix}/id`, code, detail: 'was declined by risk control' }], riskFields(risk));
  }
  if (code === 'held_for_review') {
    return new ProblemError(409, code, `the pending transfer is held for review (hold ${risk.holdId ?? 'unknown'}); only the review may post it`, [{ pointer: `${pointerPrefix}/pending_id`, code, detail: 'is held for review' }], riskFields(risk));
  }
  const status = code.startsWith('exists_with_different') ? 409 : 422;
  const pointer = `${pointerPrefix}${fieldOfResult(code)}`;
  return new ProblemError(status, code, `the ledger refused the request: ${code.replace(/_/g, ' ')}`, [{ pointer, code, detail: code.replace(/_/g, ' ') }]);
}

/** A ledger defined again with the same id must match: the refusal names the field that differs. */
const LEDGER_CONFLICT_FIELD = {
  ledger_exists_with_different_asset_code: '/asset_code',
  ledger_exists_with_different_scale: '/scale',
  ledger_exists_with_different_name: '/name',
} as const;

export function ledgerRoutes(platform: Platform) {
  const { ledger } = platform;

  /**
   * A participant may only move money out of, and open accounts for, its own parties. The pending
   * transfers a batch names, then the accounts it debits, are read in one lookup each.
   */
  async function checkParticipantTransfers(scope: readonly string[], requests: readonly TransferRequest[], single: boolean): Promise<void> {
    const pendingIds = [...new Set(requests.flatMap((request) => (request.pendingId ? [request.pendingId] : [])))];
    const pending = new Map((await ledger.lookupTransfers(pendingIds)).map((transfer) => [transfer.id, transfer]));
    const debitOf = (request: TransferRequest) => (request.pendingId ? pending.get(request.pendingId)?.debitAccountId : request.debitAccountId);
    const debitIds = [...new Set(requests.map(debitOf).filter((id): id is string => Boolean(id)))];
    const accounts = new Map((await ledger.getAccounts(debitIds)).map((account) => [account.id, account]));
    const errors: FieldError[] = [];
    for (const [index, request] of requests.entries()) {
      const debitId = debitOf(request);
      const account = debitId ? accounts.get(debitId) : undefined;
      if (!account || !account.partyId || !scope.includes(account.partyId)) {
        errors.push({ pointer: `${single ? '' : `/transfers/${index}`}${request.pendingId ? '/pending_id' : '/debit_account_id'}`, code: 'account_not_owned', detail: 'is not an account of your parties' });
        if (errors.length >= 20) break;
      }
    }
    if (errors.length > 0) throw new ProblemError(403, 'account_not_owned', 'a participant key may only debit accounts of its own parties', errors);
  }

  /** The account an id names, if the key may see it; `pointer` names where the request gave the id. */
  async function visibleAccount(request: FastifyRequest, id: string, pointer = '/params/id') {
    const account = await ledger.getAccount(normalizeUuid(id));
    const scope = partyScope(request);
    if (!account || (scope && (!account.partyId || !scope.includes(account.partyId)))) throw unknownId('account_not_found', pointer, `no account ${id}`);
    return account;
  }

  return async function register(app: App) {
    app.post('/ledgers', {
      config: { permission: 'manage' },
      schema: { tags: ['ledger'], summary: 'Define a ledger (one per currency or asset)', body: LedgerInput },
    }, async (request, reply) => {
      const { id, asset_code: assetCode, name } = request.body;
      const scale = request.body.scale ?? ISO_4217_SCALES[assetCode];
      if (scale === undefined) throw fieldProblem(400, 'scale_required', '/scale', `is required for ${assetCode}, which is not an ISO 4217 currency Sluice knows`);
      const result = await ledger.createLedger({ id, assetCode, scale, name });
      if (!result.ok) {
        const field = Object.hasOwn(LEDGER_CONFLICT_FIELD, result.error) ? LEDGER_CONFLICT_FIELD[result.error as keyof typeof LEDGER_CONFLICT_FIELD] : undefined;
        if (field) throw fieldProblem(LEDGER_ERROR_STATUS[result.error], result.error, field, `differs from ledger ${id} as it was defined`);
        throw new ProblemError(LEDGER_ERROR_STATUS[result.error], result.error, `ledger ${id} could not be defined`);
      }
      return reply.status(result.value.created ? 201 : 200).send(renderLedger(result.value.ledger));
    });

    app.get('/ledgers', { config: { permission: 'read' }, schema: { tags: ['ledger'], summary: 'List ledgers' } }, async () => ({
      data: (await ledger.listLedgers()).map(renderLedger),
    }));

    app.get('/ledgers/:id', {
      config: { permission: 'read' },
      schema: { tags: ['ledger'], summary: 'Get a ledger', params: Type.Object({ id: LedgerId }) },
    }, async (request) => {
      const found = await ledger.getLedger(request.params.id);
      if (!found) throw unknownId('ledger_not_found', '/params/id', `no ledger ${request.params.id}`);
      return renderLedger(found);
    });

    app.post('/accounts', {
      config: { permission: 'write' },
      preValidation: acceptSingleOrBatch('accounts'),
      schema: {
        tags: ['ledger'],
        summary: `Create one account, or a batch of up to ${LIMITS.batchMaxItems} as {"accounts": [...]}`,
        body: AccountBatch,
      },
    }, async (request, reply) => {
      const requests = request.body.accounts.map(toAccountRequest);
      const scope = partyScope(request);
      if (scope) {
        const foreign = requests.findIndex((item) => !item.partyId || !scope.includes(item.partyId));
        if (foreign >= 0) throw fieldProblem(403, 'party_not_owned', `${isSingle(request) ? '' : `/accounts/${foreign}`}/party_id`, 'must be one of your parties');
        // An account without this flag can be debited without bound: a participant could open one and
        // pay out of it money nobody lent it. Accounts that may be overdrawn are opened by the bank's staff.
        const unlimited = requests.findIndex((item) => (item.flags & AccountFlags.debits_must_not_exceed_credits) === 0);
        if (unlimited >= 0) throw fieldProblem(403, 'overdraft_not_allowed', `${isSingle(request) ? '' : `/accounts/${unlimited}`}/flags`, 'a participant key may only open accounts with debits_must_not_exceed_credits');
      }
      // Through the risk gate, which remembers each new account's owner for the transfers to come.
      const results = await platform.transferGate.createAccounts(requests, request.principal?.id ?? null);
      return answer(request, reply, results, async (id) => renderAccount((await ledger.getAccount(id))!), 'accounts');
    });

    app.get('/accounts', {
      config: { permission: 'read' },
      schema: {
        tags: ['ledger'],
        summary: 'List accounts, oldest first',
        querystring: Type.Object({ ledger: Type.Optional(LedgerId), code: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.codeMax })), party_id: Type.Optional(Type.String({ maxLength: 64 })), ...PageQuery }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { limit = LIMITS.pageDefaultItems, order = 'asc' } = request.query;
      const accounts = await ledger.listAccounts({
        ledger: request.query.ledger, code: request.query.code, partyId: request.query.party_id,
        partyIds: partyScope(request) ?? undefined, after: decodeBigintCursor(request.query.cursor), order, limit,
      });
      return page(accounts, limit, (account) => account.timestamp, renderAccount);
    });

    app.get('/accounts/:id', { config: { permission: 'read' }, schema: { tags: ['ledger'], summary: 'Get an account with its balances', params: IdParams } }, async (request) => {
      const account = await visibleAccount(request, request.params.id);
      // Who opened it, as its batch's journal entry records: shown as the keys of transfers are.
      return { ...renderAccount(account), submitted_by: visibleKeyIds(request)(await ledger.submitterOf(account)) };
    });

    for (const [action, closed] of [['close', true], ['reopen', false]] as const) {
      app.post(`/accounts/:id/${action}`, {
        config: { permission: 'manage' },
        schema: { tags: ['ledger'], summary: closed ? 'Close an account: it takes no new transfers' : 'Reopen a closed account', params: IdParams },
      }, async (request) => {
        const id = normalizeUuid(request.params.id);
        const result = await ledger.setAccountClosed(id, closed);
        if (result !== 'ok') {
          // The account in the path is what the refusal is about, so the problem points at it.
          const detail = result.replace(/_/g, ' ');
          throw new ProblemError(LEDGER_ERROR_STATUS[result], result, `cannot ${action} account ${id}: ${detail}`, [{ pointer: '/params/id', code: result, detail }]);
        }
        return renderAccount((await ledger.getAccount(id))!);
      });
    }

    app.get('/accounts/:id/balances', {
      config: { permission: 'read' },
      schema: { tags: ['ledger'], summary: 'Balances now, or at a past instant', params: IdParams, querystring: Type.Object({ at: Type.Optional(Instant) }, { additionalProperties: false }) },
    }, async (request) => {
      const account = await visibleAccount(request, request.params.id);
      const result = await ledger.balancesAt(account.id, parseInstant(request.query.at, '/query/at'));
      if (!result.ok) throw unknownId(result.error, '/params/id', `no account ${request.params.id}`);
      return { account_id: account.id, at: String(result.value.at), source: result.value.source, ...renderBalances(result.value) };
    });

    app.get('/accounts/:id/balances/series', {
      config: { permission: 'read' },
      schema: {
        tags: ['ledger'],
        summary: 'Balances at evenly spaced instants, for a chart: one request instead of one per point',
        description: `From the account's opening (or \`from\`) to now (or \`to\`), both included; at most ${LIMITS.balanceSeriesMaxPoints} points.`,
        params: IdParams,
        querystring: Type.Object({
          from: Type.Optional(Instant), to: Type.Optional(Instant),
          points: Type.Optional(Type.Integer({ minimum: 2, maximum: LIMITS.balanceSeriesMaxPoints })),
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const account = await visibleAccount(request, request.params.id);
      const from = parseInstant(request.query.from, '/query/from') ?? account.timestamp;
      const to = parseInstant(request.query.to, '/query/to') ?? msToNs(platform.clock.nowMs());
      if (to <= from) throw fieldProblem(400, 'invalid_range', request.query.to === undefined ? '/query/from' : '/query/to', 'the series must end after it starts');
      const count = BigInt(request.query.points ?? LIMITS.balanceSeriesDefaultPoints);
      const instants = Array.from({ length: Number(count) }, (_, index) => from + ((to - from) * BigInt(index)) / (count - 1n));
      const result = await ledger.balanceSeries(account.id, instants);
      if (!result.ok) throw unknownId(result.error, '/params/id', `no account ${request.params.id}`);
      return { account_id: account.id, points: result.value.map((point) => ({ at: String(point.at), ...renderBalances(point) })) };
    });

    app.get('/accounts/:id/history', {
      config: { permission: 'read' },
      schema: {
        tags: ['ledger'],
        summary: 'Balance after each change, for accounts with the history flag',
        params: IdParams,
        querystring: Type.Object({ from: Type.Optional(Instant), to: Type.Optional(Instant), ...PageQuery }, { additionalProperties: false }),
      },
    }, async (request) => {
      const account = await visibleAccount(request, request.params.id);
      const { limit = LIMITS.pageDefaultItems, order = 'asc' } = request.query;
      const result = await ledger.balanceHistory(account.id, {
        fromNs: parseInstant(request.query.from, '/query/from'), toNs: parseInstant(request.query.to, '/query/to'),
        after: decodeBigintCursor(request.query.cursor), order, limit,
      });
      if (!result.ok) throw new ProblemError(409, result.error, 'create the account with the history flag to keep its balance history');
      return page(result.value, limit, (row) => row.timestamp, (row) => ({ timestamp: String(row.timestamp), ...renderBalances(row) }));
    });

    app.post('/transfers', {
      config: { permission: 'write' },
      preValidation: acceptSingleOrBatch('transfers'),
      schema: {
        tags: ['ledger'],
        summary: `Create one transfer, or a batch of up to ${LIMITS.batchMaxItems} as {"transfers": [...]}`,
        description: 'A single transfer answers 201 (200 when replayed) or a problem; a batch answers 200 with one result per item, in order.',
        body: TransferBatch,
      },
    }, async (request, reply) => {
      const single = isSingle(request);
      const requests = request.body.transfers.map((input, index) => toTransferRequest(input, single ? '' : `/transfers/${index}`));
      const scope = partyScope(request);
      if (scope) await checkParticipantTransfers(scope, requests, single);
      // Risk control decides every new transfer before the ledger books it (src/flows/risk-gate.ts).
      const results = await platform.transferGate.createTransfers(requests, { channel: single ? 'api' : 'batch', submittedBy: request.principal?.id ?? null });
      // The engine hands back the record of a single accepted transfer; reading it again would cost a query per request.
      return answer(request, reply, results, async (id, item) => renderTransfer(item.transfer ?? (await ledger.getTransfer(id))!), 'transfers');
    });

    app.get('/transfers', {
      config: { permission: 'read' },
      schema: {
        tags: ['ledger'],
        summary: 'Query transfers by account, code, ledger and time range',
        querystring: Type.Object({
          account_id: Type.Optional(Uuid), code: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.codeMax })), ledger: Type.Optional(LedgerId),
          from: Type.Optional(Instant), to: Type.Optional(Instant), ...PageQuery,
        }, { additionalProperties: false }),
      },
    }, async (request) => {
      const { limit = LIMITS.pageDefaultItems, order = 'asc' } = request.query;
      if (partyScope(request)) {
        if (!request.query.account_id) throw fieldProblem(400, 'account_id_required', '/query/account_id', 'is required for participant keys');
        await visibleAccount(request, request.query.account_id, '/query/account_id');
      }
      const transfers = await ledger.listTransfers({
        accountId: request.query.account_id && normalizeUuid(request.query.account_id), code: request.query.code, ledger: request.query.ledger,
        fromNs: parseInstant(request.query.from, '/query/from'), toNs: parseInstant(request.query.to, '/query/to'),
        after: decodeBigintCursor(request.query.cursor), order, limit,
      });
      return page(transfers, limit, (transfer) => transfer.timestamp, renderTransfer);
    });

    app.get('/transfers/:id', { config: { permission: 'read' }, schema: { tags: ['ledger'], summary: 'Get a transfer', params: IdParams } }, async (request) => {
      const transfer = await ledger.getTransfer(normalizeUuid(request.params.id));
      const scope = partyScope(request);
      let visible = transfer !== undefined;
      if (transfer && scope) {
        const [debit, credit] = [await ledger.getAccount(transfer.debitAccountId), await ledger.getAccount(transfer.creditAccountId)];
        visible = [debit, credit].some((account) => account?.partyId && scope.includes(account.partyId));
      }
      if (!transfer || !visible) throw unknownId('transfer_not_found', '/params/id', `no transfer ${request.params.id}`);
      const pending = transfer.flags & TransferFlags.pending ? await ledger.pendingStatus(transfer.id) : undefined;
      // Who submitted it, as its batch's journal entry records: shown as the keys of payments are.
      const submittedBy = visibleKeyIds(request)(await ledger.submitterOf(transfer));
      return { ...renderTransfer(transfer), ...(pending ? { pending_status: pending.status } : {}), submitted_by: submittedBy };
    });

    registerLookupRoutes(app, ledger);
  };
}

/** One answer shape for both entry points: a single item gets a resource or a problem; a batch gets results. */
async function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  results: readonly ({ result: string; id: string; timestamp?: bigint; replayed?: boolean; transfer?: Transfer } & RiskNote)[],
  load: (id: string, item: { readonly transfer?: Transfer }) => Promise<unknown>,
  key: 'transfers' | 'accounts',
) {
  if (isSingle(request)) {
    const [only] = results;
    if (!only) throw new ProblemError(500, 'internal_error', 'no result');
    if (only.result !== 'ok') throw ruleProblem(only.result, '', only);
    // A transfer held for review was booked pending; the answer says so and where it waits.
    const held = only.holdId ? { risk: { outcome: 'review', ...riskFields(only) } } : {};
    return reply.status(only.replayed ? 200 : 201).send({ ...(await load(only.id, only) as object), ...held });
  }
  void key;
  return reply.status(200).send({
    results: results.map((item, index) =>
      item.result === 'ok'
        ? { index, id: item.id, result: 'ok', timestamp: String(item.timestamp), replayed: item.replayed ?? false, ...riskFields(item) }
        : { index, id: item.id, result: item.result, ...riskFields(item) }),
  });
}
