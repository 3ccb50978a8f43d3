/**
 * Reading a customer credit transfer initiation (pain.001.001.09): one file from a customer, many
 * payment information blocks (one debtor account each), many transactions per block. The tree is
 * already schema-valid; this applies Sluice's business rules and builds the neutral types.
 */
import { problem, type Iso20022Problem } from './iso20022.errors.ts';
import {
  checkControlSum,
  checkNumberOfTransactions,
  checkReadDate,
  createDuplicateGuard,
  readChargeBearer,
  readExchangeRate,
  readMoney,
  readParty,
  readRemittanceAndPurpose,
  readUetr,
  writtenAmount,
} from './iso20022.read.ts';
import { deriveUetr, type Decimal } from './iso20022.values.ts';
import { child, childrenNamed, descend, requiredText, textAt, type XmlNode } from './iso20022.xml.ts';
import {
  MESSAGE_DEFINITIONS,
  type ChargeBearer,
  type CreditTransfer,
  type InitiatingParty,
  type Party,
  type PaymentInformation,
  type PaymentInitiation,
} from './iso20022.ts';

/** Charges are shared unless the file says otherwise: the usual default of banks for customer transfers. */
const DEFAULT_CHARGE_BEARER: ChargeBearer = 'SHAR';

/** Per-file state of the checks that span blocks. */
interface FileContext {
  readonly messageId: string;
  readonly initiatorKey: string;
  readonly problems: Iso20022Problem[];
  readonly amounts: Decimal[];
  readonly endToEndIds: (value: string | undefined, path: string) => void;
  readonly uetrs: (value: string | undefined, path: string) => void;
}

/** Reads a schema-valid pain.001.001.09 Document; returns undefined when problems were found. */
export function readPain001(document: XmlNode, problems: Iso20022Problem[]): PaymentInitiation | undefined {
  const initiation = child(document, 'CstmrCdtTrfInitn');
  const header = child(initiation, 'GrpHdr');
  if (!initiation || !header) throw new Error('schema-valid pain.001 lacks CstmrCdtTrfInitn/GrpHdr');
  const messageId = requiredText(header, 'MsgId');
  const initiatingParty = readInitiatingParty(child(header, 'InitgPty'));
  checkReadDate(child(header, 'CreDtTm'), problems);
  const context: FileContext = {
    messageId,
    initiatorKey: initiatingParty.id ?? initiatingParty.name ?? '',
    problems,
    amounts: [],
    endToEndIds: createDuplicateGuard('duplicate_end_to_end_id', 'EndToEndId', problems),
    uetrs: createDuplicateGuard('duplicate_uetr', 'UETR', problems),
  };
  const paymentInformationIds = createDuplicateGuard('duplicate_payment_information_id', 'PmtInfId', problems);
  const blocks: PaymentInformation[] = [];
  let transactionCount = 0;
  for (const block of childrenNamed(initiation, 'PmtInf')) {
    paymentInformationIds(requiredText(block, 'PmtInfId'), `${block.path}/PmtInfId`);
    const read = readBlock(block, context);
    transactionCount += childrenNamed(block, 'CdtTrfTxInf').length;
    if (read) blocks.push(read);
  }
  checkNumberOfTransactions(child(header, 'NbOfTxs'), transactionCount, problems);
  checkControlSum(child(header, 'CtrlSum'), context.amounts, problems);
  if (problems.length > 0) return undefined;
  const controlSum = textAt(header, 'CtrlSum')?.trim();
  return {
    messageId,
    createdAt: requiredText(header, 'CreDtTm').trim(),
    numberOfTransactions: Number(requiredText(header, 'NbOfTxs')),
    ...(controlSum !== undefined ? { controlSum } : {}),
    initiatingParty,
    paymentInformation: blocks,
  };
}

/** The initiating party's name and its best organisation identifier. */
function readInitiatingParty(node: XmlNode | undefined): InitiatingParty {
  const name = textAt(node, 'Nm');
  const organisation = descend(node, 'Id', 'OrgId');
  const id =
    textAt(organisation, 'AnyBIC') ??
    textAt(organisation, 'LEI') ??
    textAt(child(organisation, 'Othr'), 'Id') ??
    textAt(child(descend(node, 'Id', 'PrvtId'), 'Othr'), 'Id');
  return { ...(name !== undefined ? { name } : {}), ...(id !== undefined ? { id } : {}) };
}

