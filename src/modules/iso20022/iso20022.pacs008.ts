/**
 * FI-to-FI customer credit transfer (pacs.008.001.08): reading a schema-valid Document into the
 * neutral types, and building one from them. Both directions apply the same rules, so what Sluice
 * writes it would also accept.
 */
import { problem, refuse, type Iso20022Problem, type Iso20022Result } from './iso20022.errors.ts';
import { assemble, checkHeader } from './iso20022.header.ts';
import {
  checkControlSum,
  checkNumberOfTransactions,
  checkReadDate,
  createDuplicateGuard,
  readAgentBic,
  readChargeBearer,
  readCharges,
  readExchangeRate,
  readMoney,
  readParty,
  readRemittanceAndPurpose,
  readUetr,
  writtenAmount,
} from './iso20022.read.ts';
import { checkId, checkParty, checkTransferCommon, sumWritable } from './iso20022.checks.ts';
import { amountFromXml, deriveUetr, type Decimal } from './iso20022.values.ts';
import { account, agent, amount, element, text } from './iso20022.writer.ts';
import { child, childrenNamed, requiredChild, requiredText, textAt, type XmlNode } from './iso20022.xml.ts';
import {
  ISO20022_LIMITS,
  MESSAGE_DEFINITIONS,
  SETTLEMENT_METHODS,
  type CreditTransfer,
  type HeaderInput,
  type InterbankCreditTransfer,
  type InterbankCreditTransferMessage,
  type OutboundMessage,
  type SettlementMethod,
} from './iso20022.ts';

/** Reads a schema-valid pacs.008.001.08 Document; returns undefined when problems were found. */
export function readPacs008(document: XmlNode, problems: Iso20022Problem[], senderBic?: string): InterbankCreditTransferMessage | undefined {
  const message = child(document, 'FIToFICstmrCdtTrf');
  const header = child(message, 'GrpHdr');
  if (!message || !header) throw new Error('schema-valid pacs.008 lacks FIToFICstmrCdtTrf/GrpHdr');
  const messageId = requiredText(header, 'MsgId');
  const instructingAgentBic = readAgentBic(child(header, 'InstgAgt'), header, 'InstgAgt', false, problems);
  const instructedAgentBic = readAgentBic(child(header, 'InstdAgt'), header, 'InstdAgt', false, problems);
  const groupDate = textAt(header, 'IntrBkSttlmDt')?.trim();
  checkReadDate(child(header, 'CreDtTm'), problems);
  checkReadDate(child(header, 'IntrBkSttlmDt'), problems);
  const endToEndIds = createDuplicateGuard('duplicate_end_to_end_id', 'EndToEndId', problems);
  const uetrs = createDuplicateGuard('duplicate_uetr', 'UETR', problems);
  const sender = senderBic ?? instructingAgentBic ?? '';
  const transactions = childrenNamed(message, 'CdtTrfTxInf');
  const transfers: CreditTransfer[] = [];
  const written: Decimal[] = [];
  for (const transaction of transactions) {
    written.push(writtenAmount(child(transaction, 'IntrBkSttlmAmt')));
    const read = readTransaction(transaction, { messageId, sender, groupDate, problems, endToEndIds, uetrs });
    if (read) transfers.push(read);
  }
  checkNumberOfTransactions(child(header, 'NbOfTxs'), transactions.length, problems);
  checkControlSum(child(header, 'CtrlSum'), written, problems);
  checkTotal(child(header, 'TtlIntrBkSttlmAmt'), transactions, problems);
  if (problems.length > 0) return undefined;
  const method = requiredText(header, 'SttlmInf', 'SttlmMtd');
  return {
    messageId,
    createdAt: requiredText(header, 'CreDtTm').trim(),
    settlementMethod: SETTLEMENT_METHODS.find((candidate) => candidate === method) ?? 'CLRG',
    ...(instructingAgentBic !== undefined ? { instructingAgentBic } : {}),
    ...(instructedAgentBic !== undefined ? { instructedAgentBic } : {}),
    transfers,
  };
}

interface TransactionContext {
  readonly messageId: string;
  readonly sender: string;
  readonly groupDate: string | undefined;
  readonly problems: Iso20022Problem[];
  readonly endToEndIds: (value: string | undefined, path: string) => void;
  readonly uetrs: (value: string | undefined, path: string) => void;
}

