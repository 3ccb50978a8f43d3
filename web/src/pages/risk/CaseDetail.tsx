import { useMemo, useState } from 'react';
import { App, Button, Card, Checkbox, Col, Descriptions, Form, Input, Row, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import { api } from '../../api/client.ts';
import { normaliseGraph, type CaseDetail as CaseView } from '../../api/risk.ts';
import { Permitted, useAccess } from '../../app/access.tsx';
import { mayAct } from '../../api/permissions.ts';
import { useI18n } from '../../app/i18n.tsx';
import { navigate, type Route } from '../../app/router.ts';
import { AccountGraph } from '../../components/AccountGraph.tsx';
import { IdLink, accountPath, paymentPath, transferPath } from '../../components/Ids.tsx';
import { ItemList } from '../../components/ItemList.tsx';
import { ErrorState, Loadable, Loading } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { alertTitle, alertWords, caseTitle } from '../../lib/alerts.ts';
import { nameOf } from '../../lib/names.ts';
import { formatInstant } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { CASE_STATUSES } from './Cases.tsx';
import { useFailureToast } from '../../lib/useProblems.ts';

/** One case: what raised it, the accounts involved as a graph, notes, the audit trail and the actions on it. */
export default function CaseDetail({ route }: { readonly route: Route }) {
  const id = route.segments[2] ?? '';
  const { t } = useI18n();
  const item = useApi<CaseView>(`/v1/risk/cases/${encodeURIComponent(id)}`);
  const graph = useApi<unknown>(`/v1/risk/cases/${encodeURIComponent(id)}/graph`);
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {item.data ? caseTitle(t, item.data) : t('cases.case')}
      </Typography.Title>
      <Loadable loaded={item}>
        {(data) => (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Summary item={data} onChanged={item.reload} />
            <Card title={t('cases.graph')}>
              {graph.error ? <ErrorState error={graph.error} /> : graph.data !== undefined ? <GraphPanel raw={graph.data} /> : <Loading />}
            </Card>
            {!data.status.startsWith('closed') && <LinkForm item={data} onChanged={item.reload} />}
            <Row gutter={[16, 16]}>
              <Col xs={24} xl={12}><Alerts item={data} /></Col>
              <Col xs={24} xl={12}><Notes item={data} onChanged={item.reload} /></Col>
            </Row>
          </Space>
        )}
      </Loadable>
    </>
  );
}

function Summary({ item, onChanged }: { readonly item: CaseView; readonly onChanged: () => void }) {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [busy, setBusy] = useState<string | null>(null);
  const act = async (what: 'moveCase' | 'assignCase', body: unknown) => {
    setBusy(what);
    try {
      await callAction(ACTIONS[what], { params: { id: item.id }, body });
      void message.success(t('cases.updated'));
      onChanged();
      return true;
    } catch (error) {
      showFailure(error);
      return false;
    } finally {
      setBusy(null);
    }
  };
  const closed = item.status.startsWith('closed');
  // A role that may see cases but not work them (an auditor) sees the forms disabled, and why.
  const { access } = useAccess();
  return (
    <Card>
      <Descriptions
        column={{ xs: 1, md: 2, xl: 3 }}
        items={[
          { label: t('cases.status'), children: <span data-testid="case-status"><StatusTag kind="case" status={item.status} /></span> },
          { label: t('cases.priority'), children: item.priority.toFixed(2) },
          { label: t('cases.source'), children: t(`cases.sourceName.${item.source as 'manual'}`) },
          { label: t('cases.assignee'), children: item.assignee ?? '—' },
          { label: t('common.createdAt'), children: formatInstant(item.created_at, locale) },
          { label: t('cases.accounts'), children: item.links.accounts.length },
          { label: t('cases.transfers'), children: item.links.transfers.length },
          { label: t('cases.payments'), children: item.links.payments?.length ?? 0 },
          { label: t('cases.parties'), span: 'filled', children: item.links.parties.map((party) => party.id).join(', ') || '—' },
        ]}
      />
      {!closed && (
        <Row gutter={[24, 8]} style={{ marginTop: 8 }}>
          <Col xs={24} xl={14}><TransitionForm item={item} busy={busy === 'moveCase'} onSubmit={(body) => act('moveCase', body)} /></Col>
          <Col xs={24} xl={10}>
            <Form layout="inline" onFinish={({ assignee }: { assignee: string }) => void act('assignCase', { assignee })} disabled={mayAct(access, ACTIONS.assignCase) === false}>
              <Form.Item label={t('cases.assignTo')} name="assignee" rules={[{ required: true, whitespace: true, message: t('form.required') }]}><Input style={{ width: 160 }} /></Form.Item>
              <Permitted action={ACTIONS.assignCase}><Button htmlType="submit" loading={busy === 'assignCase'}>{t('cases.assign')}</Button></Permitted>
            </Form>
          </Col>
        </Row>
      )}
      <Button style={{ marginTop: 12 }} onClick={() => downloadReport(item.id).catch((error: unknown) => showFailure(error))}>{t('cases.report')}</Button>
    </Card>
  );
}

