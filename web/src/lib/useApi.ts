import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import { useFeature } from '../api/features.ts';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  /** Fetches again now (after an action changed what the page shows). */
  reload(): void;
}

/**
 * Loads `path` and keeps the last good answer while reloading, so a refreshing chart does not flash
 * empty. A null path loads nothing. With `refreshMs` the path is fetched again on that period while
 * the page is visible; a request still running when the page changes is cancelled.
 */
export function useApi<T>(path: string | null, options: { readonly refreshMs?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; path: string | null }>({ loading: path !== null, path });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  const refreshMs = options.refreshMs;

  useEffect(() => {
    if (path === null) {
      setState({ loading: false, path });
      return;
    }
    const controller = new AbortController();
    setState((previous) => (previous.path === path ? { ...previous, loading: true } : { loading: true, path }));
    api.get<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false, path });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const failure = error instanceof ApiError ? error : new ApiError(0, { status: 0, detail: String(error) });
        setState((previous) => ({ data: previous.path === path ? previous.data : undefined, error: failure, loading: false, path }));
      },
    );
    return () => controller.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!refreshMs || path === null) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshMs);
    return () => window.clearInterval(timer);
  }, [refreshMs, path, reload]);

  return { data: state.path === path ? state.data : undefined, error: state.path === path ? state.error : undefined, loading: state.loading, reload };
}

/** True while the component is mounted; for async handlers that set state after awaiting. */
export function useMounted(): () => boolean {
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return useCallback(() => mounted.current, []);
}

/**
 * Like useApi, for routes of modules a server may not have yet: nothing is requested until the
 * server's OpenAPI document says the route exists (`documented`, in OpenAPI form).
 */
export function useOptionalApi<T>(documented: string, path: string | null, options: { readonly refreshMs?: number } = {}): Loaded<T> & { readonly missing: boolean } {
  const present = useFeature(documented);
  const loaded = useApi<T>(present ? path : null, options);
  const missing = present === false || loaded.error?.routeMissing === true;
  return { ...loaded, loading: present === undefined || loaded.loading, missing };
}
