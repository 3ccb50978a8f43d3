import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  publicPart,
  signEnvelope,
  signedBytes,
  SIGNATURE_SUITES,
  SUITE_ALGORITHMS,
  verifyEnvelope,
  type KeyPair,
  type SignatureEnvelope,
  type SignaturePart,
  type SignatureSuite,
} from './index.ts';
import { schemeFor } from './keys.ts';

const CONTEXT = 'journal.checkpoint';
const message = 'tree_size=1000000 root=5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';
const keys = {
  mlDsa: generateKeyPair('ml-dsa-65'),
  sm2: generateKeyPair('sm2-sm3'),
  ed25519: generateKeyPair('ed25519'),
};
const allPublic = Object.values(keys).map(publicPart);
const hybrid = signEnvelope(message, [keys.mlDsa, keys.sm2], { context: CONTEXT });

const verify = (envelope: unknown, options: { suites?: readonly SignatureSuite[]; context?: string; publicKeys?: typeof allPublic; message?: string } = {}) =>
  verifyEnvelope(options.message ?? message, envelope, options.publicKeys ?? allPublic, { context: options.context ?? CONTEXT, suites: options.suites });

const withParts = (envelope: SignatureEnvelope, parts: readonly SignaturePart[]): SignatureEnvelope => ({ ...envelope, parts });
const flipFirstByte = (signature: string): string => {
  const bytes = Buffer.from(signature, 'base64');
  bytes[0] = (bytes[0] as number) ^ 1;
  return bytes.toString('base64');
};

