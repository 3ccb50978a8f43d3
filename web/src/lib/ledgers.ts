import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type { Ledger } from '../api/types.ts';

/**
 * Ledgers change rarely (one per currency), and nearly every page needs their currency and scale to
 * show an amount, so they are fetched once per session and shared.
 */
let cache: Promise<readonly Ledger[]> | null = null;

export function loadLedgers(): Promise<readonly Ledger[]> {
  cache ??= api.get<{ data: Ledger[] }>('/v1/ledgers').then(
    (answer) => answer.data,
    (error: unknown) => {
      cache = null;
      throw error;
    },
  );
  return cache;
}

export interface LedgerLookup {
  readonly ledgers: readonly Ledger[];
  currencyOf(ledger: number): string;
  scaleOf(ledger: number): number;
}

export function useLedgers(): LedgerLookup {
  const [ledgers, setLedgers] = useState<readonly Ledger[]>([]);
  useEffect(() => {
    let live = true;
    loadLedgers().then(
      (list) => live && setLedgers(list),
      () => {
        // Amounts then show with two decimals and the ledger number; the page itself reports errors.
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return useMemo(
    () => ({
      ledgers,
      currencyOf: (id: number) => ledgers.find((ledger) => ledger.id === id)?.asset_code ?? `#${id}`,
      scaleOf: (id: number) => ledgers.find((ledger) => ledger.id === id)?.scale ?? 2,
    }),
    [ledgers],
  );
}
