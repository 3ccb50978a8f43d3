import type { Account, Ledger, PendingState, PendingStatus, Transfer } from './ledger.ts';

/** Row shapes as both dialects return them (integers as bigint, ids as lower-case text). */
export type AccountRow = {
  id: string; ledger: bigint; code: bigint; flags: bigint; initial_flags: bigint;
  debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint;
  party_id: string | null; metadata: string | null; timestamp: bigint;
};
export type TransferRow = {
  id: string; debit_account_id: string; credit_account_id: string; amount: bigint; pending_id: string | null;
  ledger: bigint; code: bigint; flags: bigint; timeout_seconds: bigint; metadata: string | null; timestamp: bigint;
};
export type PendingRow = { id: string; status: string; expires_at: bigint; resolved_at: bigint };
export type LedgerRow = { id: bigint; asset_code: string; scale: bigint; name: string; timestamp: bigint };

export const ACCOUNT_COLUMNS = 'id, ledger, code, flags, initial_flags, debits_pending, debits_posted, credits_pending, credits_posted, party_id, metadata, timestamp';
export const TRANSFER_COLUMNS = 'id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_seconds, metadata, timestamp';

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    ledger: Number(row.ledger),
    code: Number(row.code),
    flags: Number(row.flags),
    debitsPending: BigInt(row.debits_pending),
    debitsPosted: BigInt(row.debits_posted),
    creditsPending: BigInt(row.credits_pending),
    creditsPosted: BigInt(row.credits_posted),
    partyId: row.party_id,
    metadata: row.metadata,
    timestamp: BigInt(row.timestamp),
  };
}

export function toTransfer(row: TransferRow): Transfer {
  return {
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: BigInt(row.amount),
    pendingId: row.pending_id,
    ledger: Number(row.ledger),
    code: Number(row.code),
    flags: Number(row.flags),
    timeoutSeconds: Number(row.timeout_seconds),
    metadata: row.metadata,
    timestamp: BigInt(row.timestamp),
  };
}

export function toPending(row: PendingRow): PendingState {
  return { id: row.id, status: row.status as PendingStatus, expiresAt: BigInt(row.expires_at), resolvedAt: BigInt(row.resolved_at) };
}

export function toLedger(row: LedgerRow): Ledger {
  return { id: Number(row.id), assetCode: row.asset_code, scale: Number(row.scale), name: row.name, timestamp: BigInt(row.timestamp) };
}
