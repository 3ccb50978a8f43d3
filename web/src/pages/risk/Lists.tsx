import { useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Form, Input, Popconfirm, Progress, Row, Select, Space, Table, Tabs, Tag, Typography, Upload } from 'antd';
import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { callAction, labelled } from '../../api/act.ts';
import { ACTIONS, actionPath, type ConsoleAction } from '../../api/actions.ts';
import { ApiError, endSessionIfRefused, withQuery, type Page, type Problem } from '../../api/client.ts';
import type { ListEntry } from '../../api/risk.ts';
import { useFeature } from '../../api/features.ts';
import { currentKey } from '../../api/session.ts';
import { useI18n } from '../../app/i18n.tsx';
import { ItemList } from '../../components/ItemList.tsx';
import { nameOf } from '../../lib/names.ts';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState, Loadable, Loading } from '../../components/States.tsx';
import { formatInstant } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { FeatureMissing } from './FeatureMissing.tsx';
import { fieldErrorText, lineTexts } from '../../lib/problems.ts';
import { FILE_LINES_TOAST_SECONDS, useFailureToast } from '../../lib/useProblems.ts';
import { Permitted, useAccess } from '../../app/access.tsx';
import { mayAct } from '../../api/permissions.ts';

const LISTS = ['block', 'allow'] as const;
const KINDS = ['account', 'party', 'country', 'ip', 'device'] as const;

const PAGE_SIZE = 50;
/** Watch-list files above this size are refused before upload (the server has its own limit too). */
const WATCH_LIST_MAX_BYTES = 64 * 1024 * 1024;

/** Block and allow lists with their audit trail, and the watch lists names are screened against. */
export default function Lists() {
  const { t } = useI18n();
  const listsPresent = useFeature('/v1/risk/lists/entries');
  const screeningPresent = useFeature('/v1/risk/screening/lists');
  if (listsPresent === undefined || screeningPresent === undefined) return <Loading />;
  const tabs = [
    ...(listsPresent ? [{ key: 'entries', label: t('lists.entries'), children: <Entries /> }, { key: 'audit', label: t('lists.audit'), children: <Audit /> }] : []),
    ...(screeningPresent ? [{ key: 'screening', label: t('lists.screening'), children: <Screening /> }] : []),
  ];
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.riskLists')}
      </Typography.Title>
      {tabs.length === 0 ? <FeatureMissing /> : <Tabs items={tabs} />}
    </>
  );
}

/** The fields of the add-entry form, by the JSON pointer of their value in the request. */
const ENTRY_FIELDS: Readonly<Record<string, string>> = { '/list': 'list', '/kind': 'kind', '/value': 'value', '/reason': 'reason', '/expires_at': 'expires' };

