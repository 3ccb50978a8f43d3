import { useCallback, useEffect, useState } from 'react';
import { ApiError, api, withQuery, type Page } from '../api/client.ts';

export interface Paged<T> {
  readonly rows: readonly T[];
  readonly loading: boolean;
  readonly error: ApiError | undefined;
  readonly hasMore: boolean;
  loadMore(): void;
  reload(): void;
}

type Query = Readonly<Record<string, string | number | undefined | null>>;

/**
 * A cursor-paginated list: the first page, then more pages appended on demand. Changing the path or
 * the query starts again from the first page. `refreshMs` reloads the first page periodically (for
 * feeds), keeping what was appended only while the first page is unchanged in length.
 */
export function usePaged<T>(path: string | null, query: Query, options: { readonly refreshMs?: number } = {}): Paged<T> {
  const key = path === null ? null : withQuery(path, query);
  const [state, setState] = useState<{ key: string | null; rows: T[]; cursor: string | null; loading: boolean; error?: ApiError }>({ key, rows: [], cursor: null, loading: key !== null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setState((previous) => (previous.key === key ? { ...previous, loading: true } : { key, rows: [], cursor: null, loading: true }));
    api.get<Page<T>>(key, { signal: controller.signal }).then(
      (page) => !controller.signal.aborted && setState({ key, rows: [...page.data], cursor: page.next_cursor ?? null, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState((previous) => ({ ...previous, key, loading: false, error: error instanceof ApiError ? error : new ApiError(0, { status: 0, detail: String(error) }) }));
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  // Once the user has loaded more pages, refreshing the first one would throw them away; the
  // periodic refresh stops until the list starts again.
  const appended = state.rows.length > Number(query.limit ?? Infinity);
  useEffect(() => {
    if (!options.refreshMs || key === null || appended) return;
    const timer = window.setInterval(() => document.visibilityState === 'visible' && reload(), options.refreshMs);
    return () => window.clearInterval(timer);
  }, [options.refreshMs, key, reload, appended]);

  const loadMore = useCallback(() => {
    if (!path || !state.cursor || state.loading) return;
    const cursorKey = state.key;
    setState((previous) => ({ ...previous, loading: true }));
    api.get<Page<T>>(withQuery(path, { ...query, cursor: state.cursor })).then(
      (page) => setState((previous) => (previous.key === cursorKey ? { ...previous, rows: [...previous.rows, ...page.data], cursor: page.next_cursor ?? null, loading: false } : previous)),
      (error: unknown) => setState((previous) => ({ ...previous, loading: false, error: error instanceof ApiError ? error : undefined })),
    );
    // The query object is rebuilt on every render; its content is already part of state.key.
  }, [path, state.cursor, state.loading, state.key]);

  const current = state.key === key;
  return { rows: current ? state.rows : [], loading: !current || state.loading, error: current ? state.error : undefined, hasMore: current && state.cursor !== null, loadMore, reload };
}
