/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, parsed strictly. An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is the IPv4 address it carries, so a client seen through a dual-stack socket
 * matches the IPv4 ranges it belongs to; a mapped range of /96 or longer becomes the IPv4 range.
 * IPv4 values are unsigned 32-bit numbers, IPv6 values 128-bit bigints.
 */
export type IpAddress = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint };
export type IpRange = { readonly family: 4; readonly prefix: number; readonly length: number } | { readonly family: 6; readonly prefix: bigint; readonly length: number };

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;
/** Longest text worth parsing: a full IPv6 address with an embedded IPv4 tail and a prefix is 49 characters. */
const TEXT_MAX_LENGTH = 64;
const MAPPED_PREFIX = 0xffffn << 32n;
const IPV6_ALL = (1n << 128n) - 1n;

/** Masks by prefix length, computed once: 33 for IPv4, 129 for IPv6. */
export const IPV4_MASKS: readonly number[] = Array.from({ length: 33 }, (_, length) => (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0));
export const IPV6_MASKS: readonly bigint[] = Array.from({ length: 129 }, (_, length) => IPV6_ALL ^ ((1n << BigInt(128 - length)) - 1n));

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some parsers read them as octal, so "010" means 8 to them and 10 to others.
    if (!IPV4_PART.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > TEXT_MAX_LENGTH || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const words: number[] = [];
    const pieces = half.split(':');
    for (let index = 0; index < pieces.length; index += 1) {
      const piece = pieces[index] as string;
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        words.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (IPV6_GROUP.test(piece)) {
        words.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return words;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && (halves[0] as string).includes('.')) return undefined;
  const present = head.length + tail.length;
  if (halves.length === 1 ? present !== 8 : present > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - present).fill(0), ...tail];
  return words.reduce((value, word) => (value << 16n) | BigInt(word), 0n);
}

/** Parses an address; an IPv4-mapped IPv6 address comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.length > TEXT_MAX_LENGTH) return undefined;
  if (!text.includes(':')) {
    const value = parseIpv4(text);
    return value === undefined ? undefined : { family: 4, value };
  }
  const value = parseIpv6(text);
  if (value === undefined) return undefined;
  if (value >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: Number(value & 0xffffffffn) };
  return { family: 6, value };
}

export type RangeProblem = 'not_an_address' | 'bad_prefix_length' | 'host_bits_set';

/** Parses "address/length" or a single address (a /32 or /128). Refuses ranges with bits set past the prefix. */
export function parseRange(text: string): IpRange | RangeProblem {
  if (text.length > TEXT_MAX_LENGTH) return 'not_an_address';
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? undefined : text.slice(slash + 1);
  const v6 = addressText.includes(':');
  const raw = v6 ? parseIpv6(addressText) : parseIpv4(addressText);
  if (raw === undefined) return 'not_an_address';
  if (lengthText !== undefined && !PREFIX_LENGTH.test(lengthText)) return 'bad_prefix_length';
  let length = lengthText === undefined ? (v6 ? 128 : 32) : Number(lengthText);
  if (length > (v6 ? 128 : 32)) return 'bad_prefix_length';
  if (!v6) {
    const prefix = raw as number;
    return (prefix & ~IPV4_MASKS[length]!) !== 0 ? 'host_bits_set' : { family: 4, prefix, length };
  }
  const prefix = raw as bigint;
  if ((prefix & ~IPV6_MASKS[length]! & IPV6_ALL) !== 0n) return 'host_bits_set';
  // A range inside ::ffff:0:0/96 is an IPv4 range written the IPv6 way.
  if (length >= 96 && prefix >> 32n === MAPPED_PREFIX >> 32n) {
    length -= 96;
    return { family: 4, prefix: Number(prefix & 0xffffffffn), length };
  }
  return { family: 6, prefix, length };
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
export function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, index) => Number((value >> BigInt(112 - index * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (words[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && words[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatRange(range: IpRange): string {
  return range.family === 4 ? `${formatIpv4(range.prefix)}/${range.length}` : `${formatIpv6(range.prefix)}/${range.length}`;
}

/** The IPv6 form of an IPv4 address (::ffff:a.b.c.d), for matching it against IPv6 ranges that hold it. */
export function mappedIpv6(value: number): bigint {
  return MAPPED_PREFIX | BigInt(value);
}
