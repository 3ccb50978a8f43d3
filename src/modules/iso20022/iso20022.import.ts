/**
 * Importing a message: screen and parse safely, recognise the message definition, count the
 * transactions before any heavy work, validate against the official schema, then read with
 * Sluice's business rules. The first step that fails decides the refusal; nothing is returned for
 * booking unless every step passed, so a refused file books nothing.
 */
import { problem, refuse, refuseOne, type Iso20022Problem, type Iso20022Result } from './iso20022.errors.ts';
import { checkHeaderMatches, envelopeParts, isEnvelope, readHeader } from './iso20022.header.ts';
import { readPacs008 } from './iso20022.pacs008.ts';
import { readPain001 } from './iso20022.pain001.ts';
import { validateElement, type ImportSchema } from './iso20022.schema.ts';
import { child, childrenNamed, withParsedXml, type ParsedXml, type XmlNode } from './iso20022.xml.ts';
import {
  ISO20022_LIMITS,
  MESSAGE_DEFINITIONS,
  namespaceOf,
  type BusinessApplicationHeader,
  type ImportedMessage,
  type InterbankCreditTransferMessage,
  type PaymentInitiation,
} from './iso20022.ts';

type ImportKind = ImportedMessage['kind'];

/** The documents this layer imports: their namespace and the element that holds the transactions. */
const IMPORTABLE: Readonly<Record<string, { kind: ImportKind; body: string; paymentGroup?: string }>> = {
  [namespaceOf(MESSAGE_DEFINITIONS.customerCreditTransferInitiation)]: { kind: 'pain.001.001.09', body: 'CstmrCdtTrfInitn', paymentGroup: 'PmtInf' },
  [namespaceOf(MESSAGE_DEFINITIONS.customerCreditTransfer)]: { kind: 'pacs.008.001.08', body: 'FIToFICstmrCdtTrf' },
};

/**
 * Imports a pain.001.001.09 or pacs.008.001.08 message, given as text or UTF-8 bytes. A pacs.008
 * may come as a bare Document or in Sluice's envelope together with its business application header.
 */
export function importMessage(input: string | Uint8Array): Iso20022Result<ImportedMessage> {
  return withParsedXml(input, importParsed);
}

/** Imports a customer credit transfer initiation; any other message is `unsupported_message`. */
export function importPain001(input: string | Uint8Array): Iso20022Result<PaymentInitiation> {
  const imported = importMessage(input);
  if (!imported.ok) return imported;
  if (imported.value.kind !== 'pain.001.001.09') return wrongKind(imported.value.kind, 'pain.001.001.09');
  return { ok: true, value: imported.value.initiation };
}

/** Imports an interbank customer credit transfer, with its header when it came in an envelope. */
export function importPacs008(
  input: string | Uint8Array,
): Iso20022Result<{ readonly header?: BusinessApplicationHeader; readonly message: InterbankCreditTransferMessage }> {
  const imported = importMessage(input);
  if (!imported.ok) return imported;
  if (imported.value.kind !== 'pacs.008.001.08') return wrongKind(imported.value.kind, 'pacs.008.001.08');
  const { header, message } = imported.value;
  return { ok: true, value: { ...(header ? { header } : {}), message } };
}

function wrongKind<T>(found: ImportKind, expected: ImportKind): Iso20022Result<T> {
  return refuseOne('unsupported_message', '/', `expected ${expected} but the message is ${found}`);
}

/** Recognises, validates and reads a parsed message (exported for the equivalence properties). */
export function importParsed(parsed: ParsedXml): Iso20022Result<ImportedMessage> {
  let headerNode: XmlNode | undefined;
  let document = parsed.root;
  if (isEnvelope(parsed.root)) {
    const parts = envelopeParts(parsed.root);
    if (!parts) {
      return refuseOne('unsupported_message', parsed.root.path, 'the envelope must hold exactly an AppHdr (head.001.001.02) followed by a Document');
    }
    headerNode = parts.header;
    document = parts.document;
  }
  const importable = document.name === 'Document' ? IMPORTABLE[document.namespace] : undefined;
  if (!importable) return refuseOne('unsupported_message', document.path, describeUnsupported(document));
  if (headerNode && importable.kind !== 'pacs.008.001.08') {
    return refuseOne('unsupported_message', headerNode.path, 'a customer initiation (pain.001) is sent without a business application header');
  }
  const count = countTransactions(document, importable.body, importable.paymentGroup);
  if (count > ISO20022_LIMITS.transactionsMaxPerMessage) {
    return refuseOne('too_many_transactions', `${document.path}/${importable.body}`, `the message has ${count} transactions; at most ${ISO20022_LIMITS.transactionsMaxPerMessage} are accepted per file`);
  }
  const schemaProblems = [
    ...(headerNode ? validate(parsed, headerNode, 'head.001.001.02') : []),
    ...validate(parsed, document, importable.kind),
  ];
  if (schemaProblems.length > 0) return refuse(schemaProblems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  const problems: Iso20022Problem[] = [];
  const result = read(importable.kind, document, headerNode, problems);
  if (problems.length > 0 || !result) return refuse(problems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  return { ok: true, value: result };
}

function read(kind: ImportKind, document: XmlNode, headerNode: XmlNode | undefined, problems: Iso20022Problem[]): ImportedMessage | undefined {
  if (kind === 'pain.001.001.09') {
    const initiation = readPain001(document, problems);
    return initiation && { kind, initiation };
  }
  const header = headerNode ? readHeader(headerNode, problems) : undefined;
  const message = readPacs008(document, problems, header?.fromBic);
  if (header && headerNode && message) {
    checkHeaderMatches(header, headerNode, MESSAGE_DEFINITIONS.customerCreditTransfer, message.messageId, problems);
  }
  if (!message || problems.length > 0) return undefined;
  return { kind, ...(header ? { header } : {}), message };
}

function validate(parsed: ParsedXml, node: XmlNode, schema: ImportSchema): Iso20022Problem[] {
  const native = parsed.native(node);
  if (!native) return [problem('schema_invalid', node.path, 'the element could not be validated')];
  return validateElement(schema, native, parsed.root);
}

/** Counts transactions from the tree alone, so an oversized batch is refused before schema work. */
function countTransactions(document: XmlNode, body: string, paymentGroup: string | undefined): number {
  const message = child(document, body);
  if (!paymentGroup) return childrenNamed(message, 'CdtTrfTxInf').length;
  return childrenNamed(message, paymentGroup).reduce((sum, group) => sum + childrenNamed(group, 'CdtTrfTxInf').length, 0);
}

/** Says what the message is, so a sender of the wrong version sees which version is expected. */
function describeUnsupported(document: XmlNode): string {
  const found = /^urn:iso:std:iso:20022:tech:xsd:(.+)$/.exec(document.namespace)?.[1];
  const accepted = `${MESSAGE_DEFINITIONS.customerCreditTransferInitiation} and ${MESSAGE_DEFINITIONS.customerCreditTransfer}`;
  if (found) return `${found} is not imported; Sluice imports ${accepted}`;
  return `the root element {${document.namespace}}${document.name} is not an ISO 20022 Document; Sluice imports ${accepted}`;
}