function readTransaction(transaction: XmlNode, context: TransactionContext): CreditTransfer | undefined {
  const { problems } = context;
  const before = problems.length;
  const paymentId = child(transaction, 'PmtId');
  const endToEndId = requiredText(transaction, 'PmtId', 'EndToEndId');
  const instructionId = textAt(paymentId, 'InstrId');
  const transactionId = textAt(paymentId, 'TxId');
  context.endToEndIds(endToEndId, `${transaction.path}/PmtId/EndToEndId`);
  const givenUetr = readUetr(paymentId, problems);
  context.uetrs(givenUetr, `${transaction.path}/PmtId/UETR`);
  const settlementAmount = readMoney(requiredChild(transaction, 'IntrBkSttlmAmt'), problems);
  const instructedNode = child(transaction, 'InstdAmt');
  const instructedAmount = instructedNode ? readMoney(instructedNode, problems) : settlementAmount;
  const exchangeRate = readExchangeRate(child(transaction, 'XchgRate'), problems);
  if (instructedAmount && settlementAmount && instructedAmount.currency !== settlementAmount.currency && exchangeRate === undefined) {
    problems.push(problem('exchange_rate_required', `${transaction.path}/XchgRate`, `the instructed amount is in ${instructedAmount.currency} and settles in ${settlementAmount.currency}; the exchange rate is required`));
  }
  const settlementDate = textAt(transaction, 'IntrBkSttlmDt')?.trim() ?? context.groupDate;
  checkReadDate(child(transaction, 'IntrBkSttlmDt'), problems);
  if (settlementDate === undefined) {
    problems.push(problem('missing_element', `${transaction.path}/IntrBkSttlmDt`, 'the settlement date is required, in the transaction or the group header'));
  }
  const charges = readCharges(transaction, problems);
  const debtor = readParty(transaction, { party: 'Dbtr', account: 'DbtrAcct', agent: 'DbtrAgt' }, true, problems);
  const creditor = readParty(transaction, { party: 'Cdtr', account: 'CdtrAcct', agent: 'CdtrAgt' }, true, problems);
  if (problems.length > before || !settlementAmount || !instructedAmount || !debtor || !creditor || settlementDate === undefined) return undefined;
  return {
    endToEndId,
    ...(instructionId !== undefined ? { instructionId } : {}),
    ...(transactionId !== undefined ? { transactionId } : {}),
    uetr: givenUetr ?? deriveUetr([MESSAGE_DEFINITIONS.customerCreditTransfer, context.sender, context.messageId, endToEndId, transactionId ?? '']),
    ...(givenUetr === undefined ? { uetrDerived: true as const } : {}),
    amount: instructedAmount,
    settlementAmount,
    ...(exchangeRate !== undefined ? { exchangeRate } : {}),
    chargeBearer: readChargeBearer(child(transaction, 'ChrgBr')) ?? 'SHAR',
    charges,
    debtor,
    creditor,
    ...readRemittanceAndPurpose(transaction),
    settlementDate,
  };
}

/** TtlIntrBkSttlmAmt, when given, is in the one settlement currency and equals the sum. */
function checkTotal(totalNode: XmlNode | undefined, transactions: readonly XmlNode[], problems: Iso20022Problem[]): void {
  if (!totalNode) return;
  const currency = totalNode.attributes.Ccy ?? '';
  const total = amountFromXml(totalNode.text, currency, totalNode);
  if ('code' in total) {
    problems.push(total);
    return;
  }
  let sum = 0n;
  for (const transaction of transactions) {
    const amountNode = child(transaction, 'IntrBkSttlmAmt');
    if (!amountNode) continue;
    if (amountNode.attributes.Ccy !== currency) {
      problems.push(problem('currency_mismatch', amountNode.path, `TtlIntrBkSttlmAmt is in ${currency}, so every settlement amount must be; this one is in ${amountNode.attributes.Ccy}`));
      return;
    }
    const amountValue = amountFromXml(amountNode.text, currency, amountNode);
    if ('code' in amountValue) return;
    sum += amountValue.amount;
  }
  if (sum !== total.amount) {
    problems.push(problem('total_settlement_amount_mismatch', totalNode.path, `TtlIntrBkSttlmAmt says ${totalNode.text.trim()} but the settlement amounts add up to a different total`));
  }
}