/** Reads one payment information block and its transactions. */
function readBlock(block: XmlNode, context: FileContext): PaymentInformation | undefined {
  const { problems } = context;
  const before = problems.length;
  const method = requiredText(block, 'PmtMtd');
  if (method === 'CHK') {
    problems.push(problem('unsupported_feature', `${block.path}/PmtMtd`, 'cheque payments (CHK) are not processed; send credit transfers (TRF)'));
  }
  const debtor = readParty(block, { party: 'Dbtr', account: 'DbtrAcct', agent: 'DbtrAgt' }, false, problems);
  const requestedExecutionDate = (textAt(block, 'ReqdExctnDt', 'Dt') ?? requiredText(block, 'ReqdExctnDt', 'DtTm')).trim();
  checkReadDate(child(child(block, 'ReqdExctnDt'), 'Dt') ?? child(child(block, 'ReqdExctnDt'), 'DtTm'), problems);
  const blockBearer = readChargeBearer(child(block, 'ChrgBr'));
  const transactionNodes = childrenNamed(block, 'CdtTrfTxInf');
  const blockAmounts: Decimal[] = [];
  const transactions: CreditTransfer[] = [];
  for (const transaction of transactionNodes) {
    const amountNode = descend(transaction, 'Amt', 'InstdAmt');
    blockAmounts.push(writtenAmount(amountNode));
    const read = readTransaction(transaction, block, debtor, blockBearer, requestedExecutionDate, context);
    if (read) transactions.push(read);
  }
  context.amounts.push(...blockAmounts);
  checkNumberOfTransactions(child(block, 'NbOfTxs'), transactionNodes.length, problems);
  checkControlSum(child(block, 'CtrlSum'), blockAmounts, problems);
  if (problems.length > before || !debtor) return undefined;
  const batchBooking = textAt(block, 'BtchBookg')?.trim();
  return {
    paymentInformationId: requiredText(block, 'PmtInfId'),
    ...(batchBooking !== undefined ? { batchBooking: batchBooking === 'true' || batchBooking === '1' } : {}),
    requestedExecutionDate,
    debtor,
    transactions,
  };
}

/**
 * Reads one transaction; the debtor, charge bearer and date come from its block. A block whose
 * debtor is unusable still has its transactions checked, so the refusal lists all their problems.
 */
function readTransaction(
  transaction: XmlNode,
  block: XmlNode,
  debtor: Party | undefined,
  blockBearer: ChargeBearer | undefined,
  requestedExecutionDate: string,
  context: FileContext,
): CreditTransfer | undefined {
  const { problems } = context;
  const before = problems.length;
  const paymentId = child(transaction, 'PmtId');
  const endToEndId = requiredText(transaction, 'PmtId', 'EndToEndId');
  const instructionId = textAt(paymentId, 'InstrId');
  context.endToEndIds(endToEndId, `${transaction.path}/PmtId/EndToEndId`);
  const givenUetr = readUetr(paymentId, problems);
  context.uetrs(givenUetr, `${transaction.path}/PmtId/UETR`);
  const amountNode = descend(transaction, 'Amt', 'InstdAmt');
  if (!amountNode) {
    problems.push(problem('unsupported_feature', `${transaction.path}/Amt/EqvtAmt`, 'equivalent amounts are not processed; state the instructed amount (InstdAmt)'));
  }
  const amount = amountNode ? readMoney(amountNode, problems) : undefined;
  const exchangeRate = readExchangeRate(descend(transaction, 'XchgRateInf', 'XchgRate'), problems);
  const creditor = readParty(transaction, { party: 'Cdtr', account: 'CdtrAcct', agent: 'CdtrAgt' }, false, problems);
  if (problems.length > before || !amount || !creditor || !debtor) return undefined;
  const paymentInformationId = requiredText(block, 'PmtInfId');
  return {
    endToEndId,
    ...(instructionId !== undefined ? { instructionId } : {}),
    uetr:
      givenUetr ??
      deriveUetr([MESSAGE_DEFINITIONS.customerCreditTransferInitiation, context.initiatorKey, context.messageId, paymentInformationId, endToEndId]),
    ...(givenUetr === undefined ? { uetrDerived: true as const } : {}),
    amount,
    ...(exchangeRate !== undefined ? { exchangeRate } : {}),
    chargeBearer: readChargeBearer(child(transaction, 'ChrgBr')) ?? blockBearer ?? DEFAULT_CHARGE_BEARER,
    charges: [],
    debtor,
    creditor,
    ...readRemittanceAndPurpose(transaction),
    requestedExecutionDate,
  };
}
