import { useMemo } from 'react';
import { Card, Col, Empty, Row, Statistic, Typography } from 'antd';
import type { Page } from '../../api/client.ts';
import type { Decision, Case } from '../../api/risk.ts';
import type { Overview, ScfProgram } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { href } from '../../app/router.ts';
import { AfterPaint } from '../../components/AfterPaint.tsx';
import { EChart } from '../../components/EChart.tsx';
import { ErrorState, Loading } from '../../components/States.tsx';
import { formatCompact, formatMinor, toChartNumber } from '../../lib/money.ts';
import { useLedgers } from '../../lib/ledgers.ts';
import { nameOf } from '../../lib/names.ts';
import { useApi, useOptionalApi } from '../../lib/useApi.ts';
import { DASHBOARD_REQUESTS, mayRequest } from '../../api/permissions.ts';
import { useAccess } from '../../app/access.tsx';

/** How often the dashboard asks again; the server caches its overview for about this long. */
const REFRESH_MS = 5_000;
const STATUS_COLOURS: Readonly<Record<string, string>> = { ACCC: '#52c41a', ACSP: '#1677ff', ACTC: '#13c2c2', RCVD: '#8c8c8c', RJCT: '#ff4d4f', CANC: '#bfbfbf', RTND: '#fa8c16' };
/** EChart's default height: the box a chart keeps until it is drawn (AfterPaint), so nothing moves. */
const CHART_HEIGHT = 260;
const OUTCOME_COLOURS: Readonly<Record<string, string>> = { approve: '#52c41a', review: '#faad14', decline: '#ff4d4f' };

