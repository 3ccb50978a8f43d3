/**
 * Writing XML by string assembly: every text value and attribute passes through an escape, and
 * elements are written only by the helpers here, so a builder cannot produce malformed XML.
 */
import type { Money } from '../../kernel/index.ts';
import { amountToXml } from './iso20022.values.ts';
import type { AccountIdentification } from './iso20022.ts';

/**
 * Escapes element content. A carriage return is written as a reference because parsers turn a
 * literal one into a line feed, and `>` is escaped so `]]>` can never appear.
 */
export function escapeText(text: string): string {
  // Most values need no escape at all; testing first spares them the replace.
  return TEXT_SPECIAL.test(text) ? text.replace(/[&<>\r]/g, (character) => TEXT_ESCAPES[character] ?? character) : text;
}

const TEXT_SPECIAL = /[&<>\r]/;

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

/** Escapes an attribute value; tab, line feed and carriage return are references, as parsers normalise them to spaces. */
export function escapeAttribute(text: string): string {
  return ATTRIBUTE_SPECIAL.test(text) ? text.replace(/[&<>"'\t\n\r]/g, (character) => ATTRIBUTE_ESCAPES[character] ?? character) : text;
}

const ATTRIBUTE_SPECIAL = /[&<>"'\t\n\r]/;

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};

/** Written XML content: already-serialised elements; absent parts are skipped. */
export type Content = string | false | undefined | null;

/** An element with child elements; an element with no content at all is left out. */
export function element(name: string, ...content: Content[]): string {
  let inner = '';
  for (const part of content) if (typeof part === 'string') inner += part;
  return inner === '' ? '' : `<${name}>${inner}</${name}>`;
}

/** An element holding text, or nothing when the value is absent. */
export function text(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeText(value)}</${name}>`;
}

/** An amount element with its currency attribute, formatted exactly from minor units. */
export function amount(name: string, money: Money | undefined): string {
  return money === undefined ? '' : `<${name} Ccy="${escapeAttribute(money.currency)}">${amountToXml(money)}</${name}>`;
}

/** A financial institution identified by its BIC. */
export function agent(name: string, bic: string | undefined): string {
  return bic === undefined ? '' : element(name, element('FinInstnId', text('BICFI', bic)));
}

/** An account's identification (AccountIdentification4Choice): IBAN or another identifier. */
export function accountId(identification: AccountIdentification): string {
  return element('Id', identification.kind === 'iban' ? text('IBAN', identification.iban) : element('Othr', text('Id', identification.id)));
}

/** A cash account element holding only its identification. */
export function account(name: string, identification: AccountIdentification | undefined): string {
  return identification === undefined ? '' : element(name, accountId(identification));
}

/** A status or return reason with its additional lines. */
export function reason(name: string, code: string, additionalInformation: readonly string[] | undefined): string {
  return element(name, element('Rsn', text('Cd', code)), ...(additionalInformation ?? []).map((line) => text('AddtlInf', line)));
}

/** The XML declaration every document Sluice writes starts with. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A root element in its namespace, without the declaration (for embedding in an envelope). */
export function rootElement(rootName: string, namespace: string, body: string): string {
  return `<${rootName} xmlns="${escapeAttribute(namespace)}">${body}</${rootName}>`;
}

/** A whole XML document: declaration and root element in its namespace. */
export function xmlDocument(rootName: string, namespace: string, body: string): string {
  return `${XML_DECLARATION}${rootElement(rootName, namespace, body)}\n`;
}
