import type { Queryable } from '../../db/index.ts';
import {
  openOrCreateKeyRing, verifyEnvelope, HYBRID_SUITES, SUITE_ALGORITHMS,
  type KeyRing, type SealCipher, type SignatureSuite, type TrustedKey,
} from '../../crypto/index.ts';
import { assert, type Clock } from '../../kernel/index.ts';
import type { CheckpointSignatureVerifier } from './journal.checkpoint-verifier.ts';
import { CHECKPOINT_CONTEXT, activeAt, checkpointMessage, unknownSignatureNames, type Checkpoint } from './journal.proof.ts';

/**
 * Whether the server itself can verify a stored checkpoint, as an offline verifier holding the keys
 * file would: the checks the checkpoint service makes before it anchors a proof on a checkpoint, and
 * that verification reports. Kept apart from the service, which signs and stores.
 */

/** Verification results of stored checkpoints kept, so that a listing or a proof does not verify a checkpoint again. */
const VERIFIED_CACHE_MAX = 1_024;

/** What opening the stored ring needs from the service's settings. */
export interface RingSettings {
  readonly clock: Clock;
  readonly keySecret: string;
  readonly suite: SignatureSuite;
  readonly cipher?: SealCipher;
}

/** A ring together with the sealed text it was opened from, as stored. */
export type StoredRing = { readonly ring: KeyRing; readonly sealed: string };

/** The suites a stored checkpoint may name: the configured one and every hybrid suite. */
export const acceptedSuitesFor = (suite: SignatureSuite): readonly SignatureSuite[] => [...new Set([suite, ...HYBRID_SUITES])];

/** Every key of a ring, public halves only, with the period it was active: what a keys file lists. */
export function trustedKeys(ring: KeyRing): TrustedKey[] {
  return [
    ...ring.retired.map((key) => ({ algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey, activeFrom: key.activeFrom, retiredAt: key.retiredAt })),
    ...ring.active.map((key) => ({ algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey, activeFrom: key.activeFrom, retiredAt: null })),
  ];
}

/**
 * Why a stored checkpoint's signature does not verify as an offline verifier checks it with the keys
 * file (every part, under keys active at the instant the checkpoint names), in words; null when it
 * verifies. A checkpoint signed by a key of the ring but dated outside the period that key was
 * active says so, with the period.
 */
export function signatureProblem(checkpoint: Omit<Checkpoint, 'envelope'>, envelope: unknown, keys: readonly TrustedKey[], suites: readonly SignatureSuite[]): string | null {
  const message = checkpointMessage(checkpoint);
  const options = { context: CHECKPOINT_CONTEXT, suites };
  const createdAt = checkpoint.createdAt;
  const activeThen = typeof createdAt === 'string' ? keys.filter((key) => activeAt(key, createdAt)) : [];
  const verified = verifyEnvelope(message, envelope, activeThen, options);
  if (verified.ok) return null;
  const failed = `its signature does not verify (${verified.reason ?? 'failed'})`;
  const unknown = unknownSignatureNames(verified);
  if (unknown) return `${failed}: ${unknown}`;
  const outside = verified.parts.flatMap((part) => (part.ok ? [] : keys.filter((key) => key.keyId === part.keyId && key.algorithm === part.algorithm)));
  if (outside.length > 0 && verifyEnvelope(message, envelope, keys, options).ok) {
    const periods = outside.map((key) => `the ${key.algorithm} key ${key.keyId} (active from ${key.activeFrom}${key.retiredAt === null ? '' : ` until ${key.retiredAt}`})`);
    return `${failed}: it is dated ${String(createdAt)}, when ${periods.join(' and ')} that signed it ${outside.length === 1 ? 'was' : 'were'} not active`;
  }
  return failed;
}

