import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Popconfirm, Row, Space, Steps, Tag, Timeline, Typography } from 'antd';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import type { Hop, Payment, Tracking } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import type { Route } from '../../app/router.ts';
import { IdLink, accountPath } from '../../components/Ids.tsx';
import { KeyId } from '../../components/KeyId.tsx';
import { MaybeMoney, Money } from '../../components/Money.tsx';
import { ErrorState, Loadable, Loading } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { nameOf } from '../../lib/names.ts';
import { formatInstant, formatTimeOfDay } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { useFailureToast } from '../../lib/useProblems.ts';
import { useAccess } from '../../app/access.tsx';
import { mayAct } from '../../api/permissions.ts';

/** Statuses after which nothing changes any more, so the tracker stops polling. */
const FINAL = new Set(['ACCC', 'RJCT', 'CANC', 'RTND']);
const POLL_MS = 1_000;
const HAPPY_PATH = ['RCVD', 'ACTC', 'ACSP', 'ACCC'] as const;
const HOP_COLOURS: Readonly<Record<string, string>> = { settled: 'green', reserved: 'blue', released: 'gray', pending: 'gray' };

/** A payment and its tracker: every hop it passed, with participant, status, time, amounts, FX and fees. */
export default function PaymentDetail({ route }: { readonly route: Route }) {
  const uetr = route.segments[1] ?? '';
  const { t } = useI18n();
  const [settled, setSettled] = useState(false);
  const payment = useApi<Payment>(`/v1/payments/${encodeURIComponent(uetr)}`, { refreshMs: settled ? undefined : POLL_MS });
  const tracking = useApi<Tracking>(`/v1/payments/${encodeURIComponent(uetr)}/track`, { refreshMs: settled ? undefined : POLL_MS });
  const status = tracking.data?.status ?? payment.data?.status;
  // A payment the server refuses outright (no such UETR, a malformed one, not this key's) will not
  // appear by asking again every second; only a failure to reach the server is worth polling through.
  const refused = payment.data === undefined && payment.error !== undefined && payment.error.status >= 400 && payment.error.status < 500;
  useEffect(() => {
    if ((status && FINAL.has(status)) || refused) setSettled(true);
  }, [status, refused]);
  const reload = () => {
    payment.reload();
    tracking.reload();
    setSettled(false);
  };

  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('payments.payment')} <span className="mono">{uetr}</span>
      </Typography.Title>
      <Loadable loaded={payment}>
        {(data) => (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Summary payment={data} status={status ?? data.status} onChanged={reload} />
            <Card title={t('payments.tracker')}>
              {tracking.error ? <ErrorState error={tracking.error} /> : tracking.data ? <Tracker tracking={tracking.data} /> : <Loading />}
            </Card>
          </Space>
        )}
      </Loadable>
    </>
  );
}

/** The console's action (api/actions.ts) for each operation on a payment. */
const PAYMENT_ACTIONS = { accept: ACTIONS.acceptPayment, cancel: ACTIONS.cancelPayment, return: ACTIONS.returnPayment } as const;

function Summary({ payment, status, onChanged }: { readonly payment: Payment; readonly status: string; readonly onChanged: () => void }) {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const showFailure = useFailureToast();
  const [busy, setBusy] = useState<string | null>(null);
  const act = async (action: 'accept' | 'cancel' | 'return', body?: unknown) => {
    setBusy(action);
    try {
      await callAction(PAYMENT_ACTIONS[action], { params: { uetr: payment.uetr }, body });
      void message.success(t('payments.actionDone'));
      onChanged();
    } catch (error) {
      showFailure(error);
    } finally {
      setBusy(null);
    }
  };
  // A role that may not write (an auditor) is not offered the operations it would be refused.
  const { access } = useAccess();
  const writes = mayAct(access, ACTIONS.acceptPayment) !== false;
  const held = writes && payment.settlement === 'on_acceptance' && status === 'ACSP';
  return (
    <Card>
      <Row gutter={16} align="middle" style={{ marginBottom: 16 }}>
        <Col flex="auto">
          <Space size="middle" wrap>
            <span data-testid="payment-status"><StatusTag kind="payment" status={status} /></span>
            {payment.reason_code && <Tag color="red">{payment.reason_code}</Tag>}
            {payment.error && <Typography.Text type="danger">{payment.error}</Typography.Text>}
          </Space>
        </Col>
        <Col>
          <Space>
            {held && <Button onClick={() => act('accept')} loading={busy === 'accept'}>{t('payments.accept')}</Button>}
            {held && <Popconfirm title={t('payments.cancelConfirm')} onConfirm={() => act('cancel', { reason: 'CUST' })}><Button danger loading={busy === 'cancel'}>{t('payments.cancel')}</Button></Popconfirm>}
            {writes && status === 'ACCC' && <Popconfirm title={t('payments.returnConfirm')} onConfirm={() => act('return', { reason: 'CUST' })}><Button loading={busy === 'return'}>{t('payments.return')}</Button></Popconfirm>}
          </Space>
        </Col>
      </Row>
      <Steps
        size="small"
        current={Math.max(0, HAPPY_PATH.indexOf(status as (typeof HAPPY_PATH)[number]))}
        status={status === 'RJCT' || status === 'CANC' ? 'error' : status === 'ACCC' ? 'finish' : 'process'}
        items={HAPPY_PATH.map((step) => ({ title: step, content: t(`payments.statusName.${step}`) }))}
        style={{ marginBottom: 16 }}
      />
      <Descriptions
        column={{ xs: 1, md: 2, xl: 3 }}
        size="small"
        items={[
          { label: t('payments.debtor'), children: <>{payment.debtor.name ?? '—'} <IdLink id={payment.debtor.account_id} to={accountPath(payment.debtor.account_id)} copyable /></> },
          { label: t('payments.creditor'), children: <>{payment.creditor.name ?? '—'} <IdLink id={payment.creditor.account_id} to={accountPath(payment.creditor.account_id)} copyable /></> },
          { label: t('payments.agents'), children: `${payment.debtor.agent} → ${payment.creditor.agent}` },
          { label: t('payments.instructed'), children: <Money amount={payment.instructed_amount.amount} currency={payment.instructed_amount.currency} /> },
          { label: t('payments.debited'), children: <MaybeMoney value={payment.debited} /> },
          { label: t('payments.credited'), children: <MaybeMoney value={payment.credited} /> },
          { label: t('payments.chargeBearer'), children: nameOf(t, 'bearer', payment.charge_bearer) },
          { label: t('payments.settlement'), children: nameOf(t, 'settlement', payment.settlement) },
          { label: t('payments.received'), children: formatInstant(payment.received_at, locale) },
          // The key that submitted it; none shown when the platform did, or (to a participant) another key.
          ...(payment.submitted_by ? [{ label: t('payments.submittedBy'), children: <KeyId id={payment.submitted_by} testId="payment-submitted-by" /> }] : []),
        ]}
      />
    </Card>
  );
}

