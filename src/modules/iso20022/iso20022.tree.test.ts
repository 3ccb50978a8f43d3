import fc from 'fast-check';
import { XmlCData, XmlDocument, XmlElement, XmlText, XmlXPath, ParseOption } from 'libxml2-wasm';
import { describe, expect, it } from 'vitest';
import { importMessage } from './index.ts';
import { readElementTree, type RawElement } from './iso20022.tree.ts';
import { fixture } from './iso20022.test-support.ts';
import { xmlText } from './iso20022.arbitraries.test-support.ts';
import { escapeAttribute, escapeText } from './iso20022.writer.ts';

/** What an element is, as libxml2 reads it and as the text reader must read it too. */
interface Shape {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly Shape[];
}

/** Every child node in document order (walking siblings stops at a processing instruction, whose wrapper has no `next`). */
const CHILD_NODES = XmlXPath.compile('node()');

/** libxml2's reading of the same bytes: the oracle (element names, leaf text and attributes). */
function libxml2Shape(xml: string): Shape {
  const document = XmlDocument.fromString(xml, { option: ParseOption.XML_PARSE_NONET });
  try {
    const walk = (element: XmlElement): Shape => {
      const children: Shape[] = [];
      let text = '';
      for (const node of element.find(CHILD_NODES)) {
        if (node instanceof XmlElement) children.push(walk(node));
        else if (node instanceof XmlText || node instanceof XmlCData) text += node.content;
      }
      const attributes: Record<string, string> = {};
      if (children.length === 0) for (const attribute of element.attrs) attributes[attribute.name] = attribute.value;
      return { name: element.name, attributes, text: children.length === 0 ? text : '', children };
    };
    return walk(document.root);
  } finally {
    document.dispose();
  }
}

function textShape(xml: string): Shape {
  const read = readElementTree(xml, 64);
  if (!read.ok) throw new Error(read.reason);
  const walk = (element: RawElement): Shape => ({
    name: element.name,
    attributes: element.children.length === 0 ? element.attributes : {},
    text: element.children.length === 0 ? element.text : '',
    children: element.children.map(walk),
  });
  return walk(read.root);
}

const name = fc.constantFrom('Document', 'Nm', 'Amt', 'InstdAmt', 'Ustrd', 'Id', 'Othr', 'x');
const prefix = fc.constantFrom('', 'p:', 'doc:');
/** Text written in any of the ways XML allows: escaped, as character references, or in CDATA. */
const writtenText = xmlText(12).chain((value) =>
  fc.constantFrom(
    escapeText(value),
    [...value].map((character) => `&#x${(character.codePointAt(0) as number).toString(16)};`).join(''),
    value.includes(']]>') || value.includes('\r') ? escapeText(value) : `<![CDATA[${value}]]>`,
    `<!-- a comment -->${escapeText(value)}<?pi data?>`,
  ),
);
/** Attributes with distinct names; literal tabs are left in, since parsers turn them into spaces. */
const attributes = fc
  .uniqueArray(fc.tuple(fc.constantFrom('Ccy', 'Dt', 'q'), xmlText(6)), { maxLength: 2, selector: ([key]) => key })
  .map((pairs) => pairs.map(([key, value]) => ` ${key}="${escapeAttribute(value).replace(/&#x9;/g, '\t')}"`).join(''));

const element: fc.Memo<string> = fc.memo((depth) => {
  const leaf = fc.tuple(prefix, name, attributes, writtenText).map(([p, n, written, body]) =>
    body === '' ? `<${p}${n}${written}/>` : `<${p}${n}${written}>${body}</${p}${n}>`,
  );
  if (depth <= 1) return leaf;
  const parent = fc.tuple(prefix, name, fc.array(element(depth - 1), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '\n  ', '\r\n', ' '))
    .map(([p, n, children, space]) => `<${p}${n}>${children.map((child) => `${space}${child}`).join('')}${space}</${p}${n}>`);
  return fc.oneof(leaf, parent);
});

const document = element(4).map((root) => {
  // Declare the prefixes on a wrapper root so that every prefixed name is bound.
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Root xmlns="urn:a" xmlns:p="urn:p" xmlns:doc="urn:doc">${root}</Root>`;
});

describe('the element tree read from the text is the one libxml2 reads', () => {
  it('for the sample messages', () => {
    for (const file of ['pain001-multi.xml', 'pacs008-incoming.xml']) expect(textShape(fixture(file))).toEqual(libxml2Shape(fixture(file)));
  });

  it('for any mix of escapes, character references, CDATA, comments, prefixes, attributes and line ends', () => {
    fc.assert(
      fc.property(document, (xml) => {
        expect(textShape(xml)).toEqual(libxml2Shape(xml));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps elements only down to one level past the limit, so that the first too deep can be named', () => {
    const read = readElementTree(`<a>${'<b>'.repeat(5)}${'</b>'.repeat(5)}</a>`, 3);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    let deepest = read.root;
    while (deepest.children[0]) deepest = deepest.children[0];
    expect(deepest.depth).toBe(4);
  });

  it('imports a message with processing instructions and comments anywhere inside it', () => {
    const pacs = fixture('pacs008-incoming.xml').replace(/(<Document[^>]*>)/, '$1<?sender tool?><!-- c -->').replace('<GrpHdr>', '<GrpHdr><?pi x?>');
    const imported = importMessage(pacs);
    expect(imported.ok ? [] : imported.problems).toEqual([]);
  });

  it('refuses an entity reference other than the predefined ones', () => {
    const read = readElementTree('<a>&copy;</a>', 64);
    expect(read.ok ? undefined : read.code).toBe('xml_entities_forbidden');
  });
});
