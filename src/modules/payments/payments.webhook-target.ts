import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where webhooks may be sent. A webhook URL is chosen by whoever holds a manage key, and the server
 * posts to it from inside the bank's network; left unchecked, that lets a caller make the server
 * reach the cloud metadata service (169.254.169.254), the database, or any internal admin page.
 * So only public unicast addresses are allowed, unless the operator turns that off for local
 * development. The check runs on the URL at registration and again on every address the name
 * resolves to at delivery, and the connection goes to the address that was checked, so a name that
 * later resolves elsewhere (DNS rebinding) cannot slip past it.
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

/** Whether a URL's host, as written, is acceptable: a name other than localhost, or a public address. */
export function isAllowedWebhookHost(url: URL, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  const host = hostOf(url).toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return isPublicAddress(host);
  return host !== 'localhost' && !host.endsWith('.localhost') && host !== '';
}

export class WebhookTargetRefused extends Error {}

/** A name lookup that refuses the name when any address it resolves to is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused || addresses.length === 0) return callback(new WebhookTargetRefused(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which webhooks may not reach`), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

export interface WebhookPostRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** Posts a notification and answers the status; redirects are not followed, and the answer's body is not read. */
export type WebhookPost = (url: string, request: WebhookPostRequest) => Promise<number>;

export function createWebhookPost(options: { allowPrivate: boolean }): WebhookPost {
  return (text, request) => new Promise<number>((resolve, reject) => {
    const url = new URL(text);
    if (!isAllowedWebhookHost(url, options.allowPrivate)) return reject(new WebhookTargetRefused(`${hostOf(url)} is not an address webhooks may reach`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      timeout: request.timeoutMs,
      // A fresh connection each time, so that every delivery resolves and checks the name again.
      agent: false,
      ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
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
