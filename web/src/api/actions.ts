import type { MessageKey } from '../i18n/en-US.ts';
import type { Permission } from './permissions.ts';

/**
 * Every request of the console that asks the server to do something (all but reads), with the
 * label of each field the server may name in a refusal. A refusal's `errors[].pointer` is a JSON
 * pointer into the request (`/amount`, `/rules/3/expression`, `/query/reason`, `/params/id`); the
 * console says it by the field's label in the reader's language, never as the raw pointer
 * (lib/problems.ts). An action's labels cover every pointer its route's schema can yield, which a
 * test checks against the server's OpenAPI document (test/web/actions.test.ts); `*` in a pointer
 * stands for any index of an array. Pages send these requests only through `callAction`
 * (api/act.ts), which gives every refusal the action's labels, whichever way the page then shows it.
 * This file stays free of the browser's APIs so that tests can read the table.
 */
export interface ConsoleAction {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  /** The permission the server asks of the route (api/permissions.ts): the console disables the action for a key without it. */
  readonly permission: Permission;
  /** The route as the OpenAPI document names it, `{name}` for a path parameter. */
  readonly route: string;
  /** What the body is: JSON, a file sent as it is (its pointer is `/`), or nothing. */
  readonly body: 'json' | 'file' | 'none';
  /** The label of every field the server may name, by its pointer. */
  readonly labels: Readonly<Record<string, MessageKey>>;
}

const PIECE_OPERATION = { '/params/piece_id': 'field.piece', '/id': 'field.operationId', '/acting_party_id': 'field.actingParty' } as const;
const HOLD = { '/params/id': 'field.hold', '/note': 'field.note' } as const;
const RULESET_BODY = {
  '/name': 'rules.name', '/rules': 'field.rules', '/rules/*': 'field.rule', '/rules/*/id': 'rules.id', '/rules/*/name': 'rules.ruleName', '/rules/*/expression': 'rules.expression',
  '/rules/*/score': 'rules.points', '/rules/*/outcome': 'rules.forces', '/rules/*/reason': 'rules.reason',
  '/thresholds': 'field.thresholds', '/thresholds/review_at': 'rules.reviewAt', '/thresholds/decline_at': 'rules.declineAt',
} as const;