function Entries() {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [filter, setFilter] = useState<{ list?: string; kind?: string }>({});
  const entries = usePaged<ListEntry>('/v1/risk/lists/entries', { ...filter, limit: PAGE_SIZE });
  const [form] = Form.useForm<{ list: string; kind: string; value: string; reason: string; expires?: { toISOString(): string } }>();
  const [adding, setAdding] = useState(false);
  const { access } = useAccess();
  const fail = showFailure;

  const add = async (values: { list: string; kind: string; value: string; reason: string; expires?: { toISOString(): string } }) => {
    setAdding(true);
    try {
      await callAction(ACTIONS.addListEntry, { body: { list: values.list, kind: values.kind, value: values.value.trim(), reason: values.reason, ...(values.expires ? { expires_at: values.expires.toISOString() } : {}) } });
      void message.success(t('lists.added'));
      form.resetFields(['value', 'reason', 'expires']);
      entries.reload();
    } catch (error) {
      // A refusal that names a field of this form (a JSON pointer into the request) is shown under
      // that field, where the analyst corrects it; anything else goes to the message bar.
      const named = error instanceof ApiError ? (error.problem.errors ?? []).filter((entry) => ENTRY_FIELDS[entry.pointer]) : [];
      if (named.length > 0) form.setFields(named.map((entry) => ({ name: ENTRY_FIELDS[entry.pointer] as 'value', errors: [fieldErrorText(t, locale, entry)] })));
      else fail(error);
    } finally {
      setAdding(false);
    }
  };
  const remove = async (entry: ListEntry, reason: string) => {
    try {
      await callAction(ACTIONS.removeListEntry, { params: { id: entry.id }, query: { reason } });
      void message.success(t('lists.removed'));
      entries.reload();
    } catch (error) {
      fail(error);
    }
  };

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card title={t('lists.add')} extra={<CsvImport onDone={entries.reload} />}>
        <Form form={form} layout="inline" onFinish={add} initialValues={{ list: 'block', kind: 'account' }} disabled={mayAct(access, ACTIONS.addListEntry) === false}>
          <Form.Item label={t('lists.list')} name="list"><Select style={{ width: 110 }} options={LISTS.map((value) => ({ value, label: t(`lists.listName.${value}`) }))} /></Form.Item>
          <Form.Item label={t('lists.kind')} name="kind"><Select style={{ width: 120 }} options={KINDS.map((value) => ({ value, label: t(`lists.kindName.${value}`) }))} /></Form.Item>
          <Form.Item label={t('lists.value')} name="value" rules={[{ required: true, message: t('form.required') }]}><Input style={{ width: 260 }} /></Form.Item>
          <Form.Item label={t('lists.reason')} name="reason" rules={[{ required: true, message: t('form.required') }]}><Input style={{ width: 220 }} /></Form.Item>
          <Form.Item label={t('lists.expires')} name="expires"><DatePicker showTime /></Form.Item>
          <Permitted action={ACTIONS.addListEntry}><Button type="primary" htmlType="submit" icon={<PlusOutlined aria-hidden />} loading={adding} data-testid="add-list-entry">{t('lists.addButton')}</Button></Permitted>
        </Form>
      </Card>
      <Card>
        <Form layout="inline" style={{ marginBottom: 12 }}>
          <Form.Item label={t('lists.list')} htmlFor="lists-filter-list">
            <Select id="lists-filter-list" allowClear style={{ width: 120 }} value={filter.list} onChange={(list?: string) => setFilter((previous) => ({ ...previous, list }))} options={LISTS.map((value) => ({ value, label: t(`lists.listName.${value}`) }))} />
          </Form.Item>
          <Form.Item label={t('lists.kind')} htmlFor="lists-filter-kind">
            <Select id="lists-filter-kind" allowClear style={{ width: 120 }} value={filter.kind} onChange={(kind?: string) => setFilter((previous) => ({ ...previous, kind }))} options={KINDS.map((value) => ({ value, label: t(`lists.kindName.${value}`) }))} />
          </Form.Item>
        </Form>
        {entries.error ? <ErrorState error={entries.error} /> : (
          <Table<ListEntry>
            rowKey="id" size="small" pagination={false} loading={entries.loading && entries.rows.length === 0} dataSource={[...entries.rows]} scroll={{ x: true }}
            columns={[
              { title: t('lists.list'), dataIndex: 'list', render: (list: string) => <Tag color={list === 'block' ? 'red' : 'green'}>{nameOf(t, 'listName', list)}</Tag> },
              { title: t('lists.kind'), dataIndex: 'kind', render: (kind: string) => nameOf(t, 'entryKind', kind) },
              { title: t('lists.value'), dataIndex: 'value', render: (value: string) => <span className="mono">{value}</span> },
              { title: t('lists.reason'), dataIndex: 'reason' },
              { title: t('lists.actor'), dataIndex: 'actor' },
              { title: t('common.createdAt'), dataIndex: 'created_at', render: (at?: string) => formatInstant(at, locale) },
              { title: t('lists.expires'), dataIndex: 'expires_at', render: (at?: string | null) => (at ? formatInstant(at, locale) : '—') },
              { title: t('common.actions'), render: (_, entry) => <RemoveButton onRemove={(reason) => remove(entry, reason)} /> },
            ]}
          />
        )}
        <MoreButton paged={entries} />
      </Card>
    </Space>
  );
}

/** Removing an entry asks why: the reason goes into the audit trail. */
function RemoveButton({ onRemove }: { readonly onRemove: (reason: string) => Promise<void> }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const { access } = useAccess();
  const button = <Button size="small" danger>{t('lists.remove')}</Button>;
  if (mayAct(access, ACTIONS.removeListEntry) !== true) return <Permitted action={ACTIONS.removeListEntry}>{button}</Permitted>;
  return (
    <Popconfirm
      title={t('lists.removeConfirm')}
      description={<Input aria-label={t('lists.reason')} placeholder={t('lists.reason')} value={reason} onChange={(event) => setReason(event.target.value)} />}
      okButtonProps={{ disabled: reason.trim() === '' }}
      onConfirm={() => onRemove(reason.trim())}
    >
      {button}
    </Popconfirm>
  );
}

