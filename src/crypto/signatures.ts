import { assert } from '../kernel/index.ts';
import { concatBytes, fromBase64, toBase64, utf8 } from './bytes.ts';
import { keyIdOf, schemeFor, type KeyPair, type PublicKeyInfo } from './keys.ts';
import { isSignatureAlgorithm, type SignatureAlgorithm } from './scheme.ts';

/**
 * Signature envelopes: one message signed under a named suite, one part per algorithm of the suite.
 * A hybrid suite holds while at least one of its algorithms does, so verification demands every
 * part: a classical part alone would fall to a quantum computer, a post-quantum part alone to a
 * flaw found in a young algorithm.
 */
export const SIGNATURE_SUITES = ['hybrid-mldsa65-sm2', 'hybrid-mldsa65-ed25519', 'ml-dsa-65', 'sm2-sm3', 'ed25519'] as const;
export type SignatureSuite = (typeof SIGNATURE_SUITES)[number];

export const SUITE_ALGORITHMS: Readonly<Record<SignatureSuite, readonly SignatureAlgorithm[]>> = {
  'hybrid-mldsa65-sm2': ['ml-dsa-65', 'sm2-sm3'],
  'hybrid-mldsa65-ed25519': ['ml-dsa-65', 'ed25519'],
  'ml-dsa-65': ['ml-dsa-65'],
  'sm2-sm3': ['sm2-sm3'],
  ed25519: ['ed25519'],
};

/** What verifiers accept unless told otherwise: only suites that survive the loss of one algorithm. */
export const HYBRID_SUITES: readonly SignatureSuite[] = ['hybrid-mldsa65-sm2', 'hybrid-mldsa65-ed25519'];

export function isSignatureSuite(value: unknown): value is SignatureSuite {
  return typeof value === 'string' && (SIGNATURE_SUITES as readonly string[]).includes(value);
}

export interface SignaturePart {
  readonly algorithm: SignatureAlgorithm;
  readonly keyId: string;
  /** Standard padded base64 of the algorithm's raw signature bytes. */
  readonly signature: string;
}

export interface SignatureEnvelope {
  readonly suite: SignatureSuite;
  /** What the signature is for, e.g. "journal.checkpoint"; it is part of the signed bytes. */
  readonly context: string;
  readonly parts: readonly SignaturePart[];
}

/** Lower-case words joined by dots or dashes: no separator of the signed layout can appear in one. */
const CONTEXT_PATTERN = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
export const MAX_CONTEXT_LENGTH = 64;
/** More parts than any suite has is malformed; the bound keeps a hostile envelope cheap to reject. */
export const MAX_ENVELOPE_PARTS = 4;
/** Base64 of the largest signature here (ML-DSA-65, 3,309 bytes) is 4,412 characters. */
export const MAX_SIGNATURE_BASE64_LENGTH = 8_192;
const DOMAIN_PREFIX = 'sluice/v1/';

export function isSigningContext(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CONTEXT_LENGTH && CONTEXT_PATTERN.test(value);
}

/**
 * The bytes every part signs: "sluice/v1/" || context || 0x00 || suite || 0x00 || message.
 * The context keeps a signature made for one purpose (a journal checkpoint) from being accepted for
 * another. The suite is bound too, so a part cannot be lifted out of a hybrid envelope and passed
 * off as a single-algorithm signature: that would let a forger who broke one algorithm downgrade.
 */
export function signedBytes(context: string, suite: SignatureSuite, message: Uint8Array | string): Uint8Array {
  assert(isSigningContext(context), `signing context must match ${CONTEXT_PATTERN} and be at most ${MAX_CONTEXT_LENGTH} characters`);
  const body = typeof message === 'string' ? utf8(message) : message;
  return concatBytes(utf8(`${DOMAIN_PREFIX}${context}\u0000${suite}\u0000`), body);
}

export function suiteForAlgorithms(algorithms: readonly SignatureAlgorithm[]): SignatureSuite | null {
  const wanted = [...algorithms].sort().join(',');
  return SIGNATURE_SUITES.find((suite) => [...SUITE_ALGORITHMS[suite]].sort().join(',') === wanted) ?? null;
}

export interface SignOptions {
  readonly context: string;
  /** Defaults to the one suite whose algorithms are exactly those of the keys given. */
  readonly suite?: SignatureSuite;
}

/** Signs with one key per algorithm of the suite. Wrong keys for the suite are a programmer error. */
export function signEnvelope(message: Uint8Array | string, keys: readonly KeyPair[], options: SignOptions): SignatureEnvelope {
  const suite = options.suite ?? suiteForAlgorithms(keys.map((key) => key.algorithm));
  assert(suite !== null, `no signature suite uses exactly the algorithms ${keys.map((key) => key.algorithm).join(', ')}`);
  const required = SUITE_ALGORITHMS[suite];
  assert(
    keys.length === required.length && required.every((algorithm) => keys.some((key) => key.algorithm === algorithm)),
    `suite ${suite} needs one key for each of ${required.join(', ')}`,
  );
  const bytes = signedBytes(options.context, suite, message);
  const parts = required.map((algorithm): SignaturePart => {
    const key = keys.find((candidate) => candidate.algorithm === algorithm) as KeyPair;
    return { algorithm, keyId: key.keyId, signature: toBase64(schemeFor(algorithm).sign(bytes, key)) };
  });
  return { suite, context: options.context, parts };
}

