import { Tag } from 'antd';
import { useI18n } from '../app/i18n.tsx';
import { nameOf, type CodeKind } from '../lib/names.ts';

/** Colours for statuses across modules: green settled, blue moving, gold waiting, red refused. */
const COLOURS: Readonly<Record<string, string>> = {
  ACCC: 'green', ACSP: 'blue', ACTC: 'cyan', RCVD: 'default', RJCT: 'red', CANC: 'default', RTND: 'orange', PDNG: 'gold',
  settled: 'green', reserved: 'blue', released: 'default', pending: 'gold', voided: 'default',
  held: 'blue', awaiting_signoff: 'gold', transfer_pending: 'gold', financed: 'purple', frozen: 'red', split: 'default', cancelled: 'default',
  active: 'green', approve: 'green', review: 'gold', decline: 'red',
  open: 'red', investigating: 'gold', escalated: 'volcano', closed_confirmed: 'default', closed_false_positive: 'default',
  live: 'green', shadow: 'purple', draft: 'default', retired: 'default',
  running: 'blue', succeeded: 'green', failed: 'red',
};

/** A status as a coloured tag, named in the reader's language. */
export function StatusTag({ kind, status }: { readonly kind: CodeKind; readonly status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={COLOURS[status] ?? 'default'} data-status={status}>
      {nameOf(t, kind, status)}
    </Tag>
  );
}
