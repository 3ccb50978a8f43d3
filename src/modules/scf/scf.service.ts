import type { Database, Queryable } from '../../db/index.ts';
import type { Clock } from '../../kernel/index.ts';
import type { HashAlgorithm } from '../../crypto/index.ts';
import type { ContentVerifier, JournalService } from '../journal/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { PartiesService } from '../parties/index.ts';
import { createScfEngine } from './scf.engine.ts';
import { memberAccountId, type Outcome, type ScfOperation } from './scf.operations.ts';
import { createPrograms, type ProgramInput, type ProgramResult } from './scf.programs.ts';
import { financiersOfVoucher, holdingsOfVoucher, listProgramIds, listVouchers, overviewOf, piecesOfParty, readableOutstanding, type Overview } from './scf.queries.ts';
import {
  appliedOperationsOfVoucher, appliedOperationSeqsOfVoucher, eventLine, loadPiece, loadPiecesOfVoucher, loadProgram, loadVoucher, operationsInRange,
  type Holding, type OperationRecord, type ProgramRecord, type VoucherRecord,
} from './scf.repository.ts';
import { createScfVerifiers } from './scf.verify.ts';
import { creditSeen } from './scf.visibility.ts';
import { dateOf, isOverdue, type Piece } from './scf.ts';

/**
 * Supply-chain finance: programs, and the voucher lifecycle (issue, sign-off, split, transfer,
 * finance, repurchase, settlement, cancellation, freezing) as operations applied by a group-commit
 * engine that books every movement of cash through the ledger.
 */
export interface ScfServiceDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly ledger: Pick<LedgerService, 'createAccounts' | 'createTransfers' | 'getLedger'>;
  readonly parties: Pick<PartiesService, 'get'>;
  readonly clock: Clock;
  /** The journal's hash algorithm (fixed at first start), for batch digests. */
  readonly hashAlgorithm: HashAlgorithm;
  readonly onProblem?: (message: string) => void;
  readonly onBatch?: (operations: number, seconds: number) => void;
}

export interface VoucherView {
  readonly voucher: VoucherRecord;
  /** True once the maturity date has come and the voucher is not settled. */
  readonly overdue: boolean;
  /** Every piece from the issued one to the current ones, ordered by range and depth. */
  readonly pieces: readonly Piece[];
  /** Every accepted hand of every piece: the chain from the first supplier to each holder. */
  readonly holdings: readonly Holding[];
  /** Every bank that financed a piece of it, including financings ended by a repurchase. */
  readonly financiers: readonly string[];
}

export type CreditSeen = ReturnType<typeof creditSeen>;

export interface ScfService {
  createProgram(input: ProgramInput): Promise<ProgramResult<{ program: ProgramRecord; created: boolean }>>;
  addSuppliers(programId: string, partyIds: readonly string[]): Promise<ProgramResult<ProgramRecord>>;
  getProgram(id: string): Promise<ProgramRecord | undefined>;
  listPrograms(options: { after?: string; limit: number; partyIds?: readonly string[] }): Promise<ProgramRecord[]>;
  /**
   * What a key is shown of each program's use of its credit limit (creditSeen): with `partyIds`,
   * `outstanding` over only the vouchers these parties may read, and `available` only for a key that
   * sees the whole program.
   */
  creditSeen(programs: readonly ProgramRecord[], partyIds?: readonly string[]): Promise<Map<string, CreditSeen>>;
  /** The ledger account of a program member (deterministic, so it can be funded before first use). */
  accountOf(programId: string, partyId: string): string;
  /**
   * Queues one operation; answers after its batch has committed and its cash has moved.
   * `submittedBy`: the API key whose request it is (null: made inside the process), recorded with
   * the decision, covered by its journal entry, and passed to the ledger with its transfers.
   */
  submit(operation: ScfOperation, submittedBy?: string | null): Promise<Outcome>;
  getVoucher(id: string): Promise<VoucherView | undefined>;
  /** The voucher alone, without its pieces. */
  voucherRecord(id: string): Promise<VoucherRecord | undefined>;
  /** With `partyIds`, only the vouchers these parties may read (readsVoucher). */
  listVouchers(programId: string, options: { after?: string; limit: number; partyIds?: readonly string[] }): Promise<VoucherRecord[]>;
  getPiece(id: string): Promise<Piece | undefined>;
  piecesOfParty(partyId: string, options: { after?: string; limit: number }): Promise<Piece[]>;
  /** With `partyIds`, totals over only the vouchers these parties may read (readsVoucher). */
  overview(programId: string, partyIds?: readonly string[]): Promise<(Overview & { readonly program: ProgramRecord; readonly today: string; readonly available: bigint | null }) | undefined>;
  /** Fresh verifiers for one journal verification run (they keep running totals), of a journal chained with `algorithm` (by default this one's). */
  verifiers(q?: Queryable, algorithm?: HashAlgorithm): ContentVerifier[];
  /** The applied operations of a voucher after operation number `after`, oldest first: who did what to it, and when. */
  voucherHistory(voucherId: string, options: { after?: bigint; limit: number }): Promise<OperationRecord[]>;
  /** Numbers of the applied operations that concern a voucher (at most `limit`), oldest first. */
  voucherOperationSeqs(voucherId: string, limit: number): Promise<bigint[]>;
  /** The journal lines of operations first..last: the leaves of their batch entry's Merkle digest. */
  batchLines(first: bigint, last: bigint): Promise<string[]>;
  /** Finishes ledger work a crash left behind; run once at start, before the first operation. */
  recover(): Promise<void>;
  queuedOperations(): number;
  stop(): Promise<void>;
}

