/**
 * The business application header (head.001.001.02) and the way Sluice sends it with its document.
 * Header and document are separate XML documents with separate schemas; a built message returns
 * both, and also one file that carries both inside Sluice's envelope.
 */
import { problem, type Iso20022Problem } from './iso20022.errors.ts';
import { checkBic, checkDateTime, checkId } from './iso20022.checks.ts';
import { bicProblem } from './iso20022.values.ts';
import { agent, element, rootElement, text, XML_DECLARATION } from './iso20022.writer.ts';
import { child, requiredText, textAt, type XmlNode } from './iso20022.xml.ts';
import {
  BUSINESS_MESSAGE_ELEMENT,
  BUSINESS_MESSAGE_NAMESPACE,
  MESSAGE_DEFINITIONS,
  namespaceOf,
  type BusinessApplicationHeader,
  type HeaderInput,
  type MessageDefinition,
  type OutboundMessage,
} from './iso20022.ts';

/** Checks the header fields a builder will write. */
export function checkHeader(problems: Iso20022Problem[], header: HeaderInput): void {
  checkBic(problems, 'header.fromBic', header.fromBic);
  checkBic(problems, 'header.toBic', header.toBic);
  checkId(problems, 'header.businessMessageId', header.businessMessageId);
  checkId(problems, 'header.businessService', header.businessService);
  checkDateTime(problems, 'header.createdAt', header.createdAt);
}

/** The AppHdr element for a message, without the XML declaration. */
function buildHeaderElement(header: HeaderInput, definition: MessageDefinition): string {
  const body =
    element('Fr', element('FIId', element('FinInstnId', text('BICFI', header.fromBic)))) +
    element('To', element('FIId', element('FinInstnId', text('BICFI', header.toBic)))) +
    text('BizMsgIdr', header.businessMessageId) +
    text('MsgDefIdr', definition) +
    text('BizSvc', header.businessService) +
    text('CreDt', header.createdAt) +
    text('PssblDplct', header.possibleDuplicate === undefined ? undefined : String(header.possibleDuplicate));
  return rootElement('AppHdr', namespaceOf(MESSAGE_DEFINITIONS.businessApplicationHeader), body);
}


/** Puts header and document together: both separately and in one enveloped file. */
export function assemble(header: HeaderInput, definition: MessageDefinition, documentBody: string): OutboundMessage {
  // Each root element is written once and used both as a document of its own and in the envelope.
  const headerElement = buildHeaderElement(header, definition);
  const documentElement = rootElement('Document', namespaceOf(definition), documentBody);
  const combined = `${XML_DECLARATION}<${BUSINESS_MESSAGE_ELEMENT} xmlns="${BUSINESS_MESSAGE_NAMESPACE}">${headerElement}${documentElement}</${BUSINESS_MESSAGE_ELEMENT}>\n`;
  return { messageDefinition: definition, header: `${XML_DECLARATION}${headerElement}\n`, document: `${XML_DECLARATION}${documentElement}\n`, combined };
}

/** Writes the instructing and instructed agents from the header's BICs. */
export function headerAgents(header: HeaderInput): string {
  return agent('InstgAgt', header.fromBic) + agent('InstdAgt', header.toBic);
}

/**
 * Reads a schema-valid AppHdr. Sluice exchanges messages between financial institutions, so both
 * ends must be named by BIC; an organisation identifier is refused.
 */
export function readHeader(node: XmlNode, problems: Iso20022Problem[]): BusinessApplicationHeader | undefined {
  const fromBic = textAt(node, 'Fr', 'FIId', 'FinInstnId', 'BICFI');
  const toBic = textAt(node, 'To', 'FIId', 'FinInstnId', 'BICFI');
  for (const [side, bic] of [['Fr', fromBic], ['To', toBic]] as const) {
    const reason = bic === undefined ? 'the header must name both institutions by BIC' : bicProblem(bic);
    if (reason) problems.push(problem(bic === undefined ? 'missing_element' : 'invalid_bic', `${node.path}/${side}/FIId/FinInstnId/BICFI`, reason));
  }
  if (fromBic === undefined || toBic === undefined) return undefined;
  const duplicate = textAt(node, 'PssblDplct');
  return {
    fromBic,
    toBic,
    businessMessageId: requiredText(node, 'BizMsgIdr'),
    messageDefinitionId: requiredText(node, 'MsgDefIdr'),
    createdAt: requiredText(node, 'CreDt'),
    ...(child(node, 'BizSvc') ? { businessService: requiredText(node, 'BizSvc') } : {}),
    ...(duplicate !== undefined ? { possibleDuplicate: duplicate.trim() === 'true' || duplicate.trim() === '1' } : {}),
  };
}

/** The header must announce the document it travels with, and carry its message id. */
export function checkHeaderMatches(
  header: BusinessApplicationHeader,
  headerNode: XmlNode,
  definition: MessageDefinition,
  messageId: string,
  problems: Iso20022Problem[],
): void {
  if (header.messageDefinitionId !== definition) {
    problems.push(problem('header_mismatch', `${headerNode.path}/MsgDefIdr`, `the header announces ${header.messageDefinitionId} but the document is ${definition}`));
  }
  if (header.businessMessageId !== messageId) {
    problems.push(problem('header_mismatch', `${headerNode.path}/BizMsgIdr`, `the header's BizMsgIdr ${header.businessMessageId} differs from the document's MsgId ${messageId}`));
  }
}

/** True when a node is Sluice's envelope around a header and a document. */
export function isEnvelope(node: XmlNode): boolean {
  return node.name === BUSINESS_MESSAGE_ELEMENT && node.namespace === BUSINESS_MESSAGE_NAMESPACE;
}

/** The header and document inside an envelope, when it holds exactly those two. */
export function envelopeParts(node: XmlNode): { header: XmlNode; document: XmlNode } | undefined {
  const [header, document, ...rest] = node.children;
  if (!header || !document || rest.length > 0) return undefined;
  if (header.name !== 'AppHdr' || header.namespace !== namespaceOf(MESSAGE_DEFINITIONS.businessApplicationHeader)) return undefined;
  if (document.name !== 'Document') return undefined;
  return { header, document };
}
