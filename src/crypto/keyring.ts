import { assert, err, ok, type Result } from '../kernel/index.ts';
import { fromBase64, toBase64, utf8 } from './bytes.ts';
import { generateKeyPair, keyIdOf, keyPairFromSecretKey, publicKeyInfo, publicPart, type KeyPair, type PublicKeyInfo } from './keys.ts';
import { deriveMasterKey, isKdfParams, seal, unseal, type MasterKey, type SealCipher, type SealedBox, type SealProblem } from './keystore.ts';
import { isSignatureAlgorithm, type SignatureAlgorithm } from './scheme.ts';
import { SUITE_ALGORITHMS, type SignatureSuite } from './signatures.ts';

/**
 * The platform's signing keys: one active key per algorithm, plus the public halves of the keys it
 * used before. Rotation retires a key for signing but keeps its public key, so that checkpoints
 * signed before the rotation still verify, offline, from the exported keys file. Retired secret keys
 * are dropped: nothing signs with them again, and a secret that no longer exists cannot leak.
 */
export interface ActiveKey extends KeyPair {
  /** ISO 8601 instant from which the key signs. */
  readonly activeFrom: string;
}

export interface RetiredKey extends PublicKeyInfo {
  readonly activeFrom: string;
  readonly retiredAt: string;
}

export interface KeyRing {
  readonly active: readonly ActiveKey[];
  readonly retired: readonly RetiredKey[];
}

/** One entry of a keys file: what an offline verifier needs to trust a key, and for when. */
export interface PublicKeyRecord {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  /** Standard base64 of the raw public key. */
  readonly publicKey: string;
  readonly activeFrom: string;
  readonly retiredAt: string | null;
}

export interface KeysFile {
  readonly format: typeof KEYS_FILE_FORMAT;
  readonly keys: readonly PublicKeyRecord[];
}

export interface TrustedKey extends PublicKeyInfo {
  readonly activeFrom: string;
  readonly retiredAt: string | null;
}

export const KEYS_FILE_FORMAT = 'sluice-keys/v1';
export const KEY_RING_FORMAT = 'sluice-key-ring/v1';
export const KEY_RING_PURPOSE = 'key-ring';
/** Bounds what a key file or stored ring may hold: years of monthly rotations of every algorithm. */
export const MAX_RING_KEYS = 1_024;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const isoAt = (nowMs: number): string => new Date(nowMs).toISOString();

export function createKeyRing(algorithms: readonly SignatureAlgorithm[], nowMs: number): KeyRing {
  const distinct = [...new Set(algorithms)];
  return { active: distinct.map((algorithm) => ({ ...generateKeyPair(algorithm), activeFrom: isoAt(nowMs) })), retired: [] };
}

/** Replaces the active key of one algorithm (or adds one), keeping the old public key for verifiers. */
export function rotate(ring: KeyRing, algorithm: SignatureAlgorithm, nowMs: number): KeyRing {
  const previous = ring.active.find((key) => key.algorithm === algorithm);
  const replacement: ActiveKey = { ...generateKeyPair(algorithm), activeFrom: isoAt(nowMs) };
  const retired = previous ? [...ring.retired, { ...publicPart(previous), activeFrom: previous.activeFrom, retiredAt: isoAt(nowMs) }] : ring.retired;
  return { active: [...ring.active.filter((key) => key.algorithm !== algorithm), replacement], retired };
}

export function activeKey(ring: KeyRing, algorithm: SignatureAlgorithm): ActiveKey | undefined {
  return ring.active.find((key) => key.algorithm === algorithm);
}

/** The active keys a suite signs with; a ring without them is a configuration error. */
export function signingKeys(ring: KeyRing, suite: SignatureSuite): KeyPair[] {
  return SUITE_ALGORITHMS[suite].map((algorithm) => {
    const key = activeKey(ring, algorithm);
    assert(key, `the key ring has no active ${algorithm} key for suite ${suite}`);
    return key;
  });
}

export function verificationKeys(ring: KeyRing): PublicKeyInfo[] {
  return [...ring.active.map(publicPart), ...ring.retired.map(publicPart)];
}

/** The public keys file for offline verification: every key ever active, with its period of use. */
export function exportPublicKeys(ring: KeyRing): KeysFile {
  const record = (key: PublicKeyInfo, activeFrom: string, retiredAt: string | null): PublicKeyRecord => ({
    keyId: key.keyId,
    algorithm: key.algorithm,
    publicKey: toBase64(key.publicKey),
    activeFrom,
    retiredAt,
  });
  return {
    format: KEYS_FILE_FORMAT,
    keys: [...ring.retired.map((key) => record(key, key.activeFrom, key.retiredAt)), ...ring.active.map((key) => record(key, key.activeFrom, null))],
  };
}

export type KeysFileProblem = 'malformed_keys_file' | 'invalid_public_key' | 'key_id_mismatch';

function parseRecord(value: unknown): Result<TrustedKey, KeysFileProblem> {
  if (typeof value !== 'object' || value === null) return err('malformed_keys_file');
  const { keyId, algorithm, publicKey, activeFrom, retiredAt } = value as Record<string, unknown>;
  if (!isSignatureAlgorithm(algorithm) || typeof keyId !== 'string' || typeof activeFrom !== 'string' || !ISO_INSTANT.test(activeFrom)) return err('malformed_keys_file');
  if (retiredAt !== null && (typeof retiredAt !== 'string' || !ISO_INSTANT.test(retiredAt))) return err('malformed_keys_file');
  const bytes = fromBase64(publicKey);
  const info = bytes && publicKeyInfo(algorithm, bytes);
  if (!info) return err('invalid_public_key');
  // The id is a function of the key; a file that says otherwise was edited or corrupted.
  if (info.keyId !== keyId) return err('key_id_mismatch');
  return ok({ ...info, activeFrom, retiredAt });
}

