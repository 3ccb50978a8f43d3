import { useSyncExternalStore } from 'react';

/**
 * Hash routing: the console is one page, and `#/payments/…` names what it shows. A hash never
 * reaches the server, so every console route works behind any static server and survives reloads.
 */
export interface Route {
  /** The path after `#`, always starting with `/`, without the query. */
  readonly path: string;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

function readRoute(): Route {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', queryPart = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  return { path, segments: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(queryPart) };
}

let current = readRoute();
let currentHash = window.location.hash;

function subscribe(listener: () => void): () => void {
  const onChange = () => {
    if (window.location.hash === currentHash) return;
    currentHash = window.location.hash;
    current = readRoute();
    listener();
  };
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The route now, outside React (the first render's page is prepared before it; see main.tsx). */
export function currentRoute(): Route {
  return current;
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => current);
}

/** The href of a console path, for links (so they open in a new tab as well). */
export function href(path: string, query?: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value) params.set(name, value);
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(path: string, query?: Readonly<Record<string, string | undefined>>): void {
  window.location.hash = href(path, query);
}

/** Encodes one path segment (ids may contain characters with a meaning in URLs). */
export const segment = (value: string) => encodeURIComponent(value);
