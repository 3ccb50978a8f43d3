import { useEffect, useMemo, useState } from 'react';
import { Card, Descriptions, Space, Table, Tabs, Tag, Typography } from 'antd';
import { api } from '../../api/client.ts';
import type { Account, BalanceSeries, BalanceSnapshot, Transfer } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import type { Route } from '../../app/router.ts';
import { EChart } from '../../components/EChart.tsx';
import { IdLink, accountPath, transferPath } from '../../components/Ids.tsx';
import { KeyId } from '../../components/KeyId.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState, Loadable, Loading } from '../../components/States.tsx';
import { formatInstant, nsToIso } from '../../lib/format.ts';
import { useLedgers } from '../../lib/ledgers.ts';
import { formatChartNumber, netPosted, toChartNumber } from '../../lib/money.ts';
import { useApi } from '../../lib/useApi.ts';
import { usePaged } from '../../lib/usePaged.ts';

/** Points of the balance-over-time chart, each one a point-in-time balance read from the ledger. */
const CHART_POINTS = 24;
const PAGE_SIZE = 25;

export default function AccountDetail({ route }: { readonly route: Route }) {
  const id = route.segments[2] ?? '';
  const { t } = useI18n();
  const account = useApi<Account>(`/v1/accounts/${encodeURIComponent(id)}`);
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('ledger.account')} <span className="mono">{id}</span>
      </Typography.Title>
      <Loadable loaded={account}>{(data) => <AccountView account={data} />}</Loadable>
    </>
  );
}

