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
 * Before sealing anything, the key secret is checked against secrets already sealed: a process
 * started with the wrong key secret must not seal new secrets under it (they would be lost once the
 * right secret is back), nor sign with anything but the real secret, which the cipher's tag ensures.
 */
export const WEBHOOK_SECRET_PURPOSE = 'payments.webhook-secret';
/** Plain-text rows sealed per dispatch pass. */
export const WEBHOOK_SECRETS_SEALED_PER_PASS = 100;
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
  return `the webhook's signing secret cannot be opened (${problem}): either SLUICE_KEY_SECRET is not the one it was sealed with, or the stored value was changed; nothing was sent`;
}

export interface WebhookSecrets {
  /** The sealed form to store for a new secret; throws WebhookSecretError under a wrong key secret. */
  seal(secret: string): Promise<string>;
  /** The secret to sign with, from a row's sealed form, or from its plain form while it has one. */
  signingSecret(row: Readonly<Record<string, unknown>>): Promise<Result<string, SealProblem>>;
  /** Seals a batch of rows still in plain text; returns how many this call sealed. */
  sealStored(): Promise<number>;
}

export function createWebhookSecrets(deps: { readonly db: Database; readonly keySecret: string }): WebhookSecrets {
  const { db, keySecret } = deps;
  const masterKeys = new Map<string, MasterKey>();
  let sealingKey: MasterKey | undefined;

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

  const open = async (stored: string): Promise<Result<string, SealProblem>> => {
    await warm(stored);
    return openText(stored, masterKeyFor, WEBHOOK_SECRET_PURPOSE);
  };

  /**
   * The master key new secrets are sealed under: that of a stored secret it opens (so they share its
   * salt and one derivation), or a fresh one when none is stored yet. Refuses when secrets are stored
   * and none opens: the key secret is not the one they were sealed with.
   */
  async function keyToSealWith(): Promise<MasterKey> {
    if (sealingKey) return sealingKey;
    const rows = await db.all<{ sealed_secret: string }>(
      'SELECT sealed_secret FROM payment_webhooks WHERE sealed_secret IS NOT NULL ORDER BY id DESC LIMIT ?',
      [KEY_CHECK_ROWS],
    );
    let problem: SealProblem | undefined;
    for (const row of rows) {
      const kdf = sealedTextKdf(row.sealed_secret);
      const opened = await open(row.sealed_secret);
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
    async seal(secret) {
      return sealText(secret, await keyToSealWith(), WEBHOOK_SECRET_PURPOSE);
    },
    async signingSecret(row) {
      if (typeof row.sealed_secret === 'string') return open(row.sealed_secret);
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
      if (rows.length === 0) return 0;
      const key = await keyToSealWith();
      let sealed = 0;
      for (const row of rows) {
        // Compare-and-set on the plain text: a row another process sealed meanwhile is left as it sealed it.
        const { changes } = await db.run('UPDATE payment_webhooks SET sealed_secret = ?, secret = NULL WHERE id = ? AND secret = ?', [
          sealText(row.secret, key, WEBHOOK_SECRET_PURPOSE), row.id, row.secret,
        ]);
        sealed += changes;
      }
      return sealed;
    },
  };
}
