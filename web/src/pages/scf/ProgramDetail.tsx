import { useMemo } from 'react';
import { Card, Col, Descriptions, Row, Space, Table, Typography } from 'antd';
import type { Page } from '../../api/client.ts';
import type { ScfOverview, ScfProgram, Voucher } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import type { Route } from '../../app/router.ts';
import { AfterPaint, useAfterPaint } from '../../components/AfterPaint.tsx';
import { EChart } from '../../components/EChart.tsx';
import { IdLink, voucherPath } from '../../components/Ids.tsx';
import { Money } from '../../components/Money.tsx';
import { Loadable } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { useLedgers } from '../../lib/ledgers.ts';
import { formatChartNumber, toChartNumber } from '../../lib/money.ts';
import { useApi } from '../../lib/useApi.ts';

/** EChart's default height: the box the second chart keeps until it is drawn (AfterPaint). */
const CHART_HEIGHT = 260;
/** Voucher rows drawn with the page's first paint; a screenful and more. */
const FIRST_ROWS = 20;

/** One program: its members, outstanding by tier, the maturity ladder and its vouchers. */
export default function ProgramDetail({ route }: { readonly route: Route }) {
  const id = route.segments[2] ?? '';
  const { t } = useI18n();
  const program = useApi<ScfProgram>(`/v1/scf/programs/${encodeURIComponent(id)}`);
  const overview = useApi<ScfOverview>(`/v1/scf/programs/${encodeURIComponent(id)}/overview`);
  const vouchers = useApi<Page<Voucher>>(`/v1/scf/programs/${encodeURIComponent(id)}/vouchers?limit=100`);
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {program.data?.name ?? id}
      </Typography.Title>
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <Loadable loaded={overview}>{(data) => <OverviewCards overview={data} program={program.data} />}</Loadable>
        <Card title={t('scf.vouchers')}>
          <Loadable loaded={vouchers}>{(page) => <VoucherTable vouchers={page.data} ledger={program.data?.ledger ?? 1} />}</Loadable>
        </Card>
      </Space>
    </>
  );
}

function OverviewCards({ overview, program }: { readonly overview: ScfOverview; readonly program: ScfProgram | undefined }) {
  const { t } = useI18n();
  const ledgers = useLedgers();
  const currency = ledgers.currencyOf(overview.ledger);
  const scale = ledgers.scaleOf(overview.ledger);
  const money = (amount: string) => <Money amount={amount} currency={currency} scale={scale} />;
  const ladder = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 90, right: 16, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: overview.maturity_ladder.map((rung) => rung.month) },
      yAxis: { type: 'value', name: currency, axisLabel: { formatter: formatChartNumber } },
      series: [{ type: 'bar', name: t('scf.maturing'), data: overview.maturity_ladder.map((rung) => toChartNumber(rung.amount, scale)), itemStyle: { color: '#722ed1' } }],
    }),
    [overview, currency, scale, t],
  );
  const tiers = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 90, right: 16, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: overview.by_tier.map((tier) => t('scf.tier', { tier: tier.tier })) },
      yAxis: { type: 'value', name: currency, axisLabel: { formatter: formatChartNumber } },
      series: [{ type: 'bar', name: t('scf.outstanding'), data: overview.by_tier.map((tier) => toChartNumber(tier.amount, scale)), itemStyle: { color: '#13c2c2' } }],
    }),
    [overview, currency, scale, t],
  );
  return (
    <Row gutter={[16, 16]}>
      <Col span={24}>
        <Card>
          <Descriptions
            column={{ xs: 1, md: 3 }}
            items={[
              { label: t('scf.creditLimit'), children: money(overview.credit_limit) },
              { label: t('scf.outstanding'), children: money(overview.outstanding) },
              { label: t('scf.available'), children: overview.available === null ? '—' : money(overview.available) },
              { label: t('scf.financed'), children: <>{money(overview.financed)} ({(overview.financed_share_bps / 100).toFixed(2)}%)</> },
              { label: t('scf.overdue'), children: <>{money(overview.overdue.amount)} · {t('scf.voucherCount', { count: overview.overdue.vouchers })}</> },
              { label: t('scf.today'), children: overview.today },
              ...(program ? [
                { label: t('scf.core'), children: program.core_enterprise_id },
                { label: t('scf.banks'), children: program.funding_bank_ids.join(', ') },
                { label: t('scf.suppliers'), children: program.supplier_ids.join(', ') },
              ] : []),
            ]}
          />
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('scf.maturityLadder')}><EChart option={ladder} label={t('scf.maturityLadder')} testId="maturity-ladder" /></Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('scf.byTier')}><AfterPaint height={CHART_HEIGHT}><EChart option={tiers} label={t('scf.byTier')} /></AfterPaint></Card>
      </Col>
    </Row>
  );
}

function VoucherTable({ vouchers, ledger }: { readonly vouchers: readonly Voucher[]; readonly ledger: number }) {
  const { t } = useI18n();
  const ledgers = useLedgers();
  // The first rows are drawn with the page; the rest of the hundred follow once it is painted.
  const painted = useAfterPaint();
  return (
    <Table<Voucher>
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={painted ? [...vouchers] : vouchers.slice(0, FIRST_ROWS)}
      scroll={{ x: true }}
      columns={[
        { title: t('scf.voucher'), dataIndex: 'id', render: (id: string) => <IdLink id={id} to={voucherPath(id)} testId="voucher-link" /> },
        { title: t('scf.supplier'), dataIndex: 'supplier_id' },
        { title: t('scf.face'), dataIndex: 'face_amount', align: 'right', render: (amount: string) => <Money amount={amount} currency={ledgers.currencyOf(ledger)} scale={ledgers.scaleOf(ledger)} /> },
        { title: t('scf.issued'), dataIndex: 'issue_date' },
        { title: t('scf.maturity'), dataIndex: 'maturity_date' },
        { title: t('scf.pieces'), dataIndex: 'piece_count' },
        { title: t('common.status'), dataIndex: 'status', render: (status: string) => <StatusTag kind="voucher" status={status} /> },
      ]}
    />
  );
}