export default function Dashboard() {
  const { t, locale } = useI18n();
  const ledgers = useLedgers();
  const overview = useApi<Overview>('/v1/overview', { refreshMs: REFRESH_MS });
  const programs = useApi<Page<ScfProgram>>('/v1/scf/programs?limit=100', { refreshMs: REFRESH_MS });
  // Risk work a key's role may not see (an auditor's decisions) is not asked for.
  const { access } = useAccess();
  const seesDecisions = mayRequest(access, DASHBOARD_REQUESTS.decisions);
  const seesCases = mayRequest(access, DASHBOARD_REQUESTS.cases);
  const decisions = useOptionalApi<Page<Decision>>('/v1/risk/decisions', seesDecisions ? '/v1/risk/decisions?order=desc&limit=100' : null, { refreshMs: REFRESH_MS });
  const cases = useOptionalApi<Page<Case>>('/v1/risk/cases', seesCases ? '/v1/risk/cases?status=open&limit=100' : null, { refreshMs: REFRESH_MS });

  const valueOption = useMemo(() => {
    const rows = overview.data?.ledgers ?? [];
    return {
      tooltip: { trigger: 'axis', valueFormatter: (value: number) => value.toLocaleString(locale) },
      grid: { left: 80, right: 16, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: rows.map((ledger) => ledger.currency) },
      yAxis: { type: 'log', name: t('dashboard.majorUnits'), axisLabel: { formatter: (value: number) => formatCompact(value, locale) } },
      series: [{ type: 'bar', name: t('dashboard.valueMoved'), data: rows.map((ledger) => Math.max(1, toChartNumber(ledger.posted, ledger.scale))), itemStyle: { color: '#1668dc' } }],
    };
  }, [overview.data, locale, t]);

  const volumeOption = useMemo(() => {
    const rows = overview.data?.payments.by_currency ?? [];
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: rows.map((row) => row.currency) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', name: t('dashboard.paymentsAll'), data: rows.map((row) => row.count), itemStyle: { color: '#69b1ff' } },
        { type: 'bar', name: t('dashboard.paymentsSettled'), data: rows.map((row) => row.settled), itemStyle: { color: '#52c41a' } },
      ],
    };
  }, [overview.data, t]);

  const statusOption = useMemo(() => pie((overview.data?.payments.by_status ?? []).map((row) => ({ name: nameOf(t, 'payment', row.status), value: row.count, itemStyle: { color: STATUS_COLOURS[row.status] } }))), [overview.data, t]);

  const outcomeOption = useMemo(() => {
    const counts = new Map<string, number>();
    for (const decision of decisions.data?.data ?? []) counts.set(decision.outcome, (counts.get(decision.outcome) ?? 0) + 1);
    return pie([...counts].map(([outcome, value]) => ({ name: nameOf(t, 'outcome', outcome), value, itemStyle: { color: OUTCOME_COLOURS[outcome] } })));
  }, [decisions.data, t]);

  const scfOption = useMemo(() => {
    const rows = programs.data?.data ?? [];
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 80, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: rows.map((program) => program.id) },
      yAxis: { type: 'value', axisLabel: { formatter: (value: number) => formatCompact(value, locale) } },
      series: [
        { type: 'bar', stack: 'limit', name: t('scf.outstanding'), data: rows.map((program) => toChartNumber(program.outstanding, ledgers.scaleOf(program.ledger))), itemStyle: { color: '#722ed1' } },
        { type: 'bar', stack: 'limit', name: t('scf.available'), data: rows.map((program) => (program.available === null ? null : toChartNumber(program.available, ledgers.scaleOf(program.ledger)))), itemStyle: { color: '#d3adf7' } },
      ],
    };
  }, [programs.data, locale, t, ledgers]);

  // Programs in different currencies cannot be added up; the card shows the first currency's total.
  const firstLedger = programs.data?.data[0]?.ledger;
  const outstanding = (programs.data?.data ?? []).filter((program) => program.ledger === firstLedger).reduce((sum, program) => sum + BigInt(program.outstanding), 0n);
  const openCases = cases.data ? `${cases.data.data.length}${cases.data.next_cursor ? '+' : ''}` : '—';

  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.dashboard')}
      </Typography.Title>
      {overview.error && <ErrorState error={overview.error} />}
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6}>
          <Card><Statistic title={t('dashboard.accounts')} value={(overview.data?.ledgers ?? []).reduce((sum, ledger) => sum + ledger.accounts, 0)} /></Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card><Statistic title={t('dashboard.payments')} value={overview.data?.payments.counted ?? 0} data-testid="stat-payments" /></Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('dashboard.openCases')} value={cases.missing ? t('state.notInstalled') : seesCases === false ? '—' : openCases} />
            {!cases.missing && seesCases !== false && <a href={href('/risk/cases')}>{t('dashboard.toCases')}</a>}
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card><Statistic title={t('dashboard.scfOutstanding')} value={firstLedger === undefined ? '—' : `${formatMinor(outstanding, ledgers.scaleOf(firstLedger), locale)} ${ledgers.currencyOf(firstLedger)}`} /></Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('dashboard.valuePerCurrency')}>{overview.data ? <EChart option={valueOption} label={t('dashboard.valuePerCurrency')} testId="chart-value" /> : <Loading />}</Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('dashboard.volumePerCurrency')}>{overview.data ? <AfterPaint height={CHART_HEIGHT}><EChart option={volumeOption} label={t('dashboard.volumePerCurrency')} testId="chart-volume" /></AfterPaint> : <Loading />}</Card>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Card title={t('dashboard.paymentsByStatus')}>{overview.data ? <AfterPaint height={CHART_HEIGHT}><EChart option={statusOption} label={t('dashboard.paymentsByStatus')} testId="chart-status" /></AfterPaint> : <Loading />}</Card>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Card title={t('dashboard.decisionOutcomes')}>
            {seesDecisions === false ? <Empty description={t('state.forbidden')} /> : decisions.missing ? <Empty description={t('state.featureMissing')} /> : decisions.data ? (decisions.data.data.length ? <AfterPaint height={CHART_HEIGHT}><EChart option={outcomeOption} label={t('dashboard.decisionOutcomes')} /></AfterPaint> : <Empty description={t('dashboard.noDecisions')} />) : decisions.error ? <ErrorState error={decisions.error} /> : <Loading />}
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card title={t('dashboard.scfByProgram')}>{programs.data ? <AfterPaint height={CHART_HEIGHT}><EChart option={scfOption} label={t('dashboard.scfByProgram')} /></AfterPaint> : programs.error ? <ErrorState error={programs.error} /> : <Loading />}</Card>
        </Col>
      </Row>
      {overview.data && !overview.data.payments.complete && <Typography.Paragraph type="secondary">{t('dashboard.partialCount', { count: overview.data.payments.counted })}</Typography.Paragraph>}
    </>
  );
}

function pie(data: readonly { name: string; value: number; itemStyle?: { color?: string | undefined } }[]) {
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['35%', '60%'], center: ['50%', '45%'], data, label: { formatter: '{b}: {c}', overflow: 'none' } }],
  };
}

