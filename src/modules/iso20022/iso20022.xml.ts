/**
 * Safe reading of untrusted XML. The file is bounded in size, any DOCTYPE or entity declaration is
 * refused before a parser sees it (so no entity is ever expanded and no external resource is
 * named), and libxml2 (compiled to WebAssembly, so it has no file or network access at all) parses
 * it with network access off. The result is a tree of plain elements, read-only to its readers, in
 * which every element can name its own path, so every later problem can name the element at fault.
 */
import type { XmlDocument, XmlElement, XmlXPath } from 'libxml2-wasm';
import { AssertionError } from '../../kernel/index.ts';
import { problem, refuseOne, type Iso20022Result } from './iso20022.errors.ts';
import { xmlLibrary } from './iso20022.libxml.ts';
import { readElementTree, type TreeElement } from './iso20022.tree.ts';
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

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** The declaration is at the very start; 200 bytes hold any sensible one. */
const DECLARATION_SCAN_BYTES = 200;
/** Refused wherever they appear; the first named is the one reported when a message holds both. */
const FORBIDDEN_DECLARATIONS = ['<!DOCTYPE', '<!ENTITY'] as const;
const MARKUP_DECLARATION_START = Buffer.from('<!', 'latin1');

/**
 * Text of up to a third of this many characters is encoded into one buffer used again for every
 * message: the bytes are parsed (libxml2 copies them) and, when need be, decoded before the
 * message's reader runs, and nothing keeps them. Larger messages get bytes of their own.
 */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Uint8Array | undefined;
const encoder = new TextEncoder();

/** UTF-8 bytes of text; a lone surrogate becomes U+FFFD, as Buffer.from writes it too. */
function utf8(text: string): Uint8Array {
  if (text.length * 3 > SCRATCH_BYTES) return Buffer.from(text, 'utf8');
  scratch ??= new Uint8Array(SCRATCH_BYTES);
  return scratch.subarray(0, encoder.encodeInto(text, scratch).written);
}

/** The first of FORBIDDEN_DECLARATIONS in the message, found in one scan for the `<!` they start with. */
function forbiddenDeclaration(buffer: Buffer): string | undefined {
  let found: string | undefined;
  for (let at = buffer.indexOf(MARKUP_DECLARATION_START); at >= 0; at = buffer.indexOf(MARKUP_DECLARATION_START, at + 2)) {
    for (const declaration of FORBIDDEN_DECLARATIONS) {
      if (buffer.toString('latin1', at, at + declaration.length) !== declaration) continue;
      if (declaration === FORBIDDEN_DECLARATIONS[0]) return declaration;
      found = declaration;
    }
  }
  return found;
}

interface Screened {
  readonly bytes: Uint8Array;
  /**
   * The same bytes as text, when the input was text that encodes to them and back unchanged (no
   * lone surrogate, which UTF-8 encoding replaces): the tree is read from it without decoding again.
   */
  readonly text: string | undefined;
}

/** String.prototype.isWellFormed (ES2024, in Node 20) is not in the TypeScript library this project targets. */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Turns the input into UTF-8 bytes within the size limit and refuses what must never reach the
 * parser: DTDs, entity declarations and encodings other than UTF-8 (ISO 20022 mandates UTF-8).
 */