export interface Pacs008Options {
  /** How the transfers settle between the two agents; defaults to INDA (on the instructed agent's books). */
  readonly settlementMethod?: SettlementMethod;
}

/** Checks the transfers a pacs.008 will carry; each problem names the input field at fault. */
function checkTransfers(transfers: readonly InterbankCreditTransfer[], problems: Iso20022Problem[]): void {
  if (transfers.length === 0) problems.push(problem('empty_message', 'transfers', 'a pacs.008 carries at least one transfer'));
  if (transfers.length > ISO20022_LIMITS.transactionsMaxPerMessage) {
    problems.push(problem('too_many_transactions', 'transfers', `at most ${ISO20022_LIMITS.transactionsMaxPerMessage} transfers fit in one message`));
    return;
  }
  const endToEndIds = createDuplicateGuard('duplicate_end_to_end_id', 'endToEndId', problems);
  const uetrs = createDuplicateGuard('duplicate_uetr', 'uetr', problems);
  transfers.forEach((transfer, index) => {
    const path = `transfers[${index}]`;
    checkTransferCommon(problems, path, transfer);
    checkId(problems, `${path}.transactionId`, transfer.transactionId);
    endToEndIds(transfer.endToEndId, `${path}.endToEndId`);
    uetrs(transfer.uetr, `${path}.uetr`);
    if (transfer.amount.currency !== transfer.settlementAmount.currency && transfer.exchangeRate === undefined) {
      problems.push(problem('exchange_rate_required', `${path}.exchangeRate`, 'instructed and settlement currencies differ, so the exchange rate is required'));
    }
    checkParty(problems, `${path}.debtor`, transfer.debtor, true);
    checkParty(problems, `${path}.creditor`, transfer.creditor, true);
  });
}

/** Builds a pacs.008.001.08 with its header. The header's message id is the group's MsgId. */
export function buildPacs008(
  header: HeaderInput,
  transfers: readonly InterbankCreditTransfer[],
  options: Pacs008Options = {},
): Iso20022Result<OutboundMessage> {
  const problems: Iso20022Problem[] = [];
  checkHeader(problems, header);
  checkTransfers(transfers, problems);
  if (problems.length > 0) return refuse(problems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  const totals = sumWritable(transfers.map((transfer) => transfer.settlementAmount));
  const groupHeader = element(
    'GrpHdr',
    text('MsgId', header.businessMessageId),
    text('CreDtTm', header.createdAt),
    text('NbOfTxs', String(transfers.length)),
    text('CtrlSum', totals.controlSum),
    amount('TtlIntrBkSttlmAmt', totals.total),
    element('SttlmInf', text('SttlmMtd', options.settlementMethod ?? 'INDA')),
    agent('InstgAgt', header.fromBic),
    agent('InstdAgt', header.toBic),
  );
  const body = element('FIToFICstmrCdtTrf', groupHeader, ...transfers.map(writeTransaction));
  return { ok: true, value: assemble(header, MESSAGE_DEFINITIONS.customerCreditTransfer, body) };
}

function writeTransaction(transfer: InterbankCreditTransfer): string {
  return element(
    'CdtTrfTxInf',
    element('PmtId', text('InstrId', transfer.instructionId), text('EndToEndId', transfer.endToEndId), text('TxId', transfer.transactionId), text('UETR', transfer.uetr)),
    amount('IntrBkSttlmAmt', transfer.settlementAmount),
    text('IntrBkSttlmDt', transfer.settlementDate),
    amount('InstdAmt', transfer.amount),
    text('XchgRate', transfer.exchangeRate),
    text('ChrgBr', transfer.chargeBearer),
    ...transfer.charges.map((charge) => element('ChrgsInf', amount('Amt', charge.amount), agent('Agt', charge.agentBic))),
    element('Dbtr', text('Nm', transfer.debtor.name)),
    account('DbtrAcct', transfer.debtor.account),
    agent('DbtrAgt', transfer.debtor.agentBic),
    agent('CdtrAgt', transfer.creditor.agentBic),
    element('Cdtr', text('Nm', transfer.creditor.name)),
    account('CdtrAcct', transfer.creditor.account),
    element('Purp', text('Cd', transfer.purposeCode)),
    element('RmtInf', ...transfer.remittanceInformation.map((line) => text('Ustrd', line))),
  );
}

