/**
 * The plain element tree of a message, read from its text in JavaScript. It runs only after libxml2
 * has parsed the same bytes without complaint, so the text is known to be well-formed XML without a
 * DTD: the reader needs no error recovery, only the few constructs such a document can hold
 * (elements, attributes, text, character and predefined entity references, CDATA, comments and
 * processing instructions). Walking libxml2's tree instead crosses into WebAssembly several times
 * per element, which took longer than parsing and validating the message together.
 *
 * The reader builds the final nodes in one pass. A node's path depends on the siblings after it, so
 * it is worked out from the parent when first asked for (problems and a few readers ask), not for
 * every element.
 */
import type { XmlNode } from './iso20022.xml.ts';

/**
 * Elements that may repeat in the messages read here; their paths always carry a position, so a
 * path names the same element whether or not it has siblings.
 */
const REPEATABLE = new Set([
  'PmtInf', 'CdtTrfTxInf', 'Ustrd', 'ChrgsInf', 'TxInfAndSts', 'OrgnlGrpInfAndSts', 'TxInf', 'Stmt', 'Bal', 'Ntry',
  'TxDtls', 'StsRsnInf', 'RtrRsnInf', 'AddtlInf', 'AdrLine', 'Othr', 'Strd', 'RgltryRptg', 'RltdRmtInf', 'SplmtryData',
]);

/** The attributes of every element that has none (most of them), and of every element with children. */
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});
/** The children of every leaf; an element gets an array of its own with its first child. */
const NO_CHILDREN: readonly TreeElement[] = Object.freeze([]);

/**
 * An element as read. ISO 20022 has no mixed content: text beside child elements is layout (or a
 * schema error caught later), so an element with children has empty `text` and no attributes, and
 * the text after its first child is neither cut out nor decoded.
 */
export class TreeElement implements XmlNode {
  /** Set for the top two levels from libxml2's elements, where messages are recognised. */
  namespace = '';
  attributes: Readonly<Record<string, string>>;
  children: readonly TreeElement[] = NO_CHILDREN;
  /** Text and CDATA directly inside the element, joined; empty once the element has children. */
  text = '';
  private knownPath: string | undefined = undefined;

  constructor(
    /** Local name, without any namespace prefix. */
    readonly name: string,
    /** Attributes by local name; namespace declarations are not attributes. */
    attributes: Readonly<Record<string, string>>,
    /** Nesting level, the root being 1. */
    readonly depth: number,
    readonly parent: TreeElement | undefined,
  ) {
    this.attributes = attributes;
  }

  /** Element path with positions among same-named siblings, e.g. `/Document/CstmrCdtTrfInitn/PmtInf[1]`. */
  get path(): string {
    if (this.knownPath !== undefined) return this.knownPath;
    const parent = this.parent;
    let path: string;
    if (!parent) {
      path = `/${this.name}`;
    } else {
      let count = 0;
      let position = 0;
      for (const sibling of parent.children) {
        if (sibling.name !== this.name) continue;
        count += 1;
        if (sibling === this) position = count;
      }
      path = REPEATABLE.has(this.name) || count > 1 ? `${parent.path}/${this.name}[${position}]` : `${parent.path}/${this.name}`;
    }
    this.knownPath = path;
    return path;
  }
}

/** The name `RawElement` the tree's tests know the elements by. */
export type RawElement = TreeElement;

export type TreeOutcome =
  | {
      readonly ok: true;
      readonly root: TreeElement;
      /** The first element, in document order, nested deeper than the limit (kept without children). */
      readonly tooDeep: TreeElement | undefined;
    }
  | { readonly ok: false; readonly code: 'xml_malformed' | 'xml_entities_forbidden'; readonly reason: string };

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const GREATER_THAN = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const COLON = 0x3a;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
/** Characters that end a name in a tag: XML's four whitespace characters, `/`, `>` and `=`. */
const ENDS_NAME = new Uint8Array(128);
for (const character of ' \t\n\r/>=') ENDS_NAME[character.charCodeAt(0)] = 1;
/** XML's four whitespace characters. */
const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const isHexDigit = (code: number) => isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
const isNameStart = (code: number) => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
/** The characters after a reference name's first: ASCII letters, digits, `_`, `.` and `-`. */
const isNamePart = (code: number) => isNameStart(code) || isDigit(code) || code === 0x2e || code === 0x2d;

