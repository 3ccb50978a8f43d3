import { describe, expect, it } from 'vitest';
import { createAllowedNetworks, METADATA_ADDRESSES, parseAllowedNetworks, parseIpAddress } from './payments.webhook-networks.ts';
import { createWebhookAddressPolicy, isAllowedWebhookHost, isReachableAddress, PUBLIC_ONLY } from './payments.webhook-target.ts';

/**
 * The private networks an operator opens to webhooks: ranges match their first and last address
 * and nothing beside them, IPv4 and IPv6 alike, names match exactly, and the cloud metadata
 * addresses stay refused unless one is listed by itself.
 */
const address = (text: string) => {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new Error(`${text} is not an address`);
  return parsed;
};

describe('the webhook allow-list setting', () => {
  it('takes comma-separated ranges, addresses and host names, ignoring spaces and empty entries', () => {
    expect(parseAllowedNetworks(' 10.20.0.0/16, fd12:3456::/48,,hooks.bank.internal , 192.168.7.9 ,')).toEqual({
      ok: true, value: ['10.20.0.0/16', 'fd12:3456::/48', 'hooks.bank.internal', '192.168.7.9'],
    });
    expect(parseAllowedNetworks('')).toEqual({ ok: true, value: [] });
  });

  it('refuses an entry it cannot use, naming the entry and what is wrong with it on one line', () => {
    const refusals: [string, RegExp][] = [
      ['10.0.0.0/33', /prefix length .* 0 to 32/],
      ['fd00::/129', /prefix length .* 0 to 128/],
      ['10.0.0.0/', /prefix length/],
      ['10.0.0.0/8x', /prefix length/],
      ['10.1.2.3/16', /bits set past its \/16 prefix; the range starting there is 10\.1\.0\.0\/16/],
      ['fd12:3456::1/48', /the range starting there is fd12:3456::\/48/],
      ['10.0.0', /not an IPv4 or IPv6 address/],
      ['1.2.3.4.5', /not an IPv4 or IPv6 address/],
      ['/8', /not an IPv4 or IPv6 address before its "\/"/],
      ['fe80::1%eth0', /not an IPv4 or IPv6 address/],
      ['::ffff:10.0.0.0/64', /IPv4-mapped/],
      ['*.bank.internal', /wildcard/],
      ['bank internal', /host name/],
      ['http://10.0.0.1', /not an IPv4 or IPv6 address/],
      ['-bank.internal', /host name/],
      ['münchen.example', /host name/],
      ['0x7f000001', /read by URLs as an IPv4 address/],
      ['a\nb', /host name/],
    ];
    for (const [entry, reason] of refusals) {
      const parsed = parseAllowedNetworks(`10.0.0.0/8,${entry}`);
      expect(parsed.ok, entry).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.error, entry).toContain(`entry ${JSON.stringify(entry)} `);
      expect(parsed.error, entry).toMatch(reason);
      expect(parsed.error, entry).not.toContain('\n');
    }
  });

  it('refuses more entries than the named limit', () => {
    const many = Array.from({ length: 257 }, (_, index) => `10.${index >> 8}.${index & 255}.0/24`).join(',');
    expect(parseAllowedNetworks(many)).toMatchObject({ ok: false, error: expect.stringMatching(/257 entries; at most 256/) });
  });
});

describe('matching the allow-list', () => {
  const allowed = createAllowedNetworks(['10.20.0.0/16', '192.168.7.9', 'fd12:3456::/48', 'fd99::7/128', 'Hooks.Bank.Internal.']);

  it('matches an IPv4 range from its first to its last address and nothing beside it', () => {
    for (const inside of ['10.20.0.0', '10.20.0.1', '10.20.128.0', '10.20.255.255', '192.168.7.9']) expect(allowed.contains(address(inside)), inside).toBe(true);
    for (const outside of ['10.19.255.255', '10.21.0.0', '10.2.0.0', '192.168.7.8', '192.168.7.10', '11.20.0.1']) expect(allowed.contains(address(outside)), outside).toBe(false);
  });

  it('matches an IPv6 range in any spelling, and IPv4-mapped addresses as their IPv4 address', () => {
    for (const inside of ['fd12:3456::', 'fd12:3456:0:ffff:ffff:ffff:ffff:ffff', 'FD12:3456:0000::1', 'fd99::7', '::ffff:10.20.3.4', '::ffff:a14:304']) {
      expect(allowed.contains(address(inside)), inside).toBe(true);
    }
    for (const outside of ['fd12:3455:ffff:ffff:ffff:ffff:ffff:ffff', 'fd12:3457::', 'fd99::8', '::a14:304', '64:ff9b::a14:304']) expect(allowed.contains(address(outside)), outside).toBe(false);
  });

  it('matches ranges of every prefix length, from everything to one address', () => {
    expect(createAllowedNetworks(['0.0.0.0/0']).contains(address('255.255.255.255'))).toBe(true);
    expect(createAllowedNetworks(['0.0.0.0/0']).contains(address('fd00::1'))).toBe(false);
    expect(createAllowedNetworks(['::/0']).contains(address('fd00::1'))).toBe(true);
    expect(createAllowedNetworks(['10.0.0.1/32']).contains(address('10.0.0.1'))).toBe(true);
    expect(createAllowedNetworks(['10.0.0.1/32']).contains(address('10.0.0.0'))).toBe(false);
    expect(createAllowedNetworks(['10.0.0.0/31']).contains(address('10.0.0.1'))).toBe(true);
    expect(createAllowedNetworks(['10.0.0.0/31']).contains(address('10.0.0.2'))).toBe(false);
    expect(createAllowedNetworks(['::ffff:10.0.0.0/104']).contains(address('10.255.0.1'))).toBe(true);
  });

  it('matches host names exactly, in any case and with or without the final dot, never their subdomains', () => {
    for (const name of ['hooks.bank.internal', 'HOOKS.bank.internal', 'hooks.bank.internal.']) expect(allowed.listsName(name), name).toBe(true);
    for (const name of ['a.hooks.bank.internal', 'bank.internal', 'hooks.bank.internal.evil.example', 'hooks-bank.internal']) expect(allowed.listsName(name), name).toBe(false);
  });
});

