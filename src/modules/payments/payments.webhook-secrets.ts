import { deriveMasterKey, deriveMasterKeyAsync, openText, sealText, sealedTextKdf, type KdfParams, type MasterKey, type SealProblem } from '../../crypto/index.ts';
import type { Database } from '../../db/index.ts';
import { err, ok, type Result } from '../../kernel/index.ts';

/**
 * Webhook signing secrets at rest. A secret is sealed (authenticated encryption, src/crypto's
 * sealText) under a key derived from the installation's key secret (SLUICE_KEY_SECRET or
 * <data>/key-secret, the one the journal's key ring is sealed under) and kept in
 * `payment_webhooks.sealed_secret`; it is opened in memory only to sign a delivery.
 *
 * Rows written before secrets were sealed hold the secret in plain text in `secret`. They keep
 * delivering from it until the dispatcher's next pass seals them: one compare-and-set per row that
 * writes the sealed form and clears the plain one together, so two processes sealing the same row
 * leave exactly one sealed copy, and a reader sees either the plain or the sealed secret, never
 * neither.
 *
 * Each sealed secret is bound to its webhook: sealed with the webhook's id as its context, it opens
 * only for the row of that id. Someone who can write the table but lacks the key secret can still
 * copy one webhook's sealed secret onto another's row; bound, it does not open there, and that
 * webhook's deliveries are withheld (as for any secret that does not open: counted, alerted on,
 * never signed) instead of going out signed with the other webhook's secret. Boxes sealed before
 * binding (no context) still open, once: the dispatcher's next pass, or the first delivery that meets
 * one, seals the secret again bound to its row, by the same kind of compare-and-set (on the unbound
 * box), and says so in the log. An unbound box cannot tell which row it belongs to, so one taken
 * from a backup of before the upgrade and put on another row would be bound to that row: the log
 * line is how that is noticed, and rotating secrets after upgrading retires such boxes.
 *
 * Before sealing anything, the key secret is checked against secrets already sealed: a process
 * started with the wrong key secret must not seal new secrets under it (they would be lost once the
 * right secret is back), nor sign with anything but the real secret, which the cipher's tag ensures.
 */
export const WEBHOOK_SECRET_PURPOSE = 'payments.webhook-secret';
/** Plain-text rows sealed, and boxes sealed before binding bound, per dispatch pass (each). */
export const WEBHOOK_SECRETS_SEALED_PER_PASS = 100;
/**
 * Picks out boxes sealed before binding by the `context` field a bound box carries (sealText writes
 * it). Only a filter, to spare opening every bound box on every pass: whether a box opens, and how,
 * is decided by its tag, whatever its fields say.
 */
const UNBOUND_BOX_FILTER = '%"context":%';
/** How long a delivery whose secret does not open waits before it is tried (and reported) again. */
export const WITHHELD_RETRY_MS = 60_000;
/** Sealed rows tried when checking the key secret; usually all share one salt, so one derivation. */
const KEY_CHECK_ROWS = 4;
/** Master keys kept, one per salt met (each costs half a second of scrypt to derive). */
const MASTER_KEYS_KEPT = 8;

/** The key secret does not open the secrets sealed before: nothing is sealed or signed with it. */
export class WebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretError';
  }
}

/** What a delivery says when its webhook's secret does not open; nothing is sent. */
export function unopenedSecretMessage(problem: SealProblem): string {
  return `the webhook's signing secret cannot be opened (${problem}): either SLUICE_KEY_SECRET is not the one it was sealed with, or the stored value was changed (or copied from another webhook's row); nothing was sent`;
}

export interface WebhookSecrets {
  /**
   * The sealed form to store for a new secret of the webhook `webhookId`, bound to it; throws
   * WebhookSecretError under a wrong key secret.
   */
  seal(webhookId: string, secret: string): Promise<string>;
  /**
   * The secret to sign the webhook `webhookId`'s deliveries with, from its row's sealed form (bound
   * to that id, or sealed before binding, which is then bound to it), or from its plain form while
   * it has one. A box bound to another webhook does not open.
   */
  signingSecret(webhookId: string, row: Readonly<Record<string, unknown>>): Promise<Result<string, SealProblem>>;
  /**
   * Seals a batch of rows still in plain text and binds a batch of boxes sealed before binding;
   * returns how many rows this call wrote.
   */
  sealStored(): Promise<number>;
}

