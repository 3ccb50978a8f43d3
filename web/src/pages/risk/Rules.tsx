import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Progress, Row, Space, Table, Tag, Typography } from 'antd';
import { ExperimentOutlined, PlusOutlined, RocketOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import type { Page } from '../../api/client.ts';
import type { Rule, Ruleset } from '../../api/risk.ts';
import { useFeature } from '../../api/features.ts';
import { useI18n } from '../../app/i18n.tsx';
import { NumberInput } from '../../components/NumberInput.tsx';
import { ErrorState, Loadable, Loading } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { nameOf } from '../../lib/names.ts';
import { formatInstant } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { BacktestView } from './BacktestView.tsx';
import { FeatureMissing } from './FeatureMissing.tsx';
import { NewDraft } from './RuleEditor.tsx';
import { useFailureToast } from '../../lib/useProblems.ts';
import { Permitted } from '../../app/access.tsx';

/** The longest history a backtest replays (the server refuses more). */
const BACKTEST_DAYS_MAX = 90;

/** Rulesets by version; the selected one's rules, its backtest, and the way to shadow and live. */
export default function Rules() {
  const { t } = useI18n();
  const present = useFeature('/v1/risk/rulesets');
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.riskRules')}
      </Typography.Title>
      {present === false ? <FeatureMissing /> : !present ? <Loading /> : <RulesetsView />}
    </>
  );
}

function RulesetsView() {
  const { t, locale } = useI18n();
  const list = useApi<Page<Ruleset>>('/v1/risk/rulesets?limit=100');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // The ruleset a new draft starts from (null: from an example); undefined while no draft is open.
  const [editing, setEditing] = useState<string | null | undefined>(undefined);
  const rows = [...(list.data?.data ?? [])].sort((a, b) => b.version - a.version);
  const selected = rows.find((ruleset) => ruleset.id === selectedId) ?? rows.find((ruleset) => ruleset.stage === 'live') ?? rows[0];

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={9}>
        <Card title={t('rules.versions')} extra={<Permitted action={ACTIONS.createRuleset}><Button icon={<PlusOutlined aria-hidden />} onClick={() => setEditing(selected?.id ?? null)}>{t('rules.newDraft')}</Button></Permitted>}>
          {list.error ? <ErrorState error={list.error} /> : (
            <Table<Ruleset>
              rowKey="id" size="small" pagination={false} loading={list.loading && !list.data} dataSource={rows}
              rowClassName={(ruleset) => (ruleset.id === selected?.id ? 'ant-table-row-selected' : '')}
              columns={[
                { title: 'v', dataIndex: 'version', width: 56 },
                {
                  title: t('rules.name'), dataIndex: 'name',
                  // A button, so the list works from the keyboard: Tab to a version, Enter to open it.
                  render: (name: string, ruleset) => <Button type="link" style={{ padding: 0 }} aria-pressed={ruleset.id === selected?.id} onClick={() => setSelectedId(ruleset.id)}>{name}</Button>,
                },
                { title: t('rules.stage'), dataIndex: 'stage', render: (stage: string) => <StatusTag kind="stage" status={stage} /> },
                { title: t('common.createdAt'), dataIndex: 'created_at', render: (at?: string) => formatInstant(at, locale) },
              ]}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} xl={15}>
        {editing !== undefined ? (
          <NewDraft key={editing} baseId={editing} onCancel={() => setEditing(undefined)} onCreated={(created) => { setEditing(undefined); setSelectedId(created.id); list.reload(); }} />
        ) : selected ? (
          <RulesetDetail key={selected.id} id={selected.id} onChanged={list.reload} />
        ) : (
          <Card><Typography.Text type="secondary">{t('rules.none')}</Typography.Text></Card>
        )}
      </Col>
    </Row>
  );
}

