import { useEffect } from 'react';
import { Button, Card, Descriptions, Empty, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { FilterOutlined } from '@ant-design/icons';
import { isMessageKey, useI18n } from '../../app/i18n.tsx';
import { href, navigate, type Route } from '../../app/router.ts';
import { IdLink } from '../../components/Ids.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState } from '../../components/States.tsx';
import { formatInstant } from '../../lib/format.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { KEY_ID_PATTERN, ROUTE_PREFIX_MAX_LENGTH, ROUTE_PREFIX_PATTERN, actionNameKey, paramPairs, type AuditEvent } from './audit.ts';

/** Events per page: as many as a reader scans before choosing a filter (the server allows up to 100). */
const PAGE_SIZE = 50;

interface Filters {
  readonly key_id?: string | undefined;
  readonly route?: string | undefined;
}

const validKeyId = (value: string | undefined) => !value || KEY_ID_PATTERN.test(value);
const validRoute = (value: string | undefined) => !value || (ROUTE_PREFIX_PATTERN.test(value) && value.length <= ROUTE_PREFIX_MAX_LENGTH);

/**
 * The audit trail: which API key did which control-plane action, newest first, filtered by key and
 * by the start of the route. Filters live in the address, so a filtered view can be shared.
 */
export default function AuditTrail({ route }: { readonly route: Route }) {
  const { t, locale } = useI18n();
  const filters: Filters = { key_id: route.query.get('key_id') ?? undefined, route: route.query.get('route') ?? undefined };
  // A filter the server would refuse (typed into the address) is not sent; the form says what is wrong with it.
  const valid = validKeyId(filters.key_id) && validRoute(filters.route);
  const list = usePaged<AuditEvent>(valid ? '/v1/audit-events' : null, { key_id: filters.key_id, route: filters.route, order: 'desc', limit: PAGE_SIZE });
  const filtered = Boolean(filters.key_id || filters.route);
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('nav.audit')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('audit.intro')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }} title={t('audit.filters')} size="small">
        <FilterForm key={route.query.toString()} filters={filters} />
      </Card>
      {list.error ? (
        <ErrorState error={list.error} />
      ) : (
        <Table<AuditEvent>
          data-testid="audit-events"
          rowKey="id"
          size="small"
          pagination={false}
          loading={valid && list.loading && list.rows.length === 0}
          dataSource={[...list.rows]}
          scroll={{ x: true }}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t(filtered ? 'audit.emptyFiltered' : 'audit.empty')} /> }}
          expandable={{ expandedRowRender: (event) => <EventDetail event={event} /> }}
          columns={[
            { title: t('common.time'), dataIndex: 'at', render: (at: string) => <span title={at}>{formatInstant(at, locale)}</span> },
            { title: t('audit.key'), render: (_, event) => <KeyCell event={event} filters={filters} /> },
            { title: t('audit.action'), render: (_, event) => <ActionCell event={event} /> },
            { title: t('audit.target'), dataIndex: 'target_id', render: (id: string | null) => <IdLink id={id} /> },
            { title: t('common.status'), dataIndex: 'status', render: (status: number) => <Tag color={status < 300 ? 'green' : 'red'}>{status}</Tag> },
            { title: t('audit.requestId'), dataIndex: 'request_id', render: (id: string | null) => <RequestId id={id} /> },
          ]}
        />
      )}
      <MoreButton paged={list} />
    </>
  );
}

