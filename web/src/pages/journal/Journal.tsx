import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Progress, Row, Space, Table, Tag, Typography } from 'antd';
import { SafetyCertificateOutlined, SignatureOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import { ApiError, api } from '../../api/client.ts';
import type { ListedCheckpoint, VerifyJob } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { ItemList } from '../../components/ItemList.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState, Loadable } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { formatInstant } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { useFailureToast } from '../../lib/useProblems.ts';
import { Permitted } from '../../app/access.tsx';

const PAGE_SIZE = 50;
/** How often a running verification is asked for its progress. */
const PROGRESS_POLL_MS = 250;

interface Head { readonly seq: string; readonly hash: string; readonly algorithm: string }
interface KeysFile { readonly format: string; readonly keys: readonly { keyId: string; algorithm: string; activeFrom: string; retiredAt: string | null }[] }

/** The journal: its head, the signed checkpoints with their signatures, the signing keys, and verification. */
export default function Journal() {
  const { t, locale } = useI18n();
  const head = useApi<Head>('/v1/journal/head', { refreshMs: 5_000 });
  const keys = useApi<KeysFile>('/v1/journal/keys');
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.journal')}
      </Typography.Title>
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Card title={t('journal.chain')}>
              <Loadable loaded={head}>
                {(data) => (
                  <Descriptions
                    column={1}
                    items={[
                      { label: t('journal.entries'), children: <span data-testid="journal-head-seq">{data.seq}</span> },
                      { label: t('journal.algorithm'), children: data.algorithm },
                      { label: t('journal.headHash'), children: <Typography.Text className="mono" copyable>{data.hash}</Typography.Text> },
                    ]}
                  />
                )}
              </Loadable>
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <VerifyCard />
          </Col>
        </Row>
        <Checkpoints />
        <Card title={t('journal.keys')}>
          <Loadable loaded={keys}>
            {(file) => (
              <Table
                rowKey="keyId" size="small" pagination={false} dataSource={[...file.keys]}
                columns={[
                  { title: t('journal.keyId'), dataIndex: 'keyId', render: (id: string) => <span className="mono">{id}</span> },
                  { title: t('journal.algorithm'), dataIndex: 'algorithm' },
                  { title: t('journal.activeFrom'), dataIndex: 'activeFrom', render: (at: string) => formatInstant(at, locale) },
                  { title: t('journal.retiredAt'), dataIndex: 'retiredAt', render: (at: string | null) => (at ? formatInstant(at, locale) : <Tag color="green">{t('journal.active')}</Tag>) },
                ]}
              />
            )}
          </Loadable>
        </Card>
      </Space>
    </>
  );
}

