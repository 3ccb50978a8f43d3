import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { deriveMasterKey, openText, sealText, type MasterKey } from '../../crypto/index.ts';
import { exportDump, importDump, migrate, type Database } from '../../db/index.ts';
import { ALL_MIGRATIONS, ALL_TABLES, createPlatform, isEmptyInstallation } from '../../platform.ts';
import { payAcrossBorder, setUpNetwork, startWebhookReceiver, type Network, type ReceivedDelivery } from './payments.http.test-support.ts';
import { paymentProblem } from './payments.routes.ts';
import { createWebhookSecrets, WEBHOOK_SECRET_PURPOSE, WebhookSecretError } from './payments.webhook-secrets.ts';
import { createWebhooks, SIGNATURE_HEADER, signBody } from './payments.webhooks.ts';

/**
 * Webhook signing secrets at rest: stored sealed under the installation's key secret, never in
 * plain text; deliveries still verify with the secret the client was given; rows from before
 * sealing deliver and get sealed; a sealed value that was changed, or a wrong key secret, delivers
 * nothing and says why; a dump carries the sealed form to an installation with the same key secret.
 * Each sealed secret is bound to its webhook's id: copied onto another webhook's row it does not
 * open there; one sealed before binding delivers and is bound to its row.
 */
/** The secret createPlatform seals under when none is given (platform.ts), as startApi uses it. */
const PLATFORM_KEY_SECRET = 'sluice-development-key-secret-not-for-production';
const WRONG_KEY_SECRET = 'not-the-key-secret-these-were-sealed-with';

/** Flips one bit of the sealed box's ciphertext, keeping the JSON and its base64 well formed. */
function tamper(sealed: string): string {
  const box = JSON.parse(sealed) as { ciphertext: string };
  const bytes = Buffer.from(box.ciphertext, 'base64');
  bytes[0] = (bytes[0] as number) ^ 1;
  return JSON.stringify({ ...box, ciphertext: bytes.toString('base64') });
}

