import type { LedgerSnapshot } from './ledger.apply.ts';
import type { ExpectedReads, LedgerWriteTx } from './ledger.store.ts';
import { TransferFlags, type Account, type AccountRequest, type PendingState, type Transfer, type TransferRequest } from './ledger.ts';

/**
 * What the engine reads before it applies a batch: every id the batch's commands name, read in as
 * few statements as the store allows (ledger.engine.ts).
 */

/** A command as far as its reads go. */
export type NamedCommand =
  | { readonly kind: 'transfers'; readonly items: readonly TransferRequest[] }
  | { readonly kind: 'accounts'; readonly items: readonly AccountRequest[] }
  | { readonly kind: 'close'; readonly accountId: string }
  | { readonly kind: 'expire' };

/** The ids a batch names before anything is read: requested transfers, pending transfers, accounts and ledgers. */
function namedIds(batch: readonly NamedCommand[], due: readonly string[]) {
  // Request ids are listed, not deduplicated: an id named twice is looked up twice, which costs
  // less than a set of a batch's size for the usual batch, where every id is new.
  const requestIds: string[] = [];
  const pendingIds = new Set<string>(due);
  const accountIds = new Set<string>();
  const ledgerIds = new Set<number>();
  for (const command of batch) {
    if (command.kind === 'transfers') {
      for (const item of command.items) {
        requestIds.push(item.id);
        if (item.pendingId) pendingIds.add(item.pendingId);
        if (item.debitAccountId) accountIds.add(item.debitAccountId);
        if (item.creditAccountId) accountIds.add(item.creditAccountId);
      }
    } else if (command.kind === 'accounts') {
      for (const item of command.items) {
        accountIds.add(item.id);
        ledgerIds.add(item.ledger);
      }
    } else if (command.kind === 'close') {
      accountIds.add(command.accountId);
    }
  }
  // The transfers to read are the requested ones and the pending ones named or due (usually few; one
  // that is also requested is read twice, harmlessly).
  const transferIds = pendingIds.size === 0 ? requestIds : requestIds.concat([...pendingIds]);
  return { requestIds, transferIds, pendingIds, accountIds, ledgerIds };
}

/** What every batch of a group names, for a store that reads it all at once (LedgerWriteTx.expectReads). */
export function expectedReads(group: readonly { readonly commands: readonly NamedCommand[] }[]): ExpectedReads {
  let reads: ExpectedReads = { transfers: [], accounts: [], pending: [], failures: [], ledgers: [] };
  for (const batch of group) {
    const named = namedIds(batch.commands, []);
    reads = {
      transfers: reads.transfers.concat(named.transferIds),
      accounts: reads.accounts.concat([...named.accountIds]),
      pending: reads.pending.concat([...named.pendingIds]),
      failures: reads.failures.concat(named.requestIds),
      ledgers: reads.ledgers.concat([...named.ledgerIds]),
    };
  }
  return reads;
}

/** Loads everything the batch names: two rounds, because a post or void names its accounts only through the pending transfer. */
export async function loadSnapshot(tx: LedgerWriteTx, batch: readonly NamedCommand[], due: string[], parties: Set<string>): Promise<LedgerSnapshot> {
  const { requestIds, transferIds, pendingIds, accountIds, ledgerIds } = namedIds(batch, due);
  const transfers = new Map<string, Transfer>();
  for (const transfer of await tx.loadTransfers(transferIds)) {
    transfers.set(transfer.id, transfer);
    if (pendingIds.has(transfer.id) && transfer.flags & TransferFlags.pending) {
      accountIds.add(transfer.debitAccountId);
      accountIds.add(transfer.creditAccountId);
    }
  }
  const accounts = new Map<string, Account>();
  for (const account of await tx.loadAccounts([...accountIds])) accounts.set(account.id, account);
  const pending = new Map<string, PendingState>();
  for (const state of await tx.loadPending([...pendingIds])) pending.set(state.id, state);
  const failures = await tx.loadFailures(requestIds);
  const ledgers = await tx.existingLedgers([...ledgerIds]);
  return { accounts, transfers, pending, failures, ledgers, parties };
}
