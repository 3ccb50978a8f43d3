/**
 * Neutral types of the ISO 20022 message layer. They carry what Sluice books and reports, in
 * Sluice's own terms (money in integer minor units, dates as ISO 8601 text), and nothing about XML.
 * The payments module works with these types only; readers and builders translate at the edge.
 */
import type { Money } from '../../kernel/index.ts';

/** The message definitions this layer reads or writes, each pinned to one version. */
export const MESSAGE_DEFINITIONS = Object.freeze({
  customerCreditTransferInitiation: 'pain.001.001.09',
  customerCreditTransfer: 'pacs.008.001.08',
  paymentStatusReport: 'pacs.002.001.10',
  paymentReturn: 'pacs.004.001.09',
  bankToCustomerStatement: 'camt.053.001.08',
  businessApplicationHeader: 'head.001.001.02',
});
export type MessageDefinition = (typeof MESSAGE_DEFINITIONS)[keyof typeof MESSAGE_DEFINITIONS];

/** The XML namespace of a message definition, as every ISO 20022 schema declares it. */
export function namespaceOf(definition: MessageDefinition): string {
  return `urn:iso:std:iso:20022:tech:xsd:${definition}`;
}

/**
 * Sluice's own wrapper for a business application header and its document travelling as one file.
 * ISO 20022 leaves the envelope to the transport, so this namespace is deliberately not an ISO one.
 */
export const BUSINESS_MESSAGE_NAMESPACE = 'urn:sluice:iso20022:business-message:1';
export const BUSINESS_MESSAGE_ELEMENT = 'BusinessMessage';

/** Limits of what one import may contain; each bounds the work an untrusted file can cause. */
export const ISO20022_LIMITS = Object.freeze({
  /** Largest file read: 10,000 transactions with full party data fit in about a third of it. */
  messageMaxBytes: 10 * 1024 * 1024,
  /** Transactions in one file; larger batches are split by the sender, as most banks require. */
  transactionsMaxPerMessage: 10_000,
  /** Element nesting; the deepest ISO 20022 paths used here are about fifteen levels. */
  elementMaxDepth: 64,
  /** Problems reported for one refused message; the first ones are enough to fix a file. */
  problemsMaxPerMessage: 100,
});

/** Who pays the charges of a transfer (ISO 20022 ChargeBearerType1Code). */
export const CHARGE_BEARERS = ['DEBT', 'CRED', 'SHAR', 'SLEV'] as const;
export type ChargeBearer = (typeof CHARGE_BEARERS)[number];

/** How an interbank transfer settles (SettlementMethod1Code). */
export const SETTLEMENT_METHODS = ['INDA', 'INGA', 'COVE', 'CLRG'] as const;
export type SettlementMethod = (typeof SETTLEMENT_METHODS)[number];

/**
 * Payment statuses (ExternalPaymentTransactionStatus1Code) that Sluice reports, in the order a
 * payment normally passes through them; RJCT can follow any of the first three.
 */
export const TRANSACTION_STATUSES = Object.freeze({
  RCVD: 'Received: the message arrived and awaits checks.',
  ACTC: 'Accepted technical validation: syntax and schema are fine.',
  ACSP: 'Accepted settlement in process: checks passed, settlement has started.',
  ACSC: 'Accepted settlement completed: the debtor side has settled.',
  ACCC: 'Accepted settlement completed on the creditor account.',
  PDNG: 'Pending: further checks before acceptance.',
  RJCT: 'Rejected: a reason code says why.',
});
export type TransactionStatus = keyof typeof TRANSACTION_STATUSES;

/** Account identification: an IBAN, or another scheme's identifier (a local account number). */
export type AccountIdentification =
  | { readonly kind: 'iban'; readonly iban: string }
  | { readonly kind: 'other'; readonly id: string };

/** A debtor or creditor, with the account and the agent (bank) that services it. */
export interface Party {
  readonly name: string;
  readonly account: AccountIdentification;
  /** BIC of the party's agent; optional in customer initiations, required between banks. */
  readonly agentBic?: string;
}

/** A charge taken by an agent along the chain (pacs.008 ChrgsInf). */
export interface Charge {
  readonly amount: Money;
  readonly agentBic: string;
}

