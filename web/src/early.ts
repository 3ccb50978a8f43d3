/**
 * The console's first script, a few kilobytes loaded beside the main bundle and usually run well
 * before it (an async script waits neither for the document nor for the stylesheet): when signed
 * in, it starts the current page's API requests at once, and the script of the charting or graph
 * library the page draws with, so that both are on their way while React and Ant Design start
 * instead of after. It is a bundle of its own; it hands what it started to the main script through
 * globals (see api/prefetch.ts and lib/vendor-registry.ts).
 */
import { currentKey } from './api/session.ts';
import { prefetchFor } from './api/prefetch.ts';
import { vendorsFor } from './app/vendor-routes.ts';
import { loadVendor } from './lib/vendor.ts';

// Usually this runs before the main script; when it loses that race, prefetchFor starts nothing
// (see noteConsoleRunning).
if (currentKey()) {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  prefetchFor(path, query);
  // A failure shows where the page draws, which asks again.
  for (const vendor of vendorsFor(path)) loadVendor(vendor).catch(() => {});
}
