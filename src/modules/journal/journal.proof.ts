import {
  HASH_ALGORITHMS,
  fromHex,
  importPublicKeys,
  isHashAlgorithm,
  isSignatureAlgorithm,
  isSignatureSuite,
  leafHash,
  verifyEnvelope,
  verifyInclusion,
  type EnvelopeVerification,
  type HashAlgorithm,
  type InclusionProof,
  type SignatureEnvelope,
  type SignatureSuite,
  type TrustedKey,
} from '../../crypto/index.ts';
import { assert } from '../../kernel/index.ts';
import { entryHash, type JournalEntry } from './journal.ts';

/**
 * Signed checkpoints and the proofs built on them. A checkpoint signs the Merkle root over the hashes
 * of the journal's first `treeSize` entries, together with the chain hash of entry `treeSize`; a
 * proof file carries entries, their audit paths and the checkpoint, so that anyone holding the
 * platform's public keys can check them offline, without the database.
 */
export const CHECKPOINT_CONTEXT = 'journal.checkpoint';
export const PROOF_FILE_FORMAT = 'sluice-proof/v1';
/** Entries one proof file may carry: a voucher's whole life fits many times over. */
export const MAX_PROOF_ENTRIES = 1_000;

export interface Checkpoint {
  readonly treeSize: number;
  /** Merkle root, lower-case hex. */
  readonly root: string;
  /** Chain hash of entry number `treeSize`. */
  readonly headHash: string;
  readonly algorithm: HashAlgorithm;
  /** ISO 8601 instant the checkpoint was made. */
  readonly createdAt: string;
  readonly envelope: SignatureEnvelope;
}

/** The exact bytes a checkpoint's signatures cover. */
export function checkpointMessage(checkpoint: Omit<Checkpoint, 'envelope'>): string {
  return `sluice-checkpoint/v1\nhash=${checkpoint.algorithm}\nsize=${checkpoint.treeSize}\nroot=${checkpoint.root}\nhead=${checkpoint.headHash}\ntime=${checkpoint.createdAt}`;
}

export interface ProvenEntry {
  readonly seq: string;
  readonly timestamp: string;
  readonly kind: string;
  readonly payload: string;
  readonly digest: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly proof: InclusionProof;
  /**
   * Records behind the entry, for entries whose digest is a Merkle root over record lines (supply-
   * chain-finance batches): each line with its audit path to the entry's digest.
   */
  readonly records?: readonly { readonly line: string; readonly proof: InclusionProof }[];
}

export interface ProofFile {
  readonly format: typeof PROOF_FILE_FORMAT;
  readonly checkpoint: Checkpoint;
  readonly entries: readonly ProvenEntry[];
}

export function provenEntry(entry: JournalEntry, proof: InclusionProof): ProvenEntry {
  return {
    seq: String(entry.seq), timestamp: String(entry.timestamp), kind: entry.kind, payload: entry.payload,
    digest: entry.digest, prevHash: entry.prevHash, hash: entry.hash, proof,
  };
}

/** Records a proof file carries per entry, at most: a batch's worth of one voucher's operations. */
export const MAX_PROOF_RECORDS = 1_000;

export interface ProofVerification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly checkpoint?: { readonly treeSize: number; readonly createdAt: string; readonly suite: SignatureSuite | string | null };
  readonly entries: number;
  readonly records?: number;
}

/** A key vouches for checkpoints made while it was active. */
export function activeAt(key: TrustedKey, instant: string): boolean {
  return key.activeFrom <= instant && (key.retiredAt === null || instant < key.retiredAt);
}

/** A name read from a file, quoted and cut short, so that a problem can show it whatever it holds. */
export function quotedName(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > MAX_QUOTED_NAME_LENGTH ? `${text.slice(0, MAX_QUOTED_NAME_LENGTH)}…` : text);
}
const MAX_QUOTED_NAME_LENGTH = 40;

/** The signature suite and algorithms an envelope names that this version does not know, in words; null when there are none. */
export function unknownSignatureNames(signature: EnvelopeVerification): string | null {
  const names = [
    ...(signature.suite !== null && !isSignatureSuite(signature.suite) ? [`signature suite ${quotedName(signature.suite)}`] : []),
    ...signature.parts.filter((part) => !isSignatureAlgorithm(part.algorithm)).map((part) => `signature algorithm ${quotedName(part.algorithm)}`),
  ];
  return names.length === 0 ? null : `it names ${names.join(' and ')}, which this version does not know`;
}

/** What a checkpoint's hash algorithm says when this version does not know it; null when it does. */
export function unknownHashAlgorithm(algorithm: unknown): string | null {
  return typeof algorithm === 'string' && isHashAlgorithm(algorithm) ? null : `names hash algorithm ${quotedName(algorithm)}, which this version does not know (it knows ${HASH_ALGORITHMS.join(' and ')})`;
}

