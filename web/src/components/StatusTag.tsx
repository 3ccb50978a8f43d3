import { Tag } from 'antd';

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

export function StatusTag({ status }: { readonly status: string }) {
  return <Tag color={COLOURS[status] ?? 'default'}>{status}</Tag>;
}
