import type { ChartsVendor } from '../vendor/charts.ts';
import type { GraphVendor } from '../vendor/graph.ts';
import { loadScriptOnce } from './script-loader.ts';
import { vendorRegistry, type VendorName } from './vendor-registry.ts';

/**
 * ECharts and Cytoscape are about a megabyte of code that only a few pages use, so they are not
 * in the console's main script: each is a classic script of its own (built by
 * scripts/build-web.mjs, named in VENDOR_SCRIPTS), added to the page the first time it is needed.
 * Under the development server the same entry is loaded as a module.
 */
interface Vendors {
  readonly charts: ChartsVendor;
  readonly graph: GraphVendor;
}

declare const __SLUICE_VENDOR_SCRIPTS__: Readonly<Record<VendorName, string>> | undefined;

function scriptFor(name: VendorName): { readonly src: string; readonly module: boolean } {
  if (import.meta.env.DEV) return { src: `/src/vendor/${name}.ts`, module: true };
  if (typeof __SLUICE_VENDOR_SCRIPTS__ === 'undefined') throw new Error('the console was built without its vendor scripts');
  return { src: __SLUICE_VENDOR_SCRIPTS__[name], module: false };
}

/** The library `name`, loading its script once per page (whoever asks first, the early script included). */
export async function loadVendor<K extends VendorName>(name: K): Promise<Vendors[K]> {
  const registry = vendorRegistry();
  const published = registry.loaded.get(name);
  if (published) return published as Vendors[K];
  const { src, module } = scriptFor(name);
  await loadScriptOnce(src, { module });
  const value = registry.loaded.get(name);
  if (!value) throw new Error(`${src} loaded but did not publish ${name}`);
  return value as Vendors[K];
}