function TransitionForm({ item, busy, onSubmit }: { readonly item: CaseView; readonly busy: boolean; onSubmit(body: unknown): Promise<boolean> }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ to: string; reason: string; block?: boolean }>();
  const to = Form.useWatch('to', form);
  const { access } = useAccess();
  const finish = async (values: { to: string; reason: string; block?: boolean }) => {
    const body = { to: values.to, reason: values.reason, ...(values.to === 'closed_confirmed' && values.block ? { block: { accounts: true } } : {}) };
    if (await onSubmit(body)) form.resetFields();
  };
  return (
    <Form form={form} layout="inline" onFinish={finish} disabled={mayAct(access, ACTIONS.moveCase) === false}>
      <Form.Item label={t('cases.moveTo')} name="to" rules={[{ required: true, message: t('form.required') }]}>
        <Select style={{ width: 200 }} placeholder={t('cases.chooseStatus')} options={CASE_STATUSES.filter((status) => status !== item.status).map((value) => ({ value, label: t(`cases.statusName.${value}`) }))} />
      </Form.Item>
      <Form.Item label={t('cases.reason')} name="reason" rules={[{ required: true, whitespace: true, message: t('form.required') }]}><Input style={{ width: 200 }} /></Form.Item>
      {to === 'closed_confirmed' && <Form.Item name="block" valuePropName="checked"><Checkbox>{t('cases.blockAccounts')}</Checkbox></Form.Item>}
      <Permitted action={ACTIONS.moveCase}><Button htmlType="submit" type="primary" loading={busy} data-testid="move-case">{t('cases.move')}</Button></Permitted>
    </Form>
  );
}

const LINK_FIELDS = { transfer: 'transfer_ids', party: 'party_ids', payment: 'payment_ids' } as const;
type LinkKind = keyof typeof LINK_FIELDS;

