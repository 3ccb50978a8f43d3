import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { LIMITS, NANOSECONDS_PER_MILLISECOND, isoToNs, normalizeUuid, parseMinorUnits, uuidv7 } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { partyScope } from '../../http/auth.ts';
import { decodeTextCursor, page } from '../../http/pagination.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import type { RiskEvent } from '../features/index.ts';
import { RISK_ERROR_STATUS, type RiskError } from './risk.errors.ts';
import { renderDecision, renderHold, renderSettings } from './risk.render.ts';
import { DecisionInput, DecisionsQuery, HoldsQuery, IdParams, ResolveInput, SettingsInput } from './risk.schema.ts';
import type { SettingsInput as SettingsChange } from './risk.service.ts';
import type { HoldStatus } from './risk.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];

function riskProblem(code: RiskError, detail: string): ProblemError {
  return new ProblemError(RISK_ERROR_STATUS[code], code, detail);
}

const actorOf = (request: FastifyRequest): string => request.principal?.id ?? 'unknown';

function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const ns = isoToNs(text);
  if (ns === undefined) throw fieldProblem(400, 'invalid_instant', '/query/since', 'is not an ISO 8601 instant or epoch milliseconds');
  return Number(ns / NANOSECONDS_PER_MILLISECOND);
}

function eventOf(body: Static<typeof DecisionInput>, atMs: number): RiskEvent {
  const amountMinor = parseMinorUnits(body.amount);
  if (amountMinor === undefined) throw fieldProblem(400, 'amount_out_of_range', '/amount', 'must be between 0 and 9223372036854775807 minor units');
  const optional = {
    debitPartyId: body.debit_party_id, creditPartyId: body.credit_party_id, deviceId: body.device_id, ip: body.ip, debitCountry: body.debit_country,
    creditCountry: body.credit_country, channel: body.channel ?? 'api', code: body.code, debitName: body.debit_name, creditName: body.credit_name,
  };
  return {
    id: body.id ? normalizeUuid(body.id) : uuidv7(atMs), atMs, amountMinor, currency: body.currency, debitAccountId: body.debit_account_id, creditAccountId: body.credit_account_id,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

function settingsChangeOf(body: Static<typeof SettingsInput>): SettingsChange {
  return {
    enabled: body.enabled, failMode: body.fail_mode, budgetMs: body.budget_ms, codes: body.codes, exemptCodes: body.exempt_codes,
    channels: body.channels, exemptChannels: body.exempt_channels,
  };
}

/** A hold's position in the list: its creation instant and id. */
function holdCursor(text: string | undefined): { createdAtMs: number; id: string } | undefined {
  const position = decodeTextCursor(text);
  if (position === undefined) return undefined;
  const match = /^(\d{1,15}) ([A-Za-z0-9-]{1,64})$/.exec(position);
  if (!match) throw fieldProblem(400, 'invalid_cursor', '/query/cursor', 'is not a cursor this API gave out');
  return { createdAtMs: Number(match[1]), id: match[2] as string };
}

export function riskRoutes(platform: Platform) {
  const { risk } = platform;

  return async function register(app: App) {
    app.get('/risk/settings', { config: { permission: 'risk' }, schema: { tags: TAGS, summary: 'Which transfers and payments are evaluated, the fail mode and the time budget' } }, async () =>
      renderSettings(risk.settings()));

    app.put('/risk/settings', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Change the settings; fields left out keep their value', body: SettingsInput } }, async (request) => {
      const result = await risk.updateSettings(settingsChangeOf(request.body), actorOf(request));
      if (!result.ok) throw riskProblem(result.error, 'the settings are not valid');
      return renderSettings(result.value);
    });

    app.post('/risk/decisions', {
      config: { permission: 'write' },
      schema: { tags: TAGS, summary: 'Decide an event described in the body; books nothing, and records it to the feature windows only when asked', body: DecisionInput },
    }, async (request, reply) => {
      // Participants could otherwise probe the rules and the lists about anyone's accounts.
      if (partyScope(request)) throw new ProblemError(403, 'forbidden', 'participant keys may not ask for stand-alone decisions');
      const event = eventOf(request.body, platform.clock.nowMs());
      const decision = await risk.decide(event, 'api');
      if (request.body.record) await risk.record([event]);
      return reply.status(201).send(renderDecision(decision, true));
    });

    app.get('/risk/decisions', { config: { permission: 'risk' }, schema: { tags: TAGS, summary: 'The decision feed, by time; filter by outcome and since', querystring: DecisionsQuery } }, async (request) => {
      const { limit = LIMITS.pageDefaultItems, order = 'asc' } = request.query;
      const decisions = await risk.listDecisions({
        ...(request.query.outcome ? { outcome: request.query.outcome } : {}), sinceMs: parseSince(request.query.since),
        after: decodeTextCursor(request.query.cursor), order, limit,
      });
      return page(decisions, limit, (decision) => decision.id, (decision) => renderDecision(decision));
    });

    app.get('/risk/decisions/:id', { config: { permission: 'risk' }, schema: { tags: TAGS, summary: 'One decision with the variables its rules saw', params: IdParams } }, async (request) => {
      const decision = await risk.getDecision(request.params.id.toLowerCase());
      if (!decision) throw unknownId('decision_not_found', '/params/id', `no decision ${request.params.id}`);
      return renderDecision(decision, true);
    });

    app.get('/risk/holds', { config: { permission: 'risk' }, schema: { tags: TAGS, summary: 'Transfers and payments held for review (status held unless asked otherwise), oldest first', querystring: HoldsQuery } }, async (request) => {
      const { limit = LIMITS.pageDefaultItems } = request.query;
      const status = (request.query.status ?? 'held') as HoldStatus | 'all';
      const holds = await risk.holds.list({
        ...(status === 'all' ? {} : { status }), ...(request.query.kind ? { kind: request.query.kind } : {}),
        after: holdCursor(request.query.cursor), limit,
      });
      return page(holds, limit, (hold) => `${hold.createdAtMs} ${hold.id}`, renderHold);
    });

    app.get('/risk/holds/:id', { config: { permission: 'risk' }, schema: { tags: TAGS, summary: 'One hold', params: IdParams } }, async (request) => {
      const hold = await risk.holds.get(request.params.id.toLowerCase());
      if (!hold) throw unknownId('hold_not_found', '/params/id', `no hold ${request.params.id}`);
      return renderHold(hold);
    });

    for (const action of ['release', 'reject'] as const) {
      app.post(`/risk/holds/:id/${action}`, {
        config: { permission: 'risk' },
        // The note is optional, so is the body: a bare POST is a release (or rejection) without one.
        preValidation: async (request) => {
          if (request.body === undefined) request.body = {};
        },
        schema: {
          tags: TAGS, params: IdParams, body: ResolveInput,
          summary: action === 'release' ? 'Release a hold: its transfers post (a payment settles)' : 'Reject a hold: its transfers are voided (a payment is rejected, FRAD)',
        },
      }, async (request) => {
        const id = request.params.id.toLowerCase();
        const result = await risk.holds[action](id, actorOf(request), request.body?.note);
        if (!result.ok) {
          if (result.error === 'hold_not_found') throw unknownId(result.error, '/params/id', `no hold ${request.params.id}`);
          const hold = await risk.holds.get(id);
          throw new ProblemError(RISK_ERROR_STATUS[result.error], result.error, `cannot ${action} hold ${id}: ${result.error.replace(/_/g, ' ')}${hold?.detail ? ` (${hold.detail})` : ''}`, [], hold ? { hold: renderHold(hold) } : {});
        }
        return renderHold(result.value);
      });
    }
  };
}
