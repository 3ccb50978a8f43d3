import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt, scryptSync, type ScryptOptions } from 'node:crypto';
import { err, ok, type Result } from '../kernel/index.ts';
import { equalBytes, fromBase64, toBase64, utf8 } from './bytes.ts';

/**
 * Secrets at rest, sealed under a master key derived from a configuration secret.
 *
 * Key derivation: scrypt (RFC 7914) with a random salt stored beside the ciphertext. The secret may
 * be a passphrase typed by an operator, so a memory-hard function is used rather than HKDF alone;
 * HKDF then splits the master key into one key per cipher, so that the same master key never keys
 * two algorithms.
 *
 * Ciphers:
 * - `aes-256-gcm`: AES-256 in GCM (NIST SP 800-38D), 96-bit random nonce, 128-bit tag.
 * - `sm4-ctr-hmac-sm3`: for deployments that must use the Chinese commercial algorithms. SM4 in
 *   GCM (RFC 8998) is what one would pick, but Node 20's OpenSSL 3.0 offers no "sm4-gcm"; it does
 *   offer SM4 (GB/T 32907) in CTR mode and HMAC-SM3, so the box is SM4-CTR then HMAC-SM3 over
 *   header and ciphertext (encrypt-then-MAC, which is how a generic composition stays an AEAD),
 *   with independent keys for the two.
 *
 * Everything that describes the box (format, purpose, cipher, KDF parameters, IV) is authenticated,
 * so none of it can be changed, or the box passed off as one sealed for another purpose, unnoticed.
 *
 * A box may also be bound to a context: what it belongs to within its purpose, such as the id of the
 * row it is stored in. The context is part of the authenticated header, so a box opens only with the
 * context it was sealed with, and a box copied from one row to another does not open there. It goes
 * in the header rather than into the key derivation because binding a ciphertext to the data around
 * it is what an AEAD's associated data is for: one change covers both ciphers alike (GCM's AAD, the
 * HMAC-SM3 input), and the key-per-purpose separation (textKey) stays about keys, not rows. The
 * header of a box sealed without a context is exactly what it always was, so boxes sealed before
 * contexts existed (the key ring, earlier webhook secrets) open as before; with a context the header
 * has one more element, so "no context" and a context cannot stand for each other (an empty context
 * is refused, so that it is never mistaken for none at a call site). The context is also written
 * in the box, as `context`, so that a reader can tell a bound box from an unbound one without
 * opening it; that field is only a label: opening always authenticates the context the caller
 * expects, never the one the box claims.
 */

export const SEAL_CIPHERS = ['aes-256-gcm', 'sm4-ctr-hmac-sm3'] as const;
export type SealCipher = (typeof SEAL_CIPHERS)[number];
export const SEALED_FORMAT = 'sluice-sealed/v1';

export interface KdfParams {
  readonly name: 'scrypt';
  /** Base64 of the random salt. */
  readonly salt: string;
  /** scrypt's N, r and p. */
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelization: number;
}

export interface MasterKey {
  readonly kdf: KdfParams;
  readonly key: Uint8Array;
}

