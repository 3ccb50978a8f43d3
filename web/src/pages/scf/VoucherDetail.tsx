import { useEffect, useState, type ReactNode } from 'react';
import { Button, Card, Descriptions, Space, Table, Tag, Tree, Typography } from 'antd';
import { DownloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import { api } from '../../api/client.ts';
import type { Piece, ScfProgram, VoucherOperation, VoucherView } from '../../api/types.ts';
import { useI18n } from '../../app/i18n.tsx';
import { href, type Route } from '../../app/router.ts';
import { programPath } from '../../components/Ids.tsx';
import { KeyId } from '../../components/KeyId.tsx';
import { MoreButton } from '../../components/MoreButton.tsx';
import { Money } from '../../components/Money.tsx';
import { Loadable } from '../../components/States.tsx';
import { StatusTag } from '../../components/StatusTag.tsx';
import { useLedgers } from '../../lib/ledgers.ts';
import { formatInstant } from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { PieceActions } from './PieceActions.tsx';
import { ProofResult, type ProofVerification } from './ProofResult.tsx';
import { useFailureToast } from '../../lib/useProblems.ts';

/** A voucher's tree from issue to every current holder, with the operations each piece allows. */
export default function VoucherDetail({ route }: { readonly route: Route }) {
  const id = route.segments[2] ?? '';
  const { t } = useI18n();
  const voucher = useApi<VoucherView>(`/v1/scf/vouchers/${encodeURIComponent(id)}`);
  const program = useApi<ScfProgram>(voucher.data ? `/v1/scf/programs/${encodeURIComponent(voucher.data.program_id)}` : null);
  // Every operation done from this page adds to the voucher's history, which is read again with it.
  const [version, setVersion] = useState(0);
  const changed = () => {
    voucher.reload();
    setVersion((value) => value + 1);
  };
  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('scf.voucher')} <span className="mono">{id}</span>
      </Typography.Title>
      <Loadable loaded={voucher}>{(data) => <VoucherView voucher={data} program={program.data} onChanged={changed} />}</Loadable>
      {voucher.data && <VoucherHistory voucherId={voucher.data.id} version={version} />}
    </>
  );
}

function VoucherView({ voucher, program, onChanged }: { readonly voucher: VoucherView; readonly program: ScfProgram | undefined; readonly onChanged: () => void }) {
  const { t } = useI18n();
  const ledgers = useLedgers();
  const ledger = program?.ledger ?? 1;
  const currency = ledgers.currencyOf(ledger);
  const scale = ledgers.scaleOf(ledger);
  const money = (amount: string) => <Money amount={amount} currency={currency} scale={scale} />;

  const node = (piece: Piece): TreeNode => ({
    key: piece.id,
    title: (
      <div data-testid="piece" data-piece-id={piece.id} data-status={piece.status} data-amount={piece.amount} style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', padding: '2px 0' }}>
        {money(piece.amount)}
        <StatusTag kind="piece" status={piece.status} />
        <Tag>{t('scf.tier', { tier: piece.tier })}</Tag>
        <span>{t('scf.holder')}: <strong>{piece.holder_id}</strong></span>
        {piece.pending_holder_id && piece.pending_holder_id !== piece.holder_id && <span>→ {piece.pending_holder_id}</span>}
        {piece.financing && <span>{t('scf.financedBy', { bank: piece.financing.bank_id, rate: piece.financing.annual_rate_bps, days: piece.financing.days })} · {t('scf.proceeds')} {money(piece.financing.proceeds)}</span>}
        <PieceActions piece={piece} program={program} scale={scale} onDone={onChanged} />
      </div>
    ),
    children: (piece.children ?? []).map(node),
  });
  const treeData = [node(voucher.tree)];
  const allKeys = collectKeys(voucher.tree);

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card>
        <Descriptions
          column={{ xs: 1, md: 2, xl: 3 }}
          items={[
            { label: t('scf.program'), children: <a href={href(programPath(voucher.program_id))}>{voucher.program_id}</a> },
            { label: t('scf.issuer'), children: voucher.issuer_id },
            { label: t('scf.supplier'), children: voucher.supplier_id },
            { label: t('scf.face'), children: money(voucher.face_amount) },
            { label: t('scf.issued'), children: voucher.issue_date },
            { label: t('scf.maturity'), children: <>{voucher.maturity_date} {voucher.overdue && <Tag color="red">{t('scf.overdue')}</Tag>}</> },
            { label: t('common.status'), children: <StatusTag kind="voucher" status={voucher.status} /> },
            { label: t('scf.pieces'), children: voucher.piece_count },
          ]}
        />
        <ProofButtons voucherId={voucher.id} />
      </Card>
      <Card title={t('scf.tree')}>
        <Tree key={allKeys.join(',')} className="tree-box" treeData={treeData} defaultExpandAll showLine selectable={false} blockNode />
      </Card>
      <Card title={t('scf.currentHolders')}>
        <Table
          rowKey="piece_id"
          size="small"
          pagination={false}
          dataSource={[...voucher.current_pieces]}
          columns={[
            { title: t('scf.holderColumn'), dataIndex: 'holder_id' },
            { title: t('ledger.amount'), dataIndex: 'amount', align: 'right', render: (amount: string) => money(amount) },
            { title: t('common.status'), dataIndex: 'status', render: (status: string) => <StatusTag kind="piece" status={status} /> },
            { title: t('scf.chain'), dataIndex: 'chain', render: (chain: string[]) => chain.join(' → ') },
          ]}
        />
      </Card>
    </Space>
  );
}

