/**
 * Payment status report (pacs.002.001.10): tells the sender of a message what became of it, for
 * the whole message (a file refused with FF01) or per transaction (RCVD → ACTC → ACSP → ACCC, or RJCT).
 */
import { problem, refuse, type Iso20022Problem, type Iso20022Result } from './iso20022.errors.ts';
import { assemble, checkHeader, headerAgents } from './iso20022.header.ts';
import { checkDateTime, checkId, checkReason, checkStatus, checkUetr } from './iso20022.checks.ts';
import { element, reason, text } from './iso20022.writer.ts';
import {
  ISO20022_LIMITS,
  MESSAGE_DEFINITIONS,
  type HeaderInput,
  type OutboundMessage,
  type StatusReason,
  type StatusReport,
  type TransactionStatusReport,
} from './iso20022.ts';

/** A rejection without a reason tells the sender nothing it can act on, so RJCT requires one. */
function checkRejectionHasReason(problems: Iso20022Problem[], path: string, status: string | undefined, statusReason: StatusReason | undefined): void {
  if (status === 'RJCT' && statusReason === undefined) {
    problems.push(problem('missing_element', path, 'a rejection (RJCT) must carry a reason code such as AC04, AM04 or FF01'));
  }
}

function checkReport(problems: Iso20022Problem[], report: StatusReport): void {
  checkId(problems, 'report.original.messageId', report.original.messageId);
  checkId(problems, 'report.original.messageDefinition', report.original.messageDefinition);
  checkDateTime(problems, 'report.original.createdAt', report.original.createdAt);
  checkStatus(problems, 'report.groupStatus', report.groupStatus);
  checkReason(problems, 'report.groupReason', report.groupReason);
  checkRejectionHasReason(problems, 'report.groupReason', report.groupStatus, report.groupReason);
  if (report.groupStatus === undefined && report.transactions.length === 0) {
    problems.push(problem('empty_message', 'report.transactions', 'a status report needs a group status or at least one transaction status'));
  }
  if (report.transactions.length > ISO20022_LIMITS.transactionsMaxPerMessage) {
    problems.push(problem('too_many_transactions', 'report.transactions', `at most ${ISO20022_LIMITS.transactionsMaxPerMessage} transactions fit in one report`));
    return;
  }
  report.transactions.forEach((transaction, index) => {
    const path = `report.transactions[${index}]`;
    checkId(problems, `${path}.originalEndToEndId`, transaction.originalEndToEndId);
    checkId(problems, `${path}.originalInstructionId`, transaction.originalInstructionId);
    checkId(problems, `${path}.originalTransactionId`, transaction.originalTransactionId);
    checkUetr(problems, `${path}.originalUetr`, transaction.originalUetr);
    checkStatus(problems, `${path}.status`, transaction.status);
    checkReason(problems, `${path}.reason`, transaction.reason);
    checkRejectionHasReason(problems, `${path}.reason`, transaction.status, transaction.reason);
    checkDateTime(problems, `${path}.acceptedAt`, transaction.acceptedAt);
  });
}

/** Builds a pacs.002.001.10 status report with its header. */
export function buildPacs002(header: HeaderInput, report: Omit<StatusReport, 'messageId' | 'createdAt'>): Iso20022Result<OutboundMessage> {
  const full: StatusReport = { ...report, messageId: header.businessMessageId, createdAt: header.createdAt };
  const problems: Iso20022Problem[] = [];
  checkHeader(problems, header);
  checkReport(problems, full);
  if (problems.length > 0) return refuse(problems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  const { original } = full;
  const body = element(
    'FIToFIPmtStsRpt',
    element('GrpHdr', text('MsgId', full.messageId), text('CreDtTm', full.createdAt), headerAgents(header)),
    element(
      'OrgnlGrpInfAndSts',
      text('OrgnlMsgId', original.messageId),
      text('OrgnlMsgNmId', original.messageDefinition),
      text('OrgnlCreDtTm', original.createdAt),
      text('OrgnlNbOfTxs', original.numberOfTransactions === undefined ? undefined : String(original.numberOfTransactions)),
      text('GrpSts', full.groupStatus),
      full.groupReason && reason('StsRsnInf', full.groupReason.code, full.groupReason.additionalInformation),
    ),
    ...full.transactions.map(writeTransactionStatus),
  );
  return { ok: true, value: assemble(header, MESSAGE_DEFINITIONS.paymentStatusReport, body) };
}

function writeTransactionStatus(transaction: TransactionStatusReport): string {
  return element(
    'TxInfAndSts',
    text('OrgnlInstrId', transaction.originalInstructionId),
    text('OrgnlEndToEndId', transaction.originalEndToEndId),
    text('OrgnlTxId', transaction.originalTransactionId),
    text('OrgnlUETR', transaction.originalUetr),
    text('TxSts', transaction.status),
    transaction.reason && reason('StsRsnInf', transaction.reason.code, transaction.reason.additionalInformation),
    text('AccptncDtTm', transaction.acceptedAt),
  );
}