export const ACTIONS = {
  verifyJournal: { method: 'POST', permission: 'verify', route: '/v1/journal/verify-jobs', body: 'none', labels: {} },
  signCheckpoint: { method: 'POST', permission: 'manage', route: '/v1/journal/checkpoints', body: 'none', labels: {} },
  verifyProof: { method: 'POST', permission: 'read', route: '/v1/journal/proofs/verify', body: 'json', labels: { '/proof': 'field.proofFile' } },

  addListEntry: {
    method: 'POST', permission: 'risk', route: '/v1/risk/lists/entries', body: 'json',
    labels: { '/list': 'lists.list', '/kind': 'lists.kind', '/value': 'lists.value', '/reason': 'lists.reason', '/expires_at': 'lists.expires' },
  },
  removeListEntry: { method: 'DELETE', permission: 'risk', route: '/v1/risk/lists/entries/{id}', body: 'none', labels: { '/params/id': 'field.listEntry', '/query/reason': 'lists.reason', '/reason': 'lists.reason' } },
  importListEntries: { method: 'POST', permission: 'risk', route: '/v1/risk/lists/import', body: 'json', labels: { '/csv': 'field.csvFile' } },
  importWatchList: {
    method: 'POST', permission: 'risk', route: '/v1/risk/screening/lists', body: 'file',
    labels: { '/': 'field.watchListFile', '/content': 'field.watchListFile', '/query/name': 'lists.watchListName', '/name': 'lists.watchListName', '/query/format': 'lists.format', '/format': 'lists.format' },
  },
  screenName: {
    method: 'POST', permission: 'oversee', route: '/v1/risk/screening/screen', body: 'json',
    labels: { '/name': 'lists.name', '/country': 'field.country', '/birth_year': 'field.birthYear', '/threshold': 'field.matchThreshold' },
  },

  moveCase: {
    method: 'POST', permission: 'risk', route: '/v1/risk/cases/{id}/transition', body: 'json',
    labels: { '/params/id': 'cases.case', '/to': 'cases.moveTo', '/reason': 'cases.reason', '/block': 'cases.blockAccounts', '/block/accounts': 'cases.blockAccounts', '/block/parties': 'cases.blockAccounts' },
  },
  assignCase: { method: 'POST', permission: 'risk', route: '/v1/risk/cases/{id}/assign', body: 'json', labels: { '/params/id': 'cases.case', '/assignee': 'cases.assignTo' } },
  addCaseNote: { method: 'POST', permission: 'risk', route: '/v1/risk/cases/{id}/notes', body: 'json', labels: { '/params/id': 'cases.case', '/text': 'cases.addNote' } },
  linkToCase: {
    method: 'POST', permission: 'risk', route: '/v1/risk/cases/{id}/links', body: 'json',
    labels: {
      '/params/id': 'cases.case', '/transfer_ids': 'cases.linkTransfers', '/transfer_ids/*': 'cases.linkTransfers', '/party_ids': 'cases.linkParties', '/party_ids/*': 'cases.linkParties',
      '/payment_ids': 'cases.linkPayments', '/payment_ids/*': 'cases.linkPayments',
    },
  },
  releaseHold: { method: 'POST', permission: 'risk', route: '/v1/risk/holds/{id}/release', body: 'json', labels: HOLD },
  rejectHold: { method: 'POST', permission: 'risk', route: '/v1/risk/holds/{id}/reject', body: 'json', labels: HOLD },

  validateExpression: { method: 'POST', permission: 'risk', route: '/v1/risk/rules/validate', body: 'json', labels: { '/expression': 'rules.expression' } },
  createRuleset: { method: 'POST', permission: 'risk', route: '/v1/risk/rulesets', body: 'json', labels: RULESET_BODY },
  backtestRuleset: { method: 'POST', permission: 'risk', route: '/v1/risk/rulesets/{id}/backtest', body: 'json', labels: { '/params/id': 'field.ruleset', '/days': 'rules.days' } },
  promoteRuleset: { method: 'POST', permission: 'risk', route: '/v1/risk/rulesets/{id}/promote', body: 'json', labels: { '/params/id': 'field.ruleset', '/stage': 'rules.stage' } },

  signOffPiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/sign-off', body: 'json', labels: PIECE_OPERATION },
  declinePiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/decline', body: 'json', labels: PIECE_OPERATION },
  repurchasePiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/repurchase', body: 'json', labels: PIECE_OPERATION },
  splitPiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/split', body: 'json', labels: { ...PIECE_OPERATION, '/amounts': 'field.splitParts', '/amounts/*': 'field.splitPart' } },
  transferPiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/transfer', body: 'json', labels: { ...PIECE_OPERATION, '/to_party_id': 'scf.receiver' } },
  financePiece: { method: 'POST', permission: 'write', route: '/v1/scf/pieces/{piece_id}/finance', body: 'json', labels: { ...PIECE_OPERATION, '/bank_id': 'scf.bank', '/annual_rate_bps': 'scf.rateBps' } },

  sendPayment: {
    method: 'POST', permission: 'write', route: '/v1/payments', body: 'json',
    labels: {
      '/id': 'field.operationId', '/uetr': 'field.uetr', '/end_to_end_id': 'field.endToEndId', '/instruction_id': 'field.instructionId',
      '/debtor_account': 'payments.debtorAccount', '/creditor_account': 'payments.creditorAccount', '/debtor_agent': 'payments.role.debtor_agent', '/creditor_agent': 'payments.role.creditor_agent',
      '/amount': 'payments.amount', '/currency': 'field.currency', '/charge_bearer': 'payments.chargeBearer', '/purpose': 'field.purpose', '/remittance_information': 'field.remittance',
      '/quote_id': 'payments.liveQuote', '/settlement': 'payments.settlement', '/acceptance_timeout_seconds': 'field.acceptanceTimeout',
    },
  },
  quoteFx: {
    method: 'POST', permission: 'write', route: '/v1/fx/quotes', body: 'json',
    labels: { '/sell_currency': 'payments.sell', '/buy_currency': 'payments.buy', '/sell_amount': 'payments.amount', '/buy_amount': 'payments.creditorReceives', '/ttl_seconds': 'payments.expires' },
  },
  acceptPayment: { method: 'POST', permission: 'write', route: '/v1/payments/{uetr}/accept', body: 'none', labels: { '/params/uetr': 'payments.payment' } },
  cancelPayment: { method: 'POST', permission: 'write', route: '/v1/payments/{uetr}/cancel', body: 'json', labels: { '/params/uetr': 'payments.payment', '/reason': 'field.reasonCode' } },
  returnPayment: { method: 'POST', permission: 'write', route: '/v1/payments/{uetr}/return', body: 'json', labels: { '/params/uetr': 'payments.payment', '/reason': 'field.reasonCode' } },
} as const satisfies Readonly<Record<string, ConsoleAction>>;

export type ActionName = keyof typeof ACTIONS;

/** The path of an action's route with its parameters filled in. */
export function actionPath(action: ConsoleAction, params: Readonly<Record<string, string>> = {}): string {
  return action.route.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${action.route} needs the parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** An action's labels in the reader's language, for a page that names the field before any refusal of it. */
export function actionLabels(t: (key: MessageKey) => string, action: ConsoleAction): Readonly<Record<string, string>> {
  return Object.fromEntries(Object.entries(action.labels).map(([pointer, key]) => [pointer, t(key)]));
}
