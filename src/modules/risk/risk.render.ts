import type { RiskEvent } from '../features/index.ts';
import type { DecisionVariables, FiredRule } from '../rules/index.ts';
import type { Decision, Hold, RiskSettings } from './risk.ts';

/** Wire shapes: snake_case, amounts as strings of minor units, instants as ISO 8601. */
const iso = (ms: number) => new Date(ms).toISOString();

export function renderSettings(settings: RiskSettings) {
  return {
    enabled: settings.enabled,
    fail_mode: settings.failMode,
    budget_ms: settings.budgetMs,
    codes: settings.codes,
    exempt_codes: settings.exemptCodes,
    channels: settings.channels,
    exempt_channels: settings.exemptChannels,
    updated_at: settings.updatedAt,
    updated_by: settings.updatedBy,
  };
}

const renderRule = (rule: FiredRule) => ({ rule_id: rule.ruleId, name: rule.name, score: rule.score, forces: rule.forces ?? null, reason: rule.reason });

export function renderEvent(event: RiskEvent) {
  return {
    id: event.id,
    at: iso(event.atMs),
    amount: String(event.amountMinor),
    currency: event.currency,
    debit_account_id: event.debitAccountId,
    credit_account_id: event.creditAccountId,
    debit_party_id: event.debitPartyId ?? null,
    credit_party_id: event.creditPartyId ?? null,
    debit_country: event.debitCountry ?? null,
    credit_country: event.creditCountry ?? null,
    device_id: event.deviceId ?? null,
    ip: event.ip ?? null,
    channel: event.channel ?? null,
    code: event.code ?? null,
    debit_name: event.debitName ?? null,
    credit_name: event.creditName ?? null,
  };
}

/** CEL integers are bigints; on the wire the amount is a string and the small ones are numbers. */
function renderVariables(variables: DecisionVariables) {
  return { ...variables, event: { ...variables.event, amount: String(variables.event.amount), code: Number(variables.event.code), hour: Number(variables.event.hour) } };
}

export function renderDecision(decision: Decision, withVariables = false) {
  return {
    id: decision.id,
    event_id: decision.eventId,
    source: decision.source,
    decided_at: iso(decision.atMs),
    outcome: decision.outcome,
    score: decision.score,
    reasons: decision.reasons,
    fired: decision.fired.map(renderRule),
    ruleset: decision.ruleset,
    shadow: decision.shadow.map((result) => ({ ruleset_id: result.rulesetId, version: result.version, outcome: result.outcome, score: result.score, fired: result.fired.map(renderRule) })),
    rule_errors: decision.ruleErrors.map((error) => ({ rule_id: error.ruleId, message: error.message })),
    list_hits: decision.listHits.map((hit) => ({ entry_id: hit.entryId, list: hit.list, kind: hit.kind, value: hit.value, matched: hit.matched, reason: hit.reason })),
    elapsed_ms: decision.elapsedMs,
    fail_mode: decision.failMode,
    event: renderEvent(decision.event),
    ...(withVariables ? { variables: decision.variables ? renderVariables(decision.variables) : null } : {}),
  };
}

export function renderHold(hold: Hold) {
  return {
    id: hold.id,
    kind: hold.kind,
    status: hold.status,
    decision_ids: hold.decisionIds,
    transfers: hold.items.map((item) => ({ id: item.transferId, on_release: item.onRelease })),
    amount: String(hold.amountMinor),
    currency: hold.currency,
    debit_account_id: hold.debitAccountId,
    credit_account_id: hold.creditAccountId,
    reasons: hold.reasons,
    created_at: iso(hold.createdAtMs),
    resolved_at: hold.resolvedAtMs === null ? null : iso(hold.resolvedAtMs),
    resolved_by: hold.resolvedBy,
    note: hold.note,
    detail: hold.detail,
  };
}
