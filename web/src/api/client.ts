import { takePrefetched } from './prefetch.ts';
import { currentKey, signOut } from './session.ts';

/** A problem+json answer (RFC 9457) as the API sends it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly code?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly pointer: string; readonly code: string; readonly detail: string }[];
}

/** Any answer other than 2xx. `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The labels (message keys, by pointer) of the fields of the action that was refused (api/actions.ts). */
  fieldLabels?: Readonly<Record<string, string>>;
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }

  /** The route does not exist on this server: the feature is not installed (yet). */
  get routeMissing(): boolean {
    return this.status === 404 && (this.problem.code === 'route_not_found' || this.problem.code === undefined);
  }
}

/** Requests slower than this are abandoned, so a hung server shows an error instead of a spinner. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined | null>>;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

/**
 * A key the server stopped accepting (revoked, expired, or the server's data was replaced) ends the
 * session, and the sign-in form says why. Only the session's current key: a late answer to a
 * request made with an earlier key must not end a newer session.
 */
export function endSessionIfRefused(status: number, key: string | null): void {
  if (status === 401 && key !== null && key === currentKey()) signOut('key_refused');
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const key = currentKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  const url = withQuery(path, options.query);
  // The page's first requests may already be under way (prefetch.ts); a GET takes that answer.
  const early = method === 'GET' ? takePrefetched(url, key) : undefined;
  try {
    response = await (early
      ? Promise.race([early, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))])
      : fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal }));
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, { status: 0, code: 'unreachable', detail: (error as Error).message });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const problem: Problem = typeof parsed === 'object' && parsed !== null ? (parsed as Problem) : { status: response.status, detail: String(parsed ?? response.statusText) };
    endSessionIfRefused(response.status, key);
    throw new ApiError(response.status, problem);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PUT', path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

/** A page of a cursor-paginated list. */
export interface Page<T> {
  readonly data: readonly T[];
  readonly next_cursor?: string | null;
}

/** A random UUIDv4: the idempotency key of a request that moves money. */
export function newId(): string {
  return crypto.randomUUID();
}