/** Starts a background verification and follows its progress until it reports. */
function VerifyCard() {
  const { t } = useI18n();
  const [job, setJob] = useState<VerifyJob | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const follow = (id: string) => {
    timer.current = window.setTimeout(async () => {
      try {
        const next = await api.get<VerifyJob>(`/v1/journal/verify-jobs/${id}`);
        setJob(next);
        if (next.status === 'running') follow(id);
      } catch (error) {
        setFailure(error instanceof ApiError ? error : null);
      }
    }, PROGRESS_POLL_MS);
  };
  const start = async () => {
    setFailure(null);
    try {
      const started = await callAction<VerifyJob>(ACTIONS.verifyJournal);
      setJob(started);
      if (started.status === 'running') follow(started.id);
    } catch (error) {
      setFailure(error instanceof ApiError ? error : null);
    }
  };
  const running = job?.status === 'running';
  const percent = job ? (job.total ? Math.floor((job.checked * 100) / job.total) : job.status === 'running' ? 0 : 100) : 0;
  return (
    <Card title={t('journal.verify')}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary">{t('journal.verifyIntro')}</Typography.Paragraph>
        <Permitted action={ACTIONS.verifyJournal}>
        <Button type="primary" icon={<SafetyCertificateOutlined aria-hidden />} onClick={start} loading={running} data-testid="verify-journal">
          {t('journal.verifyNow')}
        </Button>
        </Permitted>
        {job && (
          <>
            <Progress percent={percent} status={job.status === 'failed' || job.report?.ok === false ? 'exception' : running ? 'active' : 'success'} aria-label={t('journal.progress')} />
            <Typography.Text data-testid="verify-progress">
              {t('journal.checked', { checked: job.checked, total: job.total ?? '…' })} <StatusTag kind="job" status={job.status} />
            </Typography.Text>
          </>
        )}
        {job?.report && (
          <Alert
            data-testid="verify-report"
            type={job.report.ok ? 'success' : 'error'}
            showIcon
            title={job.report.ok ? t('journal.verified', { entries: job.report.entries }) : t('journal.notVerified', { count: job.report.problems.length })}
            description={job.report.problems.length > 0 && <ItemList items={job.report.problems} render={(problem, index) => ({ key: index, content: `${problem.seq ? `#${problem.seq}: ` : ''}${problem.problem}` })} />}
          />
        )}
        {job?.error && <Alert type="error" showIcon title={job.error} />}
        {failure && <ErrorState error={failure} />}
      </Space>
    </Card>
  );
}

/** Signed checkpoints, oldest first, each with the signatures of its hybrid suite. */
function Checkpoints() {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [pages, setPages] = useState<{ rows: ListedCheckpoint[]; more: boolean; loading: boolean; error?: ApiError }>({ rows: [], more: false, loading: true });
  const load = async (after: number, append: boolean) => {
    setPages((previous) => ({ ...previous, loading: true }));
    try {
      const page = await api.get<{ data: ListedCheckpoint[] }>('/v1/journal/checkpoints', { query: { after, limit: PAGE_SIZE } });
      setPages((previous) => ({ rows: append ? [...previous.rows, ...page.data] : page.data, more: page.data.length === PAGE_SIZE, loading: false }));
    } catch (error) {
      setPages((previous) => ({ ...previous, loading: false, error: error instanceof ApiError ? error : undefined }));
    }
  };
  useEffect(() => void load(0, false), []);
  const sign = async () => {
    try {
      await callAction(ACTIONS.signCheckpoint);
      void message.success(t('journal.signed'));
      void load(0, false);
    } catch (error) {
      showFailure(error);
    }
  };
  return (
    <Card title={t('journal.checkpoints')} extra={<Permitted action={ACTIONS.signCheckpoint}><Button icon={<SignatureOutlined aria-hidden />} onClick={sign} data-testid="sign-checkpoint">{t('journal.signNow')}</Button></Permitted>}>
      {pages.error ? <ErrorState error={pages.error} /> : (
        <Table<ListedCheckpoint>
          rowKey="treeSize" size="small" pagination={false} loading={pages.loading} dataSource={pages.rows} scroll={{ x: true }}
          expandable={{
            expandedRowRender: (checkpoint) => (
              <Descriptions
                column={1} size="small" bordered
                items={[
                  ...(checkpoint.problem ? [{ label: t('journal.unverifiableWhy'), children: <Typography.Text type="danger">{checkpoint.problem}</Typography.Text> }] : []),
                  { label: t('journal.root'), children: <span className="mono">{checkpoint.root}</span> },
                  { label: t('journal.headHash'), children: <span className="mono">{checkpoint.headHash}</span> },
                  ...checkpoint.envelope.parts.map((part) => ({
                    label: `${part.algorithm} · ${part.keyId}`,
                    children: <Typography.Text className="mono" copyable={{ text: part.signature }}>{`${part.signature.slice(0, 96)}… (${Math.round((part.signature.length * 3) / 4)} B)`}</Typography.Text>,
                  })),
                ]}
              />
            ),
          }}
          columns={[
            { title: t('journal.treeSize'), dataIndex: 'treeSize' },
            { title: t('common.time'), dataIndex: 'createdAt', render: (at: string) => formatInstant(at, locale) },
            {
              title: t('journal.verifiable'),
              render: (_, checkpoint) => checkpoint.verifiable
                ? <Tag color="green">{t('journal.checkpointVerified')}</Tag>
                : <Tag color="red" data-testid={`checkpoint-unverifiable-${checkpoint.treeSize}`}>{t('journal.checkpointUnverifiable')}</Tag>,
            },
            { title: t('journal.suite'), render: (_, checkpoint) => <Tag color="purple">{checkpoint.envelope.suite}</Tag> },
            { title: t('journal.signatures'), render: (_, checkpoint) => checkpoint.envelope.parts.map((part) => <Tag key={part.keyId}>{part.algorithm}</Tag>) },
            { title: t('journal.root'), dataIndex: 'root', render: (root: string) => <span className="mono">{root.slice(0, 16)}…</span> },
          ]}
        />
      )}
      <MoreButton paged={{ hasMore: pages.more, loading: pages.loading, loadMore: () => void load(pages.rows.at(-1)?.treeSize ?? 0, true) }} />
    </Card>
  );
}
