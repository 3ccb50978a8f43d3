import { hash } from 'node:crypto';
import { AssertionError, nsToIso } from '../../kernel/index.ts';
import { formatRate } from '../fx/index.ts';
import {
  buildPacs002, buildPacs004, buildPacs008, ibanProblem, MESSAGE_DEFINITIONS,
  type AccountIdentification, type HeaderInput, type Iso20022Result, type OriginalMessage, type OutboundMessage, type Party as IsoParty,
} from '../iso20022/index.ts';
import { messageId } from './payments.ids.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import type { MessageRef, Party, PaymentRecord } from './payments.ts';

/**
 * The payment's ISO 20022 messages, built by the iso20022 module from the payment record: the
 * pacs.008 that instructs the creditor agent, the pacs.002 status reports and the pacs.004 of a
 * return. A message is built once, when its event happens, and only its id, instant and SHA-256
 * are stored; an export rebuilds it from the record and checks the digest, so the document handed
 * out is byte for byte the one that was issued, without keeping kilobytes of XML per payment.
 */
export type MessageKind = MessageRef['kind'];

/** The operator's own BIC: the platform reports statuses as the clearing and settlement mechanism. */
export const DEFAULT_OPERATOR_BIC = 'SLUICNSH';

const compactId = (uuid: string) => uuid.replace(/-/g, '');
const dateOf = (ns: bigint) => nsToIso(ns).slice(0, 10);
/** ISO date-times with millisecond precision: what every receiving system parses. */
const timeOf = (ns: bigint) => `${nsToIso(ns).slice(0, 23)}Z`;

function accountOf(party: Party): AccountIdentification {
  return ibanProblem(party.identifier) === undefined ? { kind: 'iban', iban: party.identifier } : { kind: 'other', id: party.identifier };
}

/**
 * A party's name as a message carries it. Parties may have names longer than ISO 20022's Max140Text,
 * and such a name would make the message refuse to build, failing the payment or statement; it is cut
 * to its first characters (code points, as XML Schema counts them), as banks do with names that do
 * not fit the field. The payment record keeps the whole name.
 *
 * Names with characters XML cannot carry are refused at registration now, but parties registered
 * before that still hold them: such a character is sent as U+FFFD, the replacement character, and a
 * leading byte order mark (which readers drop) is left out, so that those parties can still be paid.
 */
export function messageName(name: string): string {
  const carried = name.replace(LEADING_BYTE_ORDER_MARK, '').replace(NOT_XML_TEXT, '\uFFFD');
  const characters = Array.from(carried);
  return characters.length <= PAYMENT_LIMITS.messageNameMaxLength ? carried : characters.slice(0, PAYMENT_LIMITS.messageNameMaxLength).join('');
}

const LEADING_BYTE_ORDER_MARK = /^\uFEFF/;
/** Characters outside XML 1.0's Char production; with the `u` flag a surrogate matches only when unpaired. */
const NOT_XML_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

const isoParty = (party: Party): IsoParty => ({ name: messageName(party.name), account: accountOf(party), agentBic: party.agent });

/** BaseOneRate allows 11 digits with at most 10 after the point. */
function exchangeRateText(payment: PaymentRecord): string | undefined {
  const fx = payment.plan?.fx;
  if (!fx) return undefined;
  const whole = (fx.rate.numerator / fx.rate.denominator).toString().length;
  return formatRate(fx.rate, Math.max(0, Math.min(10, 11 - whole)));
}

function unwrap(result: Iso20022Result<OutboundMessage>, kind: MessageKind, payment: PaymentRecord): string {
  // The record passed every check before it was stored, so a builder's refusal is a bug here.
  if (!result.ok) throw new AssertionError(`could not build the ${kind} of payment ${payment.uetr}: ${result.problems.map((p) => `${p.path} ${p.reason}`).join('; ')}`);
  return result.value.combined;
}

function pacs008(payment: PaymentRecord, ref: Pick<MessageRef, 'messageId' | 'createdAt'>): string {
  const { plan, debtor, creditor, order } = payment;
  if (!plan || !debtor || !creditor) throw new AssertionError(`payment ${payment.uetr} has no plan to instruct`);
  const header: HeaderInput = { fromBic: debtor.agent, toBic: creditor.agent, businessMessageId: ref.messageId, createdAt: timeOf(ref.createdAt) };
  const settled = plan.fx ? plan.fx.bought : plan.principal;
  const exchangeRate = exchangeRateText(payment);
  const transfer = {
    endToEndId: order.endToEndId,
    ...(order.instructionId ? { instructionId: order.instructionId } : {}),
    transactionId: compactId(payment.id),
    uetr: payment.uetr,
    amount: { amount: order.amount, currency: order.currency },
    settlementAmount: { amount: settled, currency: plan.creditCurrency },
    settlementDate: dateOf(ref.createdAt),
    ...(exchangeRate ? { exchangeRate } : {}),
    chargeBearer: order.chargeBearer,
    charges: [
      ...(plan.debtorAgentFee > 0n ? [{ amount: { amount: plan.debtorAgentFee, currency: plan.debitCurrency }, agentBic: debtor.agent }] : []),
      ...(plan.creditorAgentFee > 0n ? [{ amount: { amount: plan.creditorAgentFee, currency: plan.creditCurrency }, agentBic: creditor.agent }] : []),
    ],
    debtor: isoParty(debtor),
    creditor: isoParty(creditor),
    ...(order.purpose ? { purposeCode: order.purpose } : {}),
    remittanceInformation: order.remittance,
  };
  return unwrap(buildPacs008(header, [transfer]), 'pacs.008', payment);
}

