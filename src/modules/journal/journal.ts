import { hashHex, type HashAlgorithm } from '../../crypto/index.ts';

/** The hash that links the chain before its first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface JournalEntry {
  readonly seq: bigint;
  readonly timestamp: bigint;
  /** Which module wrote it and what it covers, e.g. "ledger.batch". */
  readonly kind: string;
  /** Canonical JSON the module chose to keep inline (ranges, counts, small events). */
  readonly payload: string;
  /** Digest of the records the entry covers, which live in the module's own tables. */
  readonly digest: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * An entry's hash covers the previous hash, its position and everything it says. Fields are joined
 * with a separator that cannot appear in any of them (kinds and hashes are plain; payload is JSON).
 */
export function entryHash(algorithm: HashAlgorithm, entry: Omit<JournalEntry, 'hash'>): string {
  return hashHex(algorithm, `${entry.prevHash}\u0000${entry.seq}\u0000${entry.timestamp}\u0000${entry.kind}\u0000${entry.payload}\u0000${entry.digest}`);
}

export interface VerifyProblem {
  readonly seq: bigint | null;
  readonly problem: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  /** The algorithm the journal head names: one this version knows, unless the report says otherwise. */
  readonly algorithm: HashAlgorithm | string;
  readonly headSeq: bigint;
  readonly headHash: string;
  readonly problems: readonly VerifyProblem[];
}

/**
 * A report as JSON shows it, the same from `GET /v1/journal/verify`, a background verification and
 * `sluice verify --json`: snake_case like the rest of the API, numbers that may exceed 2^53 as text.
 */
export function verifyReportJson(report: VerifyReport) {
  return {
    ok: report.ok, entries: report.entries, algorithm: report.algorithm, head_seq: String(report.headSeq), head_hash: report.headHash,
    problems: report.problems.map((problem) => ({ seq: problem.seq === null ? null : String(problem.seq), problem: problem.problem })),
  };
}

/** A module's check of the records behind its entries. It returns problems, never throws for bad data. */
export interface ContentVerifier {
  readonly kind: string;
  /** Called once per entry of its kind, in chain order. */
  checkEntry(entry: JournalEntry): Promise<string[]>;
  /** Called after the whole chain was read: cross-checks such as "no record outside any entry". */
  finish(): Promise<string[]>;
}
