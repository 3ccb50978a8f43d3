/**
 * Payment return (pacs.004.001.09): sends back funds of a settled transfer that could not be
 * applied (closed account, duplicate …), referring to the original by its ids and UETR.
 */
import { problem, refuse, type Iso20022Problem, type Iso20022Result } from './iso20022.errors.ts';
import { assemble, checkHeader, headerAgents } from './iso20022.header.ts';
import { checkChargeBearer, checkCharges, checkDate, checkDateTime, checkId, checkReason, checkUetr, sumWritable } from './iso20022.checks.ts';
import { checkMoney } from './iso20022.values.ts';
import { agent, amount, element, reason, text } from './iso20022.writer.ts';
import {
  ISO20022_LIMITS,
  MESSAGE_DEFINITIONS,
  type HeaderInput,
  type OutboundMessage,
  type PaymentReturn,
  type ReturnedTransaction,
} from './iso20022.ts';

function checkReturnedTransaction(problems: Iso20022Problem[], path: string, transaction: ReturnedTransaction): void {
  checkId(problems, `${path}.returnId`, transaction.returnId);
  checkId(problems, `${path}.original.messageId`, transaction.original.messageId);
  checkId(problems, `${path}.original.messageDefinition`, transaction.original.messageDefinition);
  checkDateTime(problems, `${path}.original.createdAt`, transaction.original.createdAt);
  checkId(problems, `${path}.originalInstructionId`, transaction.originalInstructionId);
  checkId(problems, `${path}.originalEndToEndId`, transaction.originalEndToEndId);
  checkId(problems, `${path}.originalTransactionId`, transaction.originalTransactionId);
  checkUetr(problems, `${path}.originalUetr`, transaction.originalUetr);
  checkDate(problems, `${path}.originalSettlementDate`, transaction.originalSettlementDate);
  checkDate(problems, `${path}.settlementDate`, transaction.settlementDate);
  const returnedOk = checkMoney(problems, `${path}.returnedAmount`, transaction.returnedAmount);
  const original = transaction.originalSettlementAmount;
  const originalOk = original === undefined || checkMoney(problems, `${path}.originalSettlementAmount`, original);
  // A return gives back at most what was received; a larger amount would create money.
  if (returnedOk && originalOk && original && original.currency === transaction.returnedAmount.currency && transaction.returnedAmount.amount > original.amount) {
    problems.push(problem('amount_out_of_range', `${path}.returnedAmount`, 'the returned amount exceeds the original settlement amount'));
  }
  checkChargeBearer(problems, `${path}.chargeBearer`, transaction.chargeBearer);
  checkCharges(problems, `${path}.charges`, transaction.charges);
  checkReason(problems, `${path}.reason`, transaction.reason);
}

/** Builds a pacs.004.001.09 payment return with its header. */
export function buildPacs004(header: HeaderInput, paymentReturn: Omit<PaymentReturn, 'messageId' | 'createdAt'>): Iso20022Result<OutboundMessage> {
  const problems: Iso20022Problem[] = [];
  checkHeader(problems, header);
  const { transactions } = paymentReturn;
  if (transactions.length === 0) problems.push(problem('empty_message', 'return.transactions', 'a return carries at least one transaction'));
  if (transactions.length > ISO20022_LIMITS.transactionsMaxPerMessage) {
    problems.push(problem('too_many_transactions', 'return.transactions', `at most ${ISO20022_LIMITS.transactionsMaxPerMessage} transactions fit in one return`));
  } else {
    transactions.forEach((transaction, index) => checkReturnedTransaction(problems, `return.transactions[${index}]`, transaction));
  }
  if (problems.length > 0) return refuse(problems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  const totals = sumWritable(transactions.map((transaction) => transaction.returnedAmount));
  const groupHeader = element(
    'GrpHdr',
    text('MsgId', header.businessMessageId),
    text('CreDtTm', header.createdAt),
    text('NbOfTxs', String(transactions.length)),
    text('CtrlSum', totals.controlSum),
    amount('TtlRtrdIntrBkSttlmAmt', totals.total),
    element('SttlmInf', text('SttlmMtd', paymentReturn.settlementMethod)),
    headerAgents(header),
  );
  const body = element('PmtRtr', groupHeader, ...transactions.map(writeReturnedTransaction));
  return { ok: true, value: assemble(header, MESSAGE_DEFINITIONS.paymentReturn, body) };
}

function writeReturnedTransaction(transaction: ReturnedTransaction): string {
  const { original } = transaction;
  return element(
    'TxInf',
    text('RtrId', transaction.returnId),
    element('OrgnlGrpInf', text('OrgnlMsgId', original.messageId), text('OrgnlMsgNmId', original.messageDefinition), text('OrgnlCreDtTm', original.createdAt)),
    text('OrgnlInstrId', transaction.originalInstructionId),
    text('OrgnlEndToEndId', transaction.originalEndToEndId),
    text('OrgnlTxId', transaction.originalTransactionId),
    text('OrgnlUETR', transaction.originalUetr),
    amount('OrgnlIntrBkSttlmAmt', transaction.originalSettlementAmount),
    text('OrgnlIntrBkSttlmDt', transaction.originalSettlementDate),
    amount('RtrdIntrBkSttlmAmt', transaction.returnedAmount),
    text('IntrBkSttlmDt', transaction.settlementDate),
    text('ChrgBr', transaction.chargeBearer),
    ...(transaction.charges ?? []).map((charge) => element('ChrgsInf', amount('Amt', charge.amount), agent('Agt', charge.agentBic))),
    reason('RtrRsnInf', transaction.reason.code, transaction.reason.additionalInformation),
  );
}
