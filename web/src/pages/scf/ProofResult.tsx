import { Alert } from 'antd';
import { ItemList } from '../../components/ItemList.tsx';
import { useI18n } from '../../app/i18n.tsx';

/** The answer of POST /v1/journal/proofs/verify, the same report `sluice verify --proof` prints. */
export interface ProofVerification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly checkpoint?: { readonly treeSize: number; readonly createdAt: string; readonly suite: string | null };
  readonly entries: number;
  readonly records?: number;
}

export function ProofResult({ result }: { readonly result: ProofVerification }) {
  const { t } = useI18n();
  const where = result.checkpoint ? t('proof.against', { size: result.checkpoint.treeSize, at: result.checkpoint.createdAt, suite: result.checkpoint.suite ?? '?' }) : '';
  return (
    <Alert
      data-testid="proof-result"
      type={result.ok ? 'success' : 'error'}
      showIcon
      title={result.ok ? t('proof.ok', { entries: result.entries }) : t('proof.failed', { entries: result.entries })}
      description={
        <>
          <div>{where}</div>
          {result.problems.length > 0 && <ItemList items={result.problems} render={(problem, index) => ({ key: index, content: problem })} />}
        </>
      }
    />
  );
}
