import { Empty } from 'antd';
import { useI18n } from '../../app/i18n.tsx';

/** Shown when this server has no such routes: risk control is a module a server may not run yet. */
export function FeatureMissing() {
  const { t } = useI18n();
  return <Empty data-testid="feature-missing" description={t('state.featureMissing')} style={{ padding: 48 }} />;
}
