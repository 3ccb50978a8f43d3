import { isMessageKey, type Translate } from '../app/i18n.tsx';

/**
 * What a status, state or other code word from the server belongs to: the same word can mean
 * different things in two modules (a settled hop, a settled voucher), and each module names its
 * words in its own messages.
 */
const MESSAGE_PREFIXES = {
  payment: 'payments.statusName',
  bearer: 'payments.bearer',
  settlement: 'payments.settlementName',
  legRole: 'payments.leg',
  hop: 'payments.hopStatus',
  voucher: 'scf.voucherStatus',
  piece: 'scf.pieceStatus',
  hold: 'risk.holdStatus',
  holdKind: 'risk.holdKind',
  listName: 'lists.listName',
  entryKind: 'lists.kindName',
  decisionSource: 'risk.sourceName',
  outcome: 'risk.outcomeName',
  case: 'cases.statusName',
  alertKind: 'cases.alertKind',
  auditAction: 'cases.auditAction',
  stage: 'rules.stageName',
  job: 'journal.jobStatus',
  accountFlag: 'ledger.accountFlag',
  transferFlag: 'ledger.transferFlag',
} as const;
export type CodeKind = keyof typeof MESSAGE_PREFIXES;

/**
 * Kinds whose codes are the domain's own terms, which readers look up and quote (ISO 20022
 * statuses and charge bearers): the code stays visible beside its name, as in "已入账 (ACCC)".
 */
const CODE_SHOWN: ReadonlySet<CodeKind> = new Set(['payment', 'bearer']);

/** A code word from the server in the reader's language; a word this console does not know is shown as it is. */
export function nameOf(t: Translate, kind: CodeKind, code: string): string {
  const key = `${MESSAGE_PREFIXES[kind]}.${code}`;
  if (!isMessageKey(key)) return code;
  return CODE_SHOWN.has(kind) ? `${t(key)} (${code})` : t(key);
}
