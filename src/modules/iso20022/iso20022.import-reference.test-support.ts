/**
 * Frozen copies of the import's JavaScript part as it was before the tree was built in one pass
 * and the value checks were rewritten: the screen, the pairing of the text's tree with libxml2's
 * (plainTree) and the value checks. The equivalence properties compare the current code against
 * these; they are a reference, not to be improved, only removed together with those properties.
 */
import type { XmlDocument, XmlElement, XmlXPath } from 'libxml2-wasm';
import { AssertionError, ISO_3166_ALPHA2 } from '../../kernel/index.ts';
import { refuseOne, type Iso20022Result } from './iso20022.errors.ts';
import { xmlLibrary } from './iso20022.libxml.ts';
import { referenceReadElementTree, type ReferenceRawElement } from './iso20022.tree-reference.test-support.ts';
import { ISO20022_LIMITS } from './iso20022.ts';
import type { Decimal } from './iso20022.values.ts';
import type { ParsedXml, XmlNode } from './iso20022.xml.ts';

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
export function referenceWithParsedXml<T>(input: string | Uint8Array, use: (parsed: ParsedXml) => Iso20022Result<T>): Iso20022Result<T> {
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
    const read = referenceReadElementTree(text ?? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), ISO20022_LIMITS.elementMaxDepth);
    if (!read.ok) return refuseOne(read.code, '/', read.reason);
    const natives = new Map<XmlNode, XmlElement>();
    const built = plainTree(read.root, `/${read.root.name}`, document.root, natives);
    if (!built.ok) return built;
    return use({ root: built.value, native: (node) => natives.get(node) });
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
 * Turns the elements read from the text into plain nodes with their paths, refusing excessive
 * depth. The top two levels, where messages are recognised and whose elements the schemas
 * validate, are paired with libxml2's elements, which also give their namespaces; both trees come
 * from the same bytes, so a mismatch there is a bug.
 */
function plainTree(raw: ReferenceRawElement, path: string, native: XmlElement | undefined, natives: Map<XmlNode, XmlElement>): Iso20022Result<XmlNode> {
  if (raw.depth > ISO20022_LIMITS.elementMaxDepth) {
    return refuseOne('xml_malformed', path, `elements are nested deeper than ${ISO20022_LIMITS.elementMaxDepth} levels`);
  }
  if (native && native.name !== raw.name) throw new AssertionError(`libxml2 read ${native.name} where the text has ${raw.name} at ${path}`);
  const nativeElements = native && raw.depth < 2 ? nativeChildren(native) : [];
  if (native && raw.depth < 2 && nativeElements.length !== raw.children.length) {
    throw new AssertionError(`libxml2 read ${nativeElements.length} elements in ${path} where the text has ${raw.children.length}`);
  }
  // Most elements hold one child of each name: the maps that number repeated names are made only
  // where a name repeats or may (a leaf, most of a message's elements, makes none).
  const counts = raw.children.length > 1 ? new Map<string, number>() : undefined;
  if (counts) for (const child of raw.children) counts.set(child.name, (counts.get(child.name) ?? 0) + 1);
  let seen: Map<string, number> | undefined;
  const children: XmlNode[] = [];
  for (let index = 0; index < raw.children.length; index++) {
    const child = raw.children[index] as ReferenceRawElement;
    const indexed = REPEATABLE.has(child.name) || (counts?.get(child.name) ?? 0) > 1;
    const position = indexed ? ((seen ??= new Map()).get(child.name) ?? 0) + 1 : 1;
    if (indexed) (seen as Map<string, number>).set(child.name, position);
    const built = plainTree(child, indexed ? `${path}/${child.name}[${position}]` : `${path}/${child.name}`, nativeElements[index], natives);
    if (!built.ok) return built;
    children.push(built.value);
  }
  // ISO 20022 has no mixed content: text beside child elements is layout (or a schema error caught later).
  const leaf = raw.children.length === 0;
  const node: XmlNode = { name: raw.name, namespace: native ? native.namespaceUri : '', attributes: leaf ? raw.attributes : {}, children, text: leaf ? raw.text : '', path };
  if (native) natives.set(node, native);
  return { ok: true, value: node };
}

/** xs:decimal's lexical form after whitespace collapsing (no exponent, optional sign). */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Parses decimal text exactly; undefined when it is not an xs:decimal. */
export function referenceParseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const units = BigInt(`${whole || '0'}${fraction}`);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

const BIC = /^[A-Z0-9]{4}([A-Z]{2})[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** A BIC (ISO 9362): the schema's pattern plus a real country code. Returns why not, or undefined. */
export function referenceBicProblem(bic: string): string | undefined {
  const match = BIC.exec(bic);
  if (!match) return `'${bic}' is not a BIC (8 or 11 letters and digits)`;
  if (!ISO_3166_ALPHA2.has(match[1] ?? '')) return `'${bic}' names no country: ${match[1]} is not an ISO 3166 code`;
  return undefined;
}

const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
});

/** ISO 7064 MOD 97-10 over the rearranged IBAN, computed digit by digit so no number grows large. */
export function referenceIbanRemainder(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = Number.parseInt(character, 36);
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder;
}

/** An IBAN in its electronic form (no spaces, upper case). Returns why not, or undefined. */
export function referenceIbanProblem(iban: string): string | undefined {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) return `'${iban}' is not an IBAN in electronic form (upper case, no spaces)`;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined) return `'${iban}': ${iban.slice(0, 2)} is not a country of the IBAN registry`;
  if (iban.length !== expected) return `'${iban}' has ${iban.length} characters; ${iban.slice(0, 2)} IBANs have ${expected}`;
  if (referenceIbanRemainder(iban) !== 1) return `'${iban}' fails its check digits`;
  return undefined;
}

const UETR = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function referenceIsUetr(text: string): boolean {
  return UETR.test(text);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$/;

/** A calendar date YYYY-MM-DD that exists (no 31 April). */
export function referenceIsIsoDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An xs:dateTime as ISO 20022 uses it: date, time to the second, optional fraction and offset. */
export function referenceIsIsoDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  return match !== null && referenceIsIsoDate(match[1] ?? '');
}

