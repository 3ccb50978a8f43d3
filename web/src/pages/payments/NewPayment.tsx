import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, Row, Select, Space, Typography } from 'antd';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import { ApiError, newId, type Page } from '../../api/client.ts';
import type { Account, FxQuote, Party, Payment } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { navigate } from '../../app/router.ts';
import { paymentPath } from '../../components/Ids.tsx';
import { Money } from '../../components/Money.tsx';
import { ErrorState, Loading } from '../../components/States.tsx';
import { formatTimeOfDay } from '../../lib/format.ts';
import { useLedgers } from '../../lib/ledgers.ts';
import { parseMajor } from '../../lib/money.ts';
import { useApi } from '../../lib/useApi.ts';
import { fieldErrorText } from '../../lib/problems.ts';
import { useProblemText } from '../../lib/useProblems.ts';

/** Ledger account code of customer accounts held at a payment participant. */
const CUSTOMER_ACCOUNT_CODE = 820;
/** The quote is asked for again this long after the last change, and before it expires. */
const QUOTE_DEBOUNCE_MS = 400;
const QUOTE_TTL_SECONDS = 60;
/** A quote this close to its expiry is not sent with the payment; the server prices it afresh. */
const QUOTE_MARGIN_MS = 3_000;

interface CustomerAccount {
  readonly id: string;
  readonly currency: string;
  readonly scale: number;
  readonly label: string;
}

interface FormValues {
  debtor_account: string;
  creditor_account: string;
  amount: string;
  charge_bearer: 'SHAR' | 'DEBT' | 'CRED';
  purpose?: string;
  remittance_information?: string;
}

/** The request fields this form has an input for, by their names in the payment request. */
const FIELD_NAMES: ReadonlySet<string> = new Set(['debtor_account', 'creditor_account', 'amount', 'charge_bearer', 'purpose', 'remittance_information']);

/** A payment form: customer accounts on both sides, the amount in the debtor's currency, and a live FX quote. */
export default function NewPayment() {
  const { t } = useI18n();
  const ledgers = useLedgers();
  const accounts = useApi<Page<Account>>(`/v1/accounts?code=${CUSTOMER_ACCOUNT_CODE}&limit=100`);
  const parties = useApi<Page<Party>>('/v1/parties?limit=100');
  const customers = useMemo<CustomerAccount[]>(() => {
    const names = new Map((parties.data?.data ?? []).map((party) => [party.id, party.name]));
    return (accounts.data?.data ?? []).map((account) => {
      const currency = ledgers.currencyOf(account.ledger);
      const agent = (account.metadata as { payments_agent?: string } | null)?.payments_agent ?? '';
      const owner = account.party_id ? names.get(account.party_id) ?? account.party_id : account.id;
      return { id: account.id, currency, scale: ledgers.scaleOf(account.ledger), label: `${owner} · ${currency} · ${agent}` };
    });
  }, [accounts.data, parties.data, ledgers]);

  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('payments.new')}
      </Typography.Title>
      {accounts.error ? (
        <ErrorState error={accounts.error} />
      ) : accounts.data?.data.length === 0 ? (
        // Without customer accounts there are no ledgers to wait for either: say so instead of loading forever.
        <Empty data-testid="no-customer-accounts" description={t('payments.noCustomerAccounts')} />
      ) : accounts.data && ledgers.ledgers.length ? (
        <PaymentForm customers={customers} />
      ) : (
        <Loading />
      )}
    </>
  );
}