/**
 * Replaces character references and the five predefined entities; any other entity is a refusal.
 * A reference is `&#x` and hex digits, `&#` and decimal digits, or `&` and a name (an ASCII letter
 * or `_`, then letters, digits, `_`, `.` or `-`), each closed by `;`; an `&` that starts none of
 * these is left as it is (libxml2 has refused such text already).
 */
function decodeReferences(text: string): string | undefined {
  let ampersand = text.indexOf('&');
  if (ampersand < 0) return text;
  let decoded = '';
  let copied = 0;
  while (ampersand >= 0) {
    let end = ampersand + 1;
    let replacement: string | undefined;
    if (text.charCodeAt(end) === 0x23 /* # */) {
      const hex = text.charCodeAt(end + 1) === 0x78; /* x */
      const digitsFrom = end + (hex ? 2 : 1);
      end = digitsFrom;
      while (hex ? isHexDigit(text.charCodeAt(end)) : isDigit(text.charCodeAt(end))) end += 1;
      if (end > digitsFrom && text.charCodeAt(end) === 0x3b /* ; */) {
        replacement = String.fromCodePoint(Number.parseInt(text.slice(digitsFrom, end), hex ? 16 : 10));
      }
    } else if (isNameStart(text.charCodeAt(end))) {
      while (isNamePart(text.charCodeAt(end))) end += 1;
      if (text.charCodeAt(end) === 0x3b /* ; */) {
        const name = text.slice(ampersand + 1, end);
        if (!Object.hasOwn(PREDEFINED_ENTITIES, name)) return undefined;
        replacement = PREDEFINED_ENTITIES[name];
      }
    }
    if (replacement !== undefined) {
      decoded += text.slice(copied, ampersand) + replacement;
      copied = end + 1;
      ampersand = text.indexOf('&', copied);
    } else {
      ampersand = text.indexOf('&', ampersand + 1);
    }
  }
  return decoded + text.slice(copied);
}

/** End of the construct that starts at `from`, or -1; `marker` is what closes it. */
function endOf(text: string, from: number, marker: string): number {
  const at = text.indexOf(marker, from);
  return at < 0 ? -1 : at + marker.length;
}

function fail(reason: string, code: 'xml_malformed' | 'xml_entities_forbidden' = 'xml_malformed'): TreeOutcome {
  return { ok: false, code, reason };
}

/** What `readStartTag` read; one record, reused for every tag. */
const tag = { name: '', attributes: NO_ATTRIBUTES, end: 0, empty: false };

/**
 * Reads every element of a well-formed document. Elements deeper than `maxDepth` + 1 are skipped:
 * those at depth `maxDepth` + 1 are kept, without children, so that the caller can name the first
 * of them (`tooDeep`), and refuse it.
 *
 * Text is cut out and decoded only while its element has no children. Text after a child element,
 * and text in elements too deep to be kept, is skipped unread: an entity reference there that
 * decoding would refuse (an undeclared entity, a character reference to no character) is one
 * libxml2 has refused already, as it parses first.
 */
