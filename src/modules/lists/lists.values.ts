import { ISO_3166_ALPHA2 } from '../../kernel/index.ts';
import { ENTRY_KINDS, LIST_NAMES, type EntryKind, type ListName } from './lists.ts';
import { formatRange, parseRange } from './lists.ip.ts';
import { LISTS_LIMITS } from './lists.limits.ts';

/**
 * What a listed value may be, per kind, and its one normal form: the form stored, indexed and
 * compared. Ids are kept as given (they are opaque); countries are upper-case ISO 3166-1 alpha-2;
 * IP ranges are canonical CIDR text with their prefix length.
 */

/** Opaque ids: printable, no spaces, bounded. */
const ID_PATTERN = /^[\x21-\x7e]+$/;

export type ValueProblem = 'invalid_country' | 'invalid_ip_range' | 'invalid_value';

export const isListName = (text: string): text is ListName => (LIST_NAMES as readonly string[]).includes(text);
export const isEntryKind = (text: string): text is EntryKind => (ENTRY_KINDS as readonly string[]).includes(text);

export function isCountry(text: string): boolean {
  return ISO_3166_ALPHA2.has(text.toUpperCase());
}

/** The normal form of a value of a kind, or why it is not one; `detail` says what is wrong in words. */
export function normalizeValue(kind: EntryKind, raw: string): { ok: true; value: string } | { ok: false; error: ValueProblem; detail: string } {
  const text = raw.trim();
  if (text.length === 0 || text.length > LISTS_LIMITS.valueMaxLength) return { ok: false, error: 'invalid_value', detail: `a value has 1 to ${LISTS_LIMITS.valueMaxLength} characters` };
  switch (kind) {
    case 'country': {
      const code = text.toUpperCase();
      return ISO_3166_ALPHA2.has(code) ? { ok: true, value: code } : { ok: false, error: 'invalid_country', detail: `'${text}' is not an ISO 3166-1 alpha-2 country code` };
    }
    case 'ip': {
      const range = parseRange(text);
      if (typeof range !== 'string') return { ok: true, value: formatRange(range) };
      const why = { not_an_address: 'is not an IPv4 or IPv6 address', bad_prefix_length: 'has a prefix length out of range (0–32 for IPv4, 0–128 for IPv6)', host_bits_set: 'has bits set past its prefix length' }[range];
      return { ok: false, error: 'invalid_ip_range', detail: `'${text}' ${why}` };
    }
    default:
      return ID_PATTERN.test(text) ? { ok: true, value: text } : { ok: false, error: 'invalid_value', detail: 'an id is printable ASCII without spaces' };
  }
}
