import { accessOf, mayOpenPath } from './permissions.ts';
import { currentKey, identityState } from './session.ts';

/**
 * The GET requests a page makes as soon as it opens, started while the console's own script is
 * still starting, so that the answers are on their way before the page has rendered instead of
 * after. `request` (client.ts) takes a started answer instead of asking again when the path, the
 * key and the time match; an answer nobody takes is simply dropped.
 *
 * The paths must match what the pages ask for, character for character (query order included);
 * a path that does not match costs one request the page repeats, nothing worse. Only the
 * unfiltered first view of each page is listed.
 */
type Paths = (segments: readonly string[]) => readonly string[];

const id = (segments: readonly string[], index: number) => encodeURIComponent(segments[index] ?? '');

const ROUTES: readonly { readonly pattern: RegExp; readonly paths: Paths }[] = [
  { pattern: /^\/$/, paths: () => ['/v1/ledgers', '/v1/overview', '/v1/scf/programs?limit=100'] },
  { pattern: /^\/ledger\/?$/, paths: () => ['/v1/ledgers', '/v1/accounts?limit=25'] },
  {
    pattern: /^\/ledger\/accounts\/[^/]+$/,
    paths: (segments) => [
      '/v1/ledgers', `/v1/accounts/${id(segments, 2)}`, `/v1/transfers?account_id=${id(segments, 2)}&order=desc&limit=25`,
      `/v1/accounts/${id(segments, 2)}/balances/series?points=24`,
    ],
  },
  { pattern: /^\/payments\/?$/, paths: () => ['/v1/payments?order=desc&limit=25'] },
  { pattern: /^\/payments\/new$/, paths: () => ['/v1/ledgers', '/v1/accounts?code=820&limit=100', '/v1/parties?limit=100'] },
  { pattern: /^\/payments\/[^/]+$/, paths: (segments) => [`/v1/payments/${id(segments, 1)}`, `/v1/payments/${id(segments, 1)}/track`] },
  { pattern: /^\/scf\/?$/, paths: () => ['/v1/ledgers', '/v1/scf/programs?limit=100'] },
  { pattern: /^\/journal\/?$/, paths: () => ['/v1/journal/head', '/v1/journal/keys'] },
  { pattern: /^\/audit\/?$/, paths: () => ['/v1/audit-events?order=desc&limit=50'] },
];

/** A started answer older than this is not used: the page asks again for a fresh one. */
const PREFETCH_FRESH_MS = 10_000;
/** An early request that takes longer than this is abandoned (the page's own request has its own limit). */
const PREFETCH_TIMEOUT_MS = 30_000;

interface Started {
  readonly key: string;
  readonly atMs: number;
  readonly response: Promise<Response>;
}

interface PrefetchState {
  readonly started: Map<string, Started>;
  /** Set when the console's main script runs; from then on the pages ask for themselves. */
  consoleRunning: boolean;
}

/**
 * The early script and the main script are separate bundles, each with its own copy of this
 * module; they meet on one property of the window, so requests one starts the other can take.
 */
const STATE_GLOBAL = '__sluicePrefetch';

function shared(): PrefetchState {
  const holder = globalThis as typeof globalThis & { [STATE_GLOBAL]?: PrefetchState };
  holder[STATE_GLOBAL] ??= { started: new Map(), consoleRunning: false };
  return holder[STATE_GLOBAL];
}

/** Called by the main script before it renders: an early script that runs later starts nothing. */
export function noteConsoleRunning(): void {
  shared().consoleRunning = true;
}

/** The paths `prefetchFor` starts for a console path (for tests and for the page table above). */
export function prefetchPaths(path: string): readonly string[] {
  const segments = path.split('/').filter(Boolean).map((part) => decodeURIComponent(part));
  return ROUTES.find((route) => route.pattern.test(path))?.paths(segments) ?? [];
}

/** Starts the first requests of the page at `path` (a console route without its query), when signed in. */
export function prefetchFor(path: string, query: string): void {
  const key = currentKey();
  // A filtered view asks for other paths; only the plain first view is worth guessing. The early
  // script loads in parallel with the main one and may lose the race: its requests would then
  // only repeat the page's own.
  const state = shared();
  if (!key || query || state.consoleRunning) return;
  // A page the key's role may not use (known from an earlier answer in this tab) shows a note
  // instead of asking: its requests would only be refused (permissions.ts).
  const known = identityState();
  if (known.status === 'known' && mayOpenPath(accessOf(known.identity), path) === false) return;
  for (const apiPath of prefetchPaths(path)) {
    const response = fetch(apiPath, { headers: { accept: 'application/json', authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(PREFETCH_TIMEOUT_MS) });
    // Failures are the page's to report, through its own request; nothing is unhandled here.
    response.catch(() => {});
    state.started.set(apiPath, { key, atMs: performance.now(), response });
  }
}

/** The started answer for `path` under `key`, at most once; undefined when there is none (or it is stale). */
export function takePrefetched(path: string, key: string | null): Promise<Response> | undefined {
  const { started } = shared();
  const entry = started.get(path);
  if (!entry) return undefined;
  started.delete(path);
  if (entry.key !== key || performance.now() - entry.atMs > PREFETCH_FRESH_MS) return undefined;
  return entry.response;
}
