import { Typography } from 'antd';
import { href, segment } from '../app/router.ts';
import { shortId } from '../lib/format.ts';

/**
 * An id shown short (the whole id in its title), linked to its page when it has one. With
 * `copyable` it gets a copy button too; tables leave that out, since a button per cell makes long
 * tables slow to draw, and the page the link opens shows the id in full.
 */
export function IdLink({ id, to, testId, copyable = false, linkTitle }: { readonly id: string | null | undefined; readonly to?: string | undefined; readonly testId?: string; readonly copyable?: boolean; /** What hovering the link says, in place of the bare id. */ readonly linkTitle?: string }) {
  if (!id) return <span>—</span>;
  const text = <span className="mono" title={linkTitle ?? id}>{shortId(id)}</span>;
  const shown = to ? <a href={href(to)} data-testid={testId}>{text}</a> : <span data-testid={testId}>{text}</span>;
  return copyable ? <Typography.Text copyable={{ text: id }}>{shown}</Typography.Text> : shown;
}

export const accountPath = (id: string) => `/ledger/accounts/${segment(id)}`;
export const transferPath = (id: string) => `/ledger/transfers/${segment(id)}`;
export const paymentPath = (uetr: string) => `/payments/${segment(uetr)}`;
export const voucherPath = (id: string) => `/scf/vouchers/${segment(id)}`;
export const programPath = (id: string) => `/scf/programs/${segment(id)}`;
export const casePath = (id: string) => `/risk/cases/${segment(id)}`;
/** The audit trail filtered to one API key's actions. */
export const auditKeyPath = (keyId: string) => `/audit?${new URLSearchParams({ key_id: keyId }).toString()}`;
