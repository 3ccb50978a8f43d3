import {
  BUSINESS_MESSAGE_ELEMENT, importMessage, ISO20022_ERROR_STATUS, MESSAGE_DEFINITIONS,
  type AccountIdentification, type CreditTransfer, type ImportedMessage, type Iso20022ErrorCode,
} from '../iso20022/index.ts';
import { primaryOffice } from './payments.checks.ts';
import { fingerprintOf, type MessageIdentity } from './payments.duplicates.ts';
import { PAYMENT_ERRORS, type PaymentError } from './payments.errors.ts';
import { derivePaymentsId, fileBoundUetr, importedPaymentId, legacyImportedPaymentId } from './payments.ids.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import type { Outcome } from './payments.steps.ts';
import type { ChargeBearer, PaymentOrder, PaymentRecord } from './payments.ts';

/**
 * Importing a pain.001 (customer credit transfer initiation) or pacs.008 (interbank credit
 * transfer): the iso20022 module reads the file safely (no DOCTYPE or entity is ever expanded,
 * sizes and depths are bounded, the official schema is checked), and each transaction becomes a
 * payment order. A file that fails any of that books nothing. Payment ids derive from the debtor
 * agent, the debtor account and the end-to-end id (or, where the sender gave none, from the
 * transaction's UETR), so the same file imported twice books once, and the second import answers
 * each transaction as a replay; payments recorded under the older ids replay too (withLegacyIds).
 * Another file under a message id its sender already used is refused whole (payments.duplicates.ts).
 */
export interface ImportRefusal {
  readonly code: string;
  readonly status: number;
  readonly reasonCode: string;
  readonly problems: readonly { readonly code: string; readonly path: string; readonly reason: string }[];
}

export interface ImportedResult {
  readonly kind: string;
  readonly messageId: string;
  readonly outcomes: readonly { readonly order: PaymentOrder; readonly outcome: Outcome | { readonly ok: false; readonly error: PaymentError; readonly payment: null; readonly replayed: false } }[];
}

/** The file-level refusals the brief names get the payments module's own codes; the rest pass through. */
const NAMED: Partial<Record<Iso20022ErrorCode, PaymentError>> = {
  xml_too_large: 'xml_too_large',
  xml_malformed: 'xml_malformed',
  xml_entities_forbidden: 'xml_entity_forbidden',
  unsupported_message: 'xml_unsupported_message',
};

const ENTITY_DECLARATION = /<!(DOCTYPE|ENTITY)/i;

function refusal(code: Iso20022ErrorCode | PaymentError, problems: ImportRefusal['problems']): ImportRefusal {
  const named = NAMED[code as Iso20022ErrorCode] ?? (code in PAYMENT_ERRORS ? (code as PaymentError) : undefined);
  if (named) return { code: named, status: PAYMENT_ERRORS[named].status, reasonCode: PAYMENT_ERRORS[named].reason ?? 'FF01', problems };
  return { code, status: ISO20022_ERROR_STATUS[code as Iso20022ErrorCode] ?? 422, reasonCode: 'FF01', problems };
}

/** The account a message names: an IBAN or another identifier, both registered as account identifiers. */
const accountOf = (identification: AccountIdentification): string => (identification.kind === 'iban' ? identification.iban : identification.id);

/** Sluice books charges for DEBT, CRED and SHAR; SLEV (the scheme's rules) is taken as SHAR, the SEPA rule. */
const bearerOf = (bearer: string): ChargeBearer => (bearer === 'DEBT' || bearer === 'CRED' ? bearer : 'SHAR');

/** Where a message names a debtor account, below the element that holds it (DbtrAcct). */
const accountPath = (identification: AccountIdentification): string => (identification.kind === 'iban' ? 'DbtrAcct/Id/IBAN' : 'DbtrAcct/Id/Othr/Id');

/** Whether an order's id derives from its debtor agent and end-to-end id (else from its UETR). */
const derivesFromEndToEndId = (endToEndId: string, debtorAgent: string | undefined): debtorAgent is string => endToEndId !== 'NOTPROVIDED' && !!debtorAgent;

/** Where a file names its transactions' UETRs: the reader derives those it does not (fileBoundUetr). */
const uetrOf = (transfer: CreditTransfer, fingerprint: string): string => (transfer.uetrDerived ? fileBoundUetr(transfer.uetr, fingerprint) : transfer.uetr);

