/**
 * Safe reading of untrusted XML. The file is bounded in size, any DOCTYPE or entity declaration is
 * refused before a parser sees it (so no entity is ever expanded and no external resource is
 * named), and libxml2 (compiled to WebAssembly, so it has no file or network access at all) parses
 * it with network access off. The result is a plain, immutable tree in which every element knows
 * its own path, so every later problem can name the element at fault.
 */
import {
  ParseOption,
  XmlCData,
  XmlDocument,
  XmlElement,
  XmlEntityReference,
  XmlLibError,
  XmlText,
} from 'libxml2-wasm';
import { problem, refuseOne, type Iso20022Result } from './iso20022.errors.ts';
import { ISO20022_LIMITS } from './iso20022.ts';

/**
 * An element of a parsed message. `text` joins the text and CDATA of an element without child
 * elements, and `attributes` are recorded for such elements too (amounts carry their currency
 * there). `namespace` is recorded for the top two levels, where messages are recognised; the
 * namespaces of deeper elements are the schema's business.
 */
export interface XmlNode {
  readonly name: string;
  readonly namespace: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  readonly text: string;
  /** Element path with positions among same-named siblings, e.g. `/Document/CstmrCdtTrfInitn/PmtInf[1]`. */
  readonly path: string;
}

/** A parsed message: the plain tree, and the native elements of its first two levels for schema checks. */
export interface ParsedXml {
  readonly root: XmlNode;
  native(node: XmlNode): XmlElement | undefined;
}

/**
 * Elements that may repeat in the messages read here; their paths always carry a position, so a
 * path names the same element whether or not it has siblings.
 */
const REPEATABLE = new Set([
  'PmtInf', 'CdtTrfTxInf', 'Ustrd', 'ChrgsInf', 'TxInfAndSts', 'OrgnlGrpInfAndSts', 'TxInf', 'Stmt', 'Bal', 'Ntry',
  'TxDtls', 'StsRsnInf', 'RtrRsnInf', 'AddtlInf', 'AdrLine', 'Othr', 'Strd', 'RgltryRptg', 'RltdRmtInf', 'SplmtryData',
]);

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** The declaration is at the very start; 200 bytes hold any sensible one. */
const DECLARATION_SCAN_BYTES = 200;
const FORBIDDEN_DECLARATIONS = ['<!DOCTYPE', '<!ENTITY'];
/** Parser options: no network, and no entity substitution (libxml2's default, stated for the reader). */
const PARSE_OPTIONS = ParseOption.XML_PARSE_NONET;

/**
 * Turns the input into UTF-8 bytes within the size limit and refuses what must never reach the
 * parser: DTDs, entity declarations and encodings other than UTF-8 (ISO 20022 mandates UTF-8).
 */
function screen(input: string | Uint8Array): Iso20022Result<Uint8Array> {
  const max = ISO20022_LIMITS.messageMaxBytes;
  if (typeof input === 'string' && input.length > max) return tooLarge(input.length);
  let bytes: Uint8Array = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.byteLength > max) return tooLarge(bytes.byteLength);
  if (UTF8_BOM.every((byte, index) => bytes[index] === byte)) bytes = bytes.subarray(UTF8_BOM.length);
  if (bytes[0] === 0xfe || bytes[0] === 0xff || bytes[0] === 0x00) {
    return refuseOne('xml_malformed', '/', 'the message is not UTF-8 (it looks like UTF-16 or UTF-32)');
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const declaration of FORBIDDEN_DECLARATIONS) {
    if (buffer.includes(declaration, 0, 'latin1')) {
      return refuseOne('xml_entities_forbidden', '/', `${declaration} is not allowed: messages may not declare a DTD or entities`);
    }
  }
  const head = buffer.toString('latin1', 0, Math.min(buffer.byteLength, DECLARATION_SCAN_BYTES));
  const encoding = /^<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    return refuseOne('xml_malformed', '/', `the message declares encoding ${encoding}; ISO 20022 messages are UTF-8`);
  }
  return { ok: true, value: bytes };
}

function tooLarge(size: number): Iso20022Result<never> {
  return refuseOne('xml_too_large', '/', `the message has ${size} bytes; at most ${ISO20022_LIMITS.messageMaxBytes} are accepted`);
}

/**
 * Parses an untrusted message and hands the tree to `use`; the native document is freed when
 * `use` returns, whatever happens, so callers never hold WebAssembly memory.
 */
