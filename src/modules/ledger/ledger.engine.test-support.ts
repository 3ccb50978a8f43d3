import type { Dialect, Queryable } from '../../db/index.ts';
import type { LedgerWriteTx } from './ledger.store.ts';

/**
 * A write transaction of a store that holds nothing: every read finds nothing and every write is
 * dropped, so each transfer is refused for its unknown accounts, which is still a batch applied and
 * answered. For tests of how the engine batches and answers, not of what it books.
 */
export function emptyWriteTx(dialect: Dialect): LedgerWriteTx {
  const refuse = async (): Promise<never> => {
    throw new Error('not used by these batches');
  };
  const nothing: Queryable = { dialect, all: refuse, get: refuse, run: refuse };
  return {
    queryable: nothing,
    lockClock: async () => 0n,
    setClock: async () => undefined,
    dueExpiries: async () => [],
    loadTransfers: async () => [],
    loadAccounts: async () => [],
    loadPending: async () => [],
    loadFailures: async () => new Map(),
    existingLedgers: async () => new Set(),
    write: async () => undefined,
  };
}