function FilterForm({ filters }: { readonly filters: Filters }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Filters>();
  // Values from the address are checked at once, so a bad one shows its message without a submit.
  useEffect(() => {
    if (filters.key_id || filters.route) form.validateFields().catch(() => {});
  }, [form, filters.key_id, filters.route]);
  const apply = (values: Filters) => navigate('/audit', { key_id: values.key_id?.trim().toLowerCase() || undefined, route: values.route?.trim() || undefined });
  return (
    <Form form={form} name="audit-filter" layout="inline" initialValues={filters} onFinish={apply}>
      <Form.Item label={t('audit.keyId')} name="key_id" rules={[{ validator: (_, value?: string) => (validKeyId(value?.trim().toLowerCase()) ? Promise.resolve() : Promise.reject(new Error(t('audit.keyIdInvalid')))) }]}>
        <Input className="mono" placeholder={t('audit.keyIdPlaceholder')} allowClear style={{ width: 220 }} maxLength={64} />
      </Form.Item>
      <Form.Item
        label={t('audit.routePrefix')}
        name="route"
        rules={[{ validator: (_, value?: string) => (validRoute(value?.trim()) ? Promise.resolve() : Promise.reject(new Error(t('audit.routePrefixInvalid', { max: ROUTE_PREFIX_MAX_LENGTH })))) }]}
      >
        <Input className="mono" placeholder="/v1/risk/rulesets" allowClear style={{ width: 260 }} maxLength={ROUTE_PREFIX_MAX_LENGTH + 20} />
      </Form.Item>
      <Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" icon={<FilterOutlined aria-hidden />} data-testid="audit-apply">
            {t('audit.apply')}
          </Button>
          {(filters.key_id || filters.route) && <Button href={href('/audit')}>{t('audit.clear')}</Button>}
        </Space>
      </Form.Item>
    </Form>
  );
}

function KeyCell({ event, filters }: { readonly event: AuditEvent; readonly filters: Filters }) {
  const { t } = useI18n();
  const roleKey = `role.${event.role}`;
  return (
    <Space size={4} wrap>
      {/* The key id is on hover and in the row's details (with a copy button); choosing the name filters by it. */}
      <a href={href('/audit', { key_id: event.key_id, route: filters.route })} title={t('audit.keyTitle', { id: event.key_id })} data-testid="audit-key">
        {event.key_name}
      </a>
      <Tag>{isMessageKey(roleKey) ? t(roleKey) : event.role}</Tag>
    </Space>
  );
}

function ActionCell({ event }: { readonly event: AuditEvent }) {
  const { t } = useI18n();
  const name = actionNameKey(event);
  const pairs = paramPairs(event.params);
  return (
    <Space orientation="vertical" size={0}>
      {name && <span data-testid="audit-action-name">{t(name)}</span>}
      <span className="mono" data-testid="audit-route">{`${event.method} ${event.route}`}</span>
      {pairs.length > 0 && <Typography.Text type="secondary" className="mono">{pairs.join(' · ')}</Typography.Text>}
    </Space>
  );
}

/**
 * Request ids are UUIDv7 unless the caller sent its own: their first block is the time, alike for
 * every request of a minute, so the end is shown instead (the whole id on hover and in the details).
 */
function RequestId({ id }: { readonly id: string | null }) {
  if (!id) return <span>—</span>;
  return <span className="mono" title={id}>{id.length > 12 ? `…${id.slice(-8)}` : id}</span>;
}

function EventDetail({ event }: { readonly event: AuditEvent }) {
  const { t } = useI18n();
  const copyable = (text: string | null) => (text ? <Typography.Text className="mono" copyable>{text}</Typography.Text> : '—');
  const pairs = paramPairs(event.params);
  return (
    <Descriptions size="small" column={1} bordered>
      <Descriptions.Item label={t('audit.keyId')}>{copyable(event.key_id)}</Descriptions.Item>
      <Descriptions.Item label={t('audit.eventId')}>{copyable(event.id)}</Descriptions.Item>
      <Descriptions.Item label={t('audit.seq')}>{event.seq}</Descriptions.Item>
      <Descriptions.Item label={t('audit.params')}>{pairs.length > 0 ? <span className="mono">{pairs.join(' · ')}</span> : t('audit.none')}</Descriptions.Item>
      <Descriptions.Item label={t('audit.target')}>{copyable(event.target_id)}</Descriptions.Item>
      <Descriptions.Item label={t('audit.requestId')}>{copyable(event.request_id)}</Descriptions.Item>
      <Descriptions.Item label={t('audit.hash')}>{copyable(event.hash)}</Descriptions.Item>
      <Descriptions.Item label={t('audit.prevHash')}>{copyable(event.prev_hash)}</Descriptions.Item>
    </Descriptions>
  );
}
