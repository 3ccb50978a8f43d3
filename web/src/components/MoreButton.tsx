import { Button } from 'antd';
import { useI18n } from '../app/i18n.tsx';

/** "Load more" under a cursor-paginated list; absent when the list is complete. */
export function MoreButton({ paged }: { readonly paged: { readonly hasMore: boolean; readonly loading: boolean; loadMore(): void } }) {
  const { t } = useI18n();
  if (!paged.hasMore) return null;
  return (
    <Button style={{ marginTop: 12 }} onClick={paged.loadMore} loading={paged.loading}>
      {t('common.loadMore')}
    </Button>
  );
}
