import { nsToIso } from '../../kernel/index.ts';
import { AccountFlags, TransferFlags, bitsToFlags, type Account, type Ledger, type Transfer } from './ledger.ts';
import type { Balances } from './ledger.repository.ts';

/** Wire shapes: snake_case, amounts and nanosecond timestamps as strings, flags as names. */
export function renderLedger(ledger: Ledger) {
  return { id: ledger.id, asset_code: ledger.assetCode, scale: ledger.scale, name: ledger.name, created_at: nsToIso(ledger.timestamp) };
}

export function renderBalances(balances: Balances) {
  return {
    debits_pending: String(balances.debitsPending),
    debits_posted: String(balances.debitsPosted),
    credits_pending: String(balances.creditsPending),
    credits_posted: String(balances.creditsPosted),
  };
}

export function renderAccount(account: Account) {
  return {
    id: account.id,
    ledger: account.ledger,
    code: account.code,
    flags: bitsToFlags(account.flags, AccountFlags),
    ...renderBalances(account),
    party_id: account.partyId,
    metadata: account.metadata ? (JSON.parse(account.metadata) as Record<string, string>) : null,
    timestamp: String(account.timestamp),
    created_at: nsToIso(account.timestamp),
  };
}

export function renderTransfer(transfer: Transfer) {
  return {
    id: transfer.id,
    debit_account_id: transfer.debitAccountId,
    credit_account_id: transfer.creditAccountId,
    amount: String(transfer.amount),
    pending_id: transfer.pendingId,
    ledger: transfer.ledger,
    code: transfer.code,
    flags: bitsToFlags(transfer.flags, TransferFlags),
    timeout: transfer.timeoutSeconds,
    metadata: transfer.metadata ? (JSON.parse(transfer.metadata) as Record<string, string>) : null,
    timestamp: String(transfer.timestamp),
    created_at: nsToIso(transfer.timestamp),
  };
}

/** The request field a result code is about, so that a problem can point at it. */
export function fieldOfResult(code: string): string {
  if (code.startsWith('linked_event')) return '/flags';
  if (code.includes('debit_account')) return '/debit_account_id';
  if (code.includes('credit_account')) return '/credit_account_id';
  if (code.includes('pending_id') || code.startsWith('pending_transfer')) return '/pending_id';
  if (code.includes('timeout')) return '/timeout';
  if (code.includes('amount') || code.startsWith('exceeds') || code.startsWith('overflows')) return '/amount';
  if (code.includes('ledger')) return '/ledger';
  if (code.includes('party')) return '/party_id';
  if (code.includes('metadata')) return '/metadata';
  if (code.includes('flags')) return '/flags';
  if (code.includes('code')) return '/code';
  if (code === 'accounts_must_be_different') return '/credit_account_id';
  return '/id';
}