/** One customer credit transfer, whether initiated by a customer (pain.001) or between banks (pacs.008). */
export interface CreditTransfer {
  readonly endToEndId: string;
  readonly instructionId?: string;
  /** The interbank transaction id (pacs.008 TxId); absent in customer initiations. */
  readonly transactionId?: string;
  /**
   * Unique end-to-end transaction reference (UUID version 4, lower case). When a message carries
   * none, the reader derives one from the message's identity so that reading the same file twice
   * yields the same references.
   */
  readonly uetr: string;
  /** Set when the message carried no UETR and `uetr` is the one the reader derived. */
  readonly uetrDerived?: true;
  /** The amount the debtor instructed, in its currency (InstdAmt). */
  readonly amount: Money;
  /** The interbank settlement amount (IntrBkSttlmAmt); present once the transfer is between banks. */
  readonly settlementAmount?: Money;
  /**
   * Rate from the instructed to the settlement currency, as exact decimal text (BaseOneRate):
   * settlement amount = instructed amount × rate.
   */
  readonly exchangeRate?: string;
  readonly chargeBearer: ChargeBearer;
  readonly charges: readonly Charge[];
  readonly debtor: Party;
  readonly creditor: Party;
  /** ExternalPurpose1Code, e.g. SALA or SUPP. */
  readonly purposeCode?: string;
  /** Unstructured remittance lines, each at most 140 characters. */
  readonly remittanceInformation: readonly string[];
  /** Date (YYYY-MM-DD) or date-time the debtor asked for (pain.001 ReqdExctnDt). */
  readonly requestedExecutionDate?: string;
  /** Interbank settlement date (YYYY-MM-DD). */
  readonly settlementDate?: string;
}

/** The party that sent a customer initiation; either part may be absent, not both. */
export interface InitiatingParty {
  readonly name?: string;
  /** Organisation identifier: AnyBIC, LEI or the first Othr/Id, in that order of preference. */
  readonly id?: string;
}

/** One payment information block of a pain.001: one debtor account, many transactions. */
export interface PaymentInformation {
  readonly paymentInformationId: string;
  readonly batchBooking?: boolean;
  readonly requestedExecutionDate: string;
  readonly debtor: Party;
  readonly transactions: readonly CreditTransfer[];
}

/** A customer credit transfer initiation (pain.001.001.09). */
export interface PaymentInitiation {
  readonly messageId: string;
  readonly createdAt: string;
  readonly numberOfTransactions: number;
  /** Control sum as written in the file (decimal text), already checked against the amounts. */
  readonly controlSum?: string;
  readonly initiatingParty: InitiatingParty;
  readonly paymentInformation: readonly PaymentInformation[];
}

/** An FI-to-FI customer credit transfer (pacs.008.001.08). */
export interface InterbankCreditTransferMessage {
  readonly messageId: string;
  readonly createdAt: string;
  readonly settlementMethod: SettlementMethod;
  readonly instructingAgentBic?: string;
  readonly instructedAgentBic?: string;
  readonly transfers: readonly CreditTransfer[];
}

/** A credit transfer ready for the interbank leg: it settles an amount on a date. */
export interface InterbankCreditTransfer extends CreditTransfer {
  readonly settlementAmount: Money;
  readonly settlementDate: string;
}

/** A status reason: an ISO external code (AC04, AM04, FF01 …) and optional free text. */
export interface StatusReason {
  readonly code: string;
  readonly additionalInformation?: readonly string[];
}

/** The message a report or return refers to. */
export interface OriginalMessage {
  readonly messageId: string;
  /** e.g. `pacs.008.001.08` or `pain.001.001.09`. */
  readonly messageDefinition: string;
  readonly createdAt?: string;
}

/** Status of one transaction of the original message (pacs.002 TxInfAndSts). */
export interface TransactionStatusReport {
  readonly originalEndToEndId: string;
  readonly originalInstructionId?: string;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
  readonly status: TransactionStatus;
  /** Required when the status is RJCT. */
  readonly reason?: StatusReason;
  readonly acceptedAt?: string;
}

/** A payment status report (pacs.002.001.10) about one original message. */
export interface StatusReport {
  readonly messageId: string;
  readonly createdAt: string;
  readonly original: OriginalMessage & { readonly numberOfTransactions?: number };
  /** Status of the whole original message, e.g. RJCT with FF01 for a file that failed its schema. */
  readonly groupStatus?: TransactionStatus;
  readonly groupReason?: StatusReason;
  readonly transactions: readonly TransactionStatusReport[];
}

