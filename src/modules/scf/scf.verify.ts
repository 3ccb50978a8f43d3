import type { Queryable } from '../../db/index.ts';
import { merkleRoot, type HashAlgorithm } from '../../crypto/index.ts';
import type { ContentVerifier, JournalEntry } from '../journal/index.ts';
import { eventLine, loadPiecesOfVoucher, loadProgram, operationsInRange, readLastSeq, toVoucher } from './scf.repository.ts';
import { createReplay } from './scf.replay.ts';
import { partitionsFace } from './scf.rules.ts';
import { dateOf, isLive } from './scf.ts';

/** Problems of one kind listed per report; a corrupted table would otherwise flood it. */
const MAX_PROBLEMS_PER_CHECK = 20;
const VOUCHER_PAGE = 500;
/** The largest time a JavaScript date holds, in milliseconds either side of 1970. */
const MAX_DATE_MS = 8.64e15;

/**
 * Checks supply-chain-finance records against the journal.
 *
 * `scf.batch` entries: each covers the decided operations (applied and refused) numbered
 * first..last, and its digest is recomputed from their stored records, so an edited, removed or
 * invented decision is found. Applied operations are replayed in order; after the chain every piece
 * must be what the replay made it, and so must every row of scf_holdings and scf_financings (which
 * decide who may read a voucher), every voucher's pieces must partition its face value, every
 * program's outstanding amount must equal its active vouchers, and no decision may lie outside an entry.
 *
 * `scf.event` entries: program creations and new suppliers, inline; the members table must hold
 * exactly what they admitted.
 */