function orderOf(transfer: CreditTransfer, debtorAgent: string | undefined, debtorAccount: string, source: PaymentOrder['sourceMessage'] & object, kind: 'pain.001' | 'pacs.008', fingerprint: string): PaymentOrder {
  const endToEndId = transfer.endToEndId;
  const uetr = uetrOf(transfer, fingerprint);
  const id = derivesFromEndToEndId(endToEndId, debtorAgent)
    ? importedPaymentId(debtorAgent, debtorAccount, endToEndId, transfer.instructionId ?? '')
    : derivePaymentsId('import', uetr);
  return {
    id,
    uetr,
    endToEndId,
    ...(transfer.instructionId ? { instructionId: transfer.instructionId } : {}),
    debtorAccount,
    creditorAccount: accountOf(transfer.creditor.account),
    ...(debtorAgent ? { debtorAgent } : {}),
    ...(transfer.creditor.agentBic ? { creditorAgent: transfer.creditor.agentBic } : {}),
    amount: transfer.amount.amount,
    currency: transfer.amount.currency,
    chargeBearer: bearerOf(transfer.chargeBearer),
    ...(transfer.purposeCode ? { purpose: transfer.purposeCode } : {}),
    remittance: transfer.remittanceInformation,
    settlement: 'immediate',
    source: kind,
    sourceMessage: source,
  };
}

/**
 * Who sent a message, for its MsgId's uniqueness: the same sender the reader puts into derived
 * UETRs. A pain.001's initiating party (its identifier, else its name), since a customer numbers
 * its own initiations whichever debtor agents its blocks name. A pacs.008's sending institution:
 * the header's `Fr` BIC when the file has a header, else the instructing agent's BIC, with an
 * eight-character BIC and the same BIC with branch XXX taken as one. A pacs.008 naming neither
 * shares one empty sender with every other such file, which errs on the side of refusing.
 */
function senderOf(message: ImportedMessage): string {
  if (message.kind === 'pain.001.001.09') return message.initiation.initiatingParty.id ?? message.initiation.initiatingParty.name ?? '';
  const bic = message.header?.fromBic ?? message.message.instructingAgentBic;
  return bic ? primaryOffice(bic) : '';
}

/** Where a pacs.008's document starts: inside Sluice's envelope when the file has a header. */
const pacs008Root = (message: ImportedMessage & { kind: 'pacs.008.001.08' }): string => `${message.header ? `/${BUSINESS_MESSAGE_ELEMENT}` : ''}/Document/FIToFICstmrCdtTrf`;

/** The MsgId element's path, written as the reader writes the paths of its problems. */
function messageIdPath(message: ImportedMessage): string {
  if (message.kind === 'pain.001.001.09') return '/Document/CstmrCdtTrfInitn/GrpHdr/MsgId';
  return `${pacs008Root(message)}/GrpHdr/MsgId`;
}

/** A BIC a file names, with the path of the element that names it. */
export interface NamedBic {
  readonly bic: string;
  readonly path: string;
}

/**
 * Every BIC a pacs.008 names as its sender: the header's `Fr` and the group header's instructing
 * agent, each when present. A pain.001 has none: its sender is the initiating party, a customer
 * named by free identifiers that no party of Sluice carries.
 */
function senderBicsOf(message: ImportedMessage): NamedBic[] {
  if (message.kind === 'pain.001.001.09') return [];
  const named: NamedBic[] = [];
  if (message.header) named.push({ bic: message.header.fromBic, path: `/${BUSINESS_MESSAGE_ELEMENT}/AppHdr/Fr/FIId/FinInstnId/BICFI` });
  const instructing = message.message.instructingAgentBic;
  if (instructing) named.push({ bic: instructing, path: `${pacs008Root(message)}/GrpHdr/InstgAgt/FinInstnId/BICFI` });
  return named;
}

export interface ParsedFile {
  readonly ok: true;
  readonly kind: string;
  readonly messageId: string;
  readonly identity: MessageIdentity;
  readonly orders: PaymentOrder[];
  /** What a pacs.008 names as its sender (see senderBicsOf); empty for a pain.001. */
  readonly senderBics: readonly NamedBic[];
  /** Where the instructing agent would be named, for a refusal of a pacs.008 that names no sender. */
  readonly senderPath: string;
  /** Per order, in order: the path of the debtor agent's BIC element, when the file names one. */
  readonly debtorAgentPaths: readonly (string | undefined)[];
  /** Per order, in order: the path of the element naming the debtor account. */
  readonly debtorAccountPaths: readonly string[];
  /** Per order, in order: the UETR the reader derived, which releases before fileBoundUetr kept; undefined when the file names one. */
  readonly earlierUetrs: readonly (string | undefined)[];
}