/** Reads a keys file from outside, checking every key and recomputing every id. */
export function importPublicKeys(value: unknown): Result<TrustedKey[], KeysFileProblem> {
  if (typeof value !== 'object' || value === null) return err('malformed_keys_file');
  const { format, keys } = value as Record<string, unknown>;
  if (format !== KEYS_FILE_FORMAT || !Array.isArray(keys) || keys.length > MAX_RING_KEYS) return err('malformed_keys_file');
  const trusted: TrustedKey[] = [];
  for (const record of keys as unknown[]) {
    const parsed = parseRecord(record);
    if (!parsed.ok) return parsed;
    trusted.push(parsed.value);
  }
  return ok(trusted);
}

/** Seals the whole ring, secret keys included, for storage. */
export function sealKeys(ring: KeyRing, masterKey: MasterKey, cipher: SealCipher = 'aes-256-gcm'): SealedBox {
  const stored = {
    format: KEY_RING_FORMAT,
    active: ring.active.map((key) => ({ algorithm: key.algorithm, secretKey: toBase64(key.secretKey), publicKey: toBase64(key.publicKey), activeFrom: key.activeFrom })),
    retired: exportPublicKeys({ active: [], retired: ring.retired }).keys,
  };
  return seal(utf8(JSON.stringify(stored)), masterKey, KEY_RING_PURPOSE, cipher);
}

export type OpenKeysProblem = SealProblem | 'malformed_key_ring' | 'key_mismatch';

function parseActive(value: unknown): Result<ActiveKey, OpenKeysProblem> {
  if (typeof value !== 'object' || value === null) return err('malformed_key_ring');
  const { algorithm, secretKey, publicKey, activeFrom } = value as Record<string, unknown>;
  const secret = fromBase64(secretKey);
  const storedPublic = fromBase64(publicKey);
  if (!isSignatureAlgorithm(algorithm) || !secret || !storedPublic || typeof activeFrom !== 'string' || !ISO_INSTANT.test(activeFrom)) return err('malformed_key_ring');
  // Rederiving the public key catches a ring whose halves no longer belong together.
  const pair = keyPairFromSecretKey(algorithm, secret);
  if (!pair || pair.keyId !== keyIdOf(algorithm, storedPublic)) return err('key_mismatch');
  return ok({ ...pair, activeFrom });
}

/** Opens a stored ring. The master key must come from deriveMasterKey(secret, box.kdf). */
export function openKeys(box: unknown, masterKey: MasterKey): Result<KeyRing, OpenKeysProblem> {
  const opened = unseal(box, masterKey, KEY_RING_PURPOSE);
  if (!opened.ok) return opened;
  let stored: unknown;
  try {
    stored = JSON.parse(Buffer.from(opened.value).toString('utf8'));
  } catch {
    return err('malformed_key_ring');
  }
  if (typeof stored !== 'object' || stored === null) return err('malformed_key_ring');
  const { format, active, retired } = stored as Record<string, unknown>;
  if (format !== KEY_RING_FORMAT || !Array.isArray(active) || active.length > MAX_RING_KEYS) return err('malformed_key_ring');
  const activeKeys: ActiveKey[] = [];
  for (const entry of active as unknown[]) {
    const parsed = parseActive(entry);
    if (!parsed.ok) return parsed;
    activeKeys.push(parsed.value);
  }
  const retiredKeys = importPublicKeys({ format: KEYS_FILE_FORMAT, keys: retired });
  if (!retiredKeys.ok || retiredKeys.value.some((key) => key.retiredAt === null)) return err('malformed_key_ring');
  return ok({ active: activeKeys, retired: retiredKeys.value as RetiredKey[] });
}

export interface KeyRingAtStart {
  readonly ring: KeyRing;
  /** The box to store when `changed`; otherwise the one that was read. */
  readonly box: SealedBox;
  readonly changed: boolean;
}

/**
 * What a start does with the key store: with nothing stored, generate a ring and seal it under a
 * fresh salt; otherwise open the stored ring, add a key for any algorithm newly configured, and
 * reseal when the configured cipher changed.
 * Storage itself (file or table) is the caller's; `stored` is the parsed JSON of the box, or null.
 */
export function openOrCreateKeyRing(
  stored: unknown,
  secret: string | Uint8Array,
  options: { readonly algorithms: readonly SignatureAlgorithm[]; readonly nowMs: number; readonly cipher?: SealCipher },
): Result<KeyRingAtStart, OpenKeysProblem> {
  if (stored === null || stored === undefined) {
    const ring = createKeyRing(options.algorithms, options.nowMs);
    return ok({ ring, box: sealKeys(ring, deriveMasterKey(secret), options.cipher), changed: true });
  }
  const kdf = typeof stored === 'object' ? (stored as { kdf?: unknown }).kdf : undefined;
  if (!isKdfParams(kdf)) return err('malformed_sealed_box');
  const masterKey = deriveMasterKey(secret, kdf);
  const opened = openKeys(stored, masterKey);
  if (!opened.ok) return opened;
  const storedBox = stored as SealedBox;
  const cipher = options.cipher ?? storedBox.cipher;
  const missing = options.algorithms.filter((algorithm) => !activeKey(opened.value, algorithm));
  if (missing.length === 0 && cipher === storedBox.cipher) return ok({ ring: opened.value, box: storedBox, changed: false });
  // A newly configured algorithm gets a key, and a newly configured cipher a fresh box.
  const ring = missing.reduce((current, algorithm) => rotate(current, algorithm, options.nowMs), opened.value);
  return ok({ ring, box: sealKeys(ring, masterKey, cipher), changed: true });
}
