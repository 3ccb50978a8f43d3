import { buildMerkleTree, inclusionProof } from '../crypto/index.ts';
import { LIMITS } from '../kernel/index.ts';
import { MAX_PROOF_ENTRIES, MAX_PROOF_RECORDS, type ProofFile, type ProvenEntry } from '../modules/journal/index.ts';
import type { Platform } from '../platform.ts';

/**
 * A voucher holder's proof: every applied operation on the voucher, each as its journal line with a
 * Merkle path to its batch entry's digest, and each batch entry with a path to a signed checkpoint.
 * `sluice verify --proof FILE --keys FILE` checks all of it offline.
 */
export async function buildVoucherProof(platform: Pick<Platform, 'scf' | 'journal' | 'checkpoints'>, voucherId: string): Promise<ProofFile | 'voucher_has_no_events'> {
  const operationSeqs = await platform.scf.voucherOperationSeqs(voucherId, MAX_PROOF_RECORDS);
  if (operationSeqs.length === 0) return 'voucher_has_no_events';
  // Which batch entry covers which operations: batch payloads carry their first..last range.
  const batches = new Map<bigint, { first: bigint; last: bigint; wanted: bigint[] }>();
  let pending = [...operationSeqs];
  let afterSeq = 0n;
  while (pending.length > 0) {
    const entries = await platform.journal.listByKind('scf.batch', { afterSeq, limit: LIMITS.journalVerifyPageSize });
    if (entries.length === 0) break;
    for (const entry of entries) {
      const { first, last } = JSON.parse(entry.payload) as { first: string | number; last: string | number };
      const [from, to] = [BigInt(first), BigInt(last)];
      const wanted = pending.filter((seq) => seq >= from && seq <= to);
      if (wanted.length > 0) {
        batches.set(entry.seq, { first: from, last: to, wanted });
        pending = pending.filter((seq) => seq < from || seq > to);
      }
      afterSeq = entry.seq;
    }
  }
  const entrySeqs = [...batches.keys()].slice(0, MAX_PROOF_ENTRIES);
  const base = await platform.checkpoints.proof(entrySeqs);
  if (typeof base === 'string') throw new Error(`cannot prove the voucher's journal entries: ${base}`);
  const entries: ProvenEntry[] = [];
  for (const entry of base.entries) {
    const batch = batches.get(BigInt(entry.seq));
    if (!batch) continue;
    const lines = await platform.scf.batchLines(batch.first, batch.last);
    const tree = buildMerkleTree(lines, base.checkpoint.algorithm);
    const records = batch.wanted.map((seq) => {
      const index = Number(seq - batch.first);
      return { line: lines[index] as string, proof: inclusionProof(tree, index) };
    });
    entries.push({ ...entry, records });
  }
  return { ...base, entries };
}