/** Parses a file into orders, or refuses it whole. */
export function ordersFromXml(xml: string | Uint8Array): ParsedFile | { ok: false; refusal: ImportRefusal } {
  if ((typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.byteLength) > PAYMENT_LIMITS.xmlMaxBytes) {
    return { ok: false, refusal: refusal('xml_too_large', [{ code: 'xml_too_large', path: '/', reason: `the file is larger than ${PAYMENT_LIMITS.xmlMaxBytes} bytes` }]) };
  }
  // Refused here as well as in the reader: no file with a DOCTYPE gets anywhere near a parser.
  // Bytes are searched as Latin-1, which maps each byte to one character, whatever the encoding.
  if (ENTITY_DECLARATION.test(typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('latin1'))) {
    return { ok: false, refusal: refusal('xml_entities_forbidden', [{ code: 'xml_entities_forbidden', path: '/', reason: 'DOCTYPE and entity declarations are not accepted' }]) };
  }
  const imported = importMessage(xml);
  if (!imported.ok) return { ok: false, refusal: refusal(imported.error, imported.problems) };
  const message = imported.value;
  const messageId = message.kind === 'pain.001.001.09' ? message.initiation.messageId : message.message.messageId;
  const fingerprint = fingerprintOf(xml);
  const identity: MessageIdentity = {
    definition: message.kind, importer: '', sender: senderOf(message), messageId, fingerprint, path: messageIdPath(message),
    ...(message.kind !== 'pain.001.001.09' && message.header?.possibleDuplicate ? { possibleDuplicatePath: `/${BUSINESS_MESSAGE_ELEMENT}/AppHdr/PssblDplct` } : {}),
  };
  if (message.kind === 'pain.001.001.09') {
    const { initiation } = message;
    const source = { id: initiation.messageId, definition: MESSAGE_DEFINITIONS.customerCreditTransferInitiation, createdAt: initiation.createdAt };
    const orders = initiation.paymentInformation.flatMap((block) =>
      block.transactions.map((transfer) => orderOf(transfer, block.debtor.agentBic, accountOf(block.debtor.account), source, 'pain.001', fingerprint)));
    const earlierUetrs = initiation.paymentInformation.flatMap((block) => block.transactions.map(earlierUetrOf));
    // The debtor agent is named once per payment information block, for all its transactions.
    const debtorAgentPaths = initiation.paymentInformation.flatMap((block, index) =>
      block.transactions.map(() => (block.debtor.agentBic ? `/Document/CstmrCdtTrfInitn/PmtInf[${index + 1}]/DbtrAgt/FinInstnId/BICFI` : undefined)));
    const debtorAccountPaths = initiation.paymentInformation.flatMap((block, index) =>
      block.transactions.map(() => `/Document/CstmrCdtTrfInitn/PmtInf[${index + 1}]/${accountPath(block.debtor.account)}`));
    return {
      ok: true, kind: message.kind, messageId, identity, orders, senderBics: [], senderPath: '/Document/CstmrCdtTrfInitn/GrpHdr/InitgPty', debtorAgentPaths, debtorAccountPaths, earlierUetrs,
    };
  }
  const source = { id: message.message.messageId, definition: MESSAGE_DEFINITIONS.customerCreditTransfer, createdAt: message.message.createdAt };
  const orders = message.message.transfers.map((transfer) => orderOf(transfer, transfer.debtor.agentBic, accountOf(transfer.debtor.account), source, 'pacs.008', fingerprint));
  const root = pacs008Root(message);
  const debtorAgentPaths = message.message.transfers.map((transfer, index) => (transfer.debtor.agentBic ? `${root}/CdtTrfTxInf[${index + 1}]/DbtrAgt/FinInstnId/BICFI` : undefined));
  const debtorAccountPaths = message.message.transfers.map((transfer, index) => `${root}/CdtTrfTxInf[${index + 1}]/${accountPath(transfer.debtor.account)}`);
  return {
    ok: true, kind: message.kind, messageId, identity, orders, senderBics: senderBicsOf(message), senderPath: `${root}/GrpHdr/InstgAgt`, debtorAgentPaths, debtorAccountPaths,
    earlierUetrs: message.message.transfers.map(earlierUetrOf),
  };
}