describeEachDialect('webhook secrets sealed at rest', ({ open }) => {
  let api: Api;
  let db: Database;
  let network: Network;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let base: string;
  let received: ReceivedDelivery[];
  let unboundKey: MasterKey | undefined;

  beforeAll(async () => {
    api = await startApi(open, { webhookAllowedNetworks: ['127.0.0.1'] });
    db = api.platform.db;
    network = await setUpNetwork(api);
    receiver = await startWebhookReceiver(SIGNATURE_HEADER);
    ({ base, received } = receiver);
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  const pay = () => payAcrossBorder(api, network);
  const stored = async (id: string) => (await db.get<{ secret: string | null; sealed_secret: string | null }>('SELECT secret, sealed_secret FROM payment_webhooks WHERE id = ?', [id]))!;
  const at = (path: string) => received.filter((entry) => entry.path === path);
  /** Every signature is the secret's HMAC over its timestamp and the body, and no other secret's. */
  const expectSignedWith = (entries: readonly ReceivedDelivery[], secret: string) => {
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const [, timestamp] = /^t=(\d+),v1=[0-9a-f]{64}$/.exec(entry.signature)!;
      expect(entry.signature).toBe(signBody(secret, Number(timestamp), entry.body));
    }
  };
  /** A row as a version before sealing wrote it: the secret in plain text. */
  const insertPlain = async (path: string, secret: string, active = 1) => {
    const id = uuid();
    const head = await db.get<{ last_event_seq: bigint }>('SELECT last_event_seq FROM payments_head WHERE id = 1');
    await db.run('INSERT INTO payment_webhooks (id, url, secret, active, cursor, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      id, `${base}${path}`, secret, active, head!.last_event_seq, new Date(api.clock.nowMs()).toISOString(),
    ]);
    return id;
  };

  /** A row as the version before binding wrote it: sealed, with the call of then, under no context. */
  const insertUnbound = async (path: string, secret: string, active = 1) => {
    const id = uuid();
    unboundKey ??= deriveMasterKey(PLATFORM_KEY_SECRET);
    const head = await db.get<{ last_event_seq: bigint }>('SELECT last_event_seq FROM payments_head WHERE id = 1');
    await db.run('INSERT INTO payment_webhooks (id, url, secret, sealed_secret, active, cursor, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)', [
      id, `${base}${path}`, sealText(secret, unboundKey, WEBHOOK_SECRET_PURPOSE), active, head!.last_event_seq, new Date(api.clock.nowMs()).toISOString(),
    ]);
    return id;
  };
  /** The webhook a stored box claims to be bound to, if any (a label; opening checks the tag). */
  const boundTo = async (id: string) => (JSON.parse((await stored(id)).sealed_secret!) as { context?: string }).context;

  it('stores a given or a generated secret only sealed, and deliveries verify with the secret the client was given', async () => {
    const given = 'whsec_given_secret_0123456789abcdef';
    const hooks = [await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/given`, secret: given }, 201), await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/generated` }, 201)];
    expect(hooks.map((hook) => hook.secret)).toEqual([given, expect.stringMatching(/^whsec_/)]);
    for (const hook of hooks) {
      const row = await stored(hook.id);
      expect(row.secret).toBeNull();
      expect(JSON.parse(row.sealed_secret!)).toMatchObject({ format: 'sluice-sealed/v1', purpose: 'payments.webhook-secret', cipher: 'aes-256-gcm', context: hook.id });
      expect(row.sealed_secret).not.toContain(hook.secret);
      expect(row.sealed_secret).not.toContain(Buffer.from(hook.secret).toString('base64').slice(0, 16));
    }
    await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 8, failed: 0, retried: 0 });
    expectSignedWith(at('/given'), given);
    expectSignedWith(at('/generated'), hooks[1].secret);
    // Delivering opened the secrets in memory only: the rows are as they were.
    for (const hook of hooks) expect((await stored(hook.id)).secret).toBeNull();
    for (const hook of hooks) await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('delivers from a plain-text row written before sealing, and seals it in the same pass', async () => {
    const secret = 'whsec_from_before_sealing_0123456789';
    const id = await insertPlain('/old', secret);
    const removed = await insertPlain('/old-removed', 'whsec_removed_before_sealing_0123', 0);
    await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 4, failed: 0, retried: 0 });
    expectSignedWith(at('/old'), secret);
    // Removed subscriptions are sealed too: a receiver may still trust their secret.
    for (const row of [await stored(id), await stored(removed)]) {
      expect(row.secret).toBeNull();
      expect(row.sealed_secret).not.toContain('before_sealing');
    }
    const secrets = createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET });
    expect(await secrets.signingSecret(id, await stored(id))).toEqual({ ok: true, value: secret });
    expect([await boundTo(id), await boundTo(removed)]).toEqual([id, removed]);
    await api.ok('DELETE', `/v1/payments/webhooks/${id}`, undefined, 204);
  });

  it('withholds the deliveries of a webhook whose row was given another webhook\'s sealed secret, and never signs them with it', async () => {
    const source = await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/copied-from`, secret: 'whsec_the_source_webhooks_own_secret' }, 201);
    const targets = [
      await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/copied-to`, secret: 'whsec_the_first_targets_own_secret' }, 201),
      await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/copied-to-unlabelled`, secret: 'whsec_the_second_targets_own_secret' }, 201),
    ];
    // Someone with write access to the table copies the source's box: as it is, and with its context label removed.
    const copied = (await stored(source.id)).sealed_secret!;
    const { context: _label, ...unlabelled } = JSON.parse(copied) as Record<string, unknown>;
    await db.run('UPDATE payment_webhooks SET sealed_secret = ? WHERE id = ?', [copied, targets[0].id]);
    await db.run('UPDATE payment_webhooks SET sealed_secret = ? WHERE id = ?', [JSON.stringify(unlabelled), targets[1].id]);
    const withheldBefore = api.platform.payments.stats().webhookAttempts.withheld;
    await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 4, failed: 0, retried: 0 });
    expectSignedWith(at('/copied-from'), 'whsec_the_source_webhooks_own_secret');
    expect([at('/copied-to'), at('/copied-to-unlabelled')]).toEqual([[], []]);
    // The path of any secret that does not open: counted for /metrics, which the alert watches, and said on each delivery.
    expect(api.platform.payments.stats().webhookAttempts.withheld - withheldBefore).toBe(8);
    for (const target of targets) {
      const log = await api.ok('GET', `/v1/payments/webhooks/${target.id}/deliveries`);
      expect(log.data).toHaveLength(4);
      for (const delivery of log.data) {
        expect(delivery).toMatchObject({ state: 'pending', attempts: 0, log: [] });
        expect(delivery.last_error).toMatch(/signing secret cannot be opened \(wrong_key_or_tampered\).*copied from another webhook.*nothing was sent/);
      }
    }
    // Neither the pass nor the attempt took the copies for boxes sealed before binding: they stay as copied.
    expect([(await stored(targets[0].id)).sealed_secret, (await stored(targets[1].id)).sealed_secret]).toEqual([copied, JSON.stringify(unlabelled)]);
    api.clock.advance(60 * 60_000);
    await api.platform.payments.webhooks.dispatch();
    expect([at('/copied-to'), at('/copied-to-unlabelled')]).toEqual([[], []]);
    for (const hook of [source, ...targets]) await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('delivers from a secret sealed before binding, binds it to its webhook in the same pass, and says so', async () => {
    const secret = 'whsec_sealed_before_binding_0123456789';
    const id = await insertUnbound('/unbound', secret);
    const removed = await insertUnbound('/unbound-removed', 'whsec_removed_before_binding_0123', 0);
    await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 4, failed: 0, retried: 0 });
    expectSignedWith(at('/unbound'), secret);
    // Bound now, removed rows too: the box opens for its own webhook only, no longer without one.
    expect([await boundTo(id), await boundTo(removed)]).toEqual([id, removed]);
    const keyFor = (kdf: MasterKey['kdf']) => deriveMasterKey(PLATFORM_KEY_SECRET, kdf);
    expect(openText((await stored(id)).sealed_secret!, keyFor, WEBHOOK_SECRET_PURPOSE, id)).toEqual({ ok: true, value: secret });
    expect(openText((await stored(id)).sealed_secret!, keyFor, WEBHOOK_SECRET_PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    expect(openText((await stored(id)).sealed_secret!, keyFor, WEBHOOK_SECRET_PURPOSE, removed)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    // A delivery that meets an unbound box before any pass does binds it as well, and reports it.
    const another = await insertUnbound('/unbound-at-delivery', 'whsec_met_first_by_a_delivery_0123', 0);
    const reports: string[] = [];
    const secrets = createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET, report: (message) => reports.push(message) });
    expect(await secrets.signingSecret(another, await stored(another))).toEqual({ ok: true, value: 'whsec_met_first_by_a_delivery_0123' });
    expect(await boundTo(another)).toBe(another);
    expect(reports).toEqual([expect.stringMatching(new RegExp(`^webhook ${another}: its signing secret was sealed before secrets were bound`))]);
    await api.ok('DELETE', `/v1/payments/webhooks/${id}`, undefined, 204);
  });

  it('binds each secret sealed before binding once when two processes bind at the same time, leaving one box that opens', async () => {
    const unbound = new Map<string, string>();
    for (let index = 0; index < 6; index++) {
      const secret = `whsec_bound_concurrently_${index}_0123456789`;
      unbound.set(await insertUnbound(`/bind-concurrent-${index}`, secret, 0), secret);
    }
    const reports: string[] = [];
    const report = (message: string) => reports.push(message);
    const [first, second] = [createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET, report }), createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET, report })];
    const rows = new Map(await Promise.all([...unbound.keys()].map(async (id) => [id, await stored(id)] as const)));
    // Two dispatch passes in each process, and each process's deliveries meeting every box as it was read.
    const opened = await Promise.all([
      first.sealStored(), second.sealStored(), first.sealStored(), second.sealStored(),
      ...[...rows].flatMap(([id, row]) => [first.signingSecret(id, row), second.signingSecret(id, row)]),
    ]);
    expect(opened.slice(4)).toEqual([...unbound.values()].flatMap((secret) => [{ ok: true, value: secret }, { ok: true, value: secret }]));
    // One compare-and-set per row went through: one report each.
    expect(reports.map((message) => /^webhook (\S+):/.exec(message)?.[1]).sort()).toEqual([...unbound.keys()].sort());
    const third = createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET });
    for (const [id, secret] of unbound) {
      expect(await boundTo(id)).toBe(id);
      expect(await third.signingSecret(id, await stored(id))).toEqual({ ok: true, value: secret });
    }
  });

  it('derives the key of a sealed secret off the event loop, which keeps serving meanwhile', async () => {
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/off-the-loop`, secret: 'whsec_opened_without_stopping_the_loop' }, 201);
    const row = await stored(hook.id);
    // A process that has derived nothing yet: its first opening costs a scrypt of about half a second.
    const fresh = createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET });
    let ticked = false;
    setTimeout(() => (ticked = true), 1);
    const opened = fresh.signingSecret(hook.id, row);
    // Derived on the loop, the key would be ready before any timer ran, and the answer with it.
    expect(await opened).toEqual({ ok: true, value: 'whsec_opened_without_stopping_the_loop' });
    expect(ticked).toBe(true);
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('does not deliver with a sealed secret that was changed, and says why on the delivery', async () => {
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/tampered`, secret: 'whsec_to_be_tampered_with_0123456' }, 201);
    await db.run('UPDATE payment_webhooks SET sealed_secret = ? WHERE id = ?', [tamper((await stored(hook.id)).sealed_secret!), hook.id]);
    const withheldBefore = api.platform.payments.stats().webhookAttempts.withheld;
    await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(at('/tampered')).toEqual([]);
    // Counted for /metrics (sluice_payments_webhook_attempts_total{result="withheld"}), which an alert watches.
    expect(api.platform.payments.stats().webhookAttempts.withheld - withheldBefore).toBe(4);
    const log = await api.ok('GET', `/v1/payments/webhooks/${hook.id}/deliveries`);
    expect(log.data).toHaveLength(4);
    for (const delivery of log.data) {
      expect(delivery).toMatchObject({ state: 'pending', attempts: 0, last_status: null, log: [] });
      expect(delivery.last_error).toMatch(/signing secret cannot be opened \(wrong_key_or_tampered\).*SLUICE_KEY_SECRET.*nothing was sent/);
    }
    // Tried again later, still nothing goes out and no attempt is used up.
    api.clock.advance(60 * 60_000);
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(at('/tampered')).toEqual([]);
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('under a wrong key secret seals nothing, signs nothing, and says so', async () => {
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/wrong-key`, secret: 'whsec_sealed_under_the_right_key_01' }, 201);
    const plain = await insertPlain('/wrong-key-plain', 'whsec_plain_under_the_wrong_key_0123');
    const wrong = createWebhookSecrets({ db, keySecret: WRONG_KEY_SECRET });
    await expect(wrong.seal(uuid(), 'whsec_a_new_secret_0123456789')).rejects.toThrow(WebhookSecretError);
    await expect(wrong.sealStored()).rejects.toThrow(/cannot open the stored webhook signing secrets \(wrong_key_or_tampered\): is SLUICE_KEY_SECRET the one/);
    expect(await stored(plain)).toMatchObject({ secret: 'whsec_plain_under_the_wrong_key_0123', sealed_secret: null });
    expect(await wrong.signingSecret(hook.id, await stored(hook.id))).toEqual({ ok: false, error: 'wrong_key_or_tampered' });

    // A dispatcher under the wrong key secret: the plain row still delivers, the sealed one does not.
    const reports: string[] = [];
    const dispatcher = createWebhooks({ db, clock: api.clock, keySecret: WRONG_KEY_SECRET, report: (message) => reports.push(message), allowedNetworks: ['127.0.0.1'] });
    await pay();
    expect(await dispatcher.dispatch()).toEqual({ delivered: 4, failed: 0, retried: 0 });
    expect(at('/wrong-key')).toEqual([]);
    expectSignedWith(at('/wrong-key-plain'), 'whsec_plain_under_the_wrong_key_0123');
    expect(await stored(plain)).toMatchObject({ sealed_secret: null });
    expect(reports).toEqual([expect.stringMatching(/is SLUICE_KEY_SECRET the one they were sealed with/), expect.stringMatching(new RegExp(`^webhook ${hook.id}: .*cannot be opened`))]);
    // Nor does it register a webhook, whose secret it would seal under the wrong key.
    const count = async () => (await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM payment_webhooks'))!.n;
    const before = await count();
    expect(await dispatcher.subscribe({ url: `${base}/wrong-key-new`, secret: 'whsec_never_sealed_under_the_wrong_key' })).toEqual({ ok: false, error: 'webhook_secrets_unavailable' });
    expect(await count()).toBe(before);
    expect(paymentProblem('webhook_secrets_unavailable')).toMatchObject({ status: 503, code: 'webhook_secrets_unavailable', message: expect.stringMatching(/key secret does not open/) });
    // Under the right key secret the plain row is sealed at last.
    expect(await api.platform.payments.webhooks.sealStoredSecrets()).toBe(1);
    expect(await createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET }).signingSecret(plain, await stored(plain))).toEqual({ ok: true, value: 'whsec_plain_under_the_wrong_key_0123' });
    for (const id of [hook.id, plain]) await api.ok('DELETE', `/v1/payments/webhooks/${id}`, undefined, 204);
  });

  it('seals each plain-text row once when two processes seal at the same time', async () => {
    const plain = new Map<string, string>();
    for (let index = 0; index < 6; index++) {
      const secret = `whsec_concurrent_${index}_0123456789abcdef`;
      plain.set(await insertPlain(`/concurrent-${index}`, secret, 0), secret);
    }
    const [first, second] = [createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET }), createWebhookSecrets({ db, keySecret: PLATFORM_KEY_SECRET })];
    const counts = await Promise.all([first.sealStored(), second.sealStored(), first.sealStored(), second.sealStored()]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(plain.size);
    for (const [id, secret] of plain) {
      const row = await stored(id);
      expect(row.secret).toBeNull();
      expect(await boundTo(id)).toBe(id);
      expect(await first.signingSecret(id, row)).toEqual({ ok: true, value: secret });
    }
  });

  it('keeps the plain-text secrets of an installation migrated from before sealing, to be sealed and delivered', async () => {
    const older = await open();
    try {
      await migrate(older, ALL_MIGRATIONS.filter((migration) => migration.id !== 'payments/006_sealed_webhook_secrets'));
      await older.run("INSERT INTO payment_webhooks (id, url, secret, active, cursor, created_at) VALUES ('w1', 'https://example.com/hooks', 'whsec_written_by_an_earlier_version', 1, 0, '2026-01-01T00:00:00.000Z')");
      expect(await migrate(older, ALL_MIGRATIONS)).toEqual(['payments/006_sealed_webhook_secrets']);
      expect(await older.get('SELECT secret, sealed_secret, active FROM payment_webhooks WHERE id = ?', ['w1'])).toMatchObject({ secret: 'whsec_written_by_an_earlier_version', sealed_secret: null });
      // A row with neither form, or both, is refused by the table itself.
      await expect(older.run("INSERT INTO payment_webhooks (id, url, secret, active, cursor, created_at, sealed_secret) VALUES ('w2', 'https://example.com/x', NULL, 1, 0, '2026-01-01T00:00:00.000Z', NULL)")).rejects.toThrow();
      const secrets = createWebhookSecrets({ db: older, keySecret: PLATFORM_KEY_SECRET });
      expect(await secrets.sealStored()).toBe(1);
      expect(await secrets.signingSecret('w1', (await older.get('SELECT secret, sealed_secret FROM payment_webhooks WHERE id = ?', ['w1']))!)).toEqual({ ok: true, value: 'whsec_written_by_an_earlier_version' });
    } finally {
      await older.close();
    }
  });

  it('carries the sealed form in a dump: it delivers where the key secret is the same, and nowhere else', async () => {
    const secret = 'whsec_travels_in_the_dump_0123456789';
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${base}/imported`, secret }, 201);
    await pay();
    const folder = mkdtempSync(join(tmpdir(), 'sluice-dump-'));
    const file = join(folder, 'dump.jsonl');
    try {
      await exportDump(db, ALL_TABLES, file);
      const dump = readFileSync(file, 'utf8');
      // The box is bound to the webhook's id, which the dump keeps, so it opens in the target too.
      expect(await boundTo(hook.id)).toBe(hook.id);
      expect(dump).toContain(JSON.stringify((await stored(hook.id)).sealed_secret));
      // Every secret of this file, given or generated, starts so; none is in the dump.
      expect(dump).not.toContain('whsec_');

      for (const [keySecret, expected] of [[PLATFORM_KEY_SECRET, 4], [WRONG_KEY_SECRET, 0]] as const) {
        const target = await createPlatform({ db: await open(), clock: api.clock, expiryIntervalMs: 0, keySecret, webhookAllowedNetworks: ['127.0.0.1'] });
        try {
          await importDump(target.db, ALL_TABLES, file, () => isEmptyInstallation(target));
          expect(await target.db.get('SELECT sealed_secret FROM payment_webhooks WHERE id = ?', [hook.id])).toEqual({ sealed_secret: (await stored(hook.id)).sealed_secret });
          const before = at('/imported').length;
          expect(await target.payments.webhooks.dispatch()).toMatchObject({ delivered: expected, failed: 0 });
          expect(at('/imported').length - before).toBe(expected);
        } finally {
          await target.close();
        }
      }
      expectSignedWith(at('/imported'), secret);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
    }
  });
});
