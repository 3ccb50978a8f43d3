import { Button, Card, Form, Select, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { Payment } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { href, navigate, type Route } from '../../app/router.ts';
import { IdLink, paymentPath } from '../../components/Ids.tsx';
import { MaybeMoney, Money } from '../../components/Money.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { formatInstant } from '../../lib/format.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { Permitted } from '../../app/access.tsx';
import { ACTIONS } from '../../api/actions.ts';

export const PAYMENT_STATUSES = ['RCVD', 'ACTC', 'ACSP', 'ACCC', 'RJCT', 'CANC', 'RTND'] as const;
const PAGE_SIZE = 25;

/** Payments, newest first (an operator looks for what just happened), filtered by status. */
export default function Payments({ route }: { readonly route: Route }) {
  const { t, locale } = useI18n();
  const status = route.query.get('status') ?? undefined;
  const list = usePaged<Payment>('/v1/payments', { status, order: 'desc', limit: PAGE_SIZE });
  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} align="start">
        <Typography.Title level={2} className="page-title">
          {t('nav.payments')}
        </Typography.Title>
        <Permitted action={ACTIONS.sendPayment}>
        <Button type="primary" icon={<PlusOutlined aria-hidden />} href={href('/payments/new')} data-testid="new-payment">
          {t('payments.new')}
        </Button>
        </Permitted>
      </Space>
      <Card style={{ marginBottom: 16 }}>
        <Form layout="inline">
          <Form.Item label={t('payments.status')} htmlFor="payment-status-filter">
            <Select
              id="payment-status-filter"
              allowClear
              style={{ width: 180 }}
              value={status}
              placeholder={t('payments.anyStatus')}
              onChange={(value?: string) => navigate('/payments', { status: value })}
              options={PAYMENT_STATUSES.map((value) => ({ value, label: `${value} · ${t(`payments.statusName.${value}`)}` }))}
            />
          </Form.Item>
        </Form>
      </Card>
      {list.error ? (
        <ErrorState error={list.error} />
      ) : (
        <Table<Payment>
          rowKey="id"
          size="middle"
          pagination={false}
          loading={list.loading && list.rows.length === 0}
          dataSource={[...list.rows]}
          scroll={{ x: true }}
          columns={[
            { title: t('payments.received'), dataIndex: 'received_at', render: (at: string) => formatInstant(at, locale) },
            { title: 'UETR', dataIndex: 'uetr', render: (uetr: string) => <IdLink id={uetr} to={paymentPath(uetr)} /> },
            { title: t('payments.debtor'), render: (_, payment) => `${payment.debtor.name ?? payment.debtor.identifier} · ${payment.debtor.agent}` },
            { title: t('payments.creditor'), render: (_, payment) => `${payment.creditor.name ?? payment.creditor.identifier} · ${payment.creditor.agent}` },
            { title: t('payments.instructed'), align: 'right', render: (_, payment) => <Money amount={payment.instructed_amount.amount} currency={payment.instructed_amount.currency} /> },
            { title: t('payments.credited'), align: 'right', render: (_, payment) => <MaybeMoney value={payment.credited} /> },
            { title: t('payments.status'), dataIndex: 'status', render: (value: string) => <StatusTag kind="payment" status={value} /> },
          ]}
        />
      )}
      <MoreButton paged={list} />
    </>
  );
}