function AccountView({ account }: { readonly account: Account }) {
  const { t, locale } = useI18n();
  const ledgers = useLedgers();
  const currency = ledgers.currencyOf(account.ledger);
  const scale = ledgers.scaleOf(account.ledger);
  const money = (amount: string | bigint) => <Money amount={amount} currency={currency} scale={scale} />;
  const transfers = usePaged<Transfer>('/v1/transfers', { account_id: account.id, order: 'desc', limit: PAGE_SIZE });
  const hasHistory = account.flags.includes('history');
  const history = usePaged<BalanceSnapshot>(hasHistory ? `/v1/accounts/${account.id}/history` : null, { order: 'desc', limit: PAGE_SIZE });

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card>
        <Descriptions
          column={{ xs: 1, md: 2, xl: 3 }}
          items={[
            { label: t('ledger.currency'), children: `${currency} (${t('ledger.ledgerNumber', { id: account.ledger })})` },
            { label: t('ledger.code'), children: account.code },
            { label: t('ledger.party'), children: account.party_id ?? '—' },
            { label: t('ledger.balance'), children: <span data-testid="account-balance">{money(netPosted(account))}</span> },
            { label: t('ledger.creditsPosted'), children: money(account.credits_posted) },
            { label: t('ledger.debitsPosted'), children: money(account.debits_posted) },
            { label: t('ledger.creditsPending'), children: money(account.credits_pending) },
            { label: t('ledger.debitsPending'), children: money(account.debits_pending) },
            { label: t('ledger.flags'), children: account.flags.length ? account.flags.map((flag) => <StatusTag key={flag} kind="accountFlag" status={flag} />) : '—' },
            { label: t('common.createdAt'), children: formatInstant(account.created_at, locale) },
            ...(account.submitted_by ? [{ label: t('ledger.openedBy'), children: <KeyId id={account.submitted_by} testId="account-opened-by" /> }] : []),
          ]}
        />
      </Card>
      <Card title={t('ledger.balanceOverTime')}>
        <BalanceChart account={account} scale={scale} currency={currency} />
      </Card>
      <Card>
        <Tabs
          items={[
            {
              key: 'transfers',
              label: t('ledger.transfers'),
              children: transfers.error ? <ErrorState error={transfers.error} /> : (
                <>
                  <Table<Transfer>
                    rowKey="id" size="small" pagination={false} loading={transfers.loading} dataSource={[...transfers.rows]} scroll={{ x: true }}
                    columns={[
                      { title: t('ledger.transfer'), dataIndex: 'id', render: (transferId: string) => <IdLink id={transferId} to={transferPath(transferId)} /> },
                      { title: t('common.time'), dataIndex: 'created_at', render: (at: string) => formatInstant(at, locale) },
                      { title: t('ledger.direction'), render: (_, transfer) => (transfer.debit_account_id === account.id ? <Tag color="volcano">{t('ledger.debit')}</Tag> : <Tag color="green">{t('ledger.credit')}</Tag>) },
                      {
                        title: t('ledger.counterparty'),
                        render: (_, transfer) => {
                          const other = transfer.debit_account_id === account.id ? transfer.credit_account_id : transfer.debit_account_id;
                          return <IdLink id={other} to={accountPath(other)} />;
                        },
                      },
                      { title: t('ledger.amount'), dataIndex: 'amount', align: 'right', render: (amount: string) => money(amount) },
                      { title: t('ledger.code'), dataIndex: 'code' },
                      { title: t('ledger.flags'), dataIndex: 'flags', render: (flags: string[]) => flags.map((flag) => <StatusTag key={flag} kind="transferFlag" status={flag} />) },
                    ]}
                  />
                  <MoreButton paged={transfers} />
                </>
              ),
            },
            {
              key: 'history',
              label: t('ledger.history'),
              disabled: !hasHistory,
              children: history.error ? <ErrorState error={history.error} /> : (
                <>
                  <Table<BalanceSnapshot>
                    rowKey="timestamp" size="small" pagination={false} loading={history.loading} dataSource={[...history.rows]}
                    columns={[
                      { title: t('common.time'), dataIndex: 'timestamp', render: (ns: string) => formatInstant(nsToIso(ns), locale) },
                      { title: t('ledger.balance'), align: 'right', render: (_, row) => money(netPosted(row)) },
                      { title: t('ledger.creditsPosted'), align: 'right', render: (_, row) => money(row.credits_posted) },
                      { title: t('ledger.debitsPosted'), align: 'right', render: (_, row) => money(row.debits_posted) },
                      { title: t('ledger.pending'), align: 'right', render: (_, row) => money(BigInt(row.credits_pending) - BigInt(row.debits_pending)) },
                    ]}
                  />
                  <MoreButton paged={history} />
                </>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}

/**
 * The balance at evenly spaced instants from the account's opening until now, read in one request
 * from the balance-series API (point-in-time balances, so the chart is right even for accounts that
 * keep no history).
 */
function BalanceChart({ account, scale, currency }: { readonly account: Account; readonly scale: number; readonly currency: string }) {
  const { t, locale } = useI18n();
  const [points, setPoints] = useState<{ at: number; balance: bigint }[] | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    api.get<BalanceSeries>(`/v1/accounts/${account.id}/balances/series`, { query: { points: CHART_POINTS }, signal: controller.signal }).then(
      (series) => !controller.signal.aborted && setPoints(series.points.map((point) => ({ at: Number(BigInt(point.at) / 1_000_000n), balance: netPosted(point) }))),
      () => !controller.signal.aborted && setFailed(true),
    );
    return () => controller.abort();
  }, [account.id, account.created_at]);

  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis', valueFormatter: (value: number) => `${value.toLocaleString(locale, { minimumFractionDigits: scale, maximumFractionDigits: scale })} ${currency}` },
      grid: { left: 90, right: 24, top: 16, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', axisLabel: { formatter: formatChartNumber } },
      series: [{ type: 'line', step: 'end', name: t('ledger.balance'), showSymbol: false, areaStyle: { opacity: 0.15 }, data: (points ?? []).map((point) => [point.at, toChartNumber(point.balance, scale)]) }],
    }),
    [points, scale, currency, locale, t],
  );
  if (failed) return <Typography.Text type="secondary">{t('ledger.chartFailed')}</Typography.Text>;
  if (!points) return <Loading />;
  return <EChart option={option} label={t('ledger.balanceOverTime')} testId="balance-chart" />;
}