/**
 * A stored journal head or checkpoint names a hash algorithm this version cannot use: one it does not
 * know (data written by a newer version, or an edited row), or, for a checkpoint, another than the
 * chain's. Nothing can be appended to such a chain or proven from it; `sluice verify` still reports
 * on it. The server refuses to start on such a head and answers requests that meet one with a named
 * problem, never with a bare internal error.
 */
export class JournalAlgorithmError extends Error {
  override readonly name = 'JournalAlgorithmError';
  constructor(readonly where: string, readonly algorithm: string, reason: string) {
    super(`the journal ${where} ${reason}: this version can neither extend nor prove it; run the version of Sluice that wrote it, and sluice verify to see what is stored`);
  }
}

/**
 * A stored checkpoint this server cannot verify itself: its envelope names a signature suite or
 * algorithm this version does not know (a newer version's row, or an edited one), is not an envelope,
 * or does not verify under the keys of the ring that were active at the instant it names. No proof
 * or consistency file is built on it, since an offline verifier would refuse it; `sluice verify`
 * reports it. Requests that meet one get a named problem, never a bare internal error.
 */
export class UnverifiableCheckpointError extends Error {
  override readonly name = 'UnverifiableCheckpointError';
  constructor(readonly treeSize: number, reason: string) {
    super(`the journal checkpoint ${treeSize} cannot be verified by this server: ${reason}; no proof is built on it, and a checkpoint that verifies is signed once the journal grows; run sluice verify to see what is stored`);
  }
}

/** What checking a checkpoint's signature as an offline verifier does found: why it fails (null when it verifies), and the suite it names. */
export interface SignatureCheck {
  readonly problem: string | null;
  readonly suite: SignatureSuite | string | null;
}

/**
 * Verifies a checkpoint's signature envelope completely, with the keys that were active when it was
 * made. `problem` says why it does not verify ("signature does not verify (…)"), null when it does.
 */
export function checkCheckpointSignature(checkpoint: Checkpoint, keys: readonly TrustedKey[]): SignatureCheck {
  const trusted = keys.filter((key) => typeof checkpoint.createdAt === 'string' && activeAt(key, checkpoint.createdAt));
  const signature = verifyEnvelope(checkpointMessage(checkpoint), checkpoint.envelope, trusted, { context: CHECKPOINT_CONTEXT });
  if (signature.ok) return { problem: null, suite: signature.suite };
  const parts = signature.parts.map((part) => `${part.algorithm}:${part.ok ? 'ok' : (part.reason ?? 'failed')}`).join(', ');
  const unknown = unknownSignatureNames(signature);
  return { problem: `signature does not verify (${signature.reason ?? 'failed'}${parts ? `; ${parts}` : ''})${unknown ? `: ${unknown}` : ''}`, suite: signature.suite };
}

/**
 * A proof file checked piece by piece: the checkpoint first, then each entry as it is read, so that
 * a file too large to hold in memory can be streamed through it (journal.proof-stream.ts).
 */
export interface ProofCheck {
  /** Checks one entry; `where` names it when it cannot be read ("entry at position 3", "line 7"). */
  entry(value: unknown, where: string): void;
  /** A problem found by the reader, such as a line over the size limit. */
  problem(text: string): void;
  readonly entries: number;
  finish(): ProofVerification;
}

/** Checks the signatures of checkpoints read from a file, as checkCheckpointSignature does: one answer each, in order. */
export type SignatureChecker = (checkpoints: readonly Checkpoint[], keys: readonly TrustedKey[]) => Promise<readonly SignatureCheck[]>;

/** A proof file's head as read: its checkpoint and the keys to check it with. */
interface ProofHead {
  readonly checkpoint: Checkpoint;
  readonly keys: readonly TrustedKey[];
}

/** Reads a proof file's head (format and checkpoint) and the keys file; the verification itself when either already fails. */
function readProofHead(fileHead: unknown, keysValue: unknown): ProofHead | ProofVerification {
  const keys = importPublicKeys(keysValue);
  if (!keys.ok) return { ok: false, problems: [`the keys file is not usable: ${keys.error}`], entries: 0 };
  if (typeof fileHead !== 'object' || fileHead === null) return { ok: false, problems: ['the proof file is not a JSON object'], entries: 0 };
  const file = fileHead as Partial<ProofFile>;
  const checkpoint = file.checkpoint;
  if (file.format !== PROOF_FILE_FORMAT || typeof checkpoint !== 'object' || checkpoint === null || !Array.isArray(file.entries)) {
    return { ok: false, problems: [`not a ${PROOF_FILE_FORMAT} file`], entries: 0 };
  }
  // A hash algorithm this version does not know leaves nothing to recompute: no entry can be checked.
  const unknownHash = unknownHashAlgorithm(checkpoint.algorithm);
  if (unknownHash) return { ok: false, problems: [`the checkpoint ${unknownHash}: none of the file's entries can be checked`], entries: 0 };
  if (!Number.isSafeInteger(checkpoint.treeSize) || fromHex(checkpoint.root)?.length !== 32) {
    return { ok: false, problems: ['the checkpoint is malformed'], entries: 0 };
  }
  return { checkpoint, keys: keys.value };
}

