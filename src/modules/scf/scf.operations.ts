import { createHash } from 'node:crypto';
import type { ScfError } from './scf.errors.ts';

/**
 * Voucher operations as the engine receives them. Every operation carries a client-chosen UUID that
 * is its idempotency key: the same id with the same fields answers the first result, with other
 * fields `operation_exists_with_different_fields`. Ids of the pieces and ledger transfers an
 * operation creates derive from its id, so a retry can never create them twice.
 */
interface Base {
  readonly id: string;
}
export interface IssueOperation extends Base {
  readonly kind: 'issue';
  readonly programId: string;
  readonly actingPartyId: string;
  readonly supplierId: string;
  readonly faceAmount: bigint;
  readonly maturityDate: string;
  readonly contractHash: string;
  readonly invoiceHashes: readonly string[];
}
export interface PieceOperation extends Base {
  readonly kind: 'sign_off' | 'decline' | 'repurchase';
  readonly pieceId: string;
  readonly actingPartyId: string;
}
export interface SplitOperation extends Base {
  readonly kind: 'split';
  readonly pieceId: string;
  readonly actingPartyId: string;
  readonly amounts: readonly bigint[];
}
export interface TransferOperation extends Base {
  readonly kind: 'transfer';
  readonly pieceId: string;
  readonly actingPartyId: string;
  readonly toPartyId: string;
}
export interface FinanceOperation extends Base {
  readonly kind: 'finance';
  readonly pieceId: string;
  readonly actingPartyId: string;
  readonly bankId: string;
  readonly annualRateBps: number;
}
export interface VoucherOperation extends Base {
  readonly kind: 'settle' | 'cancel';
  readonly voucherId: string;
  readonly actingPartyId: string;
}
export interface FreezeOperation extends Base {
  readonly kind: 'freeze' | 'unfreeze';
  readonly pieceId: string;
  readonly reason: string;
}

export type ScfOperation =
  | IssueOperation
  | PieceOperation
  | SplitOperation
  | TransferOperation
  | FinanceOperation
  | VoucherOperation
  | FreezeOperation;
export type OperationKind = ScfOperation['kind'];

/** Operations that move money: they reserve it in the ledger before their state change commits. */
export const MONEY_KINDS: ReadonlySet<OperationKind> = new Set(['finance', 'repurchase', 'settle']);

/** A JSON value in which amounts are decimal strings, so the stored result reads back exactly. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export type Outcome =
  | { readonly ok: true; readonly id: string; readonly kind: OperationKind; readonly result: { readonly [key: string]: Json }; readonly replayed: boolean }
  | { readonly ok: false; readonly id: string; readonly kind: OperationKind; readonly error: ScfError; readonly replayed: boolean };

/**
 * JSON with sorted keys and bigints as strings: one text per value, whoever writes it. Written out
 * directly rather than through sorted copies, because every operation is serialised on the hot path.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `"${value}"`;
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let index = 0; index < value.length; index++) out += `${index > 0 ? ',' : ''}${canonicalJson(value[index] === undefined ? null : value[index])}`;
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/** SHA-256 of the operation's canonical form: what "the same body" means for idempotency. */
export function fingerprintOf(operation: ScfOperation): string {
  return createHash('sha256').update(canonicalJson(operation)).digest('hex');
}

/**
 * A UUID derived from a name, shaped as an RFC 9562 version 8 (custom) UUID. The namespace keeps
 * these ids apart from the demo's and from any other derivation.
 */
export function deriveId(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(`sluice-scf:${parts.join(':')}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An id derived from another one that keeps its first 48 bits. For a UUIDv7 (what clients are asked
 * to send) those bits are the millisecond timestamp, so ids derived from recent operations sort
 * together and their index inserts append instead of landing on random pages; the rest is the hash.
 */
export function deriveOrderedId(base: string, ...parts: readonly (string | number)[]): string {
  const hash = deriveId(base, ...parts);
  return `${base.slice(0, 8)}-${base.slice(9, 13)}${hash.slice(13)}`;
}

export const rootPieceId = (voucherId: string) => deriveOrderedId(voucherId, 'root');
export const childPieceId = (operationId: string, index: number) => deriveOrderedId(operationId, 'piece', index);
export const memberAccountId = (programId: string, partyId: string) => deriveId('account', programId, partyId);
/** Ledger transfer ids of one attempt of a money operation; a new attempt never reuses a burnt id. */
export const pendingTransferId = (operationId: string, attempt: number, index: number) => deriveOrderedId(operationId, attempt, 'pending', index);
export const resolvingTransferId = (pendingId: string, action: 'post' | 'void') => deriveOrderedId(pendingId, action);
