import { useState } from 'react';
import { Alert, Card, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { callAction } from '../../api/act.ts';
import { ACTIONS } from '../../api/actions.ts';
import { useI18n } from '../../app/i18n.tsx';
import { ProofResult, type ProofVerification } from './ProofResult.tsx';
import { useProblemText } from '../../lib/useProblems.ts';

/** Proof files larger than this are not read: a voucher's proof is a few hundred kilobytes at most. */
const PROOF_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Check an uploaded proof file (a voucher's, or a journal proof) against this platform's public
 * keys: the same checks `sluice verify --proof FILE --keys FILE` makes offline.
 */
export default function ProofCheck() {
  const { t } = useI18n();
  const describe = useProblemText();
  const [result, setResult] = useState<ProofVerification | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async (file: File) => {
    setResult(null);
    setFailure(null);
    if (file.size > PROOF_MAX_BYTES) return setFailure(t('proof.tooLarge'));
    let proof: unknown;
    try {
      proof = JSON.parse(await file.text());
    } catch {
      return setFailure(t('proof.notJson'));
    }
    setBusy(true);
    try {
      setResult(await callAction<ProofVerification>(ACTIONS.verifyProof, { body: { proof } }));
    } catch (error) {
      setFailure(describe(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={2} className="page-title">
        {t('proof.title')}
      </Typography.Title>
      <Card>
        <Typography.Paragraph>{t('proof.intro')}</Typography.Paragraph>
        <Upload.Dragger
          accept=".json,application/json"
          multiple={false}
          showUploadList={false}
          disabled={busy}
          beforeUpload={(file) => {
            void check(file);
            // The file is read here; nothing is uploaded by the component itself.
            return Upload.LIST_IGNORE;
          }}
          data-testid="proof-upload"
        >
          <p className="ant-upload-drag-icon"><InboxOutlined aria-hidden /></p>
          <p className="ant-upload-text">{t('proof.drop')}</p>
        </Upload.Dragger>
        <div style={{ marginTop: 16 }}>
          {failure && <Alert type="error" showIcon title={failure} />}
          {result && <ProofResult result={result} />}
        </div>
      </Card>
    </>
  );
}
