/**
 * The console's first script, a few kilobytes loaded beside the main bundle and usually run well
 * before it (an async script waits neither for the document nor for the stylesheet): when signed
 * in, it starts the current page's API requests and the download of its chunk at once, so that
 * both overlap with React and Ant Design starting up instead of following them.
 */
import { currentKey } from './api/session.ts';
import { prefetchFor } from './api/prefetch.ts';
import { PAGE_LOADERS, matchRoute } from './app/pages.ts';

// Usually this runs before the main script; when it loses that race, prefetchFor starts nothing
// (see noteConsoleRunning) and only the chunk, already loaded by then, is asked for again.
if (currentKey()) {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  prefetchFor(path, query);
  const match = matchRoute(path);
  // The same module the page's lazy component loads later; a failure shows there, not here.
  if (match) PAGE_LOADERS[match.page]().catch(() => {});
}
