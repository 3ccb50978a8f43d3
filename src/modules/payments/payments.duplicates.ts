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
    const key = [identity.definition, identity.sender, identity.messageId];
    const inserted = await tx.run(
      `INSERT INTO payment_imported_messages (message_definition, sender, message_id, fingerprint, imported_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (message_definition, sender, message_id) DO NOTHING`,
      [...key, identity.fingerprint, importedAt],
    );
    if (inserted.changes > 0) return { kind: 'first' } as const;
    const held = await tx.get<{ fingerprint: string; imported_at: string }>(
      'SELECT fingerprint, imported_at FROM payment_imported_messages WHERE message_definition = ? AND sender = ? AND message_id = ?',
      key,
    );
    // The insert found the key taken under the writer's lock, so the row is there to read.
    assert(held, 'an imported message was neither inserted nor found');
    return held.fingerprint === identity.fingerprint ? ({ kind: 'same_file' } as const) : ({ kind: 'other_file', importedAt: held.imported_at } as const);
  });
}