/** Links transfers, parties or payments (by UETR) to the case; ids already linked are skipped by the server. */
function LinkForm({ item, onChanged }: { readonly item: CaseView; readonly onChanged: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [form] = Form.useForm<{ kind: LinkKind; ids: string }>();
  const [saving, setSaving] = useState(false);
  const { access } = useAccess();
  const link = async ({ kind, ids }: { kind: LinkKind; ids: string }) => {
    setSaving(true);
    try {
      const refs = [...new Set(ids.split(/[\s,，]+/).filter(Boolean))];
      const answer = await callAction<{ added: Record<string, readonly string[]> }>(ACTIONS.linkToCase, { params: { id: item.id }, body: { [LINK_FIELDS[kind]]: refs } });
      void message.success(t('cases.linked', { count: Object.values(answer.added).reduce((sum, added) => sum + added.length, 0) }));
      form.resetFields(['ids']);
      onChanged();
    } catch (error) {
      // A refused id is named by its list and its place in what was typed ("Payments to link (UETR) (item 2)").
      const labels = { transfer_ids: t('cases.linkTransfers'), party_ids: t('cases.linkParties'), payment_ids: t('cases.linkPayments') };
      showFailure(error, Object.fromEntries(Object.entries(labels).flatMap(([field, label]) => [[`/${field}`, label], [`/${field}/*`, label]])));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card title={t('cases.linkTitle')}>
      <Form form={form} layout="inline" initialValues={{ kind: 'payment' }} onFinish={link} disabled={mayAct(access, ACTIONS.linkToCase) === false}>
        <Form.Item label={t('cases.linkKind')} name="kind">
          <Select style={{ width: 140 }} options={[{ value: 'payment', label: t('cases.payments') }, { value: 'transfer', label: t('cases.transfers') }, { value: 'party', label: t('cases.parties') }]} />
        </Form.Item>
        <Form.Item label={t('cases.linkIds')} name="ids" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
          <Input style={{ width: 360 }} placeholder={t('cases.linkIdsHint')} data-testid="link-ids" />
        </Form.Item>
        <Permitted action={ACTIONS.linkToCase}><Button htmlType="submit" loading={saving} data-testid="link-case">{t('cases.link')}</Button></Permitted>
      </Form>
    </Card>
  );
}

/** The report as readable Markdown, the form an analyst attaches to a filing. */
async function downloadReport(id: string): Promise<void> {
  // Through the API client, so that a refused key ends the session as on any other request.
  const text = await api.get<string>(`/v1/risk/cases/${id}/report`, { query: { format: 'md' } });
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `case-${id}.md`;
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function GraphPanel({ raw }: { readonly raw: unknown }) {
  const { t } = useI18n();
  const graph = useMemo(() => normaliseGraph(raw), [raw]);
  const nodes = [...graph.nodes].sort((a, b) => Number(b.in_case) - Number(a.in_case) || (b.score ?? 0) - (a.score ?? 0));
  if (graph.nodes.length === 0) return <Typography.Text type="secondary">{t('cases.noGraph')}</Typography.Text>;
  return (
    <Row gutter={16}>
      <Col xs={24} xl={16}>
        <AccountGraph graph={graph} label={t('cases.graphLabel', { nodes: graph.nodes.length, edges: graph.edges.length })} onOpen={(accountId) => navigate(accountPath(accountId))} />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('cases.graphLegend')}</Typography.Text>
      </Col>
      <Col xs={24} xl={8}>
        <Table
          rowKey="id" size="small" pagination={{ pageSize: 10, hideOnSinglePage: true }} dataSource={nodes}
          columns={[
            { title: t('ledger.account'), dataIndex: 'id', render: (id: string, node) => <>{node.in_case && <Tag color="red">{t('cases.inCase')}</Tag>}<IdLink id={id} to={accountPath(id)} /></> },
            { title: t('ledger.party'), render: (_, node) => node.label ?? node.party_id ?? '—' },
            { title: t('cases.muleScore'), dataIndex: 'score', render: (score?: number) => (score === undefined ? '—' : <Tag color={score >= 0.5 ? 'red' : 'default'}>{score.toFixed(2)}</Tag>) },
          ]}
        />
      </Col>
    </Row>
  );
}

function Alerts({ item }: { readonly item: CaseView }) {
  const { t, locale } = useI18n();
  return (
    <Card title={t('cases.alerts')}>
      <ItemList
        items={item.alerts}
        empty={t('cases.noAlerts')}
        render={(alert) => {
          const words = alertWords(t, alert);
          return {
            key: alert.id,
            title: <>{alertTitle(t, alert)} <Tag>{nameOf(t, 'alertKind', alert.kind)}</Tag> <Tag color="orange">{alert.score.toFixed(2)}</Tag></>,
            description: (
              <>
                <span data-testid="alert-reasons">{words.reasons.join(' · ')}</span> · {formatInstant(alert.raised_at, locale)}
                {words.explanation.length > 0 && <div><Typography.Text type="secondary">{t('alerts.explanation')}: {words.explanation.join(' · ')}</Typography.Text></div>}
              </>
            ),
          };
        }}
      />
      {item.links.transfers.length > 0 && (
        <Space wrap>
          {t('cases.transfers')}: {item.links.transfers.slice(0, 20).map((transfer) => <IdLink key={transfer.id} id={transfer.id} to={transferPath(transfer.id)} />)}
        </Space>
      )}
      {(item.links.payments?.length ?? 0) > 0 && (
        <Space wrap data-testid="case-payments">
          {t('cases.payments')}: {(item.links.payments ?? []).slice(0, 20).map((payment) => <IdLink key={payment.id} id={payment.id} to={paymentPath(payment.id)} />)}
        </Space>
      )}
    </Card>
  );
}

function Notes({ item, onChanged }: { readonly item: CaseView; readonly onChanged: () => void }) {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [form] = Form.useForm<{ text: string }>();
  const [saving, setSaving] = useState(false);
  const { access } = useAccess();
  const add = async ({ text }: { text: string }) => {
    setSaving(true);
    try {
      await callAction(ACTIONS.addCaseNote, { params: { id: item.id }, body: { text } });
      form.resetFields();
      onChanged();
    } catch (error) {
      showFailure(error, { '/text': t('cases.addNote') });
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card title={t('cases.notes')}>
      <Timeline
        items={[
          ...item.notes.map((note) => ({ key: `note-${note.id}`, title: formatInstant(note.created_at, locale), content: <><Typography.Text strong>{note.author}</Typography.Text> {note.text}</> })),
          ...item.audit.map((entry, index) => ({ key: `audit-${entry.seq ?? index}`, color: 'gray', title: formatInstant(entry.at, locale), content: <Typography.Text type="secondary">{nameOf(t, 'auditAction', entry.action)} · {entry.actor}{typeof entry.detail === 'string' ? ` · ${entry.detail}` : ''}</Typography.Text> })),
        ]}
      />
      {/* A closed case takes no new notes (the server answers 409 case_closed), as it takes no assignee or link. */}
      {!item.status.startsWith('closed') && (
        <Form form={form} layout="vertical" onFinish={add} disabled={mayAct(access, ACTIONS.addCaseNote) === false}>
          <Form.Item label={t('cases.addNote')} name="text" rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} maxLength={2000} data-testid="note-text" />
          </Form.Item>
          <Permitted action={ACTIONS.addCaseNote}><Button htmlType="submit" loading={saving}>{t('cases.saveNote')}</Button></Permitted>
        </Form>
      )}
    </Card>
  );
}
