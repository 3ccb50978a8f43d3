import { Card, Descriptions, Typography } from 'antd';
import type { Transfer } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import type { Route } from '../../app/router.ts';
import { IdLink, accountPath, transferPath } from '../../components/Ids.tsx';
import { KeyId } from '../../components/KeyId.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { Loadable } from '../../components/States.tsx';
import { formatInstant } from '../../lib/format.ts';
import { useLedgers } from '../../lib/ledgers.ts';
import { useApi } from '../../lib/useApi.ts';

/** One immutable transfer: both accounts, the amount, flags, the pending transfer it resolves, metadata. */
export default function TransferDetail({ route }: { readonly route: Route }) {
  const id = route.segments[2] ?? '';
  const { t, locale } = useI18n();
  const ledgers = useLedgers();
  const transfer = useApi<Transfer>(`/v1/transfers/${encodeURIComponent(id)}`);
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('ledger.transfer')} <span className="mono">{id}</span>
      </Typography.Title>
      <Loadable loaded={transfer}>
        {(data) => (
          <Card>
            <Descriptions
              column={{ xs: 1, md: 2 }}
              bordered
              items={[
                { label: t('ledger.amount'), children: <Money amount={data.amount} currency={ledgers.currencyOf(data.ledger)} scale={ledgers.scaleOf(data.ledger)} /> },
                { label: t('common.time'), children: formatInstant(data.created_at, locale) },
                { label: t('ledger.debitAccount'), children: <IdLink id={data.debit_account_id} to={accountPath(data.debit_account_id)} copyable /> },
                { label: t('ledger.creditAccount'), children: <IdLink id={data.credit_account_id} to={accountPath(data.credit_account_id)} copyable /> },
                { label: t('ledger.code'), children: data.code },
                { label: t('ledger.flags'), children: data.flags.length ? data.flags.map((flag) => <StatusTag key={flag} kind="transferFlag" status={flag} />) : '—' },
                { label: t('ledger.pendingId'), children: data.pending_id ? <IdLink id={data.pending_id} to={transferPath(data.pending_id)} copyable /> : '—' },
                { label: t('ledger.timeout'), children: data.timeout ? t('ledger.seconds', { count: data.timeout }) : '—' },
                { label: t('ledger.timestamp'), children: <span className="mono">{data.timestamp}</span> },
                ...(data.submitted_by ? [{ label: t('payments.submittedBy'), children: <KeyId id={data.submitted_by} testId="transfer-submitted-by" /> }] : []),
                { label: t('ledger.metadata'), span: 2, children: data.metadata ? <pre className="mono" style={{ margin: 0 }}>{typeof data.metadata === 'string' ? data.metadata : JSON.stringify(data.metadata, null, 2)}</pre> : '—' },
              ]}
            />
          </Card>
        )}
      </Loadable>
    </>
  );
}
