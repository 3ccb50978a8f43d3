/**
 * The console's first script, a few kilobytes loaded beside the main bundle and usually run well
 * before it (an async script waits neither for the document nor for the stylesheet): when signed
 * in, it starts the current page's API requests at once, so that the answers are on their way
 * while React and Ant Design start instead of after. It is a bundle of its own; it hands the
 * started requests to the main script through one global (see api/prefetch.ts).
 */
import { currentKey } from './api/session.ts';
import { prefetchFor } from './api/prefetch.ts';

// Usually this runs before the main script; when it loses that race, prefetchFor starts nothing
// (see noteConsoleRunning).
if (currentKey()) {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?', 2);
  prefetchFor(pathPart.startsWith('/') ? pathPart : `/${pathPart}`, query);
}
