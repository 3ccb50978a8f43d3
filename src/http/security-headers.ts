import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Sluice's security headers, as helmet writes them. They do not depend on the request (no CSP
 * nonces: the console's scripts are same-origin files), so helmet runs once at start and every
 * answer gets the same headers. Building helmet's middleware for every request, as a per-request
 * plugin does, cost about 5 % of the server's CPU on single transfers.
 */
const OPTIONS: HelmetOptions = {
  // Sluice speaks plain HTTP behind whatever terminates TLS; that proxy decides on HSTS.
  strictTransportSecurity: false,
  contentSecurityPolicy: {
    directives: {
      upgradeInsecureRequests: null,
      defaultSrc: ["'self'"],
      // The API reference and the console draw inline styles; scripts stay same-origin only.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
    },
  },
};

/** The headers helmet sets with Sluice's options, in lower case, computed once. */
export function securityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  // Helmet only ever calls setHeader and removeHeader on the response; record what it sets.
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => void (failure = error));
  if (failure) throw failure;
  return Object.freeze(headers);
}
