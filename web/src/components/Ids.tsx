import { Typography } from 'antd';
import { href, segment } from '../app/router.ts';
import { shortId } from '../lib/format.ts';

/** An id shown short, copyable in full, and linked to its page when it has one. */
export function IdLink({ id, to, testId }: { readonly id: string | null | undefined; readonly to?: string; readonly testId?: string }) {
  if (!id) return <span>—</span>;
  const text = <span className="mono" title={id}>{shortId(id)}</span>;
  return (
    <Typography.Text copyable={{ text: id }} data-testid={testId}>
      {to ? <a href={href(to)}>{text}</a> : text}
    </Typography.Text>
  );
}

export const accountPath = (id: string) => `/ledger/accounts/${segment(id)}`;
export const transferPath = (id: string) => `/ledger/transfers/${segment(id)}`;
export const paymentPath = (uetr: string) => `/payments/${segment(uetr)}`;
export const voucherPath = (id: string) => `/scf/vouchers/${segment(id)}`;
export const programPath = (id: string) => `/scf/programs/${segment(id)}`;
export const casePath = (id: string) => `/risk/cases/${segment(id)}`;
