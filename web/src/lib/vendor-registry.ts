/**
 * Where the large drawing libraries, each built as a script of its own (web/src/vendor), hand
 * themselves to the console once they have run. The console's scripts are separate bundles, so they
 * meet on one property of the window rather than on a module they would each have a copy of.
 */
export type VendorName = 'charts' | 'graph';

const REGISTRY_GLOBAL = '__sluiceVendors';

interface Registry {
  readonly loaded: Map<VendorName, unknown>;
}

export function vendorRegistry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_GLOBAL]?: Registry };
  holder[REGISTRY_GLOBAL] ??= { loaded: new Map() };
  return holder[REGISTRY_GLOBAL];
}

/** Called by a vendor script when it runs. */
export function publishVendor(name: VendorName, value: unknown): void {
  vendorRegistry().loaded.set(name, value);
}
