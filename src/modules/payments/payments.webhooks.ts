import { createHmac, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../../db/index.ts';
import { err, nsToIso, ok, uuidv7, type Clock, type Result } from '../../kernel/index.ts';
import type { PaymentError } from './payments.errors.ts';
import { derivePaymentsId } from './payments.ids.ts';
import { WEBHOOK_LIMITS } from './payments.limits.ts';
import { eventsAfter, readLastEventSeq } from './payments.repository.ts';
import type { PaymentEvent } from './payments.ts';
import {
  checkWebhookTarget, createWebhookAddressPolicy, createWebhookPost, isAllowedWebhookHost, PUBLIC_ONLY, systemResolver,
  type WebhookAddressPolicy, type WebhookPost, type WebhookResolver,
} from './payments.webhook-target.ts';
import { createWebhookSecrets, unopenedSecretMessage, WebhookSecretError, WITHHELD_RETRY_MS } from './payments.webhook-secrets.ts';

/**
 * Status notifications by webhook. The payment events table is the outbox: a dispatcher hands each
 * subscription the events after its cursor as deliveries, and posts each delivery to the URL the
 * operator registered, signed with the subscription's secret (kept sealed, payments.webhook-secrets.ts):
 *
 *   Sluice-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * A delivery that is not answered with 2xx in time is tried again after 1 s, 2 s, 4 s … up to
 * WEBHOOK_LIMITS.maxAttempts attempts, then marked failed; every attempt is logged. Delivery is at
 * least once and in no guaranteed order (a retried event must not hold back the ones after it):
 * receivers deduplicate by the event id and order by the sequence number in the body. Clients that cannot take webhooks
 * poll GET /v1/payments/events with a cursor, which reads the same table.
 */
export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly active: boolean;
  readonly cursor: bigint;
  readonly createdAt: string;
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly atMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface Delivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventSeq: bigint;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptMs: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly log: readonly DeliveryAttempt[];
}

export const SIGNATURE_HEADER = 'sluice-signature';