export function createWebhookSecrets(deps: {
  readonly db: Database;
  readonly keySecret: string;
  /** Told of each box sealed before binding that this process binds to its row. */
  readonly report?: (message: string) => void;
}): WebhookSecrets {
  const { db, keySecret } = deps;
  const masterKeys = new Map<string, MasterKey>();
  let sealingKey: MasterKey | undefined;
  /** Where the next pass goes on looking for unbound boxes (ids above it); '' from the start. */
  let bindingCursor = '';

  function remember(derived: MasterKey): MasterKey {
    if (masterKeys.size >= MASTER_KEYS_KEPT) masterKeys.delete(masterKeys.keys().next().value as string);
    masterKeys.set(JSON.stringify(derived.kdf), derived);
    return derived;
  }

  /** openText's look-up: by the time it asks, `warm` has derived the key (derived here only if not). */
  function masterKeyFor(kdf: KdfParams): MasterKey {
    return masterKeys.get(JSON.stringify(kdf)) ?? remember(deriveMasterKey(keySecret, kdf));
  }

  /**
   * Derives the master key a sealed secret names, off the event loop, before it is opened: the server
   * is answering requests by the time the dispatcher first signs or seals, and half a second of scrypt
   * on the loop would hold every one of them up.
   */
  async function warm(stored: string): Promise<void> {
    const kdf = sealedTextKdf(stored);
    if (!kdf.ok || masterKeys.has(JSON.stringify(kdf.value))) return;
    try {
      remember(await deriveMasterKeyAsync(keySecret, kdf.value));
    } catch {
      // Parameters scrypt refuses: opening says so as it always did.
    }
  }

  const open = async (stored: string, webhookId?: string): Promise<Result<string, SealProblem>> => {
    await warm(stored);
    return openText(stored, masterKeyFor, WEBHOOK_SECRET_PURPOSE, webhookId);
  };

  /**
   * Opens a row's sealed secret as bound to the row's webhook, or else as sealed before binding
   * (`unbound`). A box bound to another webhook opens neither way, and answers as the bound attempt did.
   */
  async function openForRow(webhookId: string, stored: string): Promise<{ opened: Result<string, SealProblem>; unbound: boolean }> {
    const bound = await open(stored, webhookId);
    if (bound.ok) return { opened: bound, unbound: false };
    const before = await open(stored);
    return before.ok ? { opened: before, unbound: true } : { opened: bound, unbound: false };
  }

  /**
   * Seals an opened unbound secret again, bound to its row, under the master key it was sealed with.
   * Compare-and-set on the unbound box: a row another process bound meanwhile keeps the box it wrote
   * (both are valid; one is kept), and a row changed meanwhile is not overwritten.
   */
  async function bind(webhookId: string, unbound: string, secret: string): Promise<number> {
    const kdf = sealedTextKdf(unbound);
    if (!kdf.ok) return 0;
    const bound = sealText(secret, masterKeyFor(kdf.value), WEBHOOK_SECRET_PURPOSE, { context: webhookId });
    const { changes } = await db.run('UPDATE payment_webhooks SET sealed_secret = ? WHERE id = ? AND sealed_secret = ?', [bound, webhookId, unbound]);
    if (changes > 0) {
      deps.report?.(
        `webhook ${webhookId}: its signing secret was sealed before secrets were bound to their webhook and is now bound to this one; expected once per webhook after upgrading (and for webhooks a process of the earlier version sealed meanwhile); any other time, an unbound sealed secret was put on this row`,
      );
    }
    return changes;
  }

  /**
   * Binds the boxes sealed before binding, a page per pass, going on from where the last pass
   * stopped so that boxes which never open (changed, or under another key secret) cannot hold back
   * the ones after them.
   */
  async function bindStored(): Promise<number> {
    const rows = await db.all<{ id: string; sealed_secret: string }>(
      'SELECT id, sealed_secret FROM payment_webhooks WHERE sealed_secret IS NOT NULL AND sealed_secret NOT LIKE ? AND id > ? ORDER BY id LIMIT ?',
      [UNBOUND_BOX_FILTER, bindingCursor, WEBHOOK_SECRETS_SEALED_PER_PASS],
    );
    bindingCursor = rows.length < WEBHOOK_SECRETS_SEALED_PER_PASS ? '' : (rows.at(-1) as { id: string }).id;
    let bound = 0;
    for (const row of rows) {
      const { opened, unbound } = await openForRow(row.id, row.sealed_secret);
      if (opened.ok && unbound) bound += await bind(row.id, row.sealed_secret, opened.value);
    }
    return bound;
  }

  /**
   * The master key new secrets are sealed under: that of a stored secret it opens (so they share its
   * salt and one derivation), or a fresh one when none is stored yet. Refuses when secrets are stored
   * and none opens: the key secret is not the one they were sealed with.
   */
  async function keyToSealWith(): Promise<MasterKey> {
    if (sealingKey) return sealingKey;
    const rows = await db.all<{ id: string; sealed_secret: string }>(
      'SELECT id, sealed_secret FROM payment_webhooks WHERE sealed_secret IS NOT NULL ORDER BY id DESC LIMIT ?',
      [KEY_CHECK_ROWS],
    );
    let problem: SealProblem | undefined;
    for (const row of rows) {
      const kdf = sealedTextKdf(row.sealed_secret);
      const { opened } = await openForRow(row.id, row.sealed_secret);
      if (kdf.ok && opened.ok) return (sealingKey = masterKeyFor(kdf.value));
      problem = opened.ok ? 'malformed_sealed_box' : opened.error;
    }
    if (problem) {
      throw new WebhookSecretError(
        `cannot open the stored webhook signing secrets (${problem}): is SLUICE_KEY_SECRET the one they were sealed with? No webhook secret is sealed under this one.`,
      );
    }
    sealingKey = remember(await deriveMasterKeyAsync(keySecret));
    return sealingKey;
  }

  return {
    async seal(webhookId, secret) {
      return sealText(secret, await keyToSealWith(), WEBHOOK_SECRET_PURPOSE, { context: webhookId });
    },
    async signingSecret(webhookId, row) {
      if (typeof row.sealed_secret === 'string') {
        const { opened, unbound } = await openForRow(webhookId, row.sealed_secret);
        // Sealed before binding: accepted this once, and bound to its row before it is used.
        if (opened.ok && unbound) await bind(webhookId, row.sealed_secret, opened.value);
        return opened;
      }
      // A row from before sealing, not yet sealed by the dispatcher.
      if (typeof row.secret === 'string') return ok(row.secret);
      return err('malformed_sealed_box');
    },
    async sealStored() {
      // Looked for on every pass, not once: a process of an earlier version sharing the database
      // during an upgrade still writes plain-text rows.
      const rows = await db.all<{ id: string; secret: string }>(
        'SELECT id, secret FROM payment_webhooks WHERE secret IS NOT NULL ORDER BY id LIMIT ?',
        [WEBHOOK_SECRETS_SEALED_PER_PASS],
      );
      let sealed = 0;
      if (rows.length > 0) {
        const key = await keyToSealWith();
        for (const row of rows) {
          // Compare-and-set on the plain text: a row another process sealed meanwhile is left as it sealed it.
          const { changes } = await db.run('UPDATE payment_webhooks SET sealed_secret = ?, secret = NULL WHERE id = ? AND secret = ?', [
            sealText(row.secret, key, WEBHOOK_SECRET_PURPOSE, { context: row.id }), row.id, row.secret,
          ]);
          sealed += changes;
        }
      }
      return sealed + (await bindStored());
    },
  };
}
