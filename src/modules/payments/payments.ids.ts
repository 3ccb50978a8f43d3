import { hash } from 'node:crypto';

/**
 * Ids that derive from a payment's own id, so that a retry, a recovery after a crash or a second
 * import of the same file can never create a transfer, a message or a payment twice.
 */
function digest(parts: readonly (string | number)[]): string {
  return hash('sha256', `sluice-payments:${parts.join(':')}`, 'hex');
}

function shape(hex: string, version: '4' | '8'): string {
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** A name-derived UUID in RFC 9562's version 8 (custom) layout. */
export const derivePaymentsId = (...parts: readonly (string | number)[]): string => shape(digest(parts), '8');

/**
 * Whether an id is in the layout of the ids derived here (UUID version 8). A client names its own
 * payment ids, but none in this layout: anyone can compute the id an import will derive for another
 * customer's transfer, and a payment submitted under it would stand in that transfer's way.
 */
export const isDerivedLayout = (id: string): boolean => id.length === 36 && id[14] === '8';

/**
 * A payment's UETR when the client names none: shaped as the UUID version 4 that SWIFT gpi and ISO
 * 20022 require, and derived from the payment id so that a retried request carries the same UETR.
 */
export const uetrFor = (paymentId: string): string => shape(digest(['uetr', paymentId]), '4');

/**
 * The UETR of an imported transaction whose file carried none. The reader derives one from the
 * message's identity (sender, MsgId, block and end-to-end ids), all of which anyone can write into a
 * file or guess; a UETR is unique, so another caller who took that UETR first (in a file of its own
 * naming the same sender and ids, or in a payment naming it) would have the real file's transaction
 * refused as uetr_already_used. Bound to the SHA-256 of the file's bytes as well, the UETR is the
 * same on every import of that file, and nobody without those bytes can compute it.
 */
export const fileBoundUetr = (readerUetr: string, fileFingerprint: string): string => shape(digest(['file-uetr', readerUetr, fileFingerprint]), '4');

/**
 * The payment an imported transaction becomes: one per debtor agent, debtor account (as the file
 * names it), end-to-end id and instruction id. The debtor account keeps the customers of one bank
 * apart: each numbers its own end-to-end ids, so one customer's transfer can never take the id of
 * another's. The parts are encoded as one JSON array, so no choice of texts can make two tuples meet.
 */
export const importedPaymentId = (debtorAgent: string, debtorAccount: string, endToEndId: string, instructionId: string): string =>
  derivePaymentsId('import-account', JSON.stringify([debtorAgent, debtorAccount, endToEndId, instructionId]));

/**
 * The id an imported transaction had before the debtor account was part of it (debtor agent and
 * end-to-end id alone). Payments recorded under it keep it; an import looks it up so that a file
 * imported before the change still answers as a replay (withLegacyIds, payments.import.ts).
 */
export const legacyImportedPaymentId = (debtorAgent: string, endToEndId: string, instructionId: string): string =>
  derivePaymentsId('import', debtorAgent, endToEndId, instructionId);

export const messageId = (paymentId: string, kind: string, sequence = 0): string => digest(['message', paymentId, kind, sequence]).slice(0, 32).toUpperCase();

export const participantAccountId = (bic: string, currency: string, role: 'settlement' | 'fee'): string => derivePaymentsId('participant', bic, currency, role);
