import type { Account, Transfer } from './ledger.ts';

/**
 * Canonical one-line encodings of everything a ledger batch writes. The engine hashes them when it
 * commits a batch; verification re-reads the tables, encodes the rows the same way and compares.
 * Each line starts with its timestamp, unique across the ledger, so lines sort into commit order.
 */
export interface DigestLine {
  readonly timestamp: bigint;
  readonly line: string;
}

const text = (value: string | null) => (value === null ? '' : value);

export function accountLine(account: Pick<Account, 'id' | 'ledger' | 'code' | 'partyId' | 'metadata' | 'timestamp'>, initialFlags: number): DigestLine {
  return {
    timestamp: account.timestamp,
    line: `A|${account.timestamp}|${account.id}|${account.ledger}|${account.code}|${initialFlags}|${text(account.partyId)}|${text(account.metadata)}`,
  };
}

export function transferLine(transfer: Transfer): DigestLine {
  return { timestamp: transfer.timestamp, line: transferText(transfer) };
}

/** A transfer's line alone, for the engine, which hashes thousands of them per batch. */
export function transferText(transfer: Transfer): string {
  return `T|${transfer.timestamp}|${transfer.id}|${transfer.debitAccountId}|${transfer.creditAccountId}|${transfer.amount}|${text(transfer.pendingId)}|${transfer.ledger}|${transfer.code}|${transfer.flags}|${transfer.timeoutSeconds}|${text(transfer.metadata)}`;
}

export function accountEventLine(event: { readonly accountId: string; readonly kind: string; readonly timestamp: bigint }): DigestLine {
  return { timestamp: event.timestamp, line: `E|${event.timestamp}|${event.accountId}|${event.kind}` };
}

export function expiryLine(pendingId: string, timestamp: bigint): DigestLine {
  return { timestamp, line: `X|${timestamp}|${pendingId}` };
}

export function sortLines(lines: DigestLine[]): DigestLine[] {
  return lines.sort((left, right) => (left.timestamp < right.timestamp ? -1 : left.timestamp > right.timestamp ? 1 : 0));
}

/** What a ledger.batch journal entry keeps inline: the timestamp range it covers and its counts. */
export interface BatchPayload {
  readonly first: string;
  readonly last: string;
  readonly accounts: number;
  readonly transfers: number;
  readonly events: number;
  readonly expiries: number;
  /**
   * Which API key submitted the transfers and accounts the batch stored: [key id, first, last] for
   * each run of timestamps one key's requests took, in order. Absent when no request named a key
   * (records made inside the process). In the payload, so the chain and signed checkpoints vouch for it.
   */
  readonly keys?: readonly (readonly [string, string, string])[];
}
