import { useMemo } from 'react';
import { Col, Descriptions, Row, Table, Typography } from 'antd';
import type { BacktestResult } from '../../api/risk.ts';
import { useI18n } from '../../app/i18n.tsx';
import { EChart } from '../../components/EChart.tsx';

const OUTCOMES = ['approve', 'review', 'decline'] as const;

/** What a ruleset version would have decided over past decisions, beside what was decided then. */
export function BacktestView({ result }: { readonly result: BacktestResult }) {
  const { t } = useI18n();
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      xAxis: { type: 'category', data: OUTCOMES.map((outcome) => t(`risk.outcomeName.${outcome}`)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', name: t('rules.recorded'), data: OUTCOMES.map((outcome) => result.recorded?.[outcome] ?? 0), itemStyle: { color: '#bfbfbf' } },
        { type: 'bar', name: t('rules.wouldBe'), data: OUTCOMES.map((outcome) => result.would_be?.[outcome] ?? 0), itemStyle: { color: '#1668dc' } },
      ],
    }),
    [result, t],
  );
  return (
    <div data-testid="backtest-result">
      <Descriptions
        size="small"
        column={{ xs: 1, md: 4 }}
        items={[
          { label: t('rules.days'), children: result.days ?? '—' },
          { label: t('rules.decisions'), children: result.decisions ?? 0 },
          { label: t('rules.changed'), children: result.changed ?? 0 },
          { label: t('rules.withErrors'), children: result.with_errors ?? 0 },
        ]}
      />
      {result.truncated && <Typography.Text type="warning">{t('rules.truncated')}</Typography.Text>}
      <Row gutter={16}>
        <Col xs={24} lg={12}><EChart option={option} height={220} label={t('rules.backtest')} /></Col>
        <Col xs={24} lg={12}>
          <Table
            size="small" pagination={false} rowKey="rule_id" dataSource={[...(result.rule_hits ?? [])]}
            columns={[{ title: t('rules.id'), dataIndex: 'rule_id', render: (id: string) => <span className="mono">{id}</span> }, { title: t('rules.hits'), dataIndex: 'hits', align: 'right' }]}
          />
        </Col>
      </Row>
    </div>
  );
}
