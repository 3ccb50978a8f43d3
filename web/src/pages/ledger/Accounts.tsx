import { Button, Card, Form, Input, Select, Table, Typography } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import type { Account } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { navigate, type Route } from '../../app/router.ts';
import { IdLink, accountPath } from '../../components/Ids.tsx';
import { Money } from '../../components/Money.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { ErrorState } from '../../components/States.tsx';
import { useLedgers } from '../../lib/ledgers.ts';
import { netPosted } from '../../lib/money.ts';
import { usePaged } from '../../lib/usePaged.ts';

const PAGE_SIZE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Accounts with their balances; filtered by ledger, account code or owning party, and searchable by id. */
export default function Accounts({ route }: { readonly route: Route }) {
  const { t } = useI18n();
  const ledgers = useLedgers();
  const filter = { ledger: route.query.get('ledger') ?? undefined, code: route.query.get('code') ?? undefined, party_id: route.query.get('party') ?? undefined };
  const list = usePaged<Account>('/v1/accounts', { ...filter, limit: PAGE_SIZE });

  const search = ({ query, ledger, code }: { query?: string; ledger?: string; code?: string }) => {
    const text = query?.trim() ?? '';
    if (UUID.test(text)) return navigate(accountPath(text.toLowerCase()));
    navigate('/ledger', { party: text || undefined, ledger, code: code?.trim() || undefined });
  };

  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('ledger.accounts')}
      </Typography.Title>
      <Card style={{ marginBottom: 16 }}>
        <Form layout="inline" onFinish={search} initialValues={{ query: filter.party_id, ledger: filter.ledger, code: filter.code }}>
          <Form.Item label={t('ledger.search')} name="query">
            <Input placeholder={t('ledger.searchPlaceholder')} allowClear style={{ width: 320 }} />
          </Form.Item>
          <Form.Item label={t('ledger.currency')} name="ledger">
            <Select allowClear style={{ width: 140 }} options={ledgers.ledgers.map((ledger) => ({ value: String(ledger.id), label: ledger.asset_code }))} />
          </Form.Item>
          <Form.Item label={t('ledger.code')} name="code">
            <Input style={{ width: 100 }} inputMode="numeric" />
          </Form.Item>
          <Button type="primary" htmlType="submit" icon={<SearchOutlined aria-hidden />}>
            {t('common.search')}
          </Button>
        </Form>
      </Card>
      {list.error ? (
        <ErrorState error={list.error} />
      ) : (
        <Table<Account>
          rowKey="id"
          loading={list.loading}
          dataSource={[...list.rows]}
          pagination={false}
          size="middle"
          scroll={{ x: true }}
          columns={[
            { title: t('ledger.account'), dataIndex: 'id', render: (id: string) => <IdLink id={id} to={accountPath(id)} /> },
            { title: t('ledger.currency'), dataIndex: 'ledger', render: (ledger: number) => ledgers.currencyOf(ledger) },
            { title: t('ledger.code'), dataIndex: 'code' },
            { title: t('ledger.party'), dataIndex: 'party_id', render: (party: string | null) => party ?? '—' },
            { title: t('ledger.balance'), align: 'right', render: (_, account) => <Money amount={netPosted(account)} currency={ledgers.currencyOf(account.ledger)} scale={ledgers.scaleOf(account.ledger)} /> },
            {
              title: t('ledger.pending'), align: 'right',
              render: (_, account) => <Money amount={BigInt(account.credits_pending) - BigInt(account.debits_pending)} currency={ledgers.currencyOf(account.ledger)} scale={ledgers.scaleOf(account.ledger)} />,
            },
            { title: t('ledger.flags'), dataIndex: 'flags', render: (flags: string[]) => <span className="tag-list">{flags.map((flag) => <StatusTag key={flag} kind="accountFlag" status={flag} />)}</span> },
          ]}
        />
      )}
      <MoreButton paged={list} />
    </>
  );
}