export function readElementTree(source: string, maxDepth: number): TreeOutcome {
  // XML parsers see every CR LF pair and every lone CR as a line feed (XML 1.0, 2.11).
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  let current: TreeElement | undefined;
  let root: TreeElement | undefined;
  let tooDeep: TreeElement | undefined;
  /** Nesting level of the innermost open element, kept or not. */
  let depth = 0;
  let position = 0;
  while (position < text.length) {
    const at = text.indexOf('<', position);
    if (at < 0) break;
    // Text belongs to the innermost element when that element is kept and still has no children.
    const reading = current !== undefined && depth === current.depth && current.children === NO_CHILDREN;
    if (at > position && reading) {
      const decoded = decodeReferences(text.slice(position, at));
      if (decoded === undefined) return fail('entity references other than the predefined ones are not allowed', 'xml_entities_forbidden');
      (current as TreeElement).text += decoded;
    }
    const next = text.charCodeAt(at + 1);
    if (next === SLASH) {
      position = endOf(text, at + 2, '>');
      if (current && depth === current.depth) current = current.parent;
      depth -= 1;
    } else if (next === QUESTION) {
      position = endOf(text, at + 2, '?>');
    } else if (next === BANG) {
      if (text.startsWith('<!--', at)) {
        position = endOf(text, at + 4, '-->');
      } else if (text.startsWith('<![CDATA[', at)) {
        const end = text.indexOf(']]>', at + 9);
        if (end < 0) return fail('a CDATA section is not closed');
        if (reading) (current as TreeElement).text += text.slice(at + 9, end);
        position = end + 3;
      } else {
        return fail('markup declarations are not allowed', 'xml_entities_forbidden');
      }
    } else {
      if (!readStartTag(text, at + 1)) return fail(`the start tag at offset ${at} could not be read`);
      depth += 1;
      position = tag.end;
      // An element is kept when its parent is (or it is the root) and it is at most one level too deep.
      if (depth <= maxDepth + 1 && depth === (current ? current.depth : 0) + 1) {
        const element = new TreeElement(tag.name, tag.attributes, depth, current);
        if (current) {
          if (current.children === NO_CHILDREN) {
            current.children = [element];
            current.text = '';
            current.attributes = NO_ATTRIBUTES;
          } else {
            (current.children as TreeElement[]).push(element);
          }
        } else if (root) {
          return fail('a second root element');
        } else {
          root = element;
        }
        if (depth > maxDepth && !tooDeep) tooDeep = element;
        if (!tag.empty) current = element;
      }
      if (tag.empty) depth -= 1;
    }
    if (position < 0) return fail(`the markup at offset ${at} is not closed`);
  }
  if (!root || depth !== 0) return fail('the document has no complete root element');
  return { ok: true, root, tooDeep };
}

/**
 * Reads `name attr="value" …>` from just after `<` into `tag`; namespace declarations are left out.
 * Returns false when the tag cannot be read.
 */
function readStartTag(text: string, from: number): boolean {
  const length = text.length;
  let position = from;
  let colon = -1;
  for (; position < length; position++) {
    const code = text.charCodeAt(position);
    if (code < 128 && ENDS_NAME[code] === 1) break;
    if (code === COLON && colon < 0) colon = position;
  }
  // The end of the text ends no tag.
  if (position === from || position >= length) return false;
  tag.name = text.slice(colon < 0 ? from : colon + 1, position);
  let attributes: Record<string, string> | undefined;
  for (;;) {
    while (isSpace(text.charCodeAt(position))) position += 1;
    const code = text.charCodeAt(position);
    if (code === GREATER_THAN || code === SLASH) {
      if (code === SLASH && text.charCodeAt(position + 1) !== GREATER_THAN) return false;
      tag.attributes = attributes ?? NO_ATTRIBUTES;
      tag.empty = code === SLASH;
      tag.end = position + (code === SLASH ? 2 : 1);
      return true;
    }
    if (Number.isNaN(code)) return false;
    const equals = text.indexOf('=', position);
    if (equals < 0) return false;
    let nameEnd = equals;
    while (nameEnd > position && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
    const attributeName = text.slice(position, nameEnd);
    position = equals + 1;
    while (isSpace(text.charCodeAt(position))) position += 1;
    const quote = text.charCodeAt(position);
    if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return false;
    const close = text.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", position + 1);
    if (close < 0 || attributeName === '') return false;
    // Attribute values are normalised: each literal tab or line feed becomes a space (XML 1.0, 3.3.3).
    const value = decodeReferences(text.slice(position + 1, close).replace(/[\t\n]/g, ' '));
    if (value === undefined) return false;
    position = close + 1;
    if (attributeName !== 'xmlns' && !attributeName.startsWith('xmlns:')) {
      (attributes ??= {})[attributeName.slice(attributeName.indexOf(':') + 1)] = value;
    }
  }
}
