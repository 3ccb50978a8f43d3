import type { ChartsVendor } from '../vendor/charts.ts';
import type { GraphVendor } from '../vendor/graph.ts';
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

/** A script that has not loaded by then has failed (the server is local; a megabyte is quick). */
const VENDOR_LOAD_TIMEOUT_MS = 30_000;

function scriptFor(name: VendorName): { readonly src: string; readonly module: boolean } {
  if (import.meta.env.DEV) return { src: `/src/vendor/${name}.ts`, module: true };
  if (typeof __SLUICE_VENDOR_SCRIPTS__ === 'undefined') throw new Error('the console was built without its vendor scripts');
  return { src: __SLUICE_VENDOR_SCRIPTS__[name], module: false };
}

/** The library `name`, loading its script once per page (whoever asks first, the early script included). */
export function loadVendor<K extends VendorName>(name: K): Promise<Vendors[K]> {
  const registry = vendorRegistry();
  const loaded = registry.loaded.get(name);
  if (loaded) return Promise.resolve(loaded as Vendors[K]);
  let loading = registry.loading.get(name);
  if (!loading) {
    loading = new Promise<unknown>((resolve, reject) => {
      const { src, module } = scriptFor(name);
      const script = document.createElement('script');
      if (module) script.type = 'module';
      script.src = src;
      const timer = setTimeout(() => fail(new Error(`${src} did not load within ${VENDOR_LOAD_TIMEOUT_MS} ms`)), VENDOR_LOAD_TIMEOUT_MS);
      function fail(error: Error) {
        clearTimeout(timer);
        registry.loading.delete(name);
        reject(error);
      }
      script.addEventListener('load', () => {
        clearTimeout(timer);
        const value = registry.loaded.get(name);
        if (value) resolve(value);
        else fail(new Error(`${src} loaded but did not publish ${name}`));
      });
      script.addEventListener('error', () => fail(new Error(`${src} could not be loaded`)));
      document.head.appendChild(script);
    });
    registry.loading.set(name, loading);
  }
  return loading as Promise<Vendors[K]>;
}