const earlierUetrOf = (transfer: CreditTransfer): string | undefined => (transfer.uetrDerived ? transfer.uetr : undefined);

/**
 * The refusal of a file whose sender already used its MsgId for another file. A file whose header
 * says it is possibly a duplicate (PssblDplct) is a resend the sender was unsure had arrived. ISO
 * 20022 asks the receiver to process it only if the original never came; the original did come
 * under this MsgId, so nothing is booked either way. It answers as the duplicate the sender
 * suspected, possible_duplicate_conflict, rather than as a new message that reused an id: the
 * bytes differ from the first file (the flag alone changes them), so its results cannot be replayed.
 */
export function duplicateRefusal(identity: MessageIdentity, importedAt: string): ImportRefusal {
  const sender = identity.sender === '' ? 'a sender that names itself nowhere' : identity.sender;
  if (identity.possibleDuplicatePath) {
    const reason = `flagged as a possible duplicate, and message id '${identity.messageId}' of ${sender} was already imported at ${importedAt}: ` +
      'taken as a duplicate of that file and not booked (what that file booked stands); a new message needs a new MsgId';
    return refusal('possible_duplicate_conflict', [
      { code: 'possible_duplicate_conflict', path: identity.path, reason },
      { code: 'possible_duplicate_conflict', path: identity.possibleDuplicatePath, reason: 'the header marks the file as a possible duplicate of an earlier one' },
    ]);
  }
  const reason = `message id '${identity.messageId}' of ${sender} was already used by another file, imported at ${importedAt}; a new file needs a new MsgId`;
  return refusal('duplicate_message_id', [{ code: 'duplicate_message_id', path: identity.path, reason }]);
}

/**
 * Payments imported before the debtor account was part of their ids were recorded under the debtor
 * agent and end-to-end id alone (legacyImportedPaymentId). An order whose older id holds a payment
 * from the same debtor account is that payment sent again: it takes the older id, so that it replays
 * (or, with other content, conflicts) as it did before, and is never booked a second time. A payment
 * under the older id from another debtor account is another customer's: the order keeps its own id.
 *
 * Likewise a transaction whose file named no UETR was recorded, before UETRs were bound to the file
 * (fileBoundUetr), under the UETR the reader derived (`earlierUetrs`, per order), and, without an
 * end-to-end id or debtor agent, under the id derived from it. A payment there from the same debtor
 * account under that UETR is this transaction: the order takes its id and UETR, and replays.
 */
export async function withLegacyIds(
  orders: readonly PaymentOrder[], load: (id: string) => Promise<PaymentRecord | undefined>, earlierUetrs: readonly (string | undefined)[] = [],
): Promise<PaymentOrder[]> {
  const sameTransfer = (stored: PaymentRecord | undefined, order: PaymentOrder): stored is PaymentRecord =>
    !!stored && stored.order.source !== 'api' && stored.order.debtorAccount === order.debtorAccount;
  return mapBounded(orders.map((order, index) => ({ order, earlier: earlierUetrs[index] })), async ({ order, earlier }) => {
    const fromEndToEndId = derivesFromEndToEndId(order.endToEndId, order.debtorAgent);
    if (fromEndToEndId) {
      const legacy = legacyImportedPaymentId(order.debtorAgent, order.endToEndId, order.instructionId ?? '');
      const stored = await load(legacy);
      if (sameTransfer(stored, order)) return { ...order, id: legacy, ...(earlier && stored.uetr === earlier ? { uetr: earlier } : {}) };
    }
    if (!earlier) return order;
    const id = fromEndToEndId ? order.id : derivePaymentsId('import', earlier);
    const stored = await load(id);
    return sameTransfer(stored, order) && stored.uetr === earlier ? { ...order, id, uetr: earlier } : order;
  });
}

/** Submits the orders of one file, a bounded number at a time, and answers in file order. */
export async function submitAll(orders: readonly PaymentOrder[], submit: (order: PaymentOrder) => Promise<Outcome>): Promise<ImportedResult['outcomes']> {
  return mapBounded(orders, async (order) => ({ order, outcome: await submit(order) }));
}

/** Maps the orders of one file in file order, at most PAYMENT_LIMITS.importConcurrency at a time. */
async function mapBounded<I, T>(orders: readonly I[], map: (order: I) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(orders.length);
  let next = 0;
  const worker = async () => {
    while (next < orders.length) {
      const index = next++;
      results[index] = await map(orders[index] as I);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAYMENT_LIMITS.importConcurrency, orders.length) }, worker));
  return results;
}
