import { useAccess } from '../app/access.tsx';
import { useI18n } from '../app/i18n.tsx';
import { mayOpen } from '../api/permissions.ts';
import { IdLink, auditKeyPath } from './Ids.tsx';

/**
 * The id of the API key that did something (a payment's submitter, the cause of a status change),
 * copyable; a link to the audit trail filtered by that key when the signed-in key may read the
 * trail (the `verify` permission). Nothing at all for no key: null means the platform did it itself,
 * or, to a participant key, that another key did.
 */
export function KeyId({ id, testId }: { readonly id: string | null | undefined; readonly testId?: string }) {
  const { t } = useI18n();
  const { access } = useAccess();
  if (!id) return null;
  const audits = mayOpen(access, 'audit') === true;
  return <IdLink id={id} to={audits ? auditKeyPath(id) : undefined} linkTitle={audits ? t('payments.keyInAudit', { id }) : undefined} testId={testId} copyable />;
}