function screen(input: string | Uint8Array): Iso20022Result<Screened> {
  const max = ISO20022_LIMITS.messageMaxBytes;
  if (typeof input === 'string' && input.length > max) return tooLarge(input.length);
  let bytes: Uint8Array = typeof input === 'string' ? utf8(input) : input;
  if (bytes.byteLength > max) return tooLarge(bytes.byteLength);
  if (bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) bytes = bytes.subarray(UTF8_BOM.length);
  if (bytes[0] === 0xfe || bytes[0] === 0xff || bytes[0] === 0x00) {
    return refuseOne('xml_malformed', '/', 'the message is not UTF-8 (it looks like UTF-16 or UTF-32)');
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaration = forbiddenDeclaration(buffer);
  if (declaration !== undefined) {
    return refuseOne('xml_entities_forbidden', '/', `${declaration} is not allowed: messages may not declare a DTD or entities`);
  }
  const head = buffer.toString('latin1', 0, Math.min(buffer.byteLength, DECLARATION_SCAN_BYTES));
  const encoding = /^<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    return refuseOne('xml_malformed', '/', `the message declares encoding ${encoding}; ISO 20022 messages are UTF-8`);
  }
  // A leading U+FEFF may stay in the text: the tree reader skips whatever precedes the root element.
  const text = typeof input === 'string' && isWellFormed(input) ? input : undefined;
  return { ok: true, value: { bytes, text } };
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
  const { ParseOption, XmlDocument, XmlLibError } = xmlLibrary();
  let document: XmlDocument;
  try {
    // No network, and no entity substitution (libxml2's default, stated for the reader).
    document = XmlDocument.fromBuffer(screened.value.bytes, { option: ParseOption.XML_PARSE_NONET });
  } catch (error) {
    if (!(error instanceof XmlLibError)) throw error;
    const detail = error.details[0];
    const where = detail ? `line ${detail.line}, column ${detail.col}: ` : '';
    return refuseOne('xml_malformed', '/', `${where}${(detail?.message ?? error.message).trim()}`);
  }
  try {
    // The screen refused every DOCTYPE; this second look guards against a parser surprise.
    if (document.dtd !== null) return refuseOne('xml_entities_forbidden', '/', 'messages may not carry a DTD');
    const { bytes, text } = screened.value;
    const read = readElementTree(text ?? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), ISO20022_LIMITS.elementMaxDepth);
    if (!read.ok) return refuseOne(read.code, '/', read.reason);
    if (read.tooDeep) return refuseOne('xml_malformed', read.tooDeep.path, `elements are nested deeper than ${ISO20022_LIMITS.elementMaxDepth} levels`);
    return use(new Parsed(read.root, pairTopLevels(read.root, document.root)));
  } finally {
    document.dispose();
  }
}

/**
 * The native element children of an element, in document order. Found by XPath rather than by
 * walking siblings, because libxml2-wasm's wrapper of a processing instruction has no `next`.
 */
let childElements: XmlXPath | undefined;
function nativeChildren(element: XmlElement): XmlElement[] {
  const { XmlElement: Element, XmlXPath: XPath } = xmlLibrary();
  childElements ??= XPath.compile('*');
  return element.find(childElements).filter((node): node is XmlElement => node instanceof Element);
}

/**
 * Pairs the top two levels of the tree read from the text, where messages are recognised and whose
 * elements the schemas validate, with libxml2's elements, which also give their namespaces. Both
 * trees come from the same bytes, so a mismatch there is a bug.
 */
function pairTopLevels(root: TreeElement, nativeRoot: XmlElement): Map<XmlNode, XmlElement> {
  const natives = new Map<XmlNode, XmlElement>();
  pair(root, nativeRoot, natives);
  const nativeElements = nativeChildren(nativeRoot);
  if (nativeElements.length !== root.children.length) {
    throw new AssertionError(`libxml2 read ${nativeElements.length} elements in ${root.path} where the text has ${root.children.length}`);
  }
  for (let index = 0; index < nativeElements.length; index++) pair(root.children[index] as TreeElement, nativeElements[index] as XmlElement, natives);
  return natives;
}

function pair(node: TreeElement, native: XmlElement, natives: Map<XmlNode, XmlElement>): void {
  if (native.name !== node.name) throw new AssertionError(`libxml2 read ${native.name} where the text has ${node.name} at ${node.path}`);
  node.namespace = native.namespaceUri;
  natives.set(node, native);
}

/** The tree handed to a reader, with the native elements paired with its top two levels. */
class Parsed implements ParsedXml {
  constructor(
    readonly root: XmlNode,
    private readonly natives: Map<XmlNode, XmlElement>,
  ) {}

  native(node: XmlNode): XmlElement | undefined {
    return this.natives.get(node);
  }
}

/** The first child element with this name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (!node) return undefined;
  for (const candidate of node.children) if (candidate.name === name) return candidate;
  return undefined;
}

/** All child elements with this name, in document order. */
export function childrenNamed(node: XmlNode | undefined, name: string): readonly XmlNode[] {
  const found: XmlNode[] = [];
  if (node) for (const candidate of node.children) if (candidate.name === name) found.push(candidate);
  return found;
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
