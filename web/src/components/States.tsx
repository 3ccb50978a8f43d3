import { Alert, Empty, Spin } from 'antd';
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.ts';
import { useI18n } from '../app/i18n.tsx';
import { problemText } from '../lib/problems.ts';

/**
 * What a page shows instead of its data: a spinner while loading, a clear empty state when the
 * server does not have the feature (404 on the route), a note when the key's role may not see it,
 * and what went wrong, in the reader's language (lib/problems.ts), for anything else.
 */
export function ErrorState({ error }: { readonly error: ApiError }) {
  const { t, locale } = useI18n();
  if (error.routeMissing) {
    return <Empty data-testid="feature-missing" description={t('state.featureMissing')} />;
  }
  if (error.status === 403) return <Alert type="warning" showIcon title={t('state.forbidden')} description={problemText(t, locale, error)} />;
  // An id in the address that cannot be one (a mistyped or cut-off link) is refused by the server as
  // a malformed path parameter; to the reader that is the same as an id that names nothing.
  const malformedId = error.status === 400 && (error.problem.errors ?? []).length > 0 && error.problem.errors?.every((entry) => entry.pointer.startsWith('/params/'));
  if (error.status === 404 || malformedId) return <Empty description={t('state.notFound')} />;
  return <Alert type="error" showIcon title={t('state.failed')} description={problemText(t, locale, error)} />;
}

export function Loadable<T>({ loaded, children }: { readonly loaded: { data: T | undefined; error: ApiError | undefined; loading: boolean }; readonly children: (data: T) => ReactNode }) {
  if (loaded.data !== undefined) return <>{children(loaded.data)}</>;
  if (loaded.error) return <ErrorState error={loaded.error} />;
  return <Loading />;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div style={{ padding: 32, textAlign: 'center' }}>
      <Spin aria-label={t('state.loading')} />
    </div>
  );
}