/** Many entries at once from a CSV file (list,kind,value,reason[,expires_at]), all or nothing. */
function CsvImport({ onDone }: { readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [busy, setBusy] = useState(false);
  const { access } = useAccess();
  const importFile = async (file: File) => {
    setBusy(true);
    try {
      const result = await callAction<{ added: number; skipped: number }>(ACTIONS.importListEntries, { body: { csv: await file.text() } });
      void message.success(t('lists.csvImported', { added: result.added, skipped: result.skipped }));
      onDone();
    } catch (error) {
      showFailure(error, {}, { list: t('lists.list'), kind: t('lists.kind'), value: t('lists.value'), reason: t('lists.reason'), expires_at: t('lists.expires') });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Upload accept=".csv,text/csv" showUploadList={false} disabled={mayAct(access, ACTIONS.importListEntries) === false} beforeUpload={(file) => { void importFile(file); return Upload.LIST_IGNORE; }}>
      <Permitted action={ACTIONS.importListEntries}><Button icon={<UploadOutlined aria-hidden />} loading={busy}>{t('lists.importCsv')}</Button></Permitted>
    </Upload>
  );
}

interface AuditRecord { readonly seq: string; readonly action?: string; readonly list?: string; readonly kind?: string; readonly value?: string; readonly actor?: string; readonly reason?: string; readonly at?: string }

function Audit() {
  const { t, locale } = useI18n();
  const audit = usePaged<AuditRecord>('/v1/risk/lists/audit', { limit: PAGE_SIZE });
  if (audit.error) return <ErrorState error={audit.error} />;
  return (
    <Card>
      <Table<AuditRecord>
        rowKey="seq" size="small" pagination={false} loading={audit.loading && audit.rows.length === 0} dataSource={[...audit.rows]}
        columns={[
          { title: t('common.time'), dataIndex: 'at', render: (at?: string) => formatInstant(at, locale) },
          { title: t('lists.action'), dataIndex: 'action' },
          { title: t('lists.list'), dataIndex: 'list', render: (list?: string) => (list ? nameOf(t, 'listName', list) : '') },
          { title: t('lists.kind'), dataIndex: 'kind', render: (kind?: string) => (kind ? nameOf(t, 'entryKind', kind) : '') },
          { title: t('lists.value'), dataIndex: 'value', render: (value?: string) => <span className="mono">{value}</span> },
          { title: t('lists.actor'), dataIndex: 'actor' },
          { title: t('lists.reason'), dataIndex: 'reason' },
        ]}
      />
      <MoreButton paged={audit} />
    </Card>
  );
}

interface WatchList { readonly name: string; readonly format?: string; readonly entity_count?: number; readonly name_count?: number; readonly imported_at?: string; readonly source_sha256?: string }
interface ScreenAnswer { readonly query: string; readonly top_score: number; readonly threshold?: number; readonly matches: readonly { readonly entity_id: string; readonly list: string; readonly matched_name: string; readonly score: number; readonly explanation?: readonly string[] }[] }

/** Watch lists: what is loaded, importing a new file (with upload progress), and screening one name. */
function Screening() {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const lists = useApi<Page<WatchList> | { data: WatchList[] }>('/v1/risk/screening/lists');
  const [uploadPercent, setUploadPercent] = useState<number | null>(null);
  const [importForm] = Form.useForm<{ name: string; format: string }>();
  const [answer, setAnswer] = useState<ScreenAnswer | null>(null);
  const [screening, setScreening] = useState(false);

  const importFile = async (file: File) => {
    const { name, format } = await importForm.validateFields();
    if (file.size > WATCH_LIST_MAX_BYTES) return void message.error(t('lists.fileTooLarge'));
    setUploadPercent(0);
    try {
      const report = await uploadWithProgress(ACTIONS.importWatchList, { name, format }, file, format === 'csv' ? 'text/csv' : 'application/x-ndjson', setUploadPercent);
      // The lines skipped as unreadable are named too (the first few, by line and reason), so the file can be fixed.
      const unreadable = lineTexts(t, locale, report.malformed.filter((line) => typeof line.code === 'string').map((line) => ({ line: line.line, code: line.code, detail: line.reason })), report.malformed.length);
      const summary = t('lists.imported', { imported: report.imported, skipped: report.skipped, malformed: report.malformed.length });
      if (unreadable.length === 0) void message.success(summary);
      else void message.warning({ content: <div style={{ display: 'inline-block', textAlign: 'left' }}>{[summary, ...unreadable].map((text, index) => <div key={index}>{text}</div>)}</div>, duration: FILE_LINES_TOAST_SECONDS });
      lists.reload();
    } catch (error) {
      showFailure(error);
    } finally {
      setUploadPercent(null);
    }
  };
  const screen = async ({ name }: { name: string }) => {
    setScreening(true);
    try {
      setAnswer(await callAction<ScreenAnswer>(ACTIONS.screenName, { body: { name } }));
    } catch (error) {
      showFailure(error);
    } finally {
      setScreening(false);
    }
  };

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card title={t('lists.watchLists')}>
          <Loadable loaded={lists}>
            {(page) => (
              <Table<WatchList>
                rowKey="name" size="small" pagination={false} dataSource={[...page.data]}
                columns={[
                  { title: t('lists.watchListName'), dataIndex: 'name' },
                  { title: t('lists.format'), dataIndex: 'format' },
                  { title: t('lists.entities'), dataIndex: 'entity_count', align: 'right' },
                  { title: t('lists.importedAt'), dataIndex: 'imported_at', render: (at?: string) => formatInstant(at, locale) },
                ]}
              />
            )}
          </Loadable>
          {/* Named forms prefix their fields' ids, so the two `name` fields of this tab do not share one. */}
          <Form form={importForm} name="watch-list-import" layout="inline" style={{ marginTop: 16 }} initialValues={{ format: 'csv' }}>
            <Form.Item label={t('lists.watchListName')} name="name" rules={[{ required: true, message: t('form.required') }, { pattern: /^[a-z0-9_.-]{1,64}$/, message: t('rules.badId') }]}><Input style={{ width: 160 }} /></Form.Item>
            <Form.Item label={t('lists.format')} name="format"><Select style={{ width: 120 }} options={[{ value: 'csv', label: 'CSV' }, { value: 'ftm-jsonl', label: 'FtM JSONL' }]} /></Form.Item>
            <Upload accept=".csv,.json,.jsonl,.ndjson" showUploadList={false} beforeUpload={(file) => { void importFile(file); return Upload.LIST_IGNORE; }}>
              <Button icon={<UploadOutlined aria-hidden />} disabled={uploadPercent !== null}>{t('lists.importFile')}</Button>
            </Upload>
          </Form>
          {uploadPercent !== null && <Progress percent={uploadPercent} status="active" aria-label={t('lists.importing')} />}
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('lists.screenName')}>
          <Form name="screen-name" layout="inline" onFinish={screen}>
            <Form.Item label={t('lists.name')} name="name" rules={[{ required: true, message: t('form.required') }]}><Input style={{ width: 260 }} /></Form.Item>
            <Button type="primary" htmlType="submit" loading={screening}>{t('lists.screen')}</Button>
          </Form>
          {answer && (
            <div style={{ marginTop: 16 }}>
              <Alert type={answer.matches.length ? 'warning' : 'success'} showIcon title={answer.matches.length ? t('lists.matches', { count: answer.matches.length, score: answer.top_score.toFixed(2) }) : t('lists.noMatch')} />
              <ItemList
                items={answer.matches}
                render={(match) => ({
                  key: `${match.list}:${match.entity_id}`,
                  title: <>{match.matched_name} <Tag>{match.list}</Tag> <Tag color="orange">{match.score.toFixed(2)}</Tag></>,
                  description: (match.explanation ?? []).join(' · '),
                })}
              />
            </div>
          )}
        </Card>
      </Col>
    </Row>
  );
}

/** fetch cannot report upload progress; XMLHttpRequest can, which matters for a large list file. */
interface ImportReport { readonly imported: number; readonly skipped: number; readonly malformed: readonly { readonly line: number; readonly code: string; readonly reason?: string }[] }

function uploadWithProgress(action: ConsoleAction, query: Readonly<Record<string, string>>, file: File, contentType: string, onProgress: (percent: number) => void): Promise<ImportReport> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(action.method, withQuery(actionPath(action), query));
    const key = currentKey();
    if (key) request.setRequestHeader('authorization', `Bearer ${key}`);
    request.setRequestHeader('content-type', contentType);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(Math.round((event.loaded * 100) / event.total));
    request.onload = () => {
      endSessionIfRefused(request.status, key);
      if (request.status >= 200 && request.status < 300) return resolve(JSON.parse(request.responseText) as ImportReport);
      try {
        reject(labelled(new ApiError(request.status, { ...(JSON.parse(request.responseText) as Problem), status: request.status }), action));
      } catch {
        reject(labelled(new ApiError(request.status, { status: request.status }), action));
      }
    };
    request.onerror = () => reject(new ApiError(0, { status: 0, code: 'unreachable' }));
    request.send(file);
  });
}