export interface SealedBox {
  readonly format: typeof SEALED_FORMAT;
  /** What the box holds, e.g. "key-ring"; opening it as anything else fails. */
  readonly purpose: string;
  readonly cipher: SealCipher;
  readonly kdf: KdfParams;
  readonly iv: string;
  /** What the box is bound to within its purpose (e.g. the id of its row); absent on unbound boxes. */
  readonly context?: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export type SealProblem = 'malformed_sealed_box' | 'unsupported_sealed_box' | 'kdf_mismatch' | 'wrong_key_or_tampered' | 'purpose_mismatch';

/** 32 MiB of scrypt memory (N = 2^15, r = 8): 0.4–0.7 s on this two-core machine, once per start. */
export const DEFAULT_SCRYPT_COST = 2 ** 15;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELIZATION = 1;
/** Stored parameters outside these bounds are refused rather than run: a weak or a ruinous KDF. */
export const MIN_SCRYPT_COST = 2 ** 14;
export const MAX_SCRYPT_COST = 2 ** 20;
export const MIN_SECRET_BYTES = 16;
export const MAX_SEALED_BYTES = 1024 * 1024;
const SALT_BYTES = 16;
const MASTER_KEY_BYTES = 32;
const SCRYPT_MAX_MEMORY_BYTES = 2 * 128 * MAX_SCRYPT_COST * SCRYPT_BLOCK_SIZE;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const SM4_KEY_BYTES = 16;
const SM4_IV_BYTES = 16;
const HMAC_SM3_KEY_BYTES = 32;
const HMAC_SM3_TAG_BYTES = 32;
const PURPOSE_PATTERN = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
/** A context names what a box belongs to (an id), it is not data: the limit keeps stored boxes small. */
export const MAX_SEAL_CONTEXT_CHARS = 256;

function isPowerOfTwo(value: number): boolean {
  let power = 1;
  while (power < value) power *= 2;
  return power === value;
}

export function isKdfParams(kdf: unknown): kdf is KdfParams {
  if (typeof kdf !== 'object' || kdf === null) return false;
  const { name, salt, cost, blockSize, parallelization } = kdf as Record<string, unknown>;
  return (
    name === 'scrypt' &&
    fromBase64(salt)?.byteLength === SALT_BYTES &&
    typeof cost === 'number' &&
    isPowerOfTwo(cost) &&
    cost >= MIN_SCRYPT_COST &&
    cost <= MAX_SCRYPT_COST &&
    blockSize === SCRYPT_BLOCK_SIZE &&
    parallelization === SCRYPT_PARALLELIZATION
  );
}

/**
 * Derives the master key from the configuration secret. Without `kdf`, a fresh salt is drawn (first
 * start); with it, the parameters stored in a sealed box are reused to open that box.
 */
export function deriveMasterKey(secret: string | Uint8Array, kdf?: KdfParams): MasterKey {
  const { secretBytes, params, options } = derivation(secret, kdf);
  const key = scryptSync(secretBytes, fromBase64(params.salt) as Uint8Array, MASTER_KEY_BYTES, options);
  return { kdf: params, key: new Uint8Array(key) };
}

/**
 * deriveMasterKey on libuv's thread pool: for a server already answering requests, whose event loop
 * the half second of scrypt would otherwise stop (the signing key ring is derived before it listens).
 */
export function deriveMasterKeyAsync(secret: string | Uint8Array, kdf?: KdfParams): Promise<MasterKey> {
  const { secretBytes, params, options } = derivation(secret, kdf);
  return new Promise((resolve, reject) => {
    scrypt(secretBytes, fromBase64(params.salt) as Uint8Array, MASTER_KEY_BYTES, options, (error, key) => {
      if (error) reject(error);
      else resolve({ kdf: params, key: new Uint8Array(key) });
    });
  });
}

/** The checked secret, the parameters (a fresh salt without `kdf`) and scrypt's options for them. */
function derivation(secret: string | Uint8Array, kdf?: KdfParams): { secretBytes: Uint8Array; params: KdfParams; options: ScryptOptions } {
  const secretBytes = typeof secret === 'string' ? utf8(secret) : secret;
  if (secretBytes.byteLength < MIN_SECRET_BYTES) throw new RangeError(`the key store secret needs at least ${MIN_SECRET_BYTES} bytes`);
  const params: KdfParams = kdf ?? {
    name: 'scrypt',
    salt: toBase64(randomBytes(SALT_BYTES)),
    cost: DEFAULT_SCRYPT_COST,
    blockSize: SCRYPT_BLOCK_SIZE,
    parallelization: SCRYPT_PARALLELIZATION,
  };
  if (!isKdfParams(params)) throw new RangeError('unsupported key derivation parameters');
  return { secretBytes, params, options: { N: params.cost, r: params.blockSize, p: params.parallelization, maxmem: SCRYPT_MAX_MEMORY_BYTES } };
}

function subkey(masterKey: MasterKey, digest: 'sha256' | 'sm3', cipher: SealCipher, length: number): Buffer {
  return Buffer.from(hkdfSync(digest, masterKey.key, new Uint8Array(0), `sluice/v1/sealed/${cipher}`, length));
}

function kdfFields(kdf: KdfParams): readonly unknown[] {
  return [kdf.name, kdf.salt, kdf.cost, kdf.blockSize, kdf.parallelization];
}

/**
 * The authenticated description of a box; an array keeps the encoding independent of key order. An
 * unbound box's header is the nine elements it has always been; a bound box's has its context as a
 * tenth, so the two never encode alike.
 */
function header(box: Omit<SealedBox, 'ciphertext' | 'tag'>, context: string | undefined): Buffer {
  const described = [box.format, box.purpose, box.cipher, ...kdfFields(box.kdf), box.iv];
  return Buffer.from(JSON.stringify(context === undefined ? described : [...described, context]), 'utf8');
}

function checkContext(context: string | undefined): void {
  if (context !== undefined && (typeof context !== 'string' || context.length === 0 || context.length > MAX_SEAL_CONTEXT_CHARS)) {
    throw new RangeError(`a context is a string of 1 to ${MAX_SEAL_CONTEXT_CHARS} characters`);
  }
}

function macSm4(macKey: Buffer, headerBytes: Buffer, ciphertext: Uint8Array): Buffer {
  return createHmac('sm3', macKey).update(headerBytes).update(ciphertext).digest();
}

/**
 * Seals bytes for one purpose. With a context the box opens only with that same context (see the
 * module's comment); without one it is the unbound box it always was.
 */
export function seal(plaintext: Uint8Array, masterKey: MasterKey, purpose: string, cipher: SealCipher = 'aes-256-gcm', context?: string): SealedBox {
  if (!PURPOSE_PATTERN.test(purpose)) throw new RangeError(`purpose must match ${PURPOSE_PATTERN}`);
  if (plaintext.byteLength > MAX_SEALED_BYTES) throw new RangeError(`a sealed box holds at most ${MAX_SEALED_BYTES} bytes`);
  checkContext(context);
  const bound = context === undefined ? {} : { context };
  if (cipher === 'aes-256-gcm') {
    const iv = randomBytes(GCM_IV_BYTES);
    const described = { format: SEALED_FORMAT, purpose, cipher, kdf: masterKey.kdf, iv: toBase64(iv), ...bound } as const;
    const encryptor = createCipheriv('aes-256-gcm', subkey(masterKey, 'sha256', cipher, 32), iv, { authTagLength: GCM_TAG_BYTES });
    encryptor.setAAD(header(described, context));
    const ciphertext = Buffer.concat([encryptor.update(plaintext), encryptor.final()]);
    return { ...described, ciphertext: toBase64(ciphertext), tag: toBase64(encryptor.getAuthTag()) };
  }
  const keys = subkey(masterKey, 'sm3', cipher, SM4_KEY_BYTES + HMAC_SM3_KEY_BYTES);
  const iv = randomBytes(SM4_IV_BYTES);
  const described = { format: SEALED_FORMAT, purpose, cipher, kdf: masterKey.kdf, iv: toBase64(iv), ...bound } as const;
  const encryptor = createCipheriv('sm4-ctr', keys.subarray(0, SM4_KEY_BYTES), iv);
  const ciphertext = Buffer.concat([encryptor.update(plaintext), encryptor.final()]);
  const tag = macSm4(keys.subarray(SM4_KEY_BYTES), header(described, context), ciphertext);
  return { ...described, ciphertext: toBase64(ciphertext), tag: toBase64(tag) };
}

function parseBox(value: unknown): Result<SealedBox, SealProblem> {
  if (typeof value !== 'object' || value === null) return err('malformed_sealed_box');
  const box = value as Record<string, unknown>;
  if (box.format !== SEALED_FORMAT || !SEAL_CIPHERS.includes(box.cipher as SealCipher)) return err('unsupported_sealed_box');
  const fields = [box.iv, box.ciphertext, box.tag].map(fromBase64);
  if (typeof box.purpose !== 'string' || !isKdfParams(box.kdf) || fields.some((field) => field === null)) return err('malformed_sealed_box');
  const context = box.context;
  if (context !== undefined && (typeof context !== 'string' || context.length === 0 || context.length > MAX_SEAL_CONTEXT_CHARS)) return err('malformed_sealed_box');
  return ok(box as unknown as SealedBox);
}

/**
 * Opens a box read from storage. A wrong secret and a tampered box look the same, on purpose; so
 * does a box bound to another context than `context`, or bound when `context` is absent, or unbound
 * when it is given (a box moved to where it does not belong is a changed box).
 */
export function unseal(value: unknown, masterKey: MasterKey, purpose: string, context?: string): Result<Uint8Array, SealProblem> {
  checkContext(context);
  const parsed = parseBox(value);
  if (!parsed.ok) return parsed;
  const box = parsed.value;
  if (box.purpose !== purpose) return err('purpose_mismatch');
  // The label is compared only to answer early; the header below authenticates the expected context.
  if (box.context !== context) return err('wrong_key_or_tampered');
  // The master key must have been derived with this box's salt and parameters (deriveMasterKey(secret, box.kdf)).
  if (JSON.stringify(kdfFields(masterKey.kdf)) !== JSON.stringify(kdfFields(box.kdf))) return err('kdf_mismatch');
  const iv = fromBase64(box.iv) as Uint8Array;
  const ciphertext = fromBase64(box.ciphertext) as Uint8Array;
  const tag = fromBase64(box.tag) as Uint8Array;
  if (ciphertext.byteLength > MAX_SEALED_BYTES) return err('malformed_sealed_box');

  if (box.cipher === 'aes-256-gcm') {
    if (iv.byteLength !== GCM_IV_BYTES || tag.byteLength !== GCM_TAG_BYTES) return err('malformed_sealed_box');
    const decryptor = createDecipheriv('aes-256-gcm', subkey(masterKey, 'sha256', box.cipher, 32), iv, { authTagLength: GCM_TAG_BYTES });
    decryptor.setAAD(header(box, context));
    decryptor.setAuthTag(tag);
    try {
      return ok(new Uint8Array(Buffer.concat([decryptor.update(ciphertext), decryptor.final()])));
    } catch {
      return err('wrong_key_or_tampered');
    }
  }
  if (iv.byteLength !== SM4_IV_BYTES || tag.byteLength !== HMAC_SM3_TAG_BYTES) return err('malformed_sealed_box');
  const keys = subkey(masterKey, 'sm3', box.cipher, SM4_KEY_BYTES + HMAC_SM3_KEY_BYTES);
  // The tag is checked before anything is decrypted, in time that does not depend on where it differs.
  if (!equalBytes(macSm4(keys.subarray(SM4_KEY_BYTES), header(box, context), ciphertext), tag)) return err('wrong_key_or_tampered');
  const decryptor = createDecipheriv('sm4-ctr', keys.subarray(0, SM4_KEY_BYTES), iv);
  return ok(new Uint8Array(Buffer.concat([decryptor.update(ciphertext), decryptor.final()])));
}

/** Purposes of text boxes: a namespace apart from the key ring's, so neither can stand for the other. */
const TEXT_PURPOSE_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SEALED_TEXT_CHARS = 64 * 1024;

/**
 * The key a text box of one purpose is sealed under: HKDF of the master key with the purpose in its
 * info, so that each purpose (a webhook secret, the key ring) has keys of its own even under one
 * secret and one salt. The purpose is also in the box's authenticated header, which names the
 * purpose a box was sealed for; the separate key means no box opens under another purpose's key.
 */
function textKey(masterKey: MasterKey, purpose: string): MasterKey {
  if (!TEXT_PURPOSE_PATTERN.test(purpose)) throw new RangeError(`a text purpose must look like "module.thing" (${TEXT_PURPOSE_PATTERN})`);
  return { kdf: masterKey.kdf, key: new Uint8Array(hkdfSync('sha256', masterKey.key, new Uint8Array(0), `sluice/v1/sealed-text/${purpose}`, MASTER_KEY_BYTES)) };
}

export interface SealTextOptions {
  readonly cipher?: SealCipher;
  /** Binds the box to what it belongs to (a webhook's id): it then opens only with this context. */
  readonly context?: string;
}

/** Seals a short text (a webhook's signing secret) for one column: the box as JSON. */
export function sealText(text: string, masterKey: MasterKey, purpose: string, options: SealTextOptions = {}): string {
  if (text.length > MAX_SEALED_TEXT_CHARS) throw new RangeError(`a sealed text holds at most ${MAX_SEALED_TEXT_CHARS} characters`);
  return JSON.stringify(seal(utf8(text), textKey(masterKey, purpose), purpose, options.cipher ?? 'aes-256-gcm', options.context));
}

/** The key derivation parameters a stored text box names, to derive (or find cached) its master key. */
export function sealedTextKdf(stored: string): Result<KdfParams, SealProblem> {
  if (stored.length > 2 * MAX_SEALED_TEXT_CHARS + 1024) return err('malformed_sealed_box');
  let box: unknown;
  try {
    box = JSON.parse(stored);
  } catch {
    return err('malformed_sealed_box');
  }
  const kdf = typeof box === 'object' && box !== null ? (box as { kdf?: unknown }).kdf : undefined;
  return isKdfParams(kdf) ? ok(kdf) : err('malformed_sealed_box');
}

/**
 * Opens a text box read from storage; `masterKeyFor` gives the master key of the box's salt (it may
 * cache: deriving takes half a second). A wrong secret and a changed box both fail, never decrypt to
 * something else. `context` must be the one the box was sealed with, or absent for an unbound box;
 * any other fails as a changed box does (`wrong_key_or_tampered`).
 */
export function openText(stored: string, masterKeyFor: (kdf: KdfParams) => MasterKey, purpose: string, context?: string): Result<string, SealProblem> {
  checkContext(context);
  const kdf = sealedTextKdf(stored);
  if (!kdf.ok) return kdf;
  const opened = unseal(JSON.parse(stored), textKey(masterKeyFor(kdf.value), purpose), purpose, context);
  if (!opened.ok) return opened;
  try {
    return ok(new TextDecoder('utf-8', { fatal: true }).decode(opened.value));
  } catch {
    return err('malformed_sealed_box');
  }
}