function RulesetDetail({ id, onChanged }: { readonly id: string; readonly onChanged: () => void }) {
  const { t } = useI18n();
  const ruleset = useApi<Ruleset>(`/v1/risk/rulesets/${encodeURIComponent(id)}`);
  const refresh = () => {
    ruleset.reload();
    onChanged();
  };
  return (
    <Loadable loaded={ruleset}>
      {(data) => (
        <Space orientation="vertical" size={16} style={{ width: '100%' }}>
          <Card title={<>{data.name} <Tag>v{data.version}</Tag> <StatusTag kind="stage" status={data.stage} /></>} extra={<Promote ruleset={data} onDone={refresh} />}>
            <Descriptions size="small" column={2} items={[
              { label: t('rules.reviewAt'), children: data.thresholds.review_at },
              { label: t('rules.declineAt'), children: data.thresholds.decline_at },
            ]} />
            <Table<Rule>
              rowKey="id" size="small" pagination={false} dataSource={[...data.rules]} scroll={{ x: true }}
              columns={[
                { title: t('rules.id'), dataIndex: 'id', render: (value: string) => <span className="mono">{value}</span> },
                { title: t('rules.ruleName'), dataIndex: 'name' },
                { title: t('rules.expression'), dataIndex: 'expression', render: (value: string) => <code className="mono">{value}</code> },
                { title: t('rules.effect'), render: (_, rule) => effectText(rule, t) },
                { title: t('rules.reason'), dataIndex: 'reason' },
              ]}
            />
          </Card>
          <Card title={t('rules.backtest')}>
            <Backtest ruleset={data} onDone={refresh} />
          </Card>
        </Space>
      )}
    </Loadable>
  );
}

function effectText(rule: Rule, t: ReturnType<typeof useI18n>['t']): string {
  const forced = rule.outcome ?? (rule.effect?.kind === 'force' ? rule.effect.outcome : undefined);
  if (forced) return `${t('rules.forces')} ${nameOf(t, 'outcome', forced)}`;
  return `+${rule.score ?? rule.effect?.points ?? 0}`;
}

/** Runs a backtest and shows progress while it runs: elapsed time, since the server answers only when done. */
function Backtest({ ruleset, onDone }: { readonly ruleset: Ruleset; readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [days, setDays] = useState(30);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    if (startedAt === null) return;
    const timer = window.setInterval(() => setElapsed(Date.now() - startedAt), 200);
    return () => window.clearInterval(timer);
  }, [startedAt]);
  const run = async () => {
    setStartedAt(Date.now());
    setElapsed(0);
    try {
      await callAction(ACTIONS.backtestRuleset, { params: { id: ruleset.id }, body: { days } });
      void message.success(t('rules.backtestDone'));
      onDone();
    } catch (error) {
      showFailure(error);
    } finally {
      setStartedAt(null);
    }
  };
  // Past backtested, the stored backtest is the evidence the version was promoted on; the server keeps it.
  const kept = ruleset.stage !== 'draft' && ruleset.stage !== 'backtested';
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <label htmlFor="backtest-days">{t('rules.days')}</label>
        <NumberInput id="backtest-days" min={1} max={BACKTEST_DAYS_MAX} value={days} onChange={(value) => setDays(value ?? 30)} />
        <Permitted action={ACTIONS.backtestRuleset}><Button icon={<ExperimentOutlined aria-hidden />} onClick={run} loading={startedAt !== null} disabled={kept} data-testid="run-backtest">{t('rules.runBacktest')}</Button></Permitted>
      </Space>
      {kept && <Typography.Text type="secondary">{t('rules.backtestKept')}</Typography.Text>}
      {startedAt !== null && (
        <Progress percent={99.9} status="active" showInfo={false} aria-label={t('rules.backtestRunning')} format={() => ''} />
      )}
      {startedAt !== null && <Typography.Text type="secondary">{t('rules.backtestElapsed', { seconds: (elapsed / 1000).toFixed(1) })}</Typography.Text>}
      {ruleset.backtest ? <BacktestView result={ruleset.backtest} /> : <Typography.Text type="secondary">{t('rules.noBacktest')}</Typography.Text>}
    </Space>
  );
}

function Promote({ ruleset, onDone }: { readonly ruleset: Ruleset; readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [busy, setBusy] = useState<string | null>(null);
  const promote = async (stage: 'shadow' | 'live') => {
    setBusy(stage);
    try {
      await callAction(ACTIONS.promoteRuleset, { params: { id: ruleset.id }, body: { stage } });
      void message.success(t('rules.promoted', { stage }));
      onDone();
    } catch (error) {
      showFailure(error);
    } finally {
      setBusy(null);
    }
  };
  if (ruleset.stage === 'live' || ruleset.stage === 'retired') return null;
  return (
    <Space>
      {ruleset.stage !== 'shadow' && <Permitted action={ACTIONS.promoteRuleset}><Button icon={<RocketOutlined aria-hidden />} onClick={() => promote('shadow')} loading={busy === 'shadow'}>{t('rules.toShadow')}</Button></Permitted>}
      <Permitted action={ACTIONS.promoteRuleset}><Button type="primary" icon={<RocketOutlined aria-hidden />} onClick={() => promote('live')} loading={busy === 'live'}>{t('rules.toLive')}</Button></Permitted>
    </Space>
  );
}
