import type { Dialect, Queryable } from '../../db/index.ts';
import { systemClock } from '../../kernel/index.ts';
import type { JournalService } from '../journal/index.ts';
import { createLedgerEngine, type LedgerEngine, type LedgerMetrics } from './ledger.engine.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';

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

/** An engine on `store` with nothing else of a platform: no journal, no parties, the system clock. */
export function engineOn(store: LedgerStore, metrics?: LedgerMetrics): LedgerEngine {
  return createLedgerEngine({
    store,
    journal: {} as JournalService,
    clock: systemClock,
    hashAlgorithm: 'sha256',
    knownParties: async () => new Set(),
    ...(metrics ? { metrics } : {}),
  });
}
