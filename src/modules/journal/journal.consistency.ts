import { fromHex, importPublicKeys, verifyConsistency, type TrustedKey } from '../../crypto/index.ts';
import { assert } from '../../kernel/index.ts';
import { checkCheckpointSignature, unknownHashAlgorithm, type Checkpoint, type SignatureCheck, type SignatureChecker } from './journal.proof.ts';

/**
 * Consistency files: evidence that a later signed checkpoint extends an earlier one, so that the
 * journal between them was only appended to. A supervisor or a counterparty that kept a checkpoint
 * (from a proof file, or GET /v1/journal/checkpoints) asks for one from that checkpoint to the latest
 * and checks it offline with the platform's public keys (`sluice verify --consistency`). An operator
 * that rewrote, dropped or reordered any entry before the kept checkpoint cannot produce one that
 * passes: the proof rebuilds the kept root from the new tree (RFC 6962 §2.1.2).
 */
export const CONSISTENCY_FILE_FORMAT = 'sluice-consistency/v1';

export interface ConsistencyFile {
  readonly format: typeof CONSISTENCY_FILE_FORMAT;
  /** The earlier checkpoint: the one the holder kept. */
  readonly from: Checkpoint;
  /** The later checkpoint, which must extend it. */
  readonly to: Checkpoint;
  /** Nodes of the consistency proof from `from.treeSize` to `to.treeSize`, lower-case hex. */
  readonly proof: readonly string[];
}

export interface ConsistencyVerification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly from?: { readonly treeSize: number; readonly root: string; readonly createdAt: string };
  readonly to?: { readonly treeSize: number; readonly root: string; readonly createdAt: string };
}

function malformed(checkpoint: Partial<Checkpoint> | undefined): string | null {
  if (typeof checkpoint !== 'object' || checkpoint === null) return 'is missing';
  const unknown = unknownHashAlgorithm(checkpoint.algorithm);
  if (unknown) return unknown;
  if (!Number.isSafeInteger(checkpoint.treeSize) || (checkpoint.treeSize as number) < 1 || fromHex(String(checkpoint.root))?.length !== 32 || typeof checkpoint.createdAt !== 'string') {
    return 'is malformed';
  }
  return null;
}

const summary = (checkpoint: Checkpoint) => ({ treeSize: checkpoint.treeSize, root: checkpoint.root, createdAt: checkpoint.createdAt });

/** A consistency file as read, well formed, and the keys to check it with. */
interface ConsistencyRead {
  readonly from: Checkpoint;
  readonly to: Checkpoint;
  readonly proof: readonly string[];
  readonly keys: readonly TrustedKey[];
}

/** Reads a consistency file and the keys file; the verification itself when either is not usable or a checkpoint is malformed. */
function readConsistencyFile(fileValue: unknown, keysValue: unknown): ConsistencyRead | ConsistencyVerification {
  const keys = importPublicKeys(keysValue);
  if (!keys.ok) return { ok: false, problems: [`the keys file is not usable: ${keys.error}`] };
  if (typeof fileValue !== 'object' || fileValue === null) return { ok: false, problems: ['the consistency file is not a JSON object'] };
  const file = fileValue as Partial<ConsistencyFile>;
  if (file.format !== CONSISTENCY_FILE_FORMAT || !Array.isArray(file.proof)) return { ok: false, problems: [`not a ${CONSISTENCY_FILE_FORMAT} file`] };
  const problems: string[] = [];
  for (const side of ['from', 'to'] as const) {
    const fault = malformed(file[side]);
    if (fault) problems.push(`the ${side} checkpoint ${fault}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { from: file.from as Checkpoint, to: file.to as Checkpoint, proof: file.proof, keys: keys.value };
}

/** The rest of the check, once both checkpoints' signatures were checked (`signatures`: from, then to). */
function finishConsistency(read: ConsistencyRead, signatures: readonly SignatureCheck[], kept: unknown): ConsistencyVerification {
  const { from, to } = read;
  const problems: string[] = [];
  (['from', 'to'] as const).forEach((side, index) => {
    const signature = signatures[index];
    assert(signature, 'the signature check answered for fewer checkpoints than it was given');
    if (signature.problem) problems.push(`the ${side} checkpoint ${signature.problem}`);
  });
  if (kept !== undefined) {
    const own = kept as Partial<Checkpoint> | null;
    if (typeof own !== 'object' || own === null || own.treeSize !== from.treeSize || own.root !== from.root || own.algorithm !== from.algorithm) {
      problems.push('the from checkpoint is not the kept checkpoint (tree size, root or hash algorithm differ)');
    }
  }
  if (from.algorithm !== to.algorithm) problems.push(`the checkpoints chain with different hash algorithms (${from.algorithm}, ${to.algorithm})`);
  else if (from.treeSize > to.treeSize) problems.push(`the from checkpoint (${from.treeSize} entries) is larger than the to checkpoint (${to.treeSize})`);
  else if (!verifyConsistency({ treeSize: from.treeSize, root: from.root, algorithm: from.algorithm }, { treeSize: to.treeSize, root: to.root, algorithm: to.algorithm }, read.proof)) {
    problems.push(`the to checkpoint does not extend the from checkpoint: the journal's first ${from.treeSize} entries differ between them, or the proof is not theirs`);
  }
  return { ok: problems.length === 0, problems, from: summary(from), to: summary(to) };
}

/**
 * Checks a consistency file against a keys file, offline: both checkpoints' signatures verify with
 * keys active when each was made, they chain with one hash algorithm, the earlier is no larger, and
 * the proof leads from the earlier root to the later. With `kept`, the earlier checkpoint must also
 * be that one (the holder's own copy, not the server's word for it). Never throws.
 */
export function verifyConsistencyFile(fileValue: unknown, keysValue: unknown, kept?: unknown): ConsistencyVerification {
  const read = readConsistencyFile(fileValue, keysValue);
  if (!('keys' in read)) return read;
  return finishConsistency(read, [read.from, read.to].map((checkpoint) => checkCheckpointSignature(checkpoint, read.keys)), kept);
}

/**
 * The same check with both checkpoints' signatures checked by `signatures` (the checkpoint
 * verifier's worker, in a server): the same answer, word for word. Rejects only when `signatures` does.
 */
export async function verifyConsistencyFileWith(fileValue: unknown, keysValue: unknown, signatures: SignatureChecker, kept?: unknown): Promise<ConsistencyVerification> {
  const read = readConsistencyFile(fileValue, keysValue);
  if (!('keys' in read)) return read;
  return finishConsistency(read, await signatures([read.from, read.to], read.keys), kept);
}