/** The message a status report answers: the pacs.008 once issued, else the order's own message. */
function originalOf(payment: PaymentRecord): OriginalMessage {
  const instruction = payment.messages.find((message) => message.kind === 'pacs.008');
  if (instruction) return { messageId: instruction.messageId, messageDefinition: MESSAGE_DEFINITIONS.customerCreditTransfer, createdAt: timeOf(instruction.createdAt) };
  const source = payment.order.sourceMessage;
  if (source) return { messageId: source.id, messageDefinition: source.definition, createdAt: source.createdAt };
  return { messageId: compactId(payment.id), messageDefinition: MESSAGE_DEFINITIONS.customerCreditTransferInitiation, createdAt: timeOf(payment.receivedAt) };
}

function pacs002(payment: PaymentRecord, ref: Pick<MessageRef, 'messageId' | 'createdAt' | 'status' | 'reasonCode'>, operatorBic: string): string {
  if (!payment.debtor) throw new AssertionError(`payment ${payment.uetr} has no debtor agent to report to`);
  const header: HeaderInput = { fromBic: operatorBic, toBic: payment.debtor.agent, businessMessageId: ref.messageId, createdAt: timeOf(ref.createdAt) };
  // pacs.002 has no status for a cancellation; a cancelled payment is reported rejected with the cancellation's reason.
  const status = ref.status === 'ACCC' ? 'ACCC' : ref.status === 'ACSP' ? 'ACSP' : 'RJCT';
  const transaction = {
    originalEndToEndId: payment.order.endToEndId,
    ...(payment.order.instructionId ? { originalInstructionId: payment.order.instructionId } : {}),
    originalTransactionId: compactId(payment.id),
    originalUetr: payment.uetr,
    status,
    ...(ref.reasonCode ? { reason: { code: ref.reasonCode } } : {}),
    ...(status === 'ACCC' ? { acceptedAt: timeOf(ref.createdAt) } : {}),
  } as const;
  return unwrap(buildPacs002(header, { original: { ...originalOf(payment), numberOfTransactions: 1 }, transactions: [transaction] }), 'pacs.002', payment);
}

function pacs004(payment: PaymentRecord, ref: Pick<MessageRef, 'messageId' | 'createdAt'>): string {
  const { plan, debtor, creditor, returned } = payment;
  if (!plan || !debtor || !creditor || !returned) throw new AssertionError(`payment ${payment.uetr} has no return to report`);
  const instruction = payment.messages.find((message) => message.kind === 'pacs.008');
  const header: HeaderInput = { fromBic: creditor.agent, toBic: debtor.agent, businessMessageId: ref.messageId, createdAt: timeOf(ref.createdAt) };
  const settled = plan.fx ? plan.fx.bought : plan.principal;
  const transaction = {
    returnId: compactId(returned.id),
    original: instruction
      ? { messageId: instruction.messageId, messageDefinition: MESSAGE_DEFINITIONS.customerCreditTransfer, createdAt: timeOf(instruction.createdAt) }
      : originalOf(payment),
    ...(payment.order.instructionId ? { originalInstructionId: payment.order.instructionId } : {}),
    originalEndToEndId: payment.order.endToEndId,
    originalTransactionId: compactId(payment.id),
    originalUetr: payment.uetr,
    originalSettlementAmount: { amount: settled, currency: plan.creditCurrency },
    ...(payment.creditedAt ? { originalSettlementDate: dateOf(payment.creditedAt) } : {}),
    returnedAmount: { amount: returned.debitedFromCreditor, currency: plan.creditCurrency },
    settlementDate: dateOf(ref.createdAt),
    reason: { code: returned.reasonCode },
  };
  return unwrap(buildPacs004(header, { settlementMethod: 'CLRG', transactions: [transaction] }), 'pacs.004', payment);
}

export function buildDocument(payment: PaymentRecord, ref: Omit<MessageRef, 'sha256'>, operatorBic: string): string {
  switch (ref.kind) {
    case 'pacs.008':
      return pacs008(payment, ref);
    case 'pacs.002':
      return pacs002(payment, ref, operatorBic);
    case 'pacs.004':
      return pacs004(payment, ref);
  }
}

/** The one-shot form: a third of the cost of a Hash object for a message's few kilobytes. */
const sha256 = (text: string) => hash('sha256', text, 'hex');

/**
 * Builds a message for an event of the payment and returns the reference to store with it. A
 * payment that never got as far as knowing its debtor agent has nobody to report to: no message.
 */
export function issueMessage(payment: PaymentRecord, kind: MessageKind, at: bigint, operatorBic: string, status: string | null = null, reasonCode: string | null = null): MessageRef | null {
  if (!payment.debtor || !payment.creditor) return null;
  const sequence = payment.messages.filter((message) => message.kind === kind).length;
  const ref = { kind, messageId: messageId(payment.id, kind, sequence), createdAt: at, status, reasonCode };
  return { ...ref, sha256: sha256(buildDocument(payment, ref, operatorBic)) };
}

/** Rebuilds a stored message and proves it is the one issued; a mismatch means the record changed. */
export function exportMessage(payment: PaymentRecord, ref: MessageRef, operatorBic: string): string {
  // A pacs.002 or pacs.004 refers to messages issued before it, and only to those.
  const before = { ...payment, messages: payment.messages.slice(0, payment.messages.indexOf(ref)) };
  const document = buildDocument(before, ref, operatorBic);
  if (sha256(document) !== ref.sha256) throw new AssertionError(`message ${ref.messageId} of payment ${payment.uetr} no longer rebuilds to the document issued`);
  return document;
}
