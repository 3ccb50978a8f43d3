import { useState } from 'react';
import { App, Button, Card, Form, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import type { Decision, Hold } from '../../api/risk.ts';
import { useI18n } from '../../app/i18n.tsx';
import { navigate, type Route } from '../../app/router.ts';
import { IdLink, accountPath } from '../../components/Ids.tsx';
import { Money } from '../../components/Money.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState, Loading } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { nameOf } from '../../lib/names.ts';
import { formatInstant } from '../../lib/format.ts';
import { useFeature } from '../../api/features.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { FeatureMissing } from './FeatureMissing.tsx';
import { useFailureToast } from '../../lib/useProblems.ts';

const OUTCOMES = ['approve', 'review', 'decline'] as const;
const PAGE_SIZE = 50;
/** The feed's first page is fetched again this often, newest first. */
const FEED_REFRESH_MS = 5_000;

/** The decision feed, newest first, and the transfers held for an analyst's review. */
export default function Decisions({ route }: { readonly route: Route }) {
  const { t } = useI18n();
  const present = useFeature('/v1/risk/decisions');
  const holdsPresent = useFeature('/v1/risk/holds');
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.riskDecisions')}
      </Typography.Title>
      {present === false ? <FeatureMissing /> : !present || holdsPresent === undefined ? <Loading /> : (
        <Tabs
          items={[
            { key: 'feed', label: t('risk.feed'), children: <Feed outcome={route.query.get('outcome') ?? undefined} /> },
            ...(holdsPresent ? [{ key: 'holds', label: t('risk.holds'), children: <Holds /> }] : []),
          ]}
        />
      )}
    </>
  );
}

function Feed({ outcome }: { readonly outcome: string | undefined }) {
  const { t, locale } = useI18n();
  const feed = usePaged<Decision>('/v1/risk/decisions', { outcome, order: 'desc', limit: PAGE_SIZE }, { refreshMs: FEED_REFRESH_MS });
  return (
    <>
      <Form layout="inline" style={{ marginBottom: 16 }}>
        <Form.Item label={t('risk.outcome')} htmlFor="decision-outcome">
          <Select id="decision-outcome" allowClear style={{ width: 160 }} value={outcome} placeholder={t('risk.anyOutcome')} onChange={(value?: string) => navigate('/risk', { outcome: value })} options={OUTCOMES.map((value) => ({ value, label: t(`risk.outcomeName.${value}`) }))} />
        </Form.Item>
      </Form>
      {feed.error ? <ErrorState error={feed.error} /> : (
        <Table<Decision>
          rowKey="id" size="small" pagination={false} loading={feed.loading && feed.rows.length === 0} dataSource={[...feed.rows]} scroll={{ x: true }}
          expandable={{ expandedRowRender: (decision) => <DecisionDetail decision={decision} />, rowExpandable: (decision) => (decision.fired?.length ?? 0) > 0 || (decision.list_hits?.length ?? 0) > 0 }}
          columns={[
            { title: t('common.time'), dataIndex: 'decided_at', render: (at: string) => formatInstant(at, locale) },
            { title: t('risk.outcome'), dataIndex: 'outcome', render: (value: string) => <StatusTag kind="outcome" status={value} /> },
            { title: t('risk.score'), dataIndex: 'score', render: (score?: number) => (score === undefined ? '—' : score.toFixed(2)) },
            { title: t('ledger.amount'), align: 'right', render: (_, decision) => (decision.event?.amount && decision.event.currency ? <Money amount={decision.event.amount} currency={decision.event.currency} /> : '—') },
            { title: t('ledger.debitAccount'), render: (_, decision) => <IdLink id={decision.event?.debit_account_id} to={decision.event?.debit_account_id ? accountPath(decision.event.debit_account_id) : undefined} /> },
            { title: t('ledger.creditAccount'), render: (_, decision) => <IdLink id={decision.event?.credit_account_id} to={decision.event?.credit_account_id ? accountPath(decision.event.credit_account_id) : undefined} /> },
            { title: t('risk.reasons'), render: (_, decision) => (decision.reasons ?? []).slice(0, 3).map((reason) => <Tag key={reason}>{reason}</Tag>) },
            { title: t('risk.source'), dataIndex: 'source', render: (source: string) => nameOf(t, 'decisionSource', source) },
            { title: t('risk.elapsed'), dataIndex: 'elapsed_ms', render: (ms?: number) => (ms === undefined ? '—' : `${ms.toFixed(2)} ms`) },
          ]}
        />
      )}
      <MoreButton paged={feed} />
    </>
  );
}

