/**
 * A frozen copy of the element-tree reader as it was before the reader built the final nodes in one
 * pass. It is the reference the equivalence properties compare the current import against; it is
 * not to be improved, only removed together with those properties.
 */
/**
 * The plain element tree of a message, read from its text in JavaScript. It runs only after libxml2
 * has parsed the same bytes without complaint, so the text is known to be well-formed XML without a
 * DTD: the reader needs no error recovery, only the few constructs such a document can hold
 * (elements, attributes, text, character and predefined entity references, CDATA, comments and
 * processing instructions). Walking libxml2's tree instead crosses into WebAssembly several times
 * per element, which took longer than parsing and validating the message together.
 */

/** An element as read, before its path is known (a path depends on the siblings after it). */
export interface ReferenceRawElement {
  /** Local name, without any namespace prefix. */
  readonly name: string;
  readonly children: ReferenceRawElement[];
  /** Attributes by local name; namespace declarations are not attributes. */
  readonly attributes: Record<string, string>;
  /** Text and CDATA directly inside the element, joined. */
  text: string;
  /** Nesting level, the root being 1. */
  readonly depth: number;
}

export type ReferenceTreeOutcome =
  | { readonly ok: true; readonly root: ReferenceRawElement }
  | { readonly ok: false; readonly code: 'xml_malformed' | 'xml_entities_forbidden'; readonly reason: string };

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
/** Characters that end a name in a tag: XML's four whitespace characters, `/`, `>` and `=`. */
const NAME_END = /[ \t\n\r/>=]/g;
const isSpace = (character: string) => character === ' ' || character === '\t' || character === '\n' || character === '\r';

const localName = (qualified: string) => qualified.slice(qualified.indexOf(':') + 1);

/** Replaces character references and the five predefined entities; any other entity is a refusal. */
function decodeReferences(text: string): string | undefined {
  if (!text.includes('&')) return text;
  let unknown = false;
  const decoded = text.replace(REFERENCE, (_match, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    const replacement = PREDEFINED_ENTITIES[body];
    if (replacement === undefined) unknown = true;
    return replacement ?? '';
  });
  return unknown ? undefined : decoded;
}

/** End of the construct that starts at `from`, or -1; `marker` is what closes it. */
function endOf(text: string, from: number, marker: string): number {
  const at = text.indexOf(marker, from);
  return at < 0 ? -1 : at + marker.length;
}

/**
 * Reads every element of a well-formed document. Elements deeper than `maxDepth` + 1 are skipped:
 * those at depth `maxDepth` + 1 are kept, without children, so that the caller can name the first
 * of them once paths are known, and refuse it.
 */
export function referenceReadElementTree(source: string, maxDepth: number): ReferenceTreeOutcome {
  // XML parsers see every CR LF pair and every lone CR as a line feed (XML 1.0, 2.11).
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  const open: ReferenceRawElement[] = [];
  let root: ReferenceRawElement | undefined;
  let depth = 0;
  let position = 0;
  const fail = (reason: string, code: 'xml_malformed' | 'xml_entities_forbidden' = 'xml_malformed'): ReferenceTreeOutcome => ({ ok: false, code, reason });
  const addText = (content: string) => {
    const current = open[open.length - 1];
    if (current && depth === open.length) current.text += content;
  };

  while (position < text.length) {
    const tag = text.indexOf('<', position);
    if (tag < 0) break;
    if (tag > position && depth > 0) {
      const decoded = decodeReferences(text.slice(position, tag));
      if (decoded === undefined) return fail('entity references other than the predefined ones are not allowed', 'xml_entities_forbidden');
      addText(decoded);
    }
    const next = text.charCodeAt(tag + 1);
    if (next === 0x3f /* ? */) {
      position = endOf(text, tag + 2, '?>');
    } else if (text.startsWith('<!--', tag)) {
      position = endOf(text, tag + 4, '-->');
    } else if (text.startsWith('<![CDATA[', tag)) {
      const end = text.indexOf(']]>', tag + 9);
      if (end < 0) return fail('a CDATA section is not closed');
      addText(text.slice(tag + 9, end));
      position = end + 3;
    } else if (next === 0x21 /* ! */) {
      return fail('markup declarations are not allowed', 'xml_entities_forbidden');
    } else if (next === 0x2f /* / */) {
      position = endOf(text, tag + 2, '>');
      if (depth === open.length) open.pop();
      depth -= 1;
    } else {
      const started = readStartTag(text, tag + 1);
      if (!started) return fail(`the start tag at offset ${tag} could not be read`);
      depth += 1;
      position = started.end;
      const keep = depth <= maxDepth + 1 && depth === open.length + 1;
      if (keep) {
        const element: ReferenceRawElement = { name: started.name, children: [], attributes: started.attributes, text: '', depth };
        const parent = open[open.length - 1];
        if (parent) parent.children.push(element);
        else if (root) return fail('a second root element');
        else root = element;
        if (!started.empty) open.push(element);
      }
      if (started.empty) depth -= 1;
    }
    if (position < 0) return fail(`the markup at offset ${tag} is not closed`);
  }
  if (!root || depth !== 0) return fail('the document has no complete root element');
  return { ok: true, root };
}

/** Reads `name attr="value" …>` from just after `<`; namespace declarations are left out. */
function readStartTag(text: string, from: number): { name: string; attributes: Record<string, string>; end: number; empty: boolean } | undefined {
  NAME_END.lastIndex = from;
  const nameEnd = NAME_END.exec(text)?.index ?? -1;
  if (nameEnd <= from) return undefined;
  const name = localName(text.slice(from, nameEnd));
  const attributes: Record<string, string> = {};
  let position = nameEnd;
  for (;;) {
    while (isSpace(text.charAt(position))) position += 1;
    const character = text.charAt(position);
    if (character === '>') return { name, attributes, end: position + 1, empty: false };
    if (character === '/') return text.charAt(position + 1) === '>' ? { name, attributes, end: position + 2, empty: true } : undefined;
    const equals = text.indexOf('=', position);
    if (equals < 0) return undefined;
    const attributeName = text.slice(position, equals).replace(/[ \t\n\r]+$/, '');
    position = equals + 1;
    while (isSpace(text.charAt(position))) position += 1;
    const quote = text.charAt(position);
    if (quote !== '"' && quote !== "'") return undefined;
    const close = text.indexOf(quote, position + 1);
    if (close < 0 || attributeName === '') return undefined;
    // Attribute values are normalised: each literal tab or line feed becomes a space (XML 1.0, 3.3.3).
    const value = decodeReferences(text.slice(position + 1, close).replace(/[\t\n]/g, ' '));
    if (value === undefined) return undefined;
    position = close + 1;
    if (attributeName !== 'xmlns' && !attributeName.startsWith('xmlns:')) attributes[localName(attributeName)] = value;
  }
}
