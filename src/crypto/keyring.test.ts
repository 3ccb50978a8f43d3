import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  deriveMasterKey,
  exportPublicKeys,
  importPublicKeys,
  openKeys,
  openOrCreateKeyRing,
  rotate,
  sealKeys,
  signEnvelope,
  signingKeys,
  verificationKeys,
  verifyEnvelope,
  type KeyRing,
} from './index.ts';

const SECRET = 'a configuration secret of some length';
const START = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const CONTEXT = 'journal.checkpoint';
const ring = createKeyRing(['ml-dsa-65', 'sm2-sm3', 'ed25519'], START);
const masterKey = deriveMasterKey(SECRET);

const fingerprint = (keyRing: KeyRing) => ({
  active: keyRing.active.map((key) => [key.algorithm, key.keyId, Buffer.from(key.secretKey).toString('hex'), key.activeFrom]),
  retired: keyRing.retired.map((key) => [key.algorithm, key.keyId, key.activeFrom, key.retiredAt]),
});

describe('key rings at rest', () => {
  it.each(['aes-256-gcm', 'sm4-ctr-hmac-sm3'] as const)('round-trip through a sealed box (%s), secret keys included', (cipher) => {
    const opened = openKeys(JSON.parse(JSON.stringify(sealKeys(ring, masterKey, cipher))), deriveMasterKey(SECRET, masterKey.kdf));
    expect(opened.ok && fingerprint(opened.value)).toEqual(fingerprint(ring));
  });

  it('do not open under another secret', () => {
    const box = sealKeys(ring, masterKey);
    expect(openKeys(box, deriveMasterKey('not the configured secret', box.kdf))).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
  });

  it('are refused when a stored public key does not belong to its secret key', () => {
    const [first, second] = ring.active as [KeyRing['active'][number], KeyRing['active'][number]];
    const mixed: KeyRing = { active: [{ ...first, publicKey: second.publicKey }], retired: [] };
    expect(openKeys(sealKeys(mixed, masterKey), masterKey)).toEqual({ ok: false, error: 'key_mismatch' });
  });

  it('do not open when the sealed ciphertext was tampered with', () => {
    const box = sealKeys(ring, masterKey);
    const bytes = Buffer.from(box.ciphertext, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    expect(openKeys({ ...box, ciphertext: bytes.toString('base64') }, masterKey)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
  });
});

describe('rotation', () => {
  const later = START + 30 * DAY_MS;
  const rotated = rotate(ring, 'sm2-sm3', later);

  it('replaces the active key of one algorithm and keeps the old public key, with its period', () => {
    const before = ring.active.find((key) => key.algorithm === 'sm2-sm3');
    const after = rotated.active.find((key) => key.algorithm === 'sm2-sm3');
    expect(after?.keyId).not.toBe(before?.keyId);
    expect(after?.activeFrom).toBe(new Date(later).toISOString());
    expect(rotated.retired).toEqual([
      { algorithm: 'sm2-sm3', keyId: before?.keyId, publicKey: before?.publicKey, activeFrom: new Date(START).toISOString(), retiredAt: new Date(later).toISOString() },
    ]);
    expect(rotated.active.filter((key) => key.algorithm !== 'sm2-sm3').map((key) => key.keyId)).toEqual(
      ring.active.filter((key) => key.algorithm !== 'sm2-sm3').map((key) => key.keyId),
    );
  });

  it('keeps checkpoints signed before the rotation verifiable offline from the exported keys file', () => {
    const message = 'tree_size=10 root=…';
    const old = signEnvelope(message, signingKeys(ring, 'hybrid-mldsa65-sm2'), { context: CONTEXT });
    const fresh = signEnvelope(message, signingKeys(rotated, 'hybrid-mldsa65-sm2'), { context: CONTEXT });
    expect(fresh.parts[1]?.keyId).not.toBe(old.parts[1]?.keyId);

    const keysFile = JSON.parse(JSON.stringify(exportPublicKeys(rotated)));
    const imported = importPublicKeys(keysFile);
    expect(imported.ok).toBe(true);
    const trusted = imported.ok ? imported.value : [];
    expect(verifyEnvelope(message, old, trusted, { context: CONTEXT }).ok).toBe(true);
    expect(verifyEnvelope(message, fresh, trusted, { context: CONTEXT }).ok).toBe(true);
    expect(trusted.find((key) => key.keyId === old.parts[1]?.keyId)?.retiredAt).toBe(new Date(later).toISOString());
  });

  it('drops the retired secret key: a reopened ring holds only public halves of retired keys', () => {
    const opened = openKeys(sealKeys(rotated, masterKey), masterKey);
    expect(opened.ok && opened.value.retired.every((key) => !('secretKey' in key))).toBe(true);
    expect(opened.ok && verificationKeys(opened.value).length).toBe(4);
  });
});

describe('keys files', () => {
  const file = exportPublicKeys(ring);

  it('carry no secret material', () => {
    const text = JSON.stringify(file);
    for (const key of ring.active) expect(text).not.toContain(Buffer.from(key.secretKey).toString('base64'));
    expect(file.keys.every((key) => Object.keys(key).sort().join() === 'activeFrom,algorithm,keyId,publicKey,retiredAt')).toBe(true);
  });

  it('are refused when an id does not match its key, a key is invalid, or the shape is wrong', () => {
    const [first, second] = file.keys as [(typeof file.keys)[number], (typeof file.keys)[number]];
    expect(importPublicKeys({ ...file, keys: [{ ...first, keyId: second.keyId }] })).toEqual({ ok: false, error: 'key_id_mismatch' });
    expect(importPublicKeys({ ...file, keys: [{ ...first, publicKey: 'AAAA' }] })).toEqual({ ok: false, error: 'invalid_public_key' });
    expect(importPublicKeys({ ...file, keys: [{ ...first, algorithm: 'rsa' }] })).toEqual({ ok: false, error: 'malformed_keys_file' });
    expect(importPublicKeys({ ...file, format: 'other' })).toEqual({ ok: false, error: 'malformed_keys_file' });
    expect(importPublicKeys('[]')).toEqual({ ok: false, error: 'malformed_keys_file' });
  });
});

describe('the key store at start', () => {
  it('generates and seals a ring on first start, reopens it unchanged on the next, and adds newly configured algorithms', () => {
    const first = openOrCreateKeyRing(null, SECRET, { algorithms: ['ml-dsa-65', 'sm2-sm3'], nowMs: START });
    expect(first.ok && first.value.changed).toBe(true);
    if (!first.ok) return;
    const stored = JSON.parse(JSON.stringify(first.value.box));

    const second = openOrCreateKeyRing(stored, SECRET, { algorithms: ['ml-dsa-65', 'sm2-sm3'], nowMs: START + DAY_MS });
    expect(second.ok && second.value.changed).toBe(false);
    expect(second.ok && fingerprint(second.value.ring)).toEqual(fingerprint(first.value.ring));

    const widened = openOrCreateKeyRing(stored, SECRET, { algorithms: ['ml-dsa-65', 'sm2-sm3', 'ed25519'], nowMs: START + DAY_MS });
    expect(widened.ok && widened.value.changed).toBe(true);
    expect(widened.ok && widened.value.ring.active.map((key) => key.algorithm).sort()).toEqual(['ed25519', 'ml-dsa-65', 'sm2-sm3']);

    const resealed = openOrCreateKeyRing(stored, SECRET, { algorithms: ['ml-dsa-65', 'sm2-sm3'], nowMs: START, cipher: 'sm4-ctr-hmac-sm3' });
    expect(resealed.ok && [resealed.value.changed, resealed.value.box.cipher]).toEqual([true, 'sm4-ctr-hmac-sm3']);
    expect(resealed.ok && fingerprint(resealed.value.ring)).toEqual(fingerprint(first.value.ring));

    expect(openOrCreateKeyRing(stored, 'the wrong secret, long enough', { algorithms: ['ml-dsa-65'], nowMs: START })).toEqual({
      ok: false,
      error: 'wrong_key_or_tampered',
    });
    expect(openOrCreateKeyRing({ nonsense: true }, SECRET, { algorithms: ['ml-dsa-65'], nowMs: START })).toEqual({ ok: false, error: 'malformed_sealed_box' });
  });
});
