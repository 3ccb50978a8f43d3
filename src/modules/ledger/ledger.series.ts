import type { Balances } from './ledger.repository.ts';
import { TransferFlags } from './ledger.ts';

/**
 * Balances of one account at many instants from one ordered pass over its transfers.
 *
 * Each transfer changes the balances at every instant at or after its timestamp, and a pending
 * transfer stops holding funds at every instant at or after it was resolved (posted, voided or
 * expired). So a transfer adds its amount to the first instant at or after its timestamp, a
 * resolution takes it away again at the first instant at or after its resolution, and a running sum
 * over the instants gives each one's balances. The state is one delta per instant and column,
 * however many transfers the account has; the transfers may arrive in any order and in chunks.
 *
 * The rules are those of the point-in-time query (computedBalanceAt): a transfer posts unless it
 * is pending or a void; a pending transfer holds funds from its timestamp until its resolution.
 */

/** Rows read per statement while a series walks an account's transfers. */
export const SERIES_SCAN_CHUNK_ROWS = 2_000;

/** What the series needs of one transfer touching the account, with its pending state if it has one. */
export interface SeriesTransfer {
  readonly timestamp: bigint;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly flags: number;
  /** When the transfer is pending: when it was resolved, 0 while it still holds funds. Undefined for other transfers. */
  readonly resolvedAt: bigint | undefined;
}

/** Flags whose transfers do not post: a pending transfer holds funds; a void releases them. */
const NOT_POSTING = TransferFlags.pending | TransferFlags.void_pending;

type Column = keyof Balances;

export interface SeriesAccumulator {
  add(transfer: SeriesTransfer): void;
  /** The balances at every instant, in the order of the instants. */
  balances(): Balances[];
}

/** `instants` must not decrease; equal instants get equal balances. */
export function createSeriesAccumulator(accountId: string, instants: readonly bigint[]): SeriesAccumulator {
  const count = instants.length;
  const deltas: Record<Column, bigint[]> = {
    debitsPending: new Array<bigint>(count).fill(0n),
    debitsPosted: new Array<bigint>(count).fill(0n),
    creditsPending: new Array<bigint>(count).fill(0n),
    creditsPosted: new Array<bigint>(count).fill(0n),
  };
  const change = (column: Column, from: bigint, amount: bigint) => {
    const index = firstAtOrAfter(instants, from);
    if (index < count) deltas[column][index] = (deltas[column][index] as bigint) + amount;
  };
  const addSide = (transfer: SeriesTransfer, pendingColumn: Column, postedColumn: Column) => {
    if ((transfer.flags & NOT_POSTING) === 0) change(postedColumn, transfer.timestamp, transfer.amount);
    const resolvedAt = transfer.resolvedAt;
    if (resolvedAt === undefined) return;
    // A resolution at or before the transfer's own timestamp leaves no instant at which it holds funds.
    if (resolvedAt !== 0n && resolvedAt <= transfer.timestamp) return;
    change(pendingColumn, transfer.timestamp, transfer.amount);
    if (resolvedAt !== 0n) change(pendingColumn, resolvedAt, -transfer.amount);
  };
  return {
    add(transfer) {
      if (transfer.debitAccountId === accountId) addSide(transfer, 'debitsPending', 'debitsPosted');
      if (transfer.creditAccountId === accountId) addSide(transfer, 'creditsPending', 'creditsPosted');
    },
    balances() {
      const running = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
      return instants.map((_, index) => {
        for (const column of Object.keys(running) as Column[]) running[column] += deltas[column][index] as bigint;
        return { ...running };
      });
    },
  };
}

/** The index of the first instant at or after `timestamp`, or the number of instants if there is none. */
export function firstAtOrAfter(instants: readonly bigint[], timestamp: bigint): number {
  let low = 0;
  let high = instants.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((instants[middle] as bigint) < timestamp) low = middle + 1;
    else high = middle;
  }
  return low;
}