function PaymentForm({ customers }: { readonly customers: readonly CustomerAccount[] }) {
  const { t, locale } = useI18n();
  const describe = useProblemText();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const debtorId = Form.useWatch('debtor_account', form);
  const creditorId = Form.useWatch('creditor_account', form);
  const amountText = Form.useWatch('amount', form);
  const chargeBearer = Form.useWatch('charge_bearer', form);
  const debtor = customers.find((account) => account.id === debtorId);
  const creditor = customers.find((account) => account.id === creditorId);
  const amountMinor = debtor && amountText ? parseMajor(amountText, debtor.scale) : null;
  const quote = useLiveQuote(debtor?.currency, creditor?.currency, amountMinor);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const submit = async (values: FormValues) => {
    // Read from the submitted values, not from the watched ones: Enter pressed right after typing
    // reaches here before the watch has re-rendered, and the payment would silently not be sent.
    const debtor = customers.find((account) => account.id === values.debtor_account);
    const amountMinor = debtor ? parseMajor(values.amount, debtor.scale) : null;
    if (!debtor || !amountMinor) return;
    setSubmitting(true);
    setFailure(null);
    const firm = quote.quote && quote.forAmount === amountMinor && Date.parse(quote.quote.expires_at) - Date.now() > QUOTE_MARGIN_MS ? quote.quote.id : undefined;
    try {
      const payment = await callAction<Payment>(ACTIONS.sendPayment, { body: {
        id: newId(),
        debtor_account: values.debtor_account,
        creditor_account: values.creditor_account,
        amount: amountMinor,
        currency: debtor.currency,
        charge_bearer: values.charge_bearer,
        ...(values.purpose ? { purpose: values.purpose } : {}),
        ...(values.remittance_information ? { remittance_information: values.remittance_information } : {}),
        ...(firm ? { quote_id: firm } : {}),
      } });
      void message.success(t('payments.submitted', { status: payment.status }));
      navigate(paymentPath(payment.uetr));
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError(0, { status: 0, detail: String(error) });
      // The server names the fields it refused (JSON pointers into the request); those that are
      // fields of this form show the server's message under the field, where the operator corrects it.
      const named = (problem.problem.errors ?? []).filter((entry) => FIELD_NAMES.has(entry.pointer.slice(1)));
      form.setFields(named.map((entry) => ({ name: entry.pointer.slice(1) as keyof FormValues, errors: [fieldErrorText(t, locale, entry)] })));
      setFailure(named.length > 0 ? null : problem);
      setSubmitting(false);
    }
  };

  const accountOptions = customers.map((account) => ({ value: account.id, label: account.label }));
  return (
    <Row gutter={16}>
      <Col xs={24} lg={14}>
        <Card>
          <Form<FormValues> form={form} layout="vertical" onFinish={submit} initialValues={{ charge_bearer: 'SHAR' }} data-testid="payment-form">
            <Form.Item label={t('payments.debtorAccount')} name="debtor_account" rules={[{ required: true, message: t('form.required') }]}>
              <Select showSearch={{ optionFilterProp: 'label' }} options={accountOptions} placeholder={t('payments.chooseAccount')} />
            </Form.Item>
            <Form.Item
              label={t('payments.creditorAccount')}
              name="creditor_account"
              dependencies={['debtor_account']}
              rules={[
                { required: true, message: t('form.required') },
                ({ getFieldValue }) => ({ validator: async (_, value) => { if (value && value === getFieldValue('debtor_account')) throw new Error(t('payments.sameAccount')); } }),
              ]}
            >
              <Select showSearch={{ optionFilterProp: 'label' }} options={accountOptions} placeholder={t('payments.chooseAccount')} />
            </Form.Item>
            <Form.Item
              label={debtor ? t('payments.amountIn', { currency: debtor.currency }) : t('payments.amount')}
              name="amount"
              rules={[
                { required: true, message: t('form.required') },
                { validator: async (_, value: string | undefined) => { if (value && debtor && !parseMajor(value, debtor.scale)) throw new Error(t('payments.badAmount', { scale: debtor.scale })); } },
              ]}
            >
              <Input inputMode="decimal" placeholder="1000.00" />
            </Form.Item>
            <Form.Item label={t('payments.chargeBearer')} name="charge_bearer">
              <Select options={(['SHAR', 'DEBT', 'CRED'] as const).map((value) => ({ value, label: `${value} · ${t(`payments.bearer.${value}`)}` }))} />
            </Form.Item>
            <Form.Item label={t('payments.purpose')} name="purpose" rules={[{ pattern: /^[A-Z]{4}$/, message: t('payments.badPurpose') }]}>
              <Input placeholder="SUPP" maxLength={4} />
            </Form.Item>
            <Form.Item label={t('payments.remittance')} name="remittance_information">
              <Input maxLength={140} />
            </Form.Item>
            {failure && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={t('state.failed')} description={describe(failure)} data-testid="payment-error" />}
            <Button type="primary" htmlType="submit" loading={submitting} data-testid="submit-payment">
              {t('payments.submit')}
            </Button>
          </Form>
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <QuoteCard debtor={debtor} creditor={creditor} amountMinor={amountMinor} chargeBearer={chargeBearer ?? 'SHAR'} state={quote} />
      </Col>
    </Row>
  );
}