export function withParsedXml<T>(input: string | Uint8Array, use: (parsed: ParsedXml) => Iso20022Result<T>): Iso20022Result<T> {
  const screened = screen(input);
  if (!screened.ok) return screened;
  let document: XmlDocument;
  try {
    document = XmlDocument.fromBuffer(screened.value, { option: PARSE_OPTIONS });
  } catch (error) {
    if (!(error instanceof XmlLibError)) throw error;
    const detail = error.details[0];
    const where = detail ? `line ${detail.line}, column ${detail.col}: ` : '';
    return refuseOne('xml_malformed', '/', `${where}${(detail?.message ?? error.message).trim()}`);
  }
  try {
    // The screen refused every DOCTYPE; this second look guards against a parser surprise.
    if (document.dtd !== null) return refuseOne('xml_entities_forbidden', '/', 'messages may not carry a DTD');
    const natives = new Map<XmlNode, XmlElement>();
    const rootName = document.root.name;
    const built = buildTree(document.root, rootName, `/${rootName}`, 1, natives);
    if (!built.ok) return built;
    return use({ root: built.value, native: (node) => natives.get(node) });
  } finally {
    document.dispose();
  }
}

/**
 * Copies a native element and its descendants into plain nodes, refusing entity references and
 * excessive depth. Every read from the native tree crosses into WebAssembly, so each element's
 * name is read once, and text and attributes only of elements without child elements: ISO 20022
 * has no mixed content, so text beside child elements is layout (or a schema error caught later).
 */
function buildTree(element: XmlElement, name: string, path: string, depth: number, natives: Map<XmlNode, XmlElement>): Iso20022Result<XmlNode> {
  if (depth > ISO20022_LIMITS.elementMaxDepth) {
    return refuseOne('xml_malformed', path, `elements are nested deeper than ${ISO20022_LIMITS.elementMaxDepth} levels`);
  }
  const elements: Array<{ native: XmlElement; name: string }> = [];
  const texts: Array<XmlText | XmlCData> = [];
  for (let node = element.firstChild; node !== null; node = node.next) {
    if (node instanceof XmlElement) elements.push({ native: node, name: node.name });
    else if (node instanceof XmlText || node instanceof XmlCData) texts.push(node);
    else if (node instanceof XmlEntityReference) {
      return refuseOne('xml_entities_forbidden', path, `entity reference &${node.name}; is not allowed`);
    }
  }
  const counts = new Map<string, number>();
  for (const child of elements) counts.set(child.name, (counts.get(child.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  const children: XmlNode[] = [];
  for (const child of elements) {
    const position = (seen.get(child.name) ?? 0) + 1;
    seen.set(child.name, position);
    const indexed = REPEATABLE.has(child.name) || (counts.get(child.name) ?? 0) > 1;
    const childPath = `${path}/${child.name}${indexed ? `[${position}]` : ''}`;
    const built = buildTree(child.native, child.name, childPath, depth + 1, natives);
    if (!built.ok) return built;
    children.push(built.value);
  }
  const leaf = elements.length === 0;
  const attributes: Record<string, string> = {};
  if (leaf) for (const attribute of element.attrs) attributes[attribute.name] = attribute.value;
  const node: XmlNode = {
    name,
    namespace: depth <= 2 ? element.namespaceUri : '',
    attributes,
    children,
    text: leaf ? texts.map((part) => part.content).join('') : '',
    path,
  };
  if (depth <= 2) natives.set(node, element);
  return { ok: true, value: node };
}

/** The first child element with this name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((candidate) => candidate.name === name);
}

/** All child elements with this name, in document order. */
export function childrenNamed(node: XmlNode | undefined, name: string): readonly XmlNode[] {
  return node ? node.children.filter((candidate) => candidate.name === name) : [];
}

/** The element reached by following child names, or undefined where the chain breaks. */
export function descend(node: XmlNode | undefined, ...names: string[]): XmlNode | undefined {
  let current = node;
  for (const name of names) current = child(current, name);
  return current;
}

/** Text of the element reached by following child names, or undefined. */
export function textAt(node: XmlNode | undefined, ...names: string[]): string | undefined {
  return descend(node, ...names)?.text;
}

/** A required child; the schema has already guaranteed it, so its absence is a bug. */
export function requiredChild(node: XmlNode, name: string): XmlNode {
  const found = child(node, name);
  if (!found) throw new Error(`schema-valid message lacks ${node.path}/${name}`);
  return found;
}

/** Text of a required element; the schema has already guaranteed it, so its absence is a bug. */
export function requiredText(node: XmlNode, ...names: string[]): string {
  const text = textAt(node, ...names);
  if (text === undefined) throw new Error(`schema-valid message lacks ${node.path}/${names.join('/')}`);
  return text;
}

/** A problem about an element that is absent: its path is where it would be. */
export function missing(node: XmlNode, names: string, reason: string): ReturnType<typeof problem> {
  return problem('missing_element', `${node.path}/${names}`, reason);
}