export function signBody(secret: string, timestampMs: number, body: string): string {
  return `t=${timestampMs},v1=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}

/** The body of an event's notification: the same bytes on every attempt. */
export function notificationBody(event: PaymentEvent): string {
  return JSON.stringify({
    id: `evt_${event.seq}`,
    type: 'payment.status_changed',
    data: { seq: String(event.seq), payment_id: event.paymentId, uetr: event.uetr, status: event.status, reason_code: event.reasonCode, at: nsToIso(event.at) },
  });
}

/** First retry after the base delay, doubling each time, never longer than the cap. */
export function backoffMs(attempts: number): number {
  return Math.min(WEBHOOK_LIMITS.backoffMaxMs, WEBHOOK_LIMITS.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
}

type Row = Record<string, unknown>;
/** What the delivery log says of a delivery that was waiting when its webhook was removed. */
export const REMOVED_WEBHOOK_ERROR = 'not sent: the webhook was removed';

const toWebhook = (row: Row): Webhook => ({
  id: row.id as string, url: row.url as string, active: Number(row.active) === 1, cursor: BigInt(row.cursor as bigint), createdAt: row.created_at as string,
});

/** The checks of a URL as written; a host name's addresses are checked after it resolves (checkWebhookTarget). */
export function validWebhookUrl(text: string, policy: WebhookAddressPolicy = PUBLIC_ONLY): boolean {
  if (text.length > WEBHOOK_LIMITS.urlMaxLength) return false;
  try {
    const url = new URL(text);
    // Credentials in a URL end up in logs; secrets travel as the signing secret instead.
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && isAllowedWebhookHost(url, policy);
  } catch {
    return false;
  }
}

export interface WebhooksDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** The installation's key secret (SLUICE_KEY_SECRET): signing secrets are sealed under a key derived from it. */
  readonly keySecret: string;
  readonly report: (message: string) => void;
  readonly post?: WebhookPost;
  /** Every address, private ones included: local development only. */
  readonly allowPrivateAddresses?: boolean;
  /** Private ranges, addresses and host names webhooks may reach (validated by parseAllowedNetworks). */
  readonly allowedNetworks?: readonly string[];
  /** How host names are resolved, at registration and delivery; the system's resolver unless a test fakes it. */
  readonly resolve?: WebhookResolver;
}

export function createWebhooks(deps: WebhooksDeps) {
  const { db, clock } = deps;
  const policy = createWebhookAddressPolicy({ allowPrivate: deps.allowPrivateAddresses ?? false, allowedNetworks: deps.allowedNetworks ?? [] });
  const resolve = deps.resolve ?? systemResolver;
  const send = deps.post ?? createWebhookPost({ policy, resolve });
  const secrets = createWebhookSecrets({ db, keySecret: deps.keySecret, report: deps.report });
  let sealingRefusalReported = false;
  let running: Promise<{ delivered: number; failed: number; retried: number }> | null = null;
  /** Attempts this process made since it started, by how they ended (for /metrics). */
  // withheld: deliveries not sent because their signing secret did not open (counted for /metrics).
  const attempted = { delivered: 0, failed: 0, retried: 0, withheld: 0 };

  async function fanOut(): Promise<void> {
    const hooks = (await db.all('SELECT id, url, active, cursor, created_at FROM payment_webhooks WHERE active = 1 ORDER BY id')).map(toWebhook);
    for (const hook of hooks) {
      const events = await eventsAfter(db, hook.cursor, WEBHOOK_LIMITS.eventsPerPass);
      if (events.length === 0) continue;
      const nowMs = clock.nowMs();
      const createdAt = new Date(nowMs).toISOString();
      await db.transaction(async (tx) => {
        const verb = tx.dialect === 'postgres' ? 'INSERT' : 'INSERT OR IGNORE';
        const tail = tx.dialect === 'postgres' ? ' ON CONFLICT DO NOTHING' : '';
        for (const event of events) {
          await tx.run(
            `${verb} INTO payment_webhook_deliveries (id, webhook_id, event_seq, state, attempts, next_attempt_ms, last_status, last_error, created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, ?)${tail}`,
            [derivePaymentsId('delivery', hook.id, String(event.seq)), hook.id, event.seq, nowMs, createdAt, createdAt],
          );
        }
        await tx.run('UPDATE payment_webhooks SET cursor = ? WHERE id = ? AND cursor < ?', [(events.at(-1) as PaymentEvent).seq, hook.id, (events.at(-1) as PaymentEvent).seq]);
      });
    }
  }

  /**
   * A delivery whose secret does not open is not attempted: nothing is sent and no attempt is used
   * up (after a wrong key secret is put right, it goes out as usual); it waits, saying why.
   */
  async function withhold(row: Row, message: string, reported: Set<string>): Promise<'withheld' | 'skipped'> {
    const nowMs = clock.nowMs();
    const { changes } = await db.run(
      'UPDATE payment_webhook_deliveries SET next_attempt_ms = ?, last_error = ?, updated_at = ? WHERE id = ? AND next_attempt_ms = ? AND state = ?',
      [nowMs + WITHHELD_RETRY_MS, message, new Date(nowMs).toISOString(), row.id as string, row.next_attempt_ms as bigint, 'pending'],
    );
    const webhookId = row.webhook_id as string;
    if (changes > 0 && !reported.has(webhookId)) {
      reported.add(webhookId);
      deps.report(`webhook ${webhookId}: ${message}`);
    }
    // Another dispatcher that moved the row first counts it.
    return changes > 0 ? 'withheld' : 'skipped';
  }

  async function attempt(row: Row, reported: Set<string>): Promise<'delivered' | 'failed' | 'retried' | 'withheld' | 'skipped'> {
    const id = row.id as string;
    const attempts = Number(row.attempts) + 1;
    // Opened here, only to sign this delivery, and never kept; as bound to the delivery's webhook, so
    // that a secret sealed for another webhook does not open.
    const secret = await secrets.signingSecret(row.webhook_id as string, row);
    if (!secret.ok) return withhold(row, unopenedSecretMessage(secret.error), reported);
    const nowMs = clock.nowMs();
    // A lease: another dispatcher (another process) that picked the same row finds it moved on.
    const leased = await db.run('UPDATE payment_webhook_deliveries SET next_attempt_ms = ? WHERE id = ? AND next_attempt_ms = ? AND state = ?', [
      nowMs + 2 * WEBHOOK_LIMITS.requestTimeoutMs, id, row.next_attempt_ms as bigint, 'pending',
    ]);
    if (leased.changes === 0) return 'skipped';
    const event = { seq: BigInt(row.seq as bigint), paymentId: row.payment_id as string, uetr: row.uetr as string, status: row.status, reasonCode: row.reason_code ?? null, at: BigInt(row.at as bigint) } as PaymentEvent;
    const body = notificationBody(event);
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      // A redirect answer counts as a failure and is not followed: its target was never checked.
      statusCode = await send(row.url as string, {
        timeoutMs: WEBHOOK_LIMITS.requestTimeoutMs,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(secret.value, nowMs, body), 'sluice-event-id': `evt_${event.seq}`, 'sluice-delivery-id': id },
        body,
      });
      if (statusCode < 200 || statusCode >= 300) error = `answered ${statusCode}`;
    } catch (failure) {
      error = ((failure as Error).message || String(failure)).slice(0, WEBHOOK_LIMITS.responseMaxBytes);
    }
    const durationMs = Math.round(performance.now() - started);
    const state = error === null ? 'delivered' : attempts >= WEBHOOK_LIMITS.maxAttempts ? 'failed' : 'pending';
    const next = state === 'pending' ? clock.nowMs() + backoffMs(attempts) : nowMs;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO payment_webhook_attempts (delivery_id, attempt, at_ms, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)', [id, attempts, nowMs, statusCode, error, durationMs]);
      // A delivery its webhook's removal stopped meanwhile stays stopped, unless this attempt got through.
      await tx.run("UPDATE payment_webhook_deliveries SET state = ?, attempts = ?, next_attempt_ms = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND (state = 'pending' OR ? = 'delivered')", [
        state, attempts, next, statusCode, error, new Date(clock.nowMs()).toISOString(), id, state,
      ]);
    });
    return state === 'delivered' ? 'delivered' : state === 'failed' ? 'failed' : 'retried';
  }

  /** A wrong key secret is reported once; rows it cannot seal keep delivering from their plain text. */
  async function sealPlainSecrets(): Promise<void> {
    try {
      await secrets.sealStored();
    } catch (error) {
      if (!(error instanceof WebhookSecretError)) throw error;
      if (!sealingRefusalReported) deps.report(error.message);
      sealingRefusalReported = true;
    }
  }

  async function deliverDue() {
    const rows = await db.all(
      `SELECT d.id, d.webhook_id, d.attempts, d.next_attempt_ms, w.url, w.secret, w.sealed_secret, e.seq, e.payment_id, e.uetr, e.status, e.reason_code, e.at
       FROM payment_webhook_deliveries d JOIN payment_webhooks w ON w.id = d.webhook_id JOIN payment_events e ON e.seq = d.event_seq
       WHERE d.state = 'pending' AND d.next_attempt_ms <= ? ORDER BY d.next_attempt_ms, d.event_seq LIMIT ?`,
      [clock.nowMs(), WEBHOOK_LIMITS.deliveriesPerPass],
    );
    const counts = { delivered: 0, failed: 0, retried: 0 };
    const reported = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const outcome = await attempt(rows[next++] as Row, reported);
        if (outcome === 'withheld') attempted.withheld += 1;
        else if (outcome !== 'skipped') {
          counts[outcome] += 1;
          attempted[outcome] += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: WEBHOOK_LIMITS.concurrency }, worker));
    return counts;
  }

  return {
    async subscribe(input: { url: string; secret?: string }): Promise<Result<{ webhook: Webhook; secret: string }, PaymentError>> {
      if (!validWebhookUrl(input.url, policy)) return err('webhook_url_not_allowed');
      const count = await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM payment_webhooks WHERE active = 1');
      if (Number(count?.n ?? 0n) >= WEBHOOK_LIMITS.subscriptionsMax) return err('too_many_webhooks');
      // Resolved now as well as at every delivery, so that a name pointing inward is refused to the
      // caller instead of failing every delivery later; the name may still change, hence both.
      const target = await checkWebhookTarget(new URL(input.url), policy, { resolve, timeoutMs: WEBHOOK_LIMITS.resolveTimeoutMs });
      if (!target.ok) return err(target.error);
      const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
      const id = uuidv7(clock.nowMs());
      // Stored sealed only, bound to this webhook's id; the caller is shown the secret once, in the answer.
      let sealed: string;
      try {
        sealed = await secrets.seal(id, secret);
      } catch (error) {
        if (!(error instanceof WebhookSecretError)) throw error;
        deps.report(error.message);
        return err('webhook_secrets_unavailable');
      }
      // A new subscription hears of what happens from now on, not of the whole history.
      const webhook: Webhook = { id, url: input.url, active: true, cursor: await readLastEventSeq(db), createdAt: new Date(clock.nowMs()).toISOString() };
      await db.run('INSERT INTO payment_webhooks (id, url, secret, sealed_secret, active, cursor, created_at) VALUES (?, ?, NULL, ?, 1, ?, ?)', [
        webhook.id, webhook.url, sealed, webhook.cursor, webhook.createdAt,
      ]);
      return ok({ webhook, secret });
    },
    async list(): Promise<Webhook[]> {
      return (await db.all('SELECT id, url, active, cursor, created_at FROM payment_webhooks WHERE active = 1 ORDER BY id')).map(toWebhook);
    },
    async get(id: string): Promise<Webhook | undefined> {
      const row = await db.get('SELECT id, url, active, cursor, created_at FROM payment_webhooks WHERE id = ?', [id]);
      return row ? toWebhook(row) : undefined;
    },
    /**
     * Stops deliveries to a subscription, those waiting for a retry included (a receiver is often
     * removed because it moved or can no longer be trusted); its delivery log stays, and says why each
     * waiting delivery was never sent. One already on its way finishes and is logged as it ends.
     */
    async remove(id: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        if ((await tx.run('UPDATE payment_webhooks SET active = 0 WHERE id = ? AND active = 1', [id])).changes === 0) return false;
        const nowMs = clock.nowMs();
        await tx.run(
          "UPDATE payment_webhook_deliveries SET state = 'failed', next_attempt_ms = ?, last_error = ?, updated_at = ? WHERE webhook_id = ? AND state = 'pending'",
          [nowMs, REMOVED_WEBHOOK_ERROR, new Date(nowMs).toISOString(), id],
        );
        return true;
      });
    },
    async deliveries(webhookId: string, options: { after?: bigint; limit: number }, q: Queryable = db): Promise<Delivery[]> {
      const rows = await q.all(
        `SELECT id, webhook_id, event_seq, state, attempts, next_attempt_ms, last_status, last_error FROM payment_webhook_deliveries
         WHERE webhook_id = ? AND event_seq > ? ORDER BY event_seq LIMIT ?`,
        [webhookId, options.after ?? 0n, options.limit],
      );
      const deliveries: Delivery[] = [];
      for (const row of rows) {
        const log = (await q.all('SELECT attempt, at_ms, status_code, error, duration_ms FROM payment_webhook_attempts WHERE delivery_id = ? ORDER BY attempt', [row.id as string])).map((entry) => ({
          attempt: Number(entry.attempt), atMs: Number(entry.at_ms), statusCode: entry.status_code === null ? null : Number(entry.status_code),
          error: (entry.error as string | null) ?? null, durationMs: Number(entry.duration_ms),
        }));
        deliveries.push({
          id: row.id as string, webhookId: row.webhook_id as string, eventSeq: BigInt(row.event_seq as bigint), state: row.state as Delivery['state'],
          attempts: Number(row.attempts), nextAttemptMs: Number(row.next_attempt_ms), lastStatus: row.last_status === null ? null : Number(row.last_status),
          lastError: (row.last_error as string | null) ?? null, log,
        });
      }
      return deliveries;
    },
    /** Delivery attempts since the process started: delivered, failed for good, or to be retried. */
    attempts: (): Readonly<typeof attempted> => attempted,
    /** Seals the secrets of rows written before secrets were sealed; dispatch does it on every pass. */
    sealStoredSecrets: (): Promise<number> => secrets.sealStored(),
    /** One dispatch pass: seal any plain-text secrets, fan out new events, then attempt every delivery that is due. */
    dispatch(): Promise<{ delivered: number; failed: number; retried: number }> {
      running ??= (async () => {
        try {
          await sealPlainSecrets();
          await fanOut();
          return await deliverDue();
        } finally {
          running = null;
        }
      })();
      return running;
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