function DecisionDetail({ decision }: { readonly decision: Decision }) {
  const { t } = useI18n();
  return (
    <Space orientation="vertical">
      {(decision.fired ?? []).map((rule) => (
        <span key={rule.rule_id}>
          <Tag color="blue">{rule.name ?? rule.rule_id}</Tag> +{rule.score ?? 0} {rule.forces ? <StatusTag kind="outcome" status={rule.forces} /> : null} {rule.reason}
        </span>
      ))}
      {(decision.list_hits ?? []).map((hit, index) => (
        <span key={index}>
          <Tag color={hit.list === 'block' ? 'red' : 'green'}>{t('risk.listHit', { list: nameOf(t, 'listName', hit.list) })}</Tag> {nameOf(t, 'entryKind', hit.kind)}: {hit.value} {hit.reason}
        </span>
      ))}
    </Space>
  );
}

function Holds() {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const holds = usePaged<Hold>('/v1/risk/holds', { limit: PAGE_SIZE }, { refreshMs: FEED_REFRESH_MS });
  const [busy, setBusy] = useState<string | null>(null);
  const resolve = async (hold: Hold, action: 'release' | 'reject') => {
    setBusy(`${hold.id}:${action}`);
    try {
      await callAction(action === 'release' ? ACTIONS.releaseHold : ACTIONS.rejectHold, { params: { id: hold.id }, body: {} });
      void message.success(t('risk.holdResolved'));
      holds.reload();
    } catch (error) {
      showFailure(error);
    } finally {
      setBusy(null);
    }
  };
  if (holds.error) return <ErrorState error={holds.error} />;
  return (
    <Card>
      <Table<Hold>
        rowKey="id" size="small" pagination={false} loading={holds.loading && holds.rows.length === 0} dataSource={[...holds.rows]} scroll={{ x: true }}
        columns={[
          { title: t('common.time'), dataIndex: 'created_at', render: (at: string) => formatInstant(at, locale) },
          { title: t('risk.kind'), dataIndex: 'kind', render: (kind: string) => nameOf(t, 'holdKind', kind) },
          { title: t('common.status'), dataIndex: 'status', render: (status: string) => <StatusTag kind="hold" status={status} /> },
          { title: t('ledger.amount'), align: 'right', render: (_, hold) => <Money amount={hold.amount} currency={hold.currency} /> },
          { title: t('ledger.debitAccount'), dataIndex: 'debit_account_id', render: (id: string) => <IdLink id={id} to={accountPath(id)} /> },
          { title: t('ledger.creditAccount'), dataIndex: 'credit_account_id', render: (id: string) => <IdLink id={id} to={accountPath(id)} /> },
          { title: t('risk.reasons'), dataIndex: 'reasons', render: (reasons?: string[]) => (reasons ?? []).map((reason) => <Tag key={reason}>{reason}</Tag>) },
          {
            title: t('common.actions'),
            render: (_, hold) => (
              <Space>
                <Button size="small" loading={busy === `${hold.id}:release`} onClick={() => resolve(hold, 'release')}>{t('risk.release')}</Button>
                <Popconfirm title={t('risk.rejectConfirm')} onConfirm={() => resolve(hold, 'reject')}>
                  <Button size="small" danger loading={busy === `${hold.id}:reject`}>{t('risk.reject')}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <MoreButton paged={holds} />
    </Card>
  );
}
