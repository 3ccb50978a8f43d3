import { useEffect, useState } from 'react';

/**
 * Which API routes this server has, read once from its OpenAPI document. Modules arrive over time
 * (risk control is newer than the ledger); a page for a module the server lacks shows an empty
 * state instead of calling routes that would only answer 404.
 */
let paths: Promise<ReadonlySet<string>> | null = null;

/**
 * The document is large (every route with its schemas) and a server's routes change only when it
 * is upgraded, so the list of paths is kept in the tab's sessionStorage for a while rather than
 * fetched on every page load.
 */
const CACHE_ITEM = 'sluice.apiPaths';
const CACHE_TTL_MS = 10 * 60_000;

function cachedPaths(): ReadonlySet<string> | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(CACHE_ITEM) ?? 'null') as { at: number; paths: string[] } | null;
    return saved && Date.now() - saved.at < CACHE_TTL_MS ? new Set(saved.paths) : null;
  } catch {
    return null;
  }
}

function loadPaths(): Promise<ReadonlySet<string>> {
  const cached = cachedPaths();
  if (cached) return Promise.resolve(cached);
  paths ??= fetch('/openapi.json', { headers: { accept: 'application/json' } })
    .then((response) => (response.ok ? (response.json() as Promise<{ paths?: Record<string, unknown> }>) : { paths: {} }))
    .then((document) => {
      const found = Object.keys(document.paths ?? {});
      try {
        sessionStorage.setItem(CACHE_ITEM, JSON.stringify({ at: Date.now(), paths: found }));
      } catch {
        // Not kept; the next page load asks again.
      }
      return new Set(found);
    })
    .catch(() => {
      // Without the document, assume the route exists; a real 404 still shows the empty state.
      paths = null;
      return new Set<string>(['*']);
    });
  return paths;
}

/** Whether the server documents `path` (OpenAPI form, e.g. /v1/risk/cases/{id}); undefined while unknown. */
export function useFeature(path: string): boolean | undefined {
  const [known, setKnown] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void loadPaths().then((set) => {
      if (live) setKnown(set.has('*') || set.has(path));
    });
    return () => {
      live = false;
    };
  }, [path]);
  return known;
}