/** Hops from the debtor to the creditor, each with what came in, what went out, the fee and the FX rate. */
function Tracker({ tracking }: { readonly tracking: Tracking }) {
  const { t, locale } = useI18n();
  const hopItem = (hop: Hop, index: number) => ({
    key: `${hop.role}-${index}`,
    color: HOP_COLOURS[hop.status] ?? 'blue',
    title: formatTimeOfDay(hop.settled_at ?? hop.reserved_at, locale),
    content: (
      <div data-testid="tracker-hop">
        <Space wrap>
          <Typography.Text strong>{t(`payments.role.${hop.role as 'debtor'}`)}</Typography.Text>
          {/* The FX desk's name is the server's own English one; the role above already names it. */}
          <span className="mono">{hop.name && hop.role !== 'fx' ? `${hop.name} (${hop.participant})` : hop.participant}</span>
          <StatusTag kind="hop" status={hop.status} />
        </Space>
        <div>
          <Space size="large" wrap>
            {hop.amount_in && <span>{t('payments.in')}: <Money amount={hop.amount_in.amount} currency={hop.amount_in.currency} /></span>}
            {hop.amount_out && <span>{t('payments.out')}: <Money amount={hop.amount_out.amount} currency={hop.amount_out.currency} /></span>}
            {hop.fee && <span>{t('payments.fee')}: <Money amount={hop.fee.amount} currency={hop.fee.currency} /></span>}
            {hop.fx && <span>{t('payments.rate')}: <span className="mono">{hop.fx.rate}</span> ({t('payments.mid')} {hop.fx.mid}, {hop.fx.spread_bps} bp)</span>}
          </Space>
        </div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('payments.reservedAt')} {formatTimeOfDay(hop.reserved_at, locale)} · {t('payments.settledAt')} {formatTimeOfDay(hop.settled_at, locale)}
        </Typography.Text>
      </div>
    ),
  });
  return (
    <Row gutter={24}>
      <Col xs={24} xl={16}>
        <Timeline mode="start" items={tracking.hops.map(hopItem)} />
        {tracking.return_legs.length > 0 && (
          <>
            <Typography.Title level={5}>{t('payments.returnLegs')}</Typography.Title>
            <Timeline items={tracking.return_legs.map((leg, index) => ({ key: `${leg.role}-${index}`, color: 'orange', title: formatTimeOfDay(leg.booked_at, locale), content: <><span>{nameOf(t, 'legRole', leg.role)}</span> <Money amount={leg.amount.amount} currency={leg.amount.currency} /></> }))} />
          </>
        )}
      </Col>
      <Col xs={24} xl={8}>
        <Typography.Title level={5}>{t('payments.events')}</Typography.Title>
        <Timeline
          items={tracking.events.map((event) => ({
            key: event.seq,
            color: event.status === 'RJCT' ? 'red' : event.status === 'ACCC' ? 'green' : 'blue',
            content: (
              <span data-testid="tracker-event">
                <StatusTag kind="payment" status={event.status} /> {formatTimeOfDay(event.at, locale)} {event.reason_code ?? ''}
                {/* "by key", the id and its copy button stay on one line. */}
                {event.key_id && <> <span style={{ whiteSpace: 'nowrap' }}><Typography.Text type="secondary">{t('payments.byKey')}</Typography.Text> <KeyId id={event.key_id} testId="tracker-event-key" /></span></>}
              </span>
            ),
          }))}
        />
      </Col>
    </Row>
  );
}