/** The envelope of a stored checkpoint, or null when the column no longer holds JSON. */
export function parseStoredEnvelope(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** What the checkpoint service knows of its checkpoints' signatures, and how it learns more. */
export interface CheckpointTrust {
  /**
   * Why this server cannot verify each stored checkpoint with its own ring (null when it can), in
   * order, for a listed page or the one or two checkpoints a proof or consistency file rests on:
   * those known at once, the others verified off the event loop by `verifier`, a checkpoint that
   * another request is already having verified waiting for that answer. Rejects with
   * CheckpointVerificationUnavailableError when the verifier cannot take them.
   */
  checkAll(checkpoints: readonly Checkpoint[], stored: StoredRing, verifier: CheckpointSignatureVerifier): Promise<(string | null)[]>;
  /**
   * Records a checkpoint this process has just signed with the active keys of `stored`, dated no
   * earlier than they became active: it verifies under that ring by construction, so it is known
   * verifiable without being verified again.
   */
  signed(checkpoint: Checkpoint, stored: StoredRing): void;
}

/**
 * What this server knows of stored checkpoints' signatures: results are remembered while the stored
 * ring stays the same, up to a bound (VERIFIED_CACHE_MAX; the whole memory is let go at the bound).
 */
export function createCheckpointTrust(suite: SignatureSuite): CheckpointTrust {
  const suites = acceptedSuitesFor(suite);
  const verified = new Map<string, string | null>();
  // Verifications under way in the worker, so that two requests meeting one checkpoint verify it once. Bounded
  // by the verifier's queue: a checkpoint is added here only once the verifier took it.
  const underWay = new Map<string, Promise<string | null>>();
  let verifiedUnder = '';
  /** Forgets what was learnt under another ring: a rotation or another process's ring changes the answers. */
  const under = (sealed: string): void => {
    if (verifiedUnder === sealed) return;
    verified.clear();
    underWay.clear();
    verifiedUnder = sealed;
  };
  const remember = (key: string, problem: string | null): void => {
    if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
    verified.set(key, problem);
  };
  const keyOf = (checkpoint: Checkpoint): string => `${checkpointMessage(checkpoint)}\n${JSON.stringify(checkpoint.envelope)}`;
  return {
    async checkAll(checkpoints, stored, verifier) {
      under(stored.sealed);
      const answers: (string | null | Promise<string | null>)[] = [];
      const unknown: { index: number; key: string; checkpoint: Checkpoint }[] = [];
      checkpoints.forEach((checkpoint, index) => {
        const key = keyOf(checkpoint);
        const known = verified.has(key) ? verified.get(key) : underWay.get(key);
        if (known !== undefined) answers[index] = known;
        else unknown.push({ index, key, checkpoint });
      });
      if (unknown.length > 0) {
        const sealed = stored.sealed;
        const batch = verifier.verify(unknown.map((item) => item.checkpoint), trustedKeys(stored.ring), suites);
        unknown.forEach(({ index, key }, position) => {
          const answer = batch.then((problems) => {
            const problem = problems[position];
            assert(problem !== undefined, 'the checkpoint verifier answered fewer checkpoints than it was given');
            return problem;
          });
          underWay.set(key, answer);
          const settled = () => {
            if (underWay.get(key) === answer) underWay.delete(key);
          };
          answer.then((problem) => {
            settled();
            // An answer under a ring that has changed meanwhile is not kept: it may no longer hold.
            if (verifiedUnder === sealed) remember(key, problem);
          }, settled);
          answers[index] = answer;
        });
      }
      return Promise.all(answers);
    },
    signed(checkpoint, stored) {
      under(stored.sealed);
      remember(keyOf(checkpoint), null);
    },
  };
}

/**
 * The ring as stored, for verification: read through the verifier's snapshot and never written.
 * A verification that created a missing ring, or saved a rotation it opened, would change what it
 * was asked to check: a ring deleted by accident or by an intruder would come back as new keys
 * under which no checkpoint verifies, and the report could not say why.
 */
export async function storedRing(q: Queryable, deps: RingSettings): Promise<KeyRing> {
  const row = await q.get<{ sealed: string }>('SELECT sealed FROM journal_keyring WHERE id = 1');
  if (!row) throw new Error('the signing key ring is missing from the database (journal_keyring has no row)');
  let box: unknown;
  try {
    box = JSON.parse(row.sealed) as unknown;
  } catch {
    throw new Error('the stored signing key ring is not JSON');
  }
  const opened = openOrCreateKeyRing(box, deps.keySecret, { algorithms: SUITE_ALGORITHMS[deps.suite], nowMs: deps.clock.nowMs(), cipher: deps.cipher });
  if (!opened.ok) throw new Error(`cannot open the signing key ring (${opened.error}): is SLUICE_KEY_SECRET the one it was sealed with?`);
  return opened.value.ring;
}