describe('signature envelopes', () => {
  it('picks the hybrid ML-DSA-65 + SM2 suite for those two keys, and verifies with every part', () => {
    expect(hybrid.suite).toBe('hybrid-mldsa65-sm2');
    expect(hybrid.parts.map((part) => part.algorithm)).toEqual(['ml-dsa-65', 'sm2-sm3']);
    const result = verify(hybrid);
    expect(result).toMatchObject({ ok: true, suite: 'hybrid-mldsa65-sm2' });
    expect(result.parts.every((part) => part.ok)).toBe(true);
  });

  it.each(SIGNATURE_SUITES)('signs and verifies under suite %s when the caller accepts it', (suite) => {
    const suiteKeys = SUITE_ALGORITHMS[suite].map((algorithm) => Object.values(keys).find((key) => key.algorithm === algorithm) as KeyPair);
    const envelope = signEnvelope(message, suiteKeys, { context: CONTEXT, suite });
    expect(verify(envelope, { suites: [suite] }).ok).toBe(true);
  });

  it('survives a JSON round trip, which is how holders receive it', () => {
    expect(verify(JSON.parse(JSON.stringify(hybrid))).ok).toBe(true);
  });

  it('fails when the message was changed', () => {
    const result = verify(hybrid, { message: `${message} ` });
    expect(result).toMatchObject({ ok: false, reason: 'part_failed' });
    expect(result.parts.map((part) => part.reason)).toEqual(['bad_signature', 'bad_signature']);
  });

  it.each([0, 1])('fails when part %i was tampered with, naming that part', (index) => {
    const parts = hybrid.parts.map((part, position) => (position === index ? { ...part, signature: flipFirstByte(part.signature) } : part));
    const result = verify(withParts(hybrid, parts));
    expect(result).toMatchObject({ ok: false, reason: 'part_failed' });
    expect(result.parts.map((part) => part.ok)).toEqual([index !== 0, index !== 1]);
  });

  it.each([0, 1])('fails when part %i was dropped, even though the other still verifies', (index) => {
    const result = verify(withParts(hybrid, hybrid.parts.filter((_, position) => position !== index)));
    expect(result).toMatchObject({ ok: false, reason: 'parts_do_not_match_suite' });
    expect(result.parts.find((part) => part.reason === 'missing_part')?.algorithm).toBe(hybrid.parts[index]?.algorithm);
  });

  it('fails when an extra part, a duplicate part or a part of an unknown algorithm is added', () => {
    const ed25519Part = signEnvelope(message, [keys.ed25519], { context: CONTEXT }).parts[0] as SignaturePart;
    const [mlDsaPart, sm2Part] = hybrid.parts as [SignaturePart, SignaturePart];
    expect(verify(withParts(hybrid, [...hybrid.parts, ed25519Part])).reason).toBe('parts_do_not_match_suite');
    expect(verify(withParts(hybrid, [mlDsaPart, sm2Part, sm2Part])).reason).toBe('parts_do_not_match_suite');
    expect(verify(withParts(hybrid, [...hybrid.parts, { ...sm2Part, algorithm: 'rsa-2048' as never }])).reason).toBe('parts_do_not_match_suite');
  });

  it('fails when a part names a key id the verifier does not hold, or a key of another algorithm', () => {
    const [mlDsaPart, sm2Part] = hybrid.parts as [SignaturePart, SignaturePart];
    const unknownId = verify(withParts(hybrid, [mlDsaPart, { ...sm2Part, keyId: '0123456789abcdef' }]));
    expect(unknownId.parts[1]).toMatchObject({ ok: false, reason: 'unknown_key' });
    const otherAlgorithm = verify(withParts(hybrid, [mlDsaPart, { ...sm2Part, keyId: keys.ed25519.keyId }]));
    expect(otherAlgorithm.parts[1]).toMatchObject({ ok: false, reason: 'key_algorithm_mismatch' });
  });

  it('fails when a part was made with another key of the right algorithm', () => {
    const stranger = generateKeyPair('sm2-sm3');
    const swapped = signEnvelope(message, [keys.mlDsa, stranger], { context: CONTEXT });
    expect(verify(swapped).parts[1]).toMatchObject({ ok: false, reason: 'unknown_key' });
    // Relabelled with the trusted key's id, the signature still does not verify under that key.
    const relabelled = withParts(swapped, [swapped.parts[0] as SignaturePart, { ...(swapped.parts[1] as SignaturePart), keyId: keys.sm2.keyId }]);
    expect(verify(relabelled).parts[1]).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('does not trust the key ids of the verifier’s own list: a mislabelled key matches nothing', () => {
    const mislabelled = [publicPart(keys.mlDsa), { ...publicPart(keys.ed25519), keyId: keys.sm2.keyId }];
    expect(verify(hybrid, { publicKeys: mislabelled }).parts[1]).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('refuses single-algorithm suites unless the caller accepts them', () => {
    const single = signEnvelope(message, [keys.ed25519], { context: CONTEXT });
    expect(verify(single)).toMatchObject({ ok: false, reason: 'suite_not_accepted' });
    expect(verify(single, { suites: ['ed25519'] }).ok).toBe(true);
  });

  it('does not let a part lifted out of a hybrid envelope pass as a single-algorithm signature', () => {
    const lifted: SignatureEnvelope = { suite: 'sm2-sm3', context: CONTEXT, parts: [hybrid.parts[1] as SignaturePart] };
    expect(verify(lifted, { suites: ['sm2-sm3'] }).parts[0]).toMatchObject({ ok: false, reason: 'bad_signature' });
    const relabelled: SignatureEnvelope = { ...hybrid, suite: 'hybrid-mldsa65-ed25519' };
    expect(verify(relabelled).ok).toBe(false);
  });

  it('does not accept a signature made for another context', () => {
    const other = signEnvelope(message, [keys.mlDsa, keys.sm2], { context: 'voucher.transfer' });
    expect(verify(other)).toMatchObject({ ok: false, reason: 'context_mismatch' });
    // Claiming the expected context does not help: the context is in the signed bytes.
    expect(verify({ ...other, context: CONTEXT })).toMatchObject({ ok: false, reason: 'part_failed' });
  });

  it('signs the documented layout "sluice/v1/" || context || 0 || suite || 0 || message', () => {
    const bytes = signedBytes(CONTEXT, 'hybrid-mldsa65-sm2', message);
    expect(Buffer.from(bytes).toString('utf8')).toBe(`sluice/v1/${CONTEXT}\u0000hybrid-mldsa65-sm2\u0000${message}`);
    const signature = Buffer.from((hybrid.parts[1] as SignaturePart).signature, 'base64');
    expect(schemeFor('sm2-sm3').verify(signature, bytes, keys.sm2.publicKey)).toBe(true);
  });

  it('refuses to sign with keys that do not make up the suite, and contexts that could blur the layout', () => {
    expect(() => signEnvelope(message, [keys.mlDsa], { context: CONTEXT, suite: 'hybrid-mldsa65-sm2' })).toThrow();
    expect(() => signEnvelope(message, [keys.sm2, keys.ed25519], { context: CONTEXT })).toThrow();
    expect(() => signEnvelope(message, [keys.ed25519], { context: 'a\u0000b' })).toThrow();
    expect(() => signEnvelope(message, [keys.ed25519], { context: 'Upper/Case' })).toThrow();
  });

  it('answers, never throws, for any JSON value in place of an envelope', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(verify(value).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('answers, never throws, for envelopes with arbitrary parts', () => {
    const part = fc.record({ algorithm: fc.constantFrom('ml-dsa-65', 'sm2-sm3', 'ed25519', 'x'), keyId: fc.string(), signature: fc.string() });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        expect(verify({ suite: hybrid.suite, context: CONTEXT, parts }).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
