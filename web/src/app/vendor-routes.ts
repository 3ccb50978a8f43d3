import type { VendorName } from '../lib/vendor-registry.ts';

/**
 * The pages that draw charts or graphs. When the console is loaded at one of them, the early
 * script starts loading the library's script alongside the main one (see early.ts).
 */
const VENDOR_ROUTES: readonly { readonly pattern: RegExp; readonly vendor: VendorName }[] = [
  { pattern: /^\/$/, vendor: 'charts' },
  { pattern: /^\/ledger\/accounts\/[^/]+$/, vendor: 'charts' },
  { pattern: /^\/scf\/programs\/[^/]+$/, vendor: 'charts' },
  { pattern: /^\/risk\/cases\/[^/]+$/, vendor: 'graph' },
];

export function vendorsFor(path: string): readonly VendorName[] {
  return VENDOR_ROUTES.filter((route) => route.pattern.test(path)).map((route) => route.vendor);
}