interface QuoteState {
  readonly quote: FxQuote | null;
  readonly forAmount: string | null;
  readonly error: ApiError | null;
}

/** A firm quote for the current currencies and amount, asked again after edits and before it expires. */
function useLiveQuote(sell: string | undefined, buy: string | undefined, amountMinor: string | null): QuoteState {
  const [state, setState] = useState<QuoteState>({ quote: null, forAmount: null, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!sell || !buy || sell === buy || !amountMinor) {
      setState({ quote: null, forAmount: null, error: null });
      return;
    }
    const controller = new AbortController();
    let renew: number | undefined;
    const timer = window.setTimeout(() => {
      callAction<FxQuote & { sell_amount: string; buy_amount: string; sell_currency: string; buy_currency: string }>(ACTIONS.quoteFx, {
        body: { sell_currency: sell, buy_currency: buy, sell_amount: amountMinor, ttl_seconds: QUOTE_TTL_SECONDS }, signal: controller.signal,
      })
        .then(
          (answer) => {
            if (controller.signal.aborted) return;
            const quote: FxQuote = { id: answer.id, rate: answer.rate, expires_at: answer.expires_at, sell: { amount: answer.sell_amount, currency: answer.sell_currency }, buy: { amount: answer.buy_amount, currency: answer.buy_currency } };
            setState({ quote, forAmount: amountMinor, error: null });
            // Asked again shortly before it expires, so the form always shows a price it can use.
            renew = window.setTimeout(() => setGeneration((value) => value + 1), Math.max(1_000, Date.parse(answer.expires_at) - Date.now() - QUOTE_MARGIN_MS));
          },
          (error: unknown) => !controller.signal.aborted && setState({ quote: null, forAmount: null, error: error instanceof ApiError ? error : null }),
        );
    }, QUOTE_DEBOUNCE_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
      if (renew !== undefined) window.clearTimeout(renew);
    };
  }, [sell, buy, amountMinor, generation]);
  return state;
}

interface QuoteCardProps {
  readonly debtor?: CustomerAccount | undefined;
  readonly creditor?: CustomerAccount | undefined;
  readonly amountMinor: string | null;
  /** Who bears the charges decides whether the creditor gets the converted amount whole. */
  readonly chargeBearer: FormValues['charge_bearer'];
  readonly state: QuoteState;
}

function QuoteCard({ debtor, creditor, amountMinor, chargeBearer, state }: QuoteCardProps) {
  const { t, locale } = useI18n();
  let body;
  if (!debtor || !creditor || !amountMinor) body = <Typography.Text type="secondary">{t('payments.quoteHint')}</Typography.Text>;
  else if (debtor.currency === creditor.currency) body = <Typography.Text>{t('payments.noConversion', { currency: debtor.currency })}</Typography.Text>;
  else if (state.error) body = <ErrorState error={state.error} />;
  else if (!state.quote) body = <Loading />;
  else {
    body = (
      <Descriptions
        column={1}
        size="small"
        data-testid="fx-quote"
        items={[
          { label: t('payments.sell'), children: <Money amount={state.quote.sell.amount} currency={state.quote.sell.currency} /> },
          { label: t('payments.buy'), children: <Money amount={state.quote.buy.amount} currency={state.quote.buy.currency} /> },
          { label: t('payments.creditorReceives'), children: <span data-testid="fx-quote-credited">{t(`payments.creditedUnder.${chargeBearer}`)}</span> },
          { label: t('payments.rate'), children: <span className="mono">{state.quote.rate}</span> },
          { label: t('payments.expires'), children: formatTimeOfDay(state.quote.expires_at, locale) },
        ]}
      />
    );
  }
  return (
    <Card title={t('payments.liveQuote')}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        {body}
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('payments.quoteNote')}
        </Typography.Text>
      </Space>
    </Card>
  );
}
