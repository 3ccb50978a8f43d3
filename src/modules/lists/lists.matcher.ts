import { IPV4_MASKS, IPV6_MASKS, mappedIpv6, parseIp, parseRange } from './lists.ip.ts';
import { LISTS_LIMITS } from './lists.limits.ts';
import type { EntryKind, ListEntry, ListHit, ListMatch, ListSubject } from './lists.ts';

/**
 * The lists in memory, indexed for lookups that cost the same with ten entries or a million.
 * Ids, countries and devices are hashed by value. IP ranges are hashed by their prefix, one table per
 * prefix length in use: an address is masked once per length present (at most 33 for IPv4 and 129 for
 * IPv6, a handful in practice) and looked up, never compared with every range. Expired entries stay
 * until the next refresh sweeps them, but never match.
 */
export interface ListMatcher {
  /** Adds an entry; adding an id already held changes nothing. */
  add(entry: ListEntry): void;
  remove(id: string): void;
  match(subject: ListSubject, nowMs: number): ListMatch;
  /** Forgets entries whose expiry has passed; returns how many. */
  sweep(nowMs: number): number;
  readonly size: number;
}

type ExactKind = Exclude<EntryKind, 'ip'>;
const EMPTY: ListMatch = Object.freeze({ blocked: Object.freeze([]) as readonly ListHit[], allowed: Object.freeze([]) as readonly ListHit[] });

interface RangeTable<K> {
  /** Prefix lengths in use, longest first, and per length the entries by masked prefix. */
  lengths: number[];
  byLength: Map<number, Map<K, Set<string>>>;
}

function createRangeTable<K>(): RangeTable<K> {
  return { lengths: [], byLength: new Map() };
}

function addToRangeTable<K>(table: RangeTable<K>, length: number, prefix: K, id: string): void {
  let byPrefix = table.byLength.get(length);
  if (!byPrefix) {
    byPrefix = new Map();
    table.byLength.set(length, byPrefix);
    table.lengths = [...table.byLength.keys()].sort((a, b) => b - a);
  }
  let ids = byPrefix.get(prefix);
  if (!ids) byPrefix.set(prefix, (ids = new Set()));
  ids.add(id);
}

function removeFromRangeTable<K>(table: RangeTable<K>, length: number, prefix: K, id: string): void {
  const byPrefix = table.byLength.get(length);
  const ids = byPrefix?.get(prefix);
  if (!byPrefix || !ids) return;
  ids.delete(id);
  if (ids.size > 0) return;
  byPrefix.delete(prefix);
  if (byPrefix.size > 0) return;
  table.byLength.delete(length);
  table.lengths = [...table.byLength.keys()].sort((a, b) => b - a);
}