describe('what the allow-list lets webhooks reach', () => {
  const policy = createWebhookAddressPolicy({ allowedNetworks: ['10.20.0.0/16', 'fd12:3456::/48', '127.0.0.1', 'hooks.bank.internal', '169.254.0.0/16', 'fd00::/8', '100.64.0.0/10', '64:ff9b::/96'] });

  it('opens the listed private addresses and names, and no other private address', () => {
    for (const reachable of ['10.20.1.1', 'fd12:3456::9', '127.0.0.1', '::ffff:127.0.0.1', '169.254.1.1', '8.8.8.8']) expect(isReachableAddress(reachable, reachable, policy), reachable).toBe(true);
    for (const refused of ['10.21.0.1', '127.0.0.2', '::1', '192.168.1.1', 'fc00::1', '0.0.0.0', '::']) expect(isReachableAddress(refused, refused, policy), refused).toBe(false);
    // A listed name may resolve to any private address; an unlisted name to the same address may not.
    expect(isReachableAddress('192.168.1.1', 'hooks.bank.internal', policy)).toBe(true);
    expect(isReachableAddress('192.168.1.1', 'HOOKS.bank.internal.', policy)).toBe(true);
    expect(isReachableAddress('192.168.1.1', 'other.bank.internal', policy)).toBe(false);
  });

  it('takes a URL naming a listed address or name, localhost included when it is listed', () => {
    for (const url of ['http://10.20.0.9/x', 'http://[fd12:3456::9]/x', 'http://[::ffff:7f00:1]/x', 'https://hooks.bank.internal./x']) expect(isAllowedWebhookHost(new URL(url), policy), url).toBe(true);
    for (const url of ['http://10.21.0.9/x', 'http://[::1]/x', 'http://localhost/x', 'http://169.254.169.254/x']) expect(isAllowedWebhookHost(new URL(url), policy), url).toBe(false);
    expect(isAllowedWebhookHost(new URL('http://localhost:8080/x'), createWebhookAddressPolicy({ allowedNetworks: ['localhost'] }))).toBe(true);
    expect(isReachableAddress('::1', 'localhost', createWebhookAddressPolicy({ allowedNetworks: ['localhost'] }))).toBe(true);
  });

  it('keeps the cloud metadata addresses refused inside an opened range, through a listed name and in IPv6 spellings', () => {
    for (const metadata of [...METADATA_ADDRESSES, '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '::a9fe:a9fe', '2002:a9fe:a9fe::1', 'FD00:EC2:0::254']) {
      expect(isReachableAddress(metadata, metadata, policy), metadata).toBe(false);
      expect(isReachableAddress(metadata, 'hooks.bank.internal', policy), `${metadata} through a listed name`).toBe(false);
    }
    // Neighbours of a metadata address in an opened range are not metadata.
    expect(isReachableAddress('169.254.169.253', '169.254.169.253', policy)).toBe(true);
    expect(isReachableAddress('fd00:ec2::253', 'fd00:ec2::253', policy)).toBe(true);
  });

  it('lets a metadata address through only when it is listed by itself', () => {
    for (const entry of ['169.254.169.254', '169.254.169.254/32', '::ffff:169.254.169.254']) {
      const listed = createWebhookAddressPolicy({ allowedNetworks: [entry] });
      expect(isReachableAddress('169.254.169.254', '169.254.169.254', listed), entry).toBe(true);
      expect(isReachableAddress('169.254.170.2', '169.254.170.2', listed), entry).toBe(false);
    }
    expect(isReachableAddress('fd00:ec2::254', 'fd00:ec2::254', createWebhookAddressPolicy({ allowedNetworks: ['fd00:ec2::254'] }))).toBe(true);
    expect(isReachableAddress('fd00:ec2::254', 'fd00:ec2::254', createWebhookAddressPolicy({ allowedNetworks: ['fd00:ec2::254/127'] }))).toBe(false);
  });

  it('without the setting, reaches public addresses only', () => {
    expect(isReachableAddress('8.8.8.8', 'dns.google', PUBLIC_ONLY)).toBe(true);
    for (const refused of ['10.20.1.1', '127.0.0.1', '169.254.169.254', 'not an address']) expect(isReachableAddress(refused, refused, PUBLIC_ONLY), refused).toBe(false);
  });
});