const HISTORY_PAGE = 50;
const OPERATION_KINDS = ['issue', 'sign_off', 'decline', 'split', 'transfer', 'finance', 'repurchase', 'settle', 'cancel', 'freeze', 'unfreeze'] as const;
const isOperationKind = (kind: string): kind is (typeof OPERATION_KINDS)[number] => (OPERATION_KINDS as readonly string[]).includes(kind);

/**
 * The voucher's applied operations, oldest first, each with the API key that submitted it: every key
 * for staff, a participant's own key only (the server leaves the others empty).
 */
function VoucherHistory({ voucherId, version }: { readonly voucherId: string; readonly version: number }) {
  const { t, locale } = useI18n();
  const history = usePaged<VoucherOperation>(`/v1/scf/vouchers/${encodeURIComponent(voucherId)}/operations`, { limit: HISTORY_PAGE });
  const { reload } = history;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  return (
    <Card title={t('scf.history')} style={{ marginTop: 16 }}>
      <div data-testid="voucher-history">
        <Table
          rowKey="operation_id"
          size="small"
          pagination={false}
          loading={history.loading}
          dataSource={[...history.rows]}
          columns={[
            { title: t('common.time'), dataIndex: 'created_at', render: (at: string) => formatInstant(at, locale) },
            { title: t('scf.operation'), dataIndex: 'kind', render: (kind: string) => (isOperationKind(kind) ? t(`scf.operation.${kind}`) : kind) },
            { title: t('scf.operationId'), dataIndex: 'operation_id', render: (id: string) => <span className="mono">{id}</span> },
            { title: t('payments.submittedBy'), dataIndex: 'submitted_by', render: (id: string | null) => <KeyId id={id} testId="voucher-operation-submitted-by" /> },
          ]}
        />
      </div>
      <MoreButton paged={history} />
    </Card>
  );
}

interface TreeNode {
  readonly key: string;
  readonly title: ReactNode;
  readonly children: TreeNode[];
}

function collectKeys(piece: Piece): string[] {
  return [piece.id, ...(piece.children ?? []).flatMap(collectKeys)];
}

/** Download the voucher's proof file, or have the server check it against its public keys right away. */
function ProofButtons({ voucherId }: { readonly voucherId: string }) {
  const { t } = useI18n();
  const showFailure = useFailureToast();
  const [busy, setBusy] = useState<'download' | 'verify' | null>(null);
  const [result, setResult] = useState<ProofVerification | null>(null);
  const fetchProof = () => api.get<unknown>(`/v1/scf/vouchers/${voucherId}/proof`);
  const fail = showFailure;

  const download = async () => {
    setBusy('download');
    try {
      const proof = await fetchProof();
      const url = URL.createObjectURL(new Blob([JSON.stringify(proof, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `voucher-${voucherId}.proof.json`;
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(null);
    }
  };
  const verify = async () => {
    setBusy('verify');
    try {
      setResult(await callAction<ProofVerification>(ACTIONS.verifyProof, { body: { proof: await fetchProof() } }));
    } catch (error) {
      fail(error);
    } finally {
      setBusy(null);
    }
  };
  return (
    <Space orientation="vertical" style={{ width: '100%', marginTop: 8 }}>
      <Space wrap>
        <Button icon={<DownloadOutlined aria-hidden />} onClick={download} loading={busy === 'download'}>{t('scf.downloadProof')}</Button>
        <Button icon={<SafetyCertificateOutlined aria-hidden />} onClick={verify} loading={busy === 'verify'} data-testid="verify-voucher-proof">{t('scf.verifyProof')}</Button>
      </Space>
      {result && <ProofResult result={result} />}
    </Space>
  );
}
