import type { Queryable } from '../../db/index.ts';
import { assert } from '../../kernel/index.ts';
import {
  loadInvoiceOwner, loadInvoiceOwners, loadLedgerWork, loadLedgerWorks, loadOperation, loadOperations, loadPiece, loadPieces, loadPiecesOfVoucher, loadProgram,
  loadVoucher, loadVouchers, type Changes, type Financed, type Holding, type LedgerWorkRecord, type OperationRecord, type ProgramRecord, type VoucherRecord,
} from './scf.repository.ts';
import { rootPieceId, type ScfOperation } from './scf.operations.ts';
import type { Piece } from './scf.ts';

/**
 * The state one batch works on: records are loaded on first use and cached, so every operation of
 * the batch sees the changes of the operations before it. Nothing is written until the engine asks
 * for the changes; a refused operation changes nothing because the rules run before any change.
 */
export interface BatchState {
  /** The business date of the whole batch, so a batch never straddles midnight. */
  readonly today: string;
  readonly nowIso: string;
  /**
   * Loads, in a few bulk statements, every record the operations name (their own records, pieces,
   * vouchers, programs, invoices), so that deciding them reads from memory.
   */
  prefetch(operations: readonly ScfOperation[]): Promise<void>;
  /** The decided operation with this id, if any. */
  operation(id: string): Promise<OperationRecord | undefined>;
  /** The reservation and ledger work of a money operation, if any. */
  ledgerWork(id: string): Promise<LedgerWorkRecord | undefined>;
  program(id: string): Promise<ProgramRecord | undefined>;
  voucher(id: string): Promise<VoucherRecord | undefined>;
  piece(id: string): Promise<Piece | undefined>;
  /** Every piece of a voucher, with this batch's changes. */
  piecesOf(voucherId: string): Promise<Piece[]>;
  invoiceOwner(hash: string): Promise<string | undefined>;

  addVoucher(voucher: VoucherRecord): void;
  changedVoucher(voucher: VoucherRecord): void;
  addPiece(piece: Piece): void;
  changedPiece(piece: Piece): void;
  /** The piece's holder or receiver changed. */
  movedPiece(piece: Piece): void;
  changedProgram(program: ProgramRecord): void;
  useInvoice(hash: string, voucherId: string): void;
  freeInvoice(hash: string): void;
  addHolding(holding: Holding): void;
  addFinancing(financing: Financed): void;
  recordOperation(operation: OperationRecord): void;
  recordLedgerWork(work: LedgerWorkRecord): void;
  changes(): Changes;
}