/**
 * Starts checking a proof file from its head (format and checkpoint; the entries, if any, are not
 * read here) against a keys file. Returns the verification itself when the head already fails.
 */
export function startProofCheck(fileHead: unknown, keysValue: unknown): ProofCheck | ProofVerification {
  const head = readProofHead(fileHead, keysValue);
  if (!('keys' in head)) return head;
  return proofCheck(head.checkpoint, checkCheckpointSignature(head.checkpoint, head.keys));
}

/** Checks a proof file's entries against its checkpoint, whose signature was checked as `signature` says. */
function proofCheck(checkpoint: Checkpoint, signature: SignatureCheck): ProofCheck {
  const problems: string[] = [];
  if (signature.problem) problems.push(`the checkpoint ${signature.problem}`);
  const treeHead = { treeSize: checkpoint.treeSize, root: checkpoint.root, algorithm: checkpoint.algorithm };
  let entries = 0;
  let records = 0;
  return {
    get entries() {
      return entries;
    },
    problem: (text) => void problems.push(text),
    entry(value, where) {
      entries += 1;
      const entry = value as ProvenEntry;
      if (Array.isArray(entry?.records)) records += entry.records.length;
      try {
        const rebuilt: JournalEntry = {
          seq: BigInt(entry.seq), timestamp: BigInt(entry.timestamp), kind: entry.kind, payload: entry.payload,
          digest: entry.digest, prevHash: entry.prevHash, hash: entry.hash,
        };
        if (entryHash(checkpoint.algorithm, rebuilt) !== entry.hash) problems.push(`entry ${entry.seq}: its hash does not match its content`);
        for (const record of entry.records ?? []) {
          const batchHead = { treeSize: record.proof.treeSize, root: entry.digest, algorithm: checkpoint.algorithm };
          if (typeof record.line !== 'string' || !verifyInclusion(leafHash(checkpoint.algorithm, record.line), record.proof, batchHead)) {
            problems.push(`entry ${entry.seq}: a record is not part of the entry's digest: ${String(record.line).slice(0, 80)}`);
          }
        }
        const leaf = fromHex(entry.hash);
        if (!leaf || BigInt(entry.proof.index) + 1n !== rebuilt.seq || !verifyInclusion(leafHash(checkpoint.algorithm, leaf), entry.proof, treeHead)) {
          problems.push(`entry ${entry.seq}: it is not included in the checkpointed journal`);
        }
      } catch {
        problems.push(`${where} is malformed`);
      }
    },
    finish() {
      // A checkpoint alone verifies, but a file stripped of its entries must not read as a proof that passed.
      if (entries === 0) problems.push('the proof file carries no entries: it proves nothing');
      if (records > MAX_PROOF_RECORDS * MAX_PROOF_ENTRIES) problems.push('the proof file carries too many records');
      return {
        ok: problems.length === 0,
        problems,
        records,
        checkpoint: { treeSize: checkpoint.treeSize, createdAt: checkpoint.createdAt, suite: signature.suite },
        entries,
      };
    },
  };
}

/** The verification of a proof file that carries more entries than are checked; null when it carries few enough. */
function tooManyEntries(proofValue: unknown): ProofVerification | null {
  const entries = (proofValue as ProofFile).entries;
  return entries.length > MAX_PROOF_ENTRIES
    ? { ok: false, problems: [`the proof file carries ${entries.length} entries; at most ${MAX_PROOF_ENTRIES} are checked`], entries: 0 }
    : null;
}

function checkEntries(check: ProofCheck, proofValue: unknown): ProofVerification {
  for (const [position, entry] of (proofValue as ProofFile).entries.entries()) check.entry(entry, `entry at position ${position}`);
  return check.finish();
}

/**
 * Checks a proof file against a keys file, offline. Every part must hold: each entry's hash is the
 * hash of its fields, each audit path leads to the checkpoint's root, and the checkpoint's signature
 * envelope verifies completely with keys that were active when it was made. Never throws.
 */
export function verifyProofFile(proofValue: unknown, keysValue: unknown): ProofVerification {
  const check = startProofCheck(proofValue, keysValue);
  if (!('finish' in check)) return check;
  return tooManyEntries(proofValue) ?? checkEntries(check, proofValue);
}

/**
 * The same check with the checkpoint's signature checked by `signatures` (the checkpoint verifier's
 * worker, in a server): the same answer, word for word. Rejects only when `signatures` does.
 */
export async function verifyProofFileWith(proofValue: unknown, keysValue: unknown, signatures: SignatureChecker): Promise<ProofVerification> {
  const head = readProofHead(proofValue, keysValue);
  if (!('keys' in head)) return head;
  // A file refused for its size needs no signature checked.
  const refused = tooManyEntries(proofValue);
  if (refused) return refused;
  const [signature] = await signatures([head.checkpoint], head.keys);
  assert(signature, 'the signature check answered for no checkpoint');
  return checkEntries(proofCheck(head.checkpoint, signature), proofValue);
}