export function createListMatcher(): ListMatcher {
  const entries = new Map<string, ListEntry>();
  const exact: Record<ExactKind, Map<string, Set<string>>> = { account: new Map(), party: new Map(), country: new Map(), device: new Map() };
  const ipv4 = createRangeTable<number>();
  const ipv6 = createRangeTable<bigint>();
  // IPv6 ranges that hold all of ::ffff:0:0/96, and so every IPv4 address: an IPv4 lookup takes them
  // as they are instead of masking its mapped form once per IPv6 prefix length.
  const holdersOfIpv4 = new Set<string>();
  const MAPPED_SPACE = mappedIpv6(0);

  function indexEntry(entry: ListEntry, adding: boolean): void {
    if (entry.kind !== 'ip') {
      const byValue = exact[entry.kind];
      let ids = byValue.get(entry.value);
      if (adding) {
        if (!ids) byValue.set(entry.value, (ids = new Set()));
        ids.add(entry.id);
      } else if (ids) {
        ids.delete(entry.id);
        if (ids.size === 0) byValue.delete(entry.value);
      }
      return;
    }
    const range = parseRange(entry.value);
    // Values are normalised before they are stored, so a stored range always parses.
    if (typeof range === 'string') return;
    if (range.family === 4) {
      (adding ? addToRangeTable : removeFromRangeTable)(ipv4, range.length, range.prefix, entry.id);
      return;
    }
    (adding ? addToRangeTable : removeFromRangeTable)(ipv6, range.length, range.prefix, entry.id);
    if (range.length <= 96 && (MAPPED_SPACE & IPV6_MASKS[range.length]!) === range.prefix) {
      if (adding) holdersOfIpv4.add(entry.id);
      else holdersOfIpv4.delete(entry.id);
    }
  }

  function collect(ids: Set<string> | undefined, matched: string, nowMs: number, seen: Set<string>, blocked: ListHit[], allowed: ListHit[]): void {
    if (!ids) return;
    for (const id of ids) {
      const entry = entries.get(id);
      if (!entry || seen.has(id) || (entry.expiresAtMs !== null && entry.expiresAtMs <= nowMs)) continue;
      seen.add(id);
      const hit: ListHit = { entryId: id, list: entry.list, kind: entry.kind, value: entry.value, matched, reason: entry.reason };
      (entry.list === 'block' ? blocked : allowed).push(hit);
    }
  }

  function matchIp(text: string, nowMs: number, seen: Set<string>, blocked: ListHit[], allowed: ListHit[]): void {
    const address = parseIp(text.trim());
    if (!address) return;
    if (address.family === 4) {
      for (const length of ipv4.lengths) collect(ipv4.byLength.get(length)?.get((address.value & IPV4_MASKS[length]!) >>> 0), text, nowMs, seen, blocked, allowed);
      // An IPv4 address also belongs to the IPv6 ranges that hold its mapped form (::/0, say).
      if (holdersOfIpv4.size > 0) collect(holdersOfIpv4, text, nowMs, seen, blocked, allowed);
      return;
    }
    for (const length of ipv6.lengths) collect(ipv6.byLength.get(length)?.get(address.value & IPV6_MASKS[length]!), text, nowMs, seen, blocked, allowed);
  }

  return {
    add(entry) {
      if (entries.has(entry.id)) return;
      entries.set(entry.id, entry);
      indexEntry(entry, true);
    },
    remove(id) {
      const entry = entries.get(id);
      if (!entry) return;
      entries.delete(id);
      indexEntry(entry, false);
    },
    match(subject, nowMs) {
      if (entries.size === 0) return EMPTY;
      const blocked: ListHit[] = [];
      const allowed: ListHit[] = [];
      const seen = new Set<string>();
      const limit = LISTS_LIMITS.subjectValuesMax;
      const exactKinds: [ExactKind, readonly string[] | undefined, boolean][] = [
        ['account', subject.accountIds, false], ['party', subject.partyIds, false], ['country', subject.countries, true], ['device', subject.devices, false],
      ];
      for (const [kind, values, upper] of exactKinds) {
        if (!values) continue;
        const byValue = exact[kind];
        if (byValue.size === 0) continue;
        for (let index = 0; index < values.length && index < limit; index += 1) {
          const value = values[index] as string;
          collect(byValue.get(upper ? value.trim().toUpperCase() : value), value, nowMs, seen, blocked, allowed);
        }
      }
      const ips = subject.ips ?? [];
      if (ipv4.lengths.length + ipv6.lengths.length > 0) for (let index = 0; index < ips.length && index < limit; index += 1) matchIp(ips[index] as string, nowMs, seen, blocked, allowed);
      return blocked.length + allowed.length === 0 ? EMPTY : { blocked, allowed };
    },
    sweep(nowMs) {
      let removed = 0;
      for (const entry of entries.values()) {
        if (entry.expiresAtMs === null || entry.expiresAtMs > nowMs) continue;
        entries.delete(entry.id);
        indexEntry(entry, false);
        removed += 1;
      }
      return removed;
    },
    get size() {
      return entries.size;
    },
  };
}