/** One returned transaction (pacs.004 TxInf). */
export interface ReturnedTransaction {
  readonly returnId: string;
  readonly original: OriginalMessage;
  readonly originalInstructionId?: string;
  readonly originalEndToEndId: string;
  readonly originalTransactionId?: string;
  readonly originalUetr: string;
  readonly originalSettlementAmount?: Money;
  readonly originalSettlementDate?: string;
  readonly returnedAmount: Money;
  readonly settlementDate: string;
  readonly chargeBearer?: ChargeBearer;
  readonly charges?: readonly Charge[];
  /** ExternalReturnReason1Code, e.g. AC04 (closed account) or AM05 (duplicate). */
  readonly reason: StatusReason;
}

/** A payment return (pacs.004.001.09). */
export interface PaymentReturn {
  readonly messageId: string;
  readonly createdAt: string;
  readonly settlementMethod: SettlementMethod;
  readonly transactions: readonly ReturnedTransaction[];
}

export type CreditDebit = 'CRDT' | 'DBIT';

/** A balance in a statement: signed minor units, negative for a debit (overdrawn) balance. */
export interface StatementBalance {
  readonly amount: bigint;
  readonly date: string;
}

/** Bank transaction code (domain, family, sub-family), e.g. PMNT / RCDT / XBCT. */
export interface BankTransactionCode {
  readonly domain: string;
  readonly family: string;
  readonly subFamily: string;
}

/** One booked movement on the account (camt.053 Ntry). */
export interface StatementEntry {
  readonly amount: Money;
  readonly creditDebit: CreditDebit;
  readonly bookingDate: string;
  readonly valueDate?: string;
  readonly entryReference?: string;
  readonly accountServicerReference?: string;
  readonly endToEndId?: string;
  readonly instructionId?: string;
  readonly uetr?: string;
  readonly remittanceInformation?: readonly string[];
  /** Defaults to PMNT / RCDT / OTHR for credits and PMNT / ICDT / OTHR for debits. */
  readonly bankTransactionCode?: BankTransactionCode;
}

/** A bank-to-customer statement (camt.053.001.08) for one account and period. */
export interface Statement {
  readonly messageId: string;
  readonly createdAt: string;
  readonly statementId: string;
  readonly electronicSequenceNumber?: bigint;
  readonly account: {
    readonly identification: AccountIdentification;
    readonly currency: string;
    readonly ownerName?: string;
    readonly servicerBic?: string;
  };
  readonly period?: { readonly from: string; readonly to: string };
  readonly openingBalance: StatementBalance;
  readonly closingBalance: StatementBalance;
  /**
   * The period has not ended when the statement is made: its last balance is interim booked (ITBD,
   * as of the creation time) instead of the closing booked balance (CLBD) that a later statement of
   * the same period will carry.
   */
  readonly interim?: boolean;
  readonly entries: readonly StatementEntry[];
}

/** Business application header (head.001.001.02), between two financial institutions. */
export interface BusinessApplicationHeader {
  readonly fromBic: string;
  readonly toBic: string;
  readonly businessMessageId: string;
  readonly messageDefinitionId: string;
  readonly createdAt: string;
  readonly businessService?: string;
  readonly possibleDuplicate?: boolean;
}

/** What a builder needs of the header: it fills in the message definition itself. */
export type HeaderInput = Omit<BusinessApplicationHeader, 'messageDefinitionId'>;

/**
 * An exported business message: the header and the document are two XML documents, each valid
 * against its own schema. `combined` carries both in Sluice's envelope for transports that move
 * a single file.
 */
export interface OutboundMessage {
  readonly messageDefinition: MessageDefinition;
  readonly header: string;
  readonly document: string;
  readonly combined: string;
}

/** What an import yields, by message definition. */
export type ImportedMessage =
  | { readonly kind: 'pain.001.001.09'; readonly initiation: PaymentInitiation }
  | {
      readonly kind: 'pacs.008.001.08';
      readonly header?: BusinessApplicationHeader;
      readonly message: InterbankCreditTransferMessage;
    };
