import { promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { err, ok, withDeadline, type Result } from '../../kernel/index.ts';
import type { PaymentError } from './payments.errors.ts';
import { createAllowedNetworks, isMetadataAddress, normalizeHostName, parseIpAddress, type AllowedNetworks } from './payments.webhook-networks.ts';

/**
 * Where webhooks may be sent. A webhook URL is chosen by whoever holds a manage key, and the server
 * posts to it from inside the bank's network; left unchecked, that lets a caller make the server
 * reach the cloud metadata service (169.254.169.254), the database, or any internal admin page.
 * So only public unicast addresses are allowed, and the private networks the operator lists
 * (SLUICE_WEBHOOK_ALLOWED_NETWORKS, see payments.webhook-networks.ts), unless the operator turns the
 * check off for local development. The check runs at registration, on the URL and on every address
 * its name resolves to then, and again on every address the name resolves to at delivery; the
 * connection goes to the address that was checked, so a name that later resolves elsewhere (DNS
 * rebinding) cannot slip past it.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** True for an address a webhook may reach: public unicast, IPv4 or IPv6 (IPv4-mapped IPv6 judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1] as string);
    // The rest of ::ffff:0:0/96 and ::/96 (IPv4-compatible) would reach IPv4 space by another spelling.
    if (/^::(ffff:)?[0-9a-f]{0,4}(:[0-9a-f]{0,4})?$/i.test(address)) return false;
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return !NOT_PUBLIC.check(address, 'ipv4');
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** What webhooks may reach. */
export interface WebhookAddressPolicy {
  /** Every address, private ones included: local development only (SLUICE_WEBHOOK_PRIVATE_ADDRESSES=on). */
  readonly allowPrivate: boolean;
  /** Private ranges, addresses and host names opened by the operator (SLUICE_WEBHOOK_ALLOWED_NETWORKS). */
  readonly allowedNetworks: AllowedNetworks;
}

export function createWebhookAddressPolicy(options: { allowPrivate?: boolean; allowedNetworks?: readonly string[] } = {}): WebhookAddressPolicy {
  return Object.freeze({ allowPrivate: options.allowPrivate ?? false, allowedNetworks: createAllowedNetworks(options.allowedNetworks ?? []) });
}

/** Public addresses only: the policy of an installation that set neither setting. */
export const PUBLIC_ONLY: WebhookAddressPolicy = createWebhookAddressPolicy();

/**
 * Whether a webhook may connect to an address, reached through the host (a name, or the address
 * itself) its URL names. A metadata address only when listed by itself; any other address when it
 * is public, in a listed range, or reached through a listed host name.
 */
export function isReachableAddress(address: string, host: string, policy: WebhookAddressPolicy): boolean {
  const parsed = parseIpAddress(address);
  if (parsed === undefined) return false;
  // Before the development switch: a developer's machine in a cloud has a metadata service too, and
  // it hands out that machine's credentials.
  if (isMetadataAddress(parsed)) return policy.allowedNetworks.listsExactly(parsed);
  if (policy.allowPrivate) return true;
  if (isPublicAddress(address)) return true;
  return policy.allowedNetworks.contains(parsed) || (isIP(host) === 0 && policy.allowedNetworks.listsName(host));
}

/**
 * Whether a URL's host, as written, is acceptable: a reachable address, a listed name, or any other
 * name but localhost (whose addresses are judged when it is resolved).
 */
export function isAllowedWebhookHost(url: URL, policy: WebhookAddressPolicy): boolean {
  const host = normalizeHostName(hostOf(url));
  if (isIP(host) !== 0) return isReachableAddress(host, host, policy);
  if (policy.allowPrivate) return true;
  if (policy.allowedNetworks.listsName(host)) return true;
  return host !== 'localhost' && !host.endsWith('.localhost') && host !== '';
}

export class WebhookTargetRefused extends Error {}

/** Resolves a host name to all its addresses, as the delivery's connection would. Replaceable in tests. */
export type WebhookResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** getaddrinfo, as Node's own connections use it: the hosts file, then DNS. */
export const systemResolver: WebhookResolver = (hostname) => dns.lookup(hostname, { all: true });

/** The first address of a name's answer that the policy refuses, if any. */
const refusedAmong = (hostname: string, addresses: readonly LookupAddress[], policy: WebhookAddressPolicy): string | undefined =>
  addresses.find((entry) => !isReachableAddress(entry.address, hostname, policy))?.address;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A name lookup for the delivery's connection that refuses the name when any address it resolves
 * to is refused by the policy, and otherwise connects to the addresses it checked.
 */
export function createCheckedLookup(policy: WebhookAddressPolicy, resolve: WebhookResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const answer = callback as unknown as LookupCallback;
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    resolve(hostname).then(
      (addresses) => {
        const refused = refusedAmong(hostname, addresses, policy);
        const usable = addresses.filter((entry) => family === 0 || entry.family === family);
        // The callback runs outside the promise, so that an exception in it is not taken for a failed lookup.
        process.nextTick(() => {
          if (refused !== undefined || addresses.length === 0) return answer(new WebhookTargetRefused(`${hostname} resolves to ${refused ?? 'nothing'}, which webhooks may not reach`), '', 0);
          const first = usable[0];
          if (first === undefined) return answer(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
          return options.all ? answer(null, [...usable]) : answer(null, first.address, first.family);
        });
      },
      (error: NodeJS.ErrnoException) => process.nextTick(() => answer(error, '', 0)),
    );
  };
}

/**
 * The check at registration, after the URL's own: a host name must resolve within the timeout, and
 * to addresses the policy allows, all of them (as at delivery, where one refused address fails the
 * attempt). The answer is not kept: every delivery resolves the name again.
 */
export async function checkWebhookTarget(
  url: URL, policy: WebhookAddressPolicy, options: { resolve: WebhookResolver; timeoutMs: number },
): Promise<Result<null, Extract<PaymentError, 'webhook_url_not_allowed' | 'webhook_host_not_resolved'>>> {
  if (!isAllowedWebhookHost(url, policy)) return err('webhook_url_not_allowed');
  const host = hostOf(url);
  // Local development reaches everything, so there is nothing to check the addresses against.
  if (policy.allowPrivate || isIP(host) !== 0) return ok(null);
  let addresses: readonly LookupAddress[];
  try {
    // getaddrinfo cannot be cancelled; a late answer is ignored.
    addresses = await withDeadline(() => options.resolve(host), options.timeoutMs);
  } catch {
    return err('webhook_host_not_resolved');
  }
  if (addresses.length === 0) return err('webhook_host_not_resolved');
  return refusedAmong(host, addresses, policy) === undefined ? ok(null) : err('webhook_url_not_allowed');
}

export interface WebhookPostRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** Posts a notification and answers the status; redirects are not followed, and the answer's body is not read. */
export type WebhookPost = (url: string, request: WebhookPostRequest) => Promise<number>;

export function createWebhookPost(options: { policy: WebhookAddressPolicy; resolve?: WebhookResolver }): WebhookPost {
  const { policy } = options;
  const lookup = createCheckedLookup(policy, options.resolve);
  return (text, request) => new Promise<number>((resolve, reject) => {
    const url = new URL(text);
    if (!isAllowedWebhookHost(url, policy)) return reject(new WebhookTargetRefused(`${hostOf(url)} is not an address webhooks may reach`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      timeout: request.timeoutMs,
      // A fresh connection each time, so that every delivery resolves and checks the name again
      // (with the development switch on too, which still keeps metadata addresses out).
      agent: false,
      lookup,
    };
    const outgoing = send(url, requestOptions, (response) => {
      // Only the status matters; the body is dropped unread, so a receiver cannot make us buffer it.
      response.resume();
      response.destroy();
      resolve(response.statusCode ?? 0);
    });
    const timer = setTimeout(() => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.end(request.body);
  });
}