export function createBatchState(q: Queryable, today: string, nowIso: string): BatchState {
  const operations = new Map<string, OperationRecord | null>();
  const works = new Map<string, LedgerWorkRecord | null>();
  const programs = new Map<string, ProgramRecord | null>();
  const vouchers = new Map<string, VoucherRecord | null>();
  const pieces = new Map<string, Piece | null>();
  const invoices = new Map<string, string | null>();
  const loadedVoucherPieces = new Set<string>();

  const newVouchers = new Set<string>();
  const dirtyVouchers = new Set<string>();
  const newPieces = new Set<string>();
  const dirtyPieces = new Set<string>();
  const dirtyPrograms = new Set<string>();
  const invoicesUsed = new Map<string, string>();
  const invoicesFreed = new Set<string>();
  const holdings: Holding[] = [];
  const financings: Financed[] = [];
  const movedPieces = new Set<string>();
  const newOperations: OperationRecord[] = [];
  const changedWork = new Set<string>();

  async function cached<T>(map: Map<string, T | null>, id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = map.get(id);
    if (hit !== undefined) return hit ?? undefined;
    const loaded = (await load()) ?? null;
    map.set(id, loaded);
    return loaded ?? undefined;
  }

  function fill<T>(map: Map<string, T | null>, ids: Iterable<string>, found: readonly T[], key: (record: T) => string): void {
    for (const id of ids) if (!map.has(id)) map.set(id, null);
    for (const record of found) if (!map.get(key(record))) map.set(key(record), record);
  }
  const byId = (record: { id: string }) => record.id;

  return {
    today,
    nowIso,
    async prefetch(batch) {
      const operationIds = batch.map((op) => op.id).filter((id) => !operations.has(id));
      fill(operations, operationIds, await loadOperations(q, operationIds), byId);
      const workIds = batch.map((op) => op.id).filter((id) => !works.has(id));
      fill(works, workIds, await loadLedgerWorks(q, workIds), (work) => work.operationId);
      const pieceIds = new Set<string>();
      const voucherIds = new Set<string>();
      const programIds = new Set<string>();
      const hashes: string[] = [];
      for (const op of batch) {
        if ('pieceId' in op) pieceIds.add(op.pieceId);
        if ('voucherId' in op) (voucherIds.add(op.voucherId), pieceIds.add(rootPieceId(op.voucherId)));
        if (op.kind === 'issue') (programIds.add(op.programId), hashes.push(...op.invoiceHashes));
      }
      const wantedPieces = [...pieceIds].filter((id) => !pieces.has(id));
      const loadedPieces = await loadPieces(q, wantedPieces);
      fill(pieces, wantedPieces, loadedPieces, byId);
      for (const piece of loadedPieces) voucherIds.add(piece.voucherId);
      const wantedVouchers = [...voucherIds].filter((id) => !vouchers.has(id));
      const loadedVouchers = await loadVouchers(q, wantedVouchers);
      fill(vouchers, wantedVouchers, loadedVouchers, byId);
      for (const voucher of loadedVouchers) programIds.add(voucher.programId);
      for (const id of programIds) if (!programs.has(id)) programs.set(id, (await loadProgram(q, id)) ?? null);
      const wantedHashes = hashes.filter((hash) => !invoices.has(hash));
      const owners = await loadInvoiceOwners(q, wantedHashes);
      for (const hash of wantedHashes) invoices.set(hash, owners.get(hash) ?? null);
    },
    operation: (id) => cached(operations, id, () => loadOperation(q, id)),
    ledgerWork: (id) => cached(works, id, () => loadLedgerWork(q, id)),
    program: (id) => cached(programs, id, () => loadProgram(q, id)),
    voucher: (id) => cached(vouchers, id, () => loadVoucher(q, id)),
    piece: (id) => cached(pieces, id, () => loadPiece(q, id)),
    async piecesOf(voucherId) {
      if (!loadedVoucherPieces.has(voucherId)) {
        for (const row of await loadPiecesOfVoucher(q, voucherId)) if (!pieces.get(row.id)) pieces.set(row.id, row);
        loadedVoucherPieces.add(voucherId);
      }
      const found: Piece[] = [];
      for (const piece of pieces.values()) if (piece && piece.voucherId === voucherId) found.push(piece);
      return found;
    },
    invoiceOwner: (hash) => cached(invoices, hash, () => loadInvoiceOwner(q, hash)),

    addVoucher(voucher) {
      assert(!vouchers.get(voucher.id), `voucher ${voucher.id} exists`);
      vouchers.set(voucher.id, voucher);
      newVouchers.add(voucher.id);
      // A new voucher has no pieces in the database; its list is this batch's.
      loadedVoucherPieces.add(voucher.id);
    },
    changedVoucher(voucher) {
      if (!newVouchers.has(voucher.id)) dirtyVouchers.add(voucher.id);
    },
    addPiece(piece) {
      assert(!pieces.get(piece.id), `piece ${piece.id} exists`);
      pieces.set(piece.id, piece);
      newPieces.add(piece.id);
    },
    changedPiece(piece) {
      if (!newPieces.has(piece.id)) dirtyPieces.add(piece.id);
    },
    movedPiece(piece) {
      movedPieces.add(piece.id);
    },
    changedProgram(program) {
      dirtyPrograms.add(program.id);
    },
    useInvoice(hash, voucherId) {
      invoices.set(hash, voucherId);
      invoicesUsed.set(hash, voucherId);
    },
    freeInvoice(hash) {
      invoices.set(hash, null);
      // Used and freed in the same batch: the row was never written, so there is nothing to delete.
      if (!invoicesUsed.delete(hash)) invoicesFreed.add(hash);
    },
    addHolding(holding) {
      holdings.push(holding);
    },
    addFinancing(financing) {
      financings.push(financing);
    },
    recordOperation(operation) {
      assert(!operations.get(operation.id), `operation ${operation.id} is decided already`);
      operations.set(operation.id, operation);
      newOperations.push(operation);
    },
    recordLedgerWork(work) {
      works.set(work.operationId, work);
      changedWork.add(work.operationId);
    },
    changes() {
      const pick = <T>(map: Map<string, T | null>, ids: Set<string>) => [...ids].map((id) => map.get(id) as T);
      return {
        newVouchers: pick(vouchers, newVouchers),
        dirtyVouchers: pick(vouchers, dirtyVouchers),
        newPieces: pick(pieces, newPieces),
        dirtyPieces: pick(pieces, dirtyPieces),
        programs: pick(programs, dirtyPrograms),
        invoicesUsed: [...invoicesUsed],
        invoicesFreed: [...invoicesFreed],
        holdings,
        financings,
        operations: newOperations,
        ledgerWork: pick(works, changedWork),
        movedPieces,
      };
    },
  };
}