export type EnvelopeProblem = 'malformed_envelope' | 'suite_not_accepted' | 'context_mismatch' | 'parts_do_not_match_suite' | 'part_failed';
export type PartProblem =
  | 'missing_part'
  | 'unexpected_part'
  | 'duplicate_part'
  | 'unknown_key'
  | 'key_algorithm_mismatch'
  | 'malformed_signature'
  | 'bad_signature';

export interface PartVerification {
  readonly algorithm: string;
  readonly keyId: string | null;
  readonly ok: boolean;
  readonly reason?: PartProblem;
}

export interface EnvelopeVerification {
  readonly ok: boolean;
  readonly suite: string | null;
  /** The first reason the envelope as a whole failed; absent when ok. */
  readonly reason?: EnvelopeProblem;
  readonly parts: readonly PartVerification[];
}

export interface VerifyOptions {
  /** The purpose the caller expects; an envelope signed for anything else fails. */
  readonly context: string;
  /** Suites the caller accepts; defaults to the hybrid suites. */
  readonly suites?: readonly SignatureSuite[];
}

interface ParsedPart {
  readonly algorithm: string;
  readonly keyId: string;
  readonly signature: string;
}

/** Reads an envelope from untrusted JSON without assuming anything about its shape. */
function parseEnvelope(value: unknown): { suite: string; context: string; parts: ParsedPart[] } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { suite, context, parts } = value as Record<string, unknown>;
  if (typeof suite !== 'string' || typeof context !== 'string' || !Array.isArray(parts)) return null;
  if (parts.length > MAX_ENVELOPE_PARTS) return null;
  const parsed: ParsedPart[] = [];
  for (const part of parts as unknown[]) {
    if (typeof part !== 'object' || part === null) return null;
    const { algorithm, keyId, signature } = part as Record<string, unknown>;
    if (typeof algorithm !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string') return null;
    parsed.push({ algorithm, keyId, signature });
  }
  return { suite, context, parts: parsed };
}

function checkPart(part: ParsedPart, bytes: Uint8Array, keysById: ReadonlyMap<string, PublicKeyInfo>): PartVerification {
  const algorithm = part.algorithm as SignatureAlgorithm;
  const fail = (reason: PartProblem): PartVerification => ({ algorithm: part.algorithm, keyId: part.keyId, ok: false, reason });
  const key = keysById.get(part.keyId);
  if (!key) return fail('unknown_key');
  if (key.algorithm !== algorithm) return fail('key_algorithm_mismatch');
  const signature = part.signature.length <= MAX_SIGNATURE_BASE64_LENGTH ? fromBase64(part.signature) : null;
  const scheme = schemeFor(algorithm);
  if (!signature || signature.byteLength !== scheme.signatureLength) return fail('malformed_signature');
  if (!scheme.verify(signature, bytes, key.publicKey)) return fail('bad_signature');
  return { algorithm: part.algorithm, keyId: part.keyId, ok: true };
}

/**
 * Verifies an envelope read from outside. It never throws for bad input: every way an envelope can
 * be wrong comes back as a reason, per part where a part is at fault. The result is ok only when the
 * suite is accepted, the context is the expected one, the parts are exactly one per algorithm of
 * the suite, and every part verifies under a known key of its algorithm.
 */
export function verifyEnvelope(
  message: Uint8Array | string,
  envelope: unknown,
  publicKeys: readonly PublicKeyInfo[],
  options: VerifyOptions,
): EnvelopeVerification {
  const parsed = parseEnvelope(envelope);
  if (!parsed) return { ok: false, suite: null, reason: 'malformed_envelope', parts: [] };
  const accepted = options.suites ?? HYBRID_SUITES;
  if (!isSignatureSuite(parsed.suite) || !accepted.includes(parsed.suite)) return { ok: false, suite: parsed.suite, reason: 'suite_not_accepted', parts: [] };
  if (parsed.context !== options.context) return { ok: false, suite: parsed.suite, reason: 'context_mismatch', parts: [] };

  const suite = parsed.suite;
  const required = SUITE_ALGORITHMS[suite];
  const bytes = signedBytes(options.context, suite, message);
  // Ids are recomputed from the key bytes, so a mislabelled key in the caller's list cannot match.
  const keysById = new Map(publicKeys.map((key) => [keyIdOf(key.algorithm, key.publicKey), key] as const));

  const seen = new Set<string>();
  const results: PartVerification[] = parsed.parts.map((part) => {
    if (!isSignatureAlgorithm(part.algorithm) || !required.includes(part.algorithm)) {
      return { algorithm: part.algorithm, keyId: part.keyId, ok: false, reason: 'unexpected_part' };
    }
    if (seen.has(part.algorithm)) return { algorithm: part.algorithm, keyId: part.keyId, ok: false, reason: 'duplicate_part' };
    seen.add(part.algorithm);
    return checkPart(part, bytes, keysById);
  });
  for (const algorithm of required) {
    if (!seen.has(algorithm)) results.push({ algorithm, keyId: null, ok: false, reason: 'missing_part' });
  }

  const shapeProblem = results.some((part) => part.reason === 'missing_part' || part.reason === 'unexpected_part' || part.reason === 'duplicate_part');
  if (shapeProblem) return { ok: false, suite, reason: 'parts_do_not_match_suite', parts: results };
  if (results.some((part) => !part.ok)) return { ok: false, suite, reason: 'part_failed', parts: results };
  return { ok: true, suite, parts: results };
}
