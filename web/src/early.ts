/**
 * The console's first script, a few kilobytes loaded beside the main bundle and usually run well
 * before it (an async script waits neither for the document nor for the stylesheet): when signed
 * in, it starts the current page's API requests at once, the script of its page chunk and the script
 * of the charting or graph library the page draws with, so that all are on their way while React
 * and Ant Design start instead of after. It is a bundle of its own; it hands what it started to the
 * main script through globals (see api/prefetch.ts, lib/script-loader.ts, lib/vendor-registry.ts).
 */
import { currentKey } from './api/session.ts';
import { prefetchFor } from './api/prefetch.ts';
import { SHELL_PAGES, matchRoute } from './app/routes.ts';
import { vendorsFor } from './app/vendor-routes.ts';
import { loadScriptOnce } from './lib/script-loader.ts';
import { loadVendor } from './lib/vendor.ts';

/** The scripts of the pages outside the shell (scripts/build-web.mjs names them). */
declare const __SLUICE_PAGE_SCRIPTS__: readonly string[];

const startPageScripts = () => {
  // Loaded, not run: the main script runs a chunk when it opens a page in it (lib/chunks.ts).
  for (const src of __SLUICE_PAGE_SCRIPTS__) loadScriptOnce(src).catch(() => {});
};

// Usually this runs before the main script; when it loses that race, prefetchFor starts nothing
// (see noteConsoleRunning).
if (currentKey()) {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  prefetchFor(path, query);
  const page = matchRoute(path)?.page;
  if (page && !SHELL_PAGES.has(page)) startPageScripts();
  // A failure shows where the page draws, which asks again.
  for (const vendor of vendorsFor(path)) loadVendor(vendor).catch(() => {});
} else {
  // The sign-in form is in the pages' script (app/Root.tsx).
  startPageScripts();
}
