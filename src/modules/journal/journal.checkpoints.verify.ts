import type { Queryable } from '../../db/index.ts';
import { createMerkleLog, fromHex, toHex, type MerkleLog, type SignatureSuite } from '../../crypto/index.ts';
import { storedSignatureProblems } from './journal.checkpoint-signatures.ts';
import { parseStoredEnvelope, storedRing, trustedKeys, type RingSettings } from './journal.checkpoint-trust.ts';
import { sharedCheckpointVerifier, type CheckpointSignatureVerifier } from './journal.checkpoint-verifier.ts';
import type { JournalService } from './journal.service.ts';
import type { ContentVerifier } from './journal.ts';
import { unknownHashAlgorithm, type Checkpoint } from './journal.proof.ts';

/** A stored checkpoint row, and the checkpoint it holds. */
export type CheckpointRow = { tree_size: bigint; root: string; head_hash: string; algorithm: string; created_at: string; envelope: string };
export const toCheckpoint = (row: CheckpointRow): Checkpoint => ({
  treeSize: Number(row.tree_size), root: row.root, headHash: row.head_hash, algorithm: row.algorithm as Checkpoint['algorithm'],
  createdAt: row.created_at, envelope: parseStoredEnvelope(row.envelope) as Checkpoint['envelope'],
});
export const CHECKPOINT_COLUMNS = 'tree_size, root, head_hash, algorithm, created_at, envelope';

export interface CheckpointsVerifierDeps extends RingSettings {
  readonly journal: JournalService;
  readonly acceptedSuites: readonly SignatureSuite[];
  readonly signatureVerifier?: CheckpointSignatureVerifier;
}

/**
 * Checks every stored checkpoint against the chain as read in one verification run: its root and
 * chain head against the entries, and its signatures under the keys active at its time, as an
 * offline verifier checks them with the keys file.
 */
export function checkpointsVerifier(q: Queryable, deps: CheckpointsVerifierDeps): ContentVerifier {
  let fresh: MerkleLog | undefined;
  // Chain heads are kept only at the sizes some checkpoint signed, so memory stays one hash per checkpoint.
  let signedSizes: Set<number> | undefined;
  const heads = new Map<number, string>();
  return {
    kind: '*',
    async checkEntry(entry) {
      if (!fresh) {
        fresh = createMerkleLog((await deps.journal.head()).algorithm);
        signedSizes = new Set((await q.all<{ tree_size: bigint }>('SELECT tree_size FROM journal_checkpoints')).map((row) => Number(row.tree_size)));
      }
      fresh.append(fromHex(entry.hash) ?? new Uint8Array());
      if (signedSizes?.has(fresh.size())) heads.set(fresh.size(), entry.hash);
      return [];
    },
    async finish() {
      const rows = await q.all<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM journal_checkpoints ORDER BY tree_size`);
      if (rows.length === 0) return [];
      let keys;
      try {
        keys = trustedKeys(await storedRing(q, deps));
      } catch (error) {
        return [`${rows.length} checkpoints not verified: ${(error as Error).message}`];
      }
      // Problems per row, in the order of the rows; signatures are checked together afterwards.
      const found: string[][] = [];
      const signed: { readonly problems: string[]; readonly checkpoint: Checkpoint }[] = [];
      for (const row of rows) {
        // Verification distrusts the stored row: its envelope is parsed on its own below, so a column
        // that no longer holds JSON is reported as a malformed signature instead of ending the
        // report, and a tree size below one, which has no root, is reported before any is asked for.
        const problems: string[] = [];
        found.push(problems);
        const checkpoint = toCheckpoint({ ...row, envelope: 'null' });
        const size = fresh?.size() ?? 0;
        if (checkpoint.treeSize < 1) {
          problems.push(`checkpoint of ${checkpoint.treeSize} entries: a tree size must be at least 1`);
          continue;
        }
        if (!fresh || checkpoint.treeSize > size) {
          problems.push(`checkpoint of ${checkpoint.treeSize} entries is ahead of the journal (${size} entries)`);
          continue;
        }
        // A checkpoint over another hash algorithm than the chain's has no root to compare.
        const unknownHash = unknownHashAlgorithm(row.algorithm);
        if (unknownHash || row.algorithm !== fresh.algorithm) {
          problems.push(`checkpoint ${checkpoint.treeSize} ${unknownHash ?? `names hash algorithm ${row.algorithm}, but the journal is chained with ${fresh.algorithm}`}`);
          continue;
        }
        if (toHex(fresh.root(checkpoint.treeSize)) !== checkpoint.root) problems.push(`checkpoint ${checkpoint.treeSize}: the journal no longer has the root it signed`);
        if (heads.get(checkpoint.treeSize) !== checkpoint.headHash) problems.push(`checkpoint ${checkpoint.treeSize}: the chain head it signed differs`);
        signed.push({ problems, checkpoint: { ...checkpoint, envelope: parseStoredEnvelope(row.envelope) as Checkpoint['envelope'] } });
      }
      // Under keys active at each checkpoint's time. A checkpoint failing here is also one the server
      // builds no proof on. Every signature is checked again: nothing remembered is taken on trust.
      // They are checked in the verifier's worker, 64 at a time, or here when the worker cannot take
      // them: a verification of a long history checked every signature on the event loop, a few
      // milliseconds each, and a verification that ran is worth more than one refused.
      const signatures = await storedSignatureProblems(
        deps.signatureVerifier ?? sharedCheckpointVerifier(), signed.map((item) => item.checkpoint), keys, deps.acceptedSuites, 'in-process',
      );
      signed.forEach((item, index) => {
        const signature = signatures[index] ?? null;
        if (signature !== null) item.problems.push(`checkpoint ${item.checkpoint.treeSize}: ${signature}`);
      });
      return found.flat();
    },
  };
}
