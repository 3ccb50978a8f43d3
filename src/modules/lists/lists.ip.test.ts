import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, formatRange, IPV4_MASKS, IPV6_MASKS, parseIp, parseRange } from './lists.ip.ts';
import { createListMatcher } from './lists.matcher.ts';
import type { ListEntry } from './lists.ts';
import { normalizeValue } from './lists.values.ts';

const NOW = Date.UTC(2026, 0, 1);
let counter = 0;
const entry = (kind: ListEntry['kind'], value: string, over: Partial<ListEntry> = {}): ListEntry => {
  const normal = normalizeValue(kind, value);
  if (!normal.ok) throw new Error(`${value}: ${normal.detail}`);
  return { id: `id-${(counter += 1)}`, list: 'block', kind, value: normal.value, reason: 'test', actor: 'tester', createdAtMs: NOW, expiresAtMs: null, ...over };
};
const ipHits = (values: readonly string[], ip: string): string[] => {
  const matcher = createListMatcher();
  for (const value of values) matcher.add(entry('ip', value));
  return matcher.match({ ips: [ip] }, NOW).blocked.map((hit) => hit.value).sort();
};
const normal = (value: string) => {
  const result = normalizeValue('ip', value);
  return result.ok ? result.value : result.detail;
};

describe('IP addresses and CIDR ranges', () => {
  it('writes every range in one canonical form, a single address as /32 or /128', () => {
    expect(normal('10.1.2.3')).toBe('10.1.2.3/32');
    expect(normal(' 192.168.0.0/16 ')).toBe('192.168.0.0/16');
    expect(normal('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(normal('2001:0DB8:0000:0000::/32')).toBe('2001:db8::/32');
    expect(normal('::1')).toBe('::1/128');
    expect(normal('::/0')).toBe('::/0');
    expect(normal('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1/128');
    expect(normal('1:0:1:0:1:0:1:0')).toBe('1:0:1:0:1:0:1:0/128');
    // A range inside ::ffff:0:0/96 is an IPv4 range.
    expect(normal('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(normal('::ffff:0:0/96')).toBe('0.0.0.0/0');
    expect(normal('::ffff:c000:0201')).toBe('192.0.2.1/32');
  });

  it('refuses what is not an address or a range, saying why', () => {
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-1', '1::2::3', '12345::', 'fe80::1%eth0', ':::', 'g::1', '1.2.3.4::', '1:2:3:4:5:6:7:8:9', '', 'localhost']) {
      expect(parseRange(bad), bad).toBe('not_an_address');
    }
    for (const bad of ['10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '::/129', '::/1.5']) expect(parseRange(bad), bad).toBe('bad_prefix_length');
    expect(parseRange('10.0.0.1/8')).toBe('host_bits_set');
    expect(parseRange('2001:db8::1/32')).toBe('host_bits_set');
    expect(normalizeValue('ip', '10.0.0.1/8')).toMatchObject({ ok: false, error: 'invalid_ip_range' });
    expect(parseIp('1.2.3.04')).toBeUndefined();
  });

  it('matches at the edges: /0 holds everything, /32 and /128 exactly one address', () => {
    expect(ipHits(['0.0.0.0/0'], '0.0.0.0')).toEqual(['0.0.0.0/0']);
    expect(ipHits(['0.0.0.0/0'], '255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(ipHits(['0.0.0.0/0'], '2001:db8::1')).toEqual([]);
    expect(ipHits(['10.1.2.3/32'], '10.1.2.3')).toEqual(['10.1.2.3/32']);
    expect(ipHits(['10.1.2.3/32'], '10.1.2.4')).toEqual([]);
    expect(ipHits(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24'], '10.1.2.200')).toEqual(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24']);
    expect(ipHits(['10.0.0.0/8'], '11.0.0.0')).toEqual([]);
    expect(ipHits(['10.0.0.0/8'], '9.255.255.255')).toEqual([]);
    expect(ipHits(['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual(['2001:db8::/32']);
    expect(ipHits(['2001:db8::/32'], '2001:db9::')).toEqual([]);
    expect(ipHits(['::1/128'], '::1')).toEqual(['::1/128']);
    expect(ipHits(['::1/128'], '::2')).toEqual([]);
    expect(ipHits(['::/0'], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual(['::/0']);
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address it carries, and the other way round', () => {
    expect(ipHits(['10.0.0.0/8'], '::ffff:10.2.3.4')).toEqual(['10.0.0.0/8']);
    expect(ipHits(['10.0.0.0/8'], '::ffff:a02:304')).toEqual(['10.0.0.0/8']);
    expect(ipHits(['::ffff:10.0.0.0/104'], '10.9.9.9')).toEqual(['10.0.0.0/8']);
    // ::/0 holds the mapped form of every IPv4 address, so it holds IPv4 clients too.
    expect(ipHits(['::/0'], '192.0.2.1')).toEqual(['::/0']);
    expect(ipHits(['2001:db8::/32'], '192.0.2.1')).toEqual([]);
    // An address that is not one is ignored rather than matched.
    expect(ipHits(['0.0.0.0/0', '::/0'], 'not-an-ip')).toEqual([]);
  });

  it('finds exactly the ranges that hold an address, as a comparison with every range would (property)', () => {
    const v4Range = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([value, length]) => ({ prefix: (value & IPV4_MASKS[length]!) >>> 0, length }));
    fc.assert(
      fc.property(fc.array(v4Range, { maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (ranges, address) => {
        // Addresses near a range's start are the interesting ones: draw some from the ranges themselves.
        const probe = ranges.length > 0 && address % 2 === 0 ? (ranges[address % ranges.length]!.prefix + (address % 3)) >>> 0 : address;
        const texts = [...new Set(ranges.map((range) => formatRange({ family: 4, ...range })))];
        const expected = texts.filter((text) => {
          const range = parseRange(text) as { prefix: number; length: number };
          return ((probe & IPV4_MASKS[range.length]!) >>> 0) === range.prefix;
        });
        expect(ipHits(texts, formatIpv4(probe))).toEqual(expected.sort());
      }),
      { numRuns: 300 },
    );
    const v6Value = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(fc.array(fc.tuple(v6Value, fc.integer({ min: 0, max: 128 })), { maxLength: 30 }), v6Value, (ranges, address) => {
        const texts = [...new Set(ranges.map(([value, length]) => normal(`${formatIpv6(value & IPV6_MASKS[length]!)}/${length}`)))];
        const parsed = parseIp(formatIpv6(address));
        const expected = texts.filter((text) => {
          const range = parseRange(text);
          if (typeof range === 'string' || !parsed) return false;
          if (range.family === 4) return parsed.family === 4 && ((parsed.value & IPV4_MASKS[range.length]!) >>> 0) === range.prefix;
          return (address & IPV6_MASKS[range.length]!) === range.prefix;
        });
        expect(ipHits(texts, formatIpv6(address))).toEqual(expected.sort());
      }),
      { numRuns: 200 },
    );
  });
});

describe('list matcher', () => {
  it('matches ids exactly, countries in any case, and reports block and allow hits apart', () => {
    const matcher = createListMatcher();
    matcher.add(entry('account', 'acct-1'));
    matcher.add(entry('country', 'kp'));
    matcher.add(entry('device', 'dev-9', { list: 'allow' }));
    matcher.add(entry('party', 'party-7'));
    const result = matcher.match({ accountIds: ['acct-1', 'ACCT-1'], countries: ['Kp'], devices: ['dev-9'], partyIds: ['party-8'] }, NOW);
    expect(result.blocked.map((hit) => [hit.kind, hit.value, hit.matched])).toEqual([['account', 'acct-1', 'acct-1'], ['country', 'KP', 'Kp']]);
    expect(result.allowed.map((hit) => [hit.kind, hit.value])).toEqual([['device', 'dev-9']]);
  });

  it('never matches an entry from the instant it expires, and forgets it on a sweep', () => {
    const matcher = createListMatcher();
    matcher.add(entry('account', 'temp', { expiresAtMs: NOW + 1000 }));
    expect(matcher.match({ accountIds: ['temp'] }, NOW + 999).blocked).toHaveLength(1);
    expect(matcher.match({ accountIds: ['temp'] }, NOW + 1000).blocked).toHaveLength(0);
    expect(matcher.sweep(NOW + 1000)).toBe(1);
    expect(matcher.size).toBe(0);
  });

  it('keeps the index right as entries come and go', () => {
    const matcher = createListMatcher();
    const wide = entry('ip', '10.0.0.0/8');
    const narrow = entry('ip', '10.1.0.0/16');
    matcher.add(wide);
    matcher.add(narrow);
    matcher.add(narrow);
    matcher.remove(wide.id);
    expect(matcher.match({ ips: ['10.1.2.3'] }, NOW).blocked.map((hit) => hit.value)).toEqual(['10.1.0.0/16']);
    expect(matcher.match({ ips: ['10.2.0.0'] }, NOW).blocked).toEqual([]);
    matcher.remove(narrow.id);
    matcher.remove(narrow.id);
    expect(matcher.size).toBe(0);
  });
});
