import { createHash } from 'node:crypto';
import { assert } from '../../kernel/index.ts';
import type { PaymentsWriter } from './payments.writer.ts';

/**
 * Banks treat a message's GrpHdr/MsgId as unique per sender: a second, different file under an id
 * already used is refused as a duplicate, while the same file sent again (a retry after a lost
 * answer) is harmless. Sluice keeps the sender, the message id and a fingerprint of every imported
 * file, so that it can tell the two apart before it books anything.
 */
export interface MessageIdentity {
  /** pain.001.001.09 or pacs.008.001.08: customer and interbank senders are counted apart. */
  readonly definition: string;
  /**
   * Whose message ids these are among the callers (importerOf): empty for a pacs.008, whose sender
   * a participant key must own, and for any file imported by an admin or operator key; the key's
   * parties for a pain.001 imported by a participant key, whose sender is free text.
   */
  readonly importer: string;
  /** Who sent the message (see senderOf in payments.import.ts); empty when the file names nobody. */
  readonly sender: string;
  readonly messageId: string;
  /** SHA-256 of the file's bytes, in hex. */
  readonly fingerprint: string;
  /** The MsgId element's path, for the refusal's pointer. */
  readonly path: string;
  /** The path of the header's PssblDplct when it says true: the sender itself suspects a duplicate. */
  readonly possibleDuplicatePath?: string;
}

/**
 * The namespace of a file's message ids among the callers. A pain.001's sender, its initiating
 * party, is free text that no key is checked against, so a customer's key could name another
 * customer there and, importing first, use up that customer's MsgId. A participant key's pain.001
 * ids are therefore counted apart, under the key's parties (every key of the same parties shares
 * them, so a replacement key still sees its predecessor's files); they can collide only with files
 * of those same parties. Admin and operator keys import on anyone's behalf and share the empty
 * namespace, which is also where rows recorded before namespaces existed stay. A pacs.008's sender
 * is a bank a participant key must own (payments.import-access.ts), so it needs no namespace.
 */
export function importerOf(definition: string, partyScope: readonly string[] | null): string {
  if (definition !== 'pain.001.001.09' || !partyScope) return '';
  return `parties:${JSON.stringify([...new Set(partyScope)].sort())}`;
}

export type Claim =
  | { readonly kind: 'first' }
  | { readonly kind: 'same_file' }
  | { readonly kind: 'other_file'; readonly importedAt: string };

/**
 * The bytes as received, not a reading of them: the same file is the same bytes, and a fingerprint
 * that does not depend on what this release's reader keeps stays valid across upgrades.
 */
export function fingerprintOf(xml: string | Uint8Array): string {
  return createHash('sha256').update(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml).digest('hex');
}

/**
 * Records the message, or finds who holds its id. It runs in the payments writer, under its lock,
 * and answers once the record is on disk: of two different files with one id arriving together,
 * exactly one inserts and the other finds it, and a crash after the answer cannot forget the claim
 * of a file whose payments are being booked.
 */
export async function claimMessage(writer: PaymentsWriter, identity: MessageIdentity, importedAt: string): Promise<Claim> {
  return writer.run(async ({ tx }) => {
    const key = [identity.definition, identity.importer, identity.sender, identity.messageId];
    // Another process sharing a PostgreSQL database may prune the row the insert collided with
    // before it is read (its retention ran out that moment); the insert then wins on its second try.
    for (let attempt = 1; ; attempt += 1) {
      const inserted = await tx.run(
        `INSERT INTO payment_imported_messages (message_definition, importer, sender, message_id, fingerprint, imported_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_definition, importer, sender, message_id) DO NOTHING`,
        [...key, identity.fingerprint, importedAt],
      );
      if (inserted.changes > 0) return { kind: 'first' } as const;
      const held = await tx.get<{ fingerprint: string; imported_at: string }>(
        'SELECT fingerprint, imported_at FROM payment_imported_messages WHERE message_definition = ? AND importer = ? AND sender = ? AND message_id = ?',
        key,
      );
      if (held) return held.fingerprint === identity.fingerprint ? ({ kind: 'same_file' } as const) : ({ kind: 'other_file', importedAt: held.imported_at } as const);
      assert(attempt < CLAIM_ATTEMPTS_MAX, 'an imported message was neither inserted nor found');
    }
  });
}

/** A claim collides with a row pruned under it at most once: the second insert finds the key free. */
const CLAIM_ATTEMPTS_MAX = 2;

/**
 * Forgets the messages imported before `cutoff` (an ISO instant), at most `batch` rows per statement
 * and `batches` statements, oldest first, each in the writer so that no claim of this process runs
 * between. Returns how many were deleted; fewer than `batch` × `batches` means none is left.
 * A file whose row is gone is checked as a new message again. Its payments are not booked twice:
 * their ids derive from the debtor agent and end-to-end id (or from a UETR bound to the file), so the
 * same transactions again answer as replays of the payments already booked.
 */
export async function pruneImportedMessages(writer: PaymentsWriter, cutoff: string, limits: { readonly batch: number; readonly batches: number }): Promise<number> {
  let deleted = 0;
  for (let pass = 0; pass < limits.batches; pass += 1) {
    const removed = await writer.run(async ({ tx }) => (await tx.run(
      `DELETE FROM payment_imported_messages WHERE (message_definition, importer, sender, message_id) IN (
         SELECT message_definition, importer, sender, message_id FROM payment_imported_messages WHERE imported_at < ? ORDER BY imported_at LIMIT ?)`,
      [cutoff, limits.batch],
    )).changes);
    deleted += removed;
    if (removed < limits.batch) break;
  }
  return deleted;
}