export function createScfService(deps: ScfServiceDeps): ScfService {
  const { db, clock } = deps;
  const programs = createPrograms(deps);
  const engine = createScfEngine({ db, journal: deps.journal, ledger: deps.ledger, clock, hashAlgorithm: deps.hashAlgorithm, onProblem: deps.onProblem, onBatch: deps.onBatch });
  return {
    createProgram: (input) => programs.create(input),
    addSuppliers: (programId, partyIds) => programs.addSuppliers(programId, partyIds),
    getProgram: (id) => loadProgram(db, id),
    async listPrograms(options) {
      const found: ProgramRecord[] = [];
      for (const id of await listProgramIds(db, options)) {
        const program = await loadProgram(db, id);
        if (program) found.push(program);
      }
      return found;
    },
    async creditSeen(programs, partyIds) {
      const readable = partyIds ? await readableOutstanding(db, programs.map((program) => program.id), partyIds) : undefined;
      return new Map(programs.map((program) => [program.id, creditSeen(program, partyIds, readable ? (readable.get(program.id) ?? 0n) : program.outstanding)]));
    },
    accountOf: memberAccountId,
    submit: (operation, submittedBy) => engine.submit(operation, submittedBy ?? null),
    async getVoucher(id) {
      const voucher = await loadVoucher(db, id);
      if (!voucher) return undefined;
      const [pieces, holdings, financiers] = [await loadPiecesOfVoucher(db, id), await holdingsOfVoucher(db, id), await financiersOfVoucher(db, id)];
      return { voucher, overdue: isOverdue(voucher, dateOf(clock.nowMs())), pieces, holdings, financiers };
    },
    voucherRecord: (id) => loadVoucher(db, id),
    listVouchers: (programId, options) => listVouchers(db, programId, options),
    getPiece: (id) => loadPiece(db, id),
    piecesOfParty: (partyId, options) => piecesOfParty(db, partyId, options),
    async overview(programId, partyIds) {
      const program = await loadProgram(db, programId);
      if (!program) return undefined;
      const today = dateOf(clock.nowMs());
      const overview = await overviewOf(db, programId, today, partyIds);
      return { program, today, ...overview, available: creditSeen(program, partyIds, overview.outstanding).available };
    },
    verifiers: (q: Queryable = db, algorithm: HashAlgorithm = deps.hashAlgorithm) => createScfVerifiers(q, algorithm),
    voucherHistory: (voucherId, options) => appliedOperationsOfVoucher(db, voucherId, options.after ?? 0n, options.limit),
    voucherOperationSeqs: (voucherId, limit) => appliedOperationSeqsOfVoucher(db, voucherId, limit),
    async batchLines(first, last) {
      return (await operationsInRange(db, first, last)).map(eventLine);
    },
    recover: () => engine.recover(),
    queuedOperations: () => engine.queuedOperations(),
    stop: () => engine.stop(),
  };
}
