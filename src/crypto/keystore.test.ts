import { createCipheriv, getCiphers } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveMasterKey, openText, SEAL_CIPHERS, seal, sealText, unseal, type SealedBox } from './keystore.ts';
import { SM4_EXAMPLE } from './vectors.test-support.ts';

const SECRET = 'correct horse battery staple, twice';
const masterKey = deriveMasterKey(SECRET);
const plaintext = new TextEncoder().encode('{"keys":"the secret halves"}');

/** Flips one bit of a base64 field, keeping it valid base64. */
const flip = (field: string, byte = 0): string => {
  const bytes = Buffer.from(field, 'base64');
  bytes[byte] = (bytes[byte] as number) ^ 1;
  return bytes.toString('base64');
};

describe('SM4 as Node provides it (GB/T 32907-2016 Appendix A, example 1)', () => {
  it('encrypts the example block to the published ciphertext', () => {
    const cipher = createCipheriv('sm4-ecb', Buffer.from(SM4_EXAMPLE.key, 'hex'), null).setAutoPadding(false);
    const output = Buffer.concat([cipher.update(Buffer.from(SM4_EXAMPLE.plaintext, 'hex')), cipher.final()]);
    expect(output.toString('hex')).toBe(SM4_EXAMPLE.ciphertext);
  });

  it('offers SM4-CTR, and no SM4-GCM, in this Node build — the reason for SM4-CTR with HMAC-SM3', () => {
    expect(getCiphers()).toContain('sm4-ctr');
    expect(getCiphers()).not.toContain('sm4-gcm');
  });
});

describe.each(SEAL_CIPHERS)('sealed boxes with %s', (cipher) => {
  const box = seal(plaintext, masterKey, 'key-ring', cipher);

  it('open with the same secret, re-derived from the parameters stored in the box', () => {
    const again = deriveMasterKey(SECRET, box.kdf);
    const opened = unseal(JSON.parse(JSON.stringify(box)), again, 'key-ring');
    expect(opened.ok && Buffer.from(opened.value).toString()).toBe(Buffer.from(plaintext).toString());
  });

  it('do not show the plaintext, and two seals of the same text differ', () => {
    expect(JSON.stringify(box)).not.toContain('secret halves');
    expect(seal(plaintext, masterKey, 'key-ring', cipher).ciphertext).not.toBe(box.ciphertext);
  });

  it('do not open with another secret', () => {
    expect(unseal(box, deriveMasterKey('another secret entirely', box.kdf), 'key-ring')).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
  });

  it('say so when the master key was derived with other parameters', () => {
    expect(unseal(box, deriveMasterKey(SECRET), 'key-ring')).toEqual({ ok: false, error: 'kdf_mismatch' });
  });

  it('do not open when ciphertext, tag or IV was changed', () => {
    for (const field of ['ciphertext', 'tag', 'iv'] as const) {
      expect(unseal({ ...box, [field]: flip(box[field]) }, masterKey, 'key-ring')).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    }
  });

  it('authenticate their description: another purpose or cipher label fails', () => {
    expect(unseal(box, masterKey, 'something-else')).toEqual({ ok: false, error: 'purpose_mismatch' });
    expect(unseal({ ...box, purpose: 'something-else' }, masterKey, 'something-else')).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    const otherCipher = SEAL_CIPHERS.find((name) => name !== cipher) as SealedBox['cipher'];
    const relabelled = unseal({ ...box, cipher: otherCipher }, masterKey, 'key-ring');
    expect(relabelled.ok).toBe(false);
  });
});