export function createScfVerifiers(db: Queryable, algorithm: HashAlgorithm): ContentVerifier[] {
  let journaledOperations = 0;
  let lastSeq = 0n;
  const replay = createReplay();
  const programMembers = new Map<string, Set<string>>();

  const batches: ContentVerifier = {
    kind: 'scf.batch',
    async checkEntry(entry: JournalEntry) {
      let first: bigint;
      let last: bigint;
      try {
        const payload = JSON.parse(entry.payload) as { first: string; last: string; operations: number };
        [first, last] = [BigInt(payload.first), BigInt(payload.last)];
      } catch {
        return ['supply-chain-finance batch payload is not readable'];
      }
      const problems: string[] = [];
      if (first !== lastSeq + 1n) problems.push(`batch starts at operation ${first} but the one before ended at ${lastSeq}`);
      lastSeq = last;
      journaledOperations += Number(last - first + 1n);
      const operations = await operationsInRange(db, first, last);
      // Sign-offs and financings are dated by their batch, whose entry's hash covers its timestamp.
      const day = dayOf(entry.timestamp);
      const lines: string[] = [];
      for (const operation of operations) {
        lines.push(eventLine(operation));
        if (operation.outcome !== 'applied') continue;
        const replayed = replay.apply(operation, day);
        if (replayed) problems.push(replayed);
      }
      if (operations.length !== Number(last - first + 1n) || (lines.length === 0 || merkleRoot(lines, algorithm) !== entry.digest)) {
        problems.push(`the operations ${first}..${last} do not match the digest of their journal entry (${operations.length} found)`);
      }
      return problems;
    },
    async finish() {
      const problems: string[] = [];
      const decided = Number((await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM scf_operations'))?.n ?? 0n);
      if (decided !== journaledOperations) problems.push(`the journal covers ${journaledOperations} voucher operations but ${decided} are stored`);
      if ((await readLastSeq(db)) !== lastSeq) problems.push(`the last operation number is ${await readLastSeq(db)} but the journal ends at ${lastSeq}`);
      problems.push(...(await conservation(db)));
      problems.push(...(await voucherIndex(db)));
      problems.push(...(await replay.compare(db)));
      return problems;
    },
  };

  const programs: ContentVerifier = {
    kind: 'scf.event',
    async checkEntry(entry: JournalEntry) {
      let event: { kind: string; programId: string; creditLimit?: string; members: { partyId: string; role: string; accountId: string }[] };
      try {
        event = JSON.parse(entry.payload) as typeof event;
      } catch {
        return ['supply-chain-finance event is not readable'];
      }
      const program = await loadProgram(db, event.programId);
      if (!program) return [`program ${event.programId} was journaled but is missing`];
      const problems: string[] = [];
      if (event.kind === 'create_program' && String(program.creditLimit) !== event.creditLimit) problems.push(`program ${program.id} differs from its journaled definition`);
      const seen = programMembers.get(program.id) ?? new Set<string>();
      for (const member of event.members) {
        const stored = program.members.get(member.partyId);
        if (!stored || stored.role !== member.role || stored.accountId !== member.accountId) problems.push(`member ${member.partyId} of program ${program.id} differs from the journal`);
        seen.add(member.partyId);
      }
      programMembers.set(program.id, seen);
      return problems;
    },
    async finish() {
      const members = Number((await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM scf_program_members'))?.n ?? 0n);
      const journaled = [...programMembers.values()].reduce((total, set) => total + set.size, 0);
      return members === journaled ? [] : [`the journal admits ${journaled} program members but ${members} are stored`];
    },
  };
  return [batches, programs];
}

/** The UTC day of a journal timestamp (nanoseconds); one no date can hold (an edited entry) matches no row. */
function dayOf(timestampNs: bigint): string {
  const ms = Number(timestampNs / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? dateOf(ms) : `an impossible time (${timestampNs} ns)`;
}

/**
 * scf_operation_vouchers names every applied operation under the voucher its result names, and
 * nothing else. A voucher's history and its proof are read through it, so a row removed would hide
 * an operation from both, and a row added would show another voucher's.
 */
async function voucherIndex(db: Queryable): Promise<string[]> {
  const voucherOf = db.dialect === 'sqlite' ? "json_extract(o.result, '$.voucherId')" : "(o.result::jsonb ->> 'voucherId')";
  const strays = await db.all<{ voucher_id: string; seq: bigint }>(
    `SELECT v.voucher_id, v.seq FROM scf_operation_vouchers v LEFT JOIN scf_operations o ON o.seq = v.seq AND o.outcome = 'applied'
     WHERE o.seq IS NULL OR ${voucherOf} IS NULL OR ${voucherOf} <> v.voucher_id ORDER BY v.seq LIMIT ?`,
    [MAX_PROBLEMS_PER_CHECK],
  );
  const problems = strays.map((row) => `scf_operation_vouchers lists operation ${row.seq} under voucher ${row.voucher_id}, which it does not concern`);
  const missing = await db.all<{ seq: bigint }>(
    `SELECT o.seq FROM scf_operations o WHERE o.outcome = 'applied' AND ${voucherOf} IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM scf_operation_vouchers v WHERE v.voucher_id = ${voucherOf} AND v.seq = o.seq) ORDER BY o.seq LIMIT ?`,
    [MAX_PROBLEMS_PER_CHECK],
  );
  for (const row of missing) problems.push(`operation ${row.seq} is missing from scf_operation_vouchers, so its voucher's history and proof leave it out`);
  return problems;
}

/** Every voucher's pieces partition its face value; programs' outstanding amounts add up. */
async function conservation(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const outstanding = new Map<string, bigint>();
  let after = '';
  for (;;) {
    const page = (await db.all('SELECT * FROM scf_vouchers WHERE id > ? ORDER BY id LIMIT ?', [after, VOUCHER_PAGE])).map(toVoucher);
    if (page.length === 0) break;
    for (const voucher of page) {
      after = voucher.id;
      const pieces = await loadPiecesOfVoucher(db, voucher.id);
      const counted = voucher.status === 'active' ? pieces.filter(isLive) : pieces.filter((piece) => piece.status === voucher.status);
      if (!partitionsFace(counted, voucher.faceAmount) && problems.length < MAX_PROBLEMS_PER_CHECK) {
        problems.push(`voucher ${voucher.id}: its ${voucher.status === 'active' ? 'live' : voucher.status} pieces do not partition its face value`);
      }
      if (pieces.length !== voucher.pieceCount && problems.length < MAX_PROBLEMS_PER_CHECK) problems.push(`voucher ${voucher.id}: piece count differs from its pieces`);
      if (voucher.status === 'active') outstanding.set(voucher.programId, (outstanding.get(voucher.programId) ?? 0n) + voucher.faceAmount);
    }
  }
  const programs = await db.all<{ id: string; outstanding: bigint }>('SELECT id, outstanding FROM scf_programs');
  for (const program of programs) {
    if (BigInt(program.outstanding) !== (outstanding.get(program.id) ?? 0n)) problems.push(`program ${program.id}: outstanding amount differs from its active vouchers`);
  }
  return problems;
}
