/**
 * ISO 20022 message layer: pure functions between XML messages and neutral payment types. No
 * database, no HTTP; the payments module decides what to book and when.
 */
export {
  MESSAGE_DEFINITIONS,
  BUSINESS_MESSAGE_NAMESPACE,
  BUSINESS_MESSAGE_ELEMENT,
  ISO20022_LIMITS,
  CHARGE_BEARERS,
  SETTLEMENT_METHODS,
  TRANSACTION_STATUSES,
  namespaceOf,
  type AccountIdentification,
  type BankTransactionCode,
  type BusinessApplicationHeader,
  type Charge,
  type ChargeBearer,
  type CreditDebit,
  type CreditTransfer,
  type HeaderInput,
  type ImportedMessage,
  type InitiatingParty,
  type InterbankCreditTransfer,
  type InterbankCreditTransferMessage,
  type MessageDefinition,
  type OriginalMessage,
  type OutboundMessage,
  type Party,
  type PaymentInformation,
  type PaymentInitiation,
  type PaymentReturn,
  type ReturnedTransaction,
  type SettlementMethod,
  type Statement,
  type StatementBalance,
  type StatementEntry,
  type StatusReason,
  type StatusReport,
  type TransactionStatus,
  type TransactionStatusReport,
} from './iso20022.ts';
export {
  ISO20022_ERROR_STATUS,
  REASON_CODES,
  statusReasonFor,
  type Iso20022ErrorCode,
  type Iso20022Problem,
  type Iso20022Result,
} from './iso20022.errors.ts';
export { importMessage, importPain001, importPacs008 } from './iso20022.import.ts';
export { loadXmlLibrary } from './iso20022.libxml.ts';
export { buildPacs008, type Pacs008Options } from './iso20022.pacs008.ts';
export { buildPacs002 } from './iso20022.pacs002.ts';
export { buildPacs004 } from './iso20022.pacs004.ts';
export { buildCamt053 } from './iso20022.camt053.ts';
export { amountToXml, bicProblem, ibanProblem, ISO_AMOUNT_MAX_MINOR, isUetr } from './iso20022.values.ts';
