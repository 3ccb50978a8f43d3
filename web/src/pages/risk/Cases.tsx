import { Card, Form, Progress, Select, Table, Tag, Typography } from 'antd';
import type { Case } from '../../api/risk.ts';
import { useFeature } from '../../api/features.ts';
import { useI18n } from '../../app/i18n.tsx';
import { href, navigate, type Route } from '../../app/router.ts';
import { casePath } from '../../components/Ids.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState, Loading } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { caseTitle } from '../../lib/alerts.ts';
import { formatInstant } from '../../lib/format.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { FeatureMissing } from './FeatureMissing.tsx';

export const CASE_STATUSES = ['open', 'investigating', 'escalated', 'closed_confirmed', 'closed_false_positive'] as const;
const SOURCES = ['decision', 'screening', 'graph', 'manual'] as const;
const PAGE_SIZE = 50;
const QUEUE_REFRESH_MS = 10_000;

/** The case queue, most urgent first: cases raised by decisions, screening and ring detection. */
export default function Cases({ route }: { readonly route: Route }) {
  const { t } = useI18n();
  const present = useFeature('/v1/risk/cases');
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.riskCases')}
      </Typography.Title>
      {present === false ? <FeatureMissing /> : !present ? <Loading /> : <Queue status={route.query.get('status') ?? undefined} source={route.query.get('source') ?? undefined} />}
    </>
  );
}

function Queue({ status, source }: { readonly status: string | undefined; readonly source: string | undefined }) {
  const { t, locale } = useI18n();
  const cases = usePaged<Case>('/v1/risk/cases', { status, source, limit: PAGE_SIZE }, { refreshMs: QUEUE_REFRESH_MS });
  return (
    <Card>
      <Form layout="inline" style={{ marginBottom: 12 }}>
        <Form.Item label={t('cases.status')} htmlFor="case-status">
          <Select id="case-status" allowClear style={{ width: 220 }} value={status} placeholder={t('cases.anyStatus')} onChange={(value?: string) => navigate('/risk/cases', { status: value, source })} options={CASE_STATUSES.map((value) => ({ value, label: t(`cases.statusName.${value}`) }))} />
        </Form.Item>
        <Form.Item label={t('cases.source')} htmlFor="case-source">
          <Select id="case-source" allowClear style={{ width: 180 }} value={source} placeholder={t('cases.anySource')} onChange={(value?: string) => navigate('/risk/cases', { status, source: value })} options={SOURCES.map((value) => ({ value, label: t(`cases.sourceName.${value}`) }))} />
        </Form.Item>
      </Form>
      {cases.error ? <ErrorState error={cases.error} /> : (
        <Table<Case>
          rowKey="id" size="middle" pagination={false} loading={cases.loading && cases.rows.length === 0} dataSource={[...cases.rows]} scroll={{ x: true }}
          locale={{ emptyText: t('cases.empty') }}
          columns={[
            { title: t('cases.title'), dataIndex: 'title', render: (_: string, item) => <a href={href(casePath(item.id))} data-testid="case-link">{caseTitle(t, item)}</a> },
            { title: t('cases.priority'), dataIndex: 'priority', width: 140, render: (priority: number) => <Progress percent={Math.round(priority * 100)} size="small" status={priority >= 0.7 ? 'exception' : 'normal'} aria-label={t('cases.priority')} /> },
            { title: t('cases.status'), dataIndex: 'status', render: (value: string) => <StatusTag kind="case" status={value} /> },
            { title: t('cases.source'), dataIndex: 'source', render: (value: string) => <Tag>{t(`cases.sourceName.${value as 'manual'}`)}</Tag> },
            { title: t('cases.alerts'), dataIndex: 'alert_count', align: 'right' },
            { title: t('cases.assignee'), dataIndex: 'assignee', render: (assignee: string | null) => assignee ?? '—' },
            { title: t('common.createdAt'), dataIndex: 'created_at', render: (at: string) => formatInstant(at, locale) },
          ]}
        />
      )}
      <MoreButton paged={cases} />
    </Card>
  );
}
