/**
 * Validation of imported messages against the official ISO 20022 schemas, in process: libxml2's
 * XSD validator compiled to WebAssembly, the same engine as Debian's `xmllint`, so production needs
 * no system package. Each schema is compiled once, on first use, and kept for the life of the process.
 */
import { readFileSync } from 'node:fs';
import type { ErrorDetail, XmlElement, XsdValidator } from 'libxml2-wasm';
import { problem, type Iso20022Problem } from './iso20022.errors.ts';
import { xmlLibrary } from './iso20022.libxml.ts';
import { ISO20022_LIMITS } from './iso20022.ts';
import type { XmlNode } from './iso20022.xml.ts';

/** The schemas production reads (the imported messages and the header); see xsd/SOURCES.md. */
export type ImportSchema = 'pain.001.001.09' | 'pacs.008.001.08' | 'head.001.001.02';

const SCHEMA_DIRECTORY = new URL('./xsd/', import.meta.url);
const validators = new Map<string, XsdValidator>();

/** Compiles an XSD once. The schema document stays alive with its validator, which refers to it. */
function compileSchema(key: string, xsdText: string): XsdValidator {
  const cached = validators.get(key);
  if (cached) return cached;
  const { XmlDocument, XsdValidator } = xmlLibrary();
  const validator = XsdValidator.fromDoc(XmlDocument.fromString(xsdText));
  validators.set(key, validator);
  return validator;
}

function validatorFor(definition: ImportSchema): XsdValidator {
  // Looked up before the file is read: reading a schema of tens of kilobytes for every message
  // cost more than parsing and validating the message itself.
  return validators.get(definition) ?? compileSchema(definition, readFileSync(new URL(`${definition}.xsd`, SCHEMA_DIRECTORY), 'utf8'));
}

/**
 * Validates one element (a whole Document, or an AppHdr inside an envelope) against its schema.
 * Returns the schema's complaints, each with the path of the element at fault.
 */
export function validateElement(definition: ImportSchema, element: XmlElement, root: XmlNode): Iso20022Problem[] {
  return validateWith(validatorFor(definition), element, root);
}

function validateWith(validator: XsdValidator, element: XmlElement, root: XmlNode): Iso20022Problem[] {
  try {
    validator.validate(element);
    return [];
  } catch (error) {
    if (!(error instanceof xmlLibrary().XmlLibError)) throw error;
    const details: ErrorDetail[] = error.details.length > 0 ? error.details : [{ message: error.message, level: 2, line: 0, col: 0 }];
    return details.slice(0, ISO20022_LIMITS.problemsMaxPerMessage).map((detail) =>
      problem('schema_invalid', namedPath(root, detail.xpath), readableReason(detail.message)),
    );
  }
}

/** Drops the namespace from `{urn:…}Name` so a reason reads `Element 'Name': …`. */
function readableReason(message: string): string {
  return message.replace(/\{[^}]*\}/g, '').trim();
}

/**
 * Turns libxml2's node path into Sluice's named path. libxml2 writes an element in a default
 * namespace as `*`, counting its position among all element siblings (`/*\/*[2]/*[8]`); other
 * elements are named and counted among siblings of the same name. The plain tree mirrors the
 * document, so the path can be walked there and read back with names.
 */
export function namedPath(root: XmlNode, xpath: string | undefined): string {
  if (!xpath || !xpath.startsWith('/')) return root.path;
  const steps = xpath.slice(1).split('/');
  let attribute = '';
  const last = steps[steps.length - 1];
  if (last?.startsWith('@')) {
    attribute = `/${last}`;
    steps.pop();
  }
  let current: XmlNode | undefined;
  let siblings: readonly XmlNode[] = [root];
  for (const step of steps) {
    const match = /^([^[]+)(?:\[(\d+)\])?$/.exec(step);
    if (!match) return xpath;
    const name = (match[1] ?? '').replace(/^[^:]*:/, '');
    const position = Number(match[2] ?? '1');
    const candidates = name === '*' ? siblings : siblings.filter((node) => node.name === name);
    current = candidates[position - 1];
    if (!current) return xpath;
    siblings = current.children;
  }
  return current ? `${current.path}${attribute}` : xpath;
}
