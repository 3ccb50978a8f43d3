import { isIP } from 'node:net';
import { WEBHOOK_LIMITS } from './payments.limits.ts';

/**
 * The private networks an operator opens to webhooks (SLUICE_WEBHOOK_ALLOWED_NETWORKS): IPv4 and
 * IPv6 ranges in CIDR notation, single addresses, and exact host names. A bank whose receivers sit
 * on its own network lists them here instead of turning the address check off altogether.
 *
 * The cloud metadata services are the one thing a range never opens: they hand out the machine's
 * credentials to anyone who asks from inside, so an address of theirs is reached only when it is
 * listed by itself (as an address, or a range of one address), and never because a wider range or a
 * listed name happens to cover it.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  /** The address as an unsigned 32-bit (IPv4) or 128-bit (IPv6) number. */
  readonly value: bigint;
}

interface Range extends IpAddress {
  readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** An IPv6 address in any spelling isIP accepts (with ::, with a dotted IPv4 tail) as a number. */
function ipv6Value(text: string): bigint {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = dotted
    ? `${text.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}`
    : text;
  const [head = '', tail] = hex.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

const MAPPED_PREFIX = 0xffffn; // ::ffff:0:0/96, the upper 96 bits
const IPV4_MASK = 0xffff_ffffn;

/**
 * An address as a number; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address, since
 * that is where a connection to it goes. Undefined for anything that is not an address, including
 * IPv6 addresses with a zone (fe80::1%eth0).
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1');
  if (address.includes('%')) return undefined;
  const family = isIP(address);
  if (family === 4) return { family: 4, value: ipv4Value(address) };
  if (family !== 6) return undefined;
  const value = ipv6Value(address);
  return value >> 32n === MAPPED_PREFIX ? { family: 4, value: value & IPV4_MASK } : { family: 6, value };
}

function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, index) => ((address.value >> BigInt(112 - 16 * index)) & 0xffffn).toString(16));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let [start, length] = [-1, 1];
  for (let index = 0; index < 8; index++) {
    let end = index;
    while (groups[end] === '0') end++;
    if (end - index > length) [start, length] = [index, end - index];
  }
  return start < 0 ? groups.join(':') : `${groups.slice(0, start).join(':')}::${groups.slice(start + length).join(':')}`;
}

const hostMask = (family: 4 | 6, prefix: number): bigint => (1n << BigInt(BITS[family] - prefix)) - 1n;

const inRange = (address: IpAddress, range: Range): boolean =>
  address.family === range.family && (address.value & ~hostMask(range.family, range.prefix)) === range.value;

/**
 * The cloud metadata services: instance metadata of AWS, Azure, Google Cloud, Oracle Cloud, Huawei
 * Cloud, OpenStack and DigitalOcean (169.254.169.254, and fd00:ec2::254 on AWS over IPv6), AWS ECS
 * task credentials (169.254.170.2), the AWS EKS Pod Identity agent (169.254.170.23, fd00:ec2::23),
 * Tencent Cloud (169.254.0.23), Alibaba Cloud (100.100.100.200) and Azure's platform endpoint
 * (168.63.129.16, the WireServer, which hands a virtual machine its extensions' settings). All but
 * the last are already refused as link-local, shared or private addresses, and the last is public;
 * this list keeps them refused when a range is opened and with the development switch on, unless an
 * entry lists one of them by itself.
 */
export const METADATA_ADDRESSES: readonly string[] = Object.freeze([
  '169.254.169.254', '169.254.170.2', '169.254.170.23', '169.254.0.23', '100.100.100.200', '168.63.129.16', 'fd00:ec2::254', 'fd00:ec2::23',
]);
const METADATA = METADATA_ADDRESSES.map((text) => parseIpAddress(text) as IpAddress);

const NAT64_PREFIX = ipv6Value('64:ff9b::') >> 32n;
const SIX_TO_FOUR_PREFIX = 0x2002n;

/** The IPv4 address an IPv6 address carries by a translation scheme (IPv4-compatible, NAT64, 6to4), if any. */
function embeddedIpv4(address: IpAddress): IpAddress | undefined {
  if (address.family !== 6) return undefined;
  const upper = address.value >> 32n;
  if (upper === 0n || upper === NAT64_PREFIX) return { family: 4, value: address.value & IPV4_MASK };
  if (address.value >> 112n === SIX_TO_FOUR_PREFIX) return { family: 4, value: (address.value >> 80n) & IPV4_MASK };
  return undefined;
}

const sameAddress = (left: IpAddress, right: IpAddress): boolean => left.family === right.family && left.value === right.value;

/** True for a cloud metadata address, also when spelled as an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address. */
export function isMetadataAddress(address: IpAddress): boolean {
  const inner = embeddedIpv4(address);
  return METADATA.some((metadata) => sameAddress(metadata, address) || (inner !== undefined && sameAddress(metadata, inner)));
}

type Entry = { readonly kind: 'range'; readonly range: Range } | { readonly kind: 'name'; readonly name: string };

/** A host name as URLs carry it: lower case, without the trailing dot of a fully qualified name. */
export const normalizeHostName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const NAME_MAX_LENGTH = 253;

function readRange(text: string): Entry | string {
  const slash = text.indexOf('/');
  const base = (slash < 0 ? text : text.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
  const address = parseIpAddress(base);
  if (address === undefined) return slash < 0 ? 'is not an IPv4 or IPv6 address' : 'is not an IPv4 or IPv6 address before its "/"';
  // An IPv4-mapped range is written in IPv6 but matches IPv4 addresses: its prefix counts from the IPv4 part.
  const mapped = address.family === 4 && isIP(base) === 6;
  const bits = isIP(base) === 6 ? 128 : 32;
  const lengthText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > bits) return `has a prefix length that is not a whole number from 0 to ${bits}`;
  if (mapped && Number(lengthText) < 96) return 'reaches past the IPv4-mapped range ::ffff:0:0/96; write the IPv4 range instead';
  const prefix = mapped ? Number(lengthText) - 96 : Number(lengthText);
  const mask = hostMask(address.family, prefix);
  if ((address.value & mask) !== 0n) {
    return `has bits set past its /${lengthText} prefix; the range starting there is ${formatIpAddress({ family: address.family, value: address.value & ~mask })}/${prefix}`;
  }
  return { kind: 'range', range: { ...address, prefix } };
}

function readEntry(text: string): Entry | string {
  if (text.includes('/') || text.includes(':') || /^[\d.]+$/.test(text)) return readRange(text);
  if (text.includes('*')) return 'has a wildcard; list each host name exactly';
  const name = normalizeHostName(text);
  if (name.length > NAME_MAX_LENGTH || !name.split('.').every((label) => LABEL.test(label))) {
    return 'is not an IPv4 or IPv6 range, an address, or a host name (letters, digits, "-", "_" and dots)';
  }
  // The URL parser reads a name whose last label is a number (0x7f000001, 1.2.3.4.5) as an IPv4
  // address or refuses it, so no webhook URL could ever carry it as a name.
  let parsed: string | undefined;
  try {
    parsed = new URL(`http://${name}/`).hostname;
  } catch {
    parsed = undefined;
  }
  if (parsed !== name) return 'is read by URLs as an IPv4 address, not a host name; write the address in dotted decimal';
  return { kind: 'name', name };
}

/** Why an entry of the setting cannot be used, or undefined when it can. */
export function allowedNetworkProblem(entry: string): string | undefined {
  const read = readEntry(entry);
  return typeof read === 'string' ? read : undefined;
}

/**
 * The entries of the setting's text: separated by commas, spaces around them ignored, empty ones
 * skipped. Refuses the first entry that cannot be used with a message that names it on one line.
 */
export function parseAllowedNetworks(text: string): { readonly ok: true; readonly value: readonly string[] } | { readonly ok: false; readonly error: string } {
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length > WEBHOOK_LIMITS.allowedNetworksMax) return { ok: false, error: `lists ${entries.length} entries; at most ${WEBHOOK_LIMITS.allowedNetworksMax} are allowed` };
  for (const entry of entries) {
    const problem = allowedNetworkProblem(entry);
    // JSON quoting keeps a stray control character from breaking the message over lines.
    if (problem !== undefined) return { ok: false, error: `entry ${JSON.stringify(entry.slice(0, NAME_MAX_LENGTH))} ${problem}` };
  }
  return { ok: true, value: Object.freeze(entries) };
}

export interface AllowedNetworks {
  /** The entries as given, for messages. */
  readonly entries: readonly string[];
  /** Whether a listed range (or single address) contains the address; says nothing of metadata addresses. */
  contains(address: IpAddress): boolean;
  /** Whether the address is listed by itself: an address entry, or a range of exactly that one address. */
  listsExactly(address: IpAddress): boolean;
  /** Whether the host name (as in a URL, any case, with or without the trailing dot) is listed. */
  listsName(host: string): boolean;
}

/** The allow-list of already validated entries; an entry that cannot be used is a programmer error and throws. */
export function createAllowedNetworks(entries: readonly string[] = []): AllowedNetworks {
  const ranges: Range[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const read = readEntry(entry.trim());
    if (typeof read === 'string') throw new Error(`webhook allowed network ${JSON.stringify(entry)} ${read}`);
    if (read.kind === 'range') ranges.push(read.range);
    else names.add(read.name);
  }
  return Object.freeze({
    entries: Object.freeze([...entries]),
    contains: (address: IpAddress) => ranges.some((range) => inRange(address, range)),
    listsExactly: (address: IpAddress) => ranges.some((range) => range.prefix === BITS[range.family] && sameAddress(range, address)),
    listsName: (host: string) => names.has(normalizeHostName(host.replace(/^\[(.*)\]$/, '$1'))),
  });
}