describe('key derivation and malformed boxes', () => {
  it('refuses short secrets and parameters outside the supported bounds', () => {
    expect(() => deriveMasterKey('short')).toThrow(RangeError);
    expect(() => deriveMasterKey(SECRET, { ...masterKey.kdf, cost: 1024 })).toThrow(RangeError);
    expect(() => deriveMasterKey(SECRET, { ...masterKey.kdf, cost: 3 * 2 ** 15 })).toThrow(RangeError);
    expect(() => deriveMasterKey(SECRET, { ...masterKey.kdf, salt: 'AAAA' })).toThrow(RangeError);
  });

  it('derives the same key from the same secret and salt, another from another salt', () => {
    expect(Buffer.from(deriveMasterKey(SECRET, masterKey.kdf).key).equals(Buffer.from(masterKey.key))).toBe(true);
    expect(Buffer.from(deriveMasterKey(SECRET).key).equals(Buffer.from(masterKey.key))).toBe(false);
  });

  it('answers with a reason, never throws, for anything that is not a box', () => {
    const box = seal(plaintext, masterKey, 'key-ring');
    expect(unseal({ ...box, format: 'v0' }, masterKey, 'key-ring')).toEqual({ ok: false, error: 'unsupported_sealed_box' });
    expect(unseal({ ...box, iv: '***' }, masterKey, 'key-ring')).toEqual({ ok: false, error: 'malformed_sealed_box' });
    expect(unseal({ ...box, tag: Buffer.from('short').toString('base64') }, masterKey, 'key-ring')).toEqual({ ok: false, error: 'malformed_sealed_box' });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(unseal(value, masterKey, 'key-ring').ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe.each(SEAL_CIPHERS)('sealed texts with %s', (cipher) => {
  const PURPOSE = 'payments.webhook-secret';
  const text = 'whsec_the-secret-text_0123456789';
  const stored = sealText(text, masterKey, PURPOSE, { cipher });
  const keyFor = (secret: string) => (kdf: SealedBox['kdf']) => deriveMasterKey(secret, kdf);
  const edit = (change: (box: SealedBox) => SealedBox): string => JSON.stringify(change(JSON.parse(stored) as SealedBox));

  it('open to the text with the same secret, and do not show it', () => {
    expect(openText(stored, keyFor(SECRET), PURPOSE)).toEqual({ ok: true, value: text });
    expect(stored).not.toContain(text);
    expect(stored).not.toContain(Buffer.from(text).toString('base64').slice(0, 12));
    expect(sealText(text, masterKey, PURPOSE, { cipher })).not.toBe(stored);
  });

  it('do not open with another secret', () => {
    expect(openText(stored, keyFor('another secret entirely'), PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
  });

  it('detect tampering with the ciphertext, the tag, the IV or the salt', () => {
    for (const field of ['ciphertext', 'tag', 'iv'] as const) {
      expect(openText(edit((box) => ({ ...box, [field]: flip(box[field]) })), keyFor(SECRET), PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    }
    expect(openText(edit((box) => ({ ...box, kdf: { ...box.kdf, salt: flip(box.kdf.salt) } })), keyFor(SECRET), PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
  });

  it('are keyed per purpose: relabelled for another purpose, or read as a plain box, they do not open', () => {
    expect(openText(stored, keyFor(SECRET), 'payments.other-secret')).toEqual({ ok: false, error: 'purpose_mismatch' });
    expect(openText(edit((box) => ({ ...box, purpose: 'payments.other-secret' })), keyFor(SECRET), 'payments.other-secret')).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    // The same master key opens boxes of unseal only: the text's key is derived for its purpose.
    expect(unseal(JSON.parse(stored), masterKey, PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    // A key-ring box relabelled as a text box does not open either.
    const ringBox = seal(plaintext, masterKey, 'key-ring', cipher);
    expect(openText(JSON.stringify({ ...ringBox, purpose: PURPOSE }), keyFor(SECRET), PURPOSE)).toEqual({ ok: false, error: 'wrong_key_or_tampered' });
    expect(() => sealText(text, masterKey, 'key-ring')).toThrow(RangeError);
  });

  it('answer with a reason, never throw, for text that is not a box', () => {
    for (const bad of ['', 'whsec_plain', '{', 'null', '{"kdf":1}', JSON.stringify({ ...JSON.parse(stored), ciphertext: 42 })]) {
      expect(openText(bad, keyFor(SECRET), PURPOSE)).toEqual({ ok: false, error: 'malformed_sealed_box' });
    }
  });
});

/**
 * Texts sealed by the version before contexts existed, under SECRET with a fixed salt: unbound boxes
 * keep their format, so these must keep opening (webhook secrets stored before the upgrade).
 */
const SEALED_BEFORE_CONTEXTS = {
  'aes-256-gcm':
    '{"format":"sluice-sealed/v1","purpose":"payments.webhook-secret","cipher":"aes-256-gcm","kdf":{"name":"scrypt","salt":"BwcHBwcHBwcHBwcHBwcHBw==","cost":16384,"blockSize":8,"parallelization":1},"iv":"yYtOxDsl8uOmd58H","ciphertext":"f57ORdIRwGwpXbMSA99rk37qqaHv1b0pcloULI7qisUIX8MkX+3VKtVmxg==","tag":"wXB5UpCQtgU0ybOHnv5GCQ=="}',
  'sm4-ctr-hmac-sm3':
    '{"format":"sluice-sealed/v1","purpose":"payments.webhook-secret","cipher":"sm4-ctr-hmac-sm3","kdf":{"name":"scrypt","salt":"BwcHBwcHBwcHBwcHBwcHBw==","cost":16384,"blockSize":8,"parallelization":1},"iv":"7AH3cW3x6V9I/qDT3r0URw==","ciphertext":"q6CuzW37JypyqcvEH6LiFYa85oYGEu6cWTM9mEMqlZD1t9c6SVbt8a2Ozg==","tag":"OaRO1gjAZuIz6k6Ad6NfOLJbotIQHgkdyM13hz1YYb0="}',
} as const satisfies Record<(typeof SEAL_CIPHERS)[number], string>;

describe.each(SEAL_CIPHERS)('boxes bound to a context with %s', (cipher) => {
  const PURPOSE = 'payments.webhook-secret';
  const text = 'whsec_bound_to_its_webhook_0123456789';
  const [A, B] = ['019b0a5e-0000-7000-8000-00000000000a', '019b0a5e-0000-7000-8000-00000000000b'];
  const keyFor = (secret: string) => (kdf: SealedBox['kdf']) => deriveMasterKey(secret, kdf);
  const boundToA = sealText(text, masterKey, PURPOSE, { cipher, context: A });
  const unbound = sealText(text, masterKey, PURPOSE, { cipher });
  const edit = (stored: string, change: (box: SealedBox) => SealedBox): string => JSON.stringify(change(JSON.parse(stored) as SealedBox));
  const refused = { ok: false, error: 'wrong_key_or_tampered' };

  it('open with the context they were sealed with, texts and plain boxes alike', () => {
    expect(openText(boundToA, keyFor(SECRET), PURPOSE, A)).toEqual({ ok: true, value: text });
    expect(JSON.parse(boundToA)).toMatchObject({ cipher, context: A });
    const box = seal(plaintext, masterKey, 'key-ring', cipher, A);
    const opened = unseal(JSON.parse(JSON.stringify(box)), masterKey, 'key-ring', A);
    expect(opened.ok && Buffer.from(opened.value).toString()).toBe(Buffer.from(plaintext).toString());
    expect(unseal(box, masterKey, 'key-ring', B)).toEqual(refused);
  });

  it('do not open with another context, as a changed box does not', () => {
    expect(openText(boundToA, keyFor(SECRET), PURPOSE, B)).toEqual(refused);
    // Relabelled for B, the box still carries A in its tag: the label decides nothing.
    expect(openText(edit(boundToA, (box) => ({ ...box, context: B })), keyFor(SECRET), PURPOSE, B)).toEqual(refused);
  });

  it('never take a bound box for an unbound one, nor the other way round', () => {
    expect(openText(boundToA, keyFor(SECRET), PURPOSE)).toEqual(refused);
    expect(openText(edit(boundToA, ({ context: _dropped, ...box }) => box), keyFor(SECRET), PURPOSE)).toEqual(refused);
    expect(openText(unbound, keyFor(SECRET), PURPOSE, A)).toEqual(refused);
    expect(openText(edit(unbound, (box) => ({ ...box, context: A })), keyFor(SECRET), PURPOSE, A)).toEqual(refused);
    expect(openText(unbound, keyFor(SECRET), PURPOSE)).toEqual({ ok: true, value: text });
  });

  it('leave the format of unbound boxes as it was: those sealed before contexts existed open unchanged', () => {
    expect(Object.keys(JSON.parse(unbound))).toEqual(['format', 'purpose', 'cipher', 'kdf', 'iv', 'ciphertext', 'tag']);
    const before = SEALED_BEFORE_CONTEXTS[cipher];
    expect(openText(before, keyFor(SECRET), PURPOSE)).toEqual({ ok: true, value: 'whsec_sealed_by_the_version_before_contexts' });
    expect(openText(before, keyFor(SECRET), PURPOSE, A)).toEqual(refused);
  });

  it('refuse an empty or oversized context, and a stored context that is not text', () => {
    expect(() => sealText(text, masterKey, PURPOSE, { cipher, context: '' })).toThrow(RangeError);
    expect(() => sealText(text, masterKey, PURPOSE, { cipher, context: 'x'.repeat(257) })).toThrow(RangeError);
    expect(() => openText(boundToA, keyFor(SECRET), PURPOSE, '')).toThrow(RangeError);
    for (const context of [42, null, '', 'x'.repeat(257)]) {
      expect(openText(JSON.stringify({ ...JSON.parse(boundToA), context }), keyFor(SECRET), PURPOSE, A)).toEqual({ ok: false, error: 'malformed_sealed_box' });
    }
  });
});
