import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/index.ts';
import type { Financing, Piece, PieceStatus, Program, Voucher, VoucherStatus } from './scf.ts';
import type { OperationKind } from './scf.operations.ts';

/**
 * SQL of supply-chain finance, the same text on both dialects (`?` placeholders, portable upserts).
 * Rows map to records: the domain types plus what the engine keeps beside them.
 */
export type MemberRole = 'core' | 'bank' | 'supplier';
export interface Member {
  readonly partyId: string;
  readonly role: MemberRole;
  readonly accountId: string;
  readonly addedAt: string;
}
export interface ProgramRecord extends Program {
  /** Face value of the program's active vouchers: what counts against the credit limit. */
  outstanding: bigint;
  readonly members: ReadonlyMap<string, Member>;
}
export interface VoucherRecord extends Voucher {
  /** The first supplier, named at issue. */
  readonly supplierId: string;
  pieceCount: number;
  updatedAt: string;
}
export interface Holding {
  readonly pieceId: string;
  readonly tier: number;
  readonly holderId: string;
  readonly operationId: string;
  readonly since: string;
}
/** One financing of a piece by a bank; kept when a repurchase ends it. */
export interface Financed {
  readonly operationId: string;
  readonly pieceId: string;
  readonly voucherId: string;
  readonly bankId: string;
  readonly financedOn: string;
}
export interface PlannedTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly ledger: number;
  readonly code: number;
}
/** A decided operation, appended once and never changed: the answer every retry gets. */
export interface OperationRecord {
  /** Position among decided operations, in commit order; journal batch entries cover ranges of it. */
  readonly seq: bigint;
  readonly id: string;
  readonly kind: OperationKind;
  readonly fingerprint: string;
  readonly outcome: 'applied' | 'refused';
  /** The answer as canonical JSON: the result of an applied operation, or `{"error": code}`. */
  readonly result: string;
  /** Which attempt at reserving cash it was decided in (0 for operations that move none). */
  readonly attempt: number;
  readonly createdAt: string;
  /** The API key whose request submitted it; null for one made inside the process (or decided before keys were kept). */
  readonly submittedBy: string | null;
}

/** Where a money operation's ledger reservation stands: held, to be posted, to be voided, finished. */
export type LedgerState = 'reserved' | 'post' | 'void' | 'done';
export interface LedgerWorkRecord {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly fingerprint: string;
  readonly attempt: number;
  readonly state: LedgerState;
  readonly transfers: readonly PlannedTransfer[];
  readonly updatedAt: string;
}

export interface Changes {
  readonly newVouchers: readonly VoucherRecord[];
  readonly dirtyVouchers: readonly VoucherRecord[];
  readonly newPieces: readonly Piece[];
  readonly dirtyPieces: readonly Piece[];
  readonly programs: readonly ProgramRecord[];
  readonly invoicesUsed: readonly (readonly [hash: string, voucherId: string])[];
  readonly invoicesFreed: readonly string[];
  readonly holdings: readonly Holding[];
  readonly financings: readonly Financed[];
  readonly operations: readonly OperationRecord[];
  readonly ledgerWork: readonly LedgerWorkRecord[];
  /** Pieces whose holder or receiver changed (their indexes must be rewritten). */
  readonly movedPieces: ReadonlySet<string>;
}

const big = (value: unknown): bigint => BigInt(value as bigint | string | number);
const num = (value: unknown): number => Number(value as bigint | number);

const PROGRAM_COLUMNS = 'id, name, core_enterprise_id, ledger, credit_limit, outstanding, max_term_days, min_split_amount, max_split_depth, day_count_basis, created_at';
const VOUCHER_COLUMNS = 'id, program_id, issuer_id, supplier_id, face_amount, issue_date, maturity_date, contract_hash, invoice_hashes, status, piece_count, created_at, updated_at';
const PIECE_COLUMNS = 'id, voucher_id, range_start, range_end, parent_id, depth, tier, holder_id, pending_holder_id, status, frozen_from, financing, updated_at';
const OPERATION_COLUMNS = 'seq, id, kind, fingerprint, outcome, result, attempt, created_at, submitted_by';
const WORK_COLUMNS = 'operation_id, kind, fingerprint, attempt, state, transfers, updated_at';

type Row = Record<string, unknown>;

function toProgram(row: Row, memberRows: readonly Row[]): ProgramRecord {
  const members = new Map<string, Member>();
  for (const member of memberRows) {
    members.set(member.party_id as string, { partyId: member.party_id as string, role: member.role as MemberRole, accountId: member.account_id as string, addedAt: member.added_at as string });
  }
  const byRole = (role: MemberRole) => [...members.values()].filter((member) => member.role === role).map((member) => member.partyId).sort();
  return {
    id: row.id as string,
    name: row.name as string,
    coreEnterpriseId: row.core_enterprise_id as string,
    fundingBankIds: byRole('bank'),
    supplierIds: byRole('supplier'),
    ledger: num(row.ledger),
    creditLimit: big(row.credit_limit),
    outstanding: big(row.outstanding),
    maxTermDays: num(row.max_term_days),
    minSplitAmount: big(row.min_split_amount),
    maxSplitDepth: num(row.max_split_depth),
    dayCountBasis: num(row.day_count_basis) as 360 | 365,
    createdAt: row.created_at as string,
    members,
  };
}

export function toVoucher(row: Row): VoucherRecord {
  return {
    id: row.id as string,
    programId: row.program_id as string,
    issuerId: row.issuer_id as string,
    supplierId: row.supplier_id as string,
    faceAmount: big(row.face_amount),
    issueDate: row.issue_date as string,
    maturityDate: row.maturity_date as string,
    contractHash: row.contract_hash as string,
    invoiceHashes: JSON.parse(row.invoice_hashes as string) as string[],
    status: row.status as VoucherStatus,
    pieceCount: num(row.piece_count),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

type FinancingJson = Omit<Financing, 'interest' | 'proceeds'> & { interest: string; proceeds: string };

export function toPiece(row: Row): Piece {
  const financing = row.financing ? (JSON.parse(row.financing as string) as FinancingJson) : null;
  return {
    id: row.id as string,
    voucherId: row.voucher_id as string,
    start: big(row.range_start),
    end: big(row.range_end),
    parentId: (row.parent_id as string | null) ?? null,
    depth: num(row.depth),
    tier: num(row.tier),
    holderId: row.holder_id as string,
    pendingHolderId: (row.pending_holder_id as string | null) ?? null,
    status: row.status as PieceStatus,
    frozenFrom: (row.frozen_from as PieceStatus | null) ?? null,
    financing: financing ? { ...financing, interest: BigInt(financing.interest), proceeds: BigInt(financing.proceeds) } : null,
    updatedAt: row.updated_at as string,
  };
}

const financingText = (financing: Financing | null) =>
  financing ? JSON.stringify({ ...financing, interest: String(financing.interest), proceeds: String(financing.proceeds) }) : null;

function toOperation(row: Row): OperationRecord {
  return {
    seq: big(row.seq), id: row.id as string, kind: row.kind as OperationKind, fingerprint: row.fingerprint as string,
    outcome: row.outcome as OperationRecord['outcome'], result: row.result as string, attempt: num(row.attempt), createdAt: row.created_at as string,
    submittedBy: (row.submitted_by as string | null) ?? null,
  };
}

function toWork(row: Row): LedgerWorkRecord {
  const transfers = (JSON.parse(row.transfers as string) as (Omit<PlannedTransfer, 'amount'> & { amount: string })[]).map((t) => ({ ...t, amount: BigInt(t.amount) }));
  return {
    operationId: row.operation_id as string, kind: row.kind as OperationKind, fingerprint: row.fingerprint as string, attempt: num(row.attempt),
    state: row.state as LedgerState, transfers, updatedAt: row.updated_at as string,
  };
}

const transfersText = (transfers: readonly PlannedTransfer[]) => JSON.stringify(transfers.map((t) => ({ ...t, amount: String(t.amount) })));
const workParams = (work: LedgerWorkRecord) => [work.operationId, work.kind, work.fingerprint, work.attempt, work.state, transfersText(work.transfers), work.updatedAt];

/**
 * Bulk statements take rows in chunks of fixed sizes, so that a batch costs a handful of statements
 * rather than one per row, while the database sees at most four distinct texts per statement (its
 * prepared-statement cache stays small). The largest chunk keeps PostgreSQL and SQLite well inside
 * their parameter limits even for the widest table.
 */
const CHUNK_SIZES = [256, 64, 8, 1] as const;
export function chunksOf<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length;) {
    const size = CHUNK_SIZES.find((candidate) => candidate <= items.length - index) as number;
    chunks.push(items.slice(index, index + size));
    index += size;
  }
  return chunks;
}
const marks = (count: number, width: number) => Array.from({ length: count }, () => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');
const list = (count: number) => Array.from({ length: count }, () => '?').join(', ');

async function loadMany(q: Queryable, sql: (placeholders: string) => string, keys: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const chunk of chunksOf([...new Set(keys)])) rows.push(...(await q.all(sql(list(chunk.length)), chunk)));
  return rows;
}

async function insertMany(q: Queryable, table: string, columns: string, rows: readonly (readonly unknown[])[]): Promise<void> {
  const width = columns.split(',').length;
  for (const chunk of chunksOf(rows)) await q.run(`INSERT INTO ${table} (${columns}) VALUES ${marks(chunk.length, width)}`, chunk.flat() as never[]);
}

export const loadOperations = async (q: Queryable, ids: readonly string[]) =>
  (await loadMany(q, (p) => `SELECT ${OPERATION_COLUMNS} FROM scf_operations WHERE id IN (${p})`, ids)).map(toOperation);
export const loadLedgerWorks = async (q: Queryable, ids: readonly string[]) =>
  (await loadMany(q, (p) => `SELECT ${WORK_COLUMNS} FROM scf_ledger_work WHERE operation_id IN (${p})`, ids)).map(toWork);
export const loadPieces = async (q: Queryable, ids: readonly string[]) => (await loadMany(q, (p) => `SELECT ${PIECE_COLUMNS} FROM scf_pieces WHERE id IN (${p})`, ids)).map(toPiece);
export const loadVouchers = async (q: Queryable, ids: readonly string[]) => (await loadMany(q, (p) => `SELECT ${VOUCHER_COLUMNS} FROM scf_vouchers WHERE id IN (${p})`, ids)).map(toVoucher);
export const loadInvoiceOwners = async (q: Queryable, hashes: readonly string[]) =>
  new Map((await loadMany(q, (p) => `SELECT hash, voucher_id FROM scf_invoices WHERE hash IN (${p})`, hashes)).map((row) => [row.hash as string, row.voucher_id as string]));

/** Reads inside the engine's transaction (or outside it, for the dry run that prices reservations). */
export async function loadProgram(q: Queryable, id: string): Promise<ProgramRecord | undefined> {
  const row = await q.get(`SELECT ${PROGRAM_COLUMNS} FROM scf_programs WHERE id = ?`, [id]);
  if (!row) return undefined;
  // In a fixed order: PostgreSQL returns rows in whatever order an update left them on the page.
  const members = await q.all('SELECT party_id, role, account_id, added_at FROM scf_program_members WHERE program_id = ? ORDER BY party_id', [id]);
  return toProgram(row, members);
}

export async function loadVoucher(q: Queryable, id: string): Promise<VoucherRecord | undefined> {
  const row = await q.get(`SELECT ${VOUCHER_COLUMNS} FROM scf_vouchers WHERE id = ?`, [id]);
  return row ? toVoucher(row) : undefined;
}

export async function loadPiece(q: Queryable, id: string): Promise<Piece | undefined> {
  const row = await q.get(`SELECT ${PIECE_COLUMNS} FROM scf_pieces WHERE id = ?`, [id]);
  return row ? toPiece(row) : undefined;
}

export async function loadPiecesOfVoucher(q: Queryable, voucherId: string): Promise<Piece[]> {
  return (await q.all(`SELECT ${PIECE_COLUMNS} FROM scf_pieces WHERE voucher_id = ? ORDER BY range_start, depth`, [voucherId])).map(toPiece);
}

export async function loadInvoiceOwner(q: Queryable, hash: string): Promise<string | undefined> {
  return (await q.get<{ voucher_id: string }>('SELECT voucher_id FROM scf_invoices WHERE hash = ?', [hash]))?.voucher_id;
}

export async function loadOperation(q: Queryable, id: string): Promise<OperationRecord | undefined> {
  const row = await q.get(`SELECT ${OPERATION_COLUMNS} FROM scf_operations WHERE id = ?`, [id]);
  return row ? toOperation(row) : undefined;
}

export async function loadLedgerWork(q: Queryable, operationId: string): Promise<LedgerWorkRecord | undefined> {
  const row = await q.get(`SELECT ${WORK_COLUMNS} FROM scf_ledger_work WHERE operation_id = ?`, [operationId]);
  return row ? toWork(row) : undefined;
}

/** Records (or re-records, for a new attempt) a money operation's reservation. */
export async function saveLedgerWork(q: Queryable, work: LedgerWorkRecord): Promise<void> {
  const sql = `INSERT INTO scf_ledger_work (${WORK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (operation_id) DO UPDATE SET kind = excluded.kind, fingerprint = excluded.fingerprint, attempt = excluded.attempt,
    state = excluded.state, transfers = excluded.transfers, updated_at = excluded.updated_at`;
  await q.run(sql, workParams(work));
}

/**
 * The voucher an operation concerns, as scf_operation_vouchers records it: the `voucherId` its
 * applied result names (the same top-level field migration scf/004 reads from stored results);
 * null for a refusal or an operation on no voucher.
 */
export function voucherOfOperation(op: Pick<OperationRecord, 'outcome' | 'result'>): string | null {
  if (op.outcome !== 'applied') return null;
  const voucherId = (JSON.parse(op.result) as { voucherId?: unknown }).voucherId;
  return typeof voucherId === 'string' ? voucherId : null;
}

/** Writes everything one batch changed, in one transaction that the caller holds. */
export async function persist(q: Queryable, changes: Changes): Promise<void> {
  await insertMany(q, 'scf_operations', OPERATION_COLUMNS, changes.operations.map((op) => [op.seq, op.id, op.kind, op.fingerprint, op.outcome, op.result, op.attempt, op.createdAt, op.submittedBy]));
  await insertMany(q, 'scf_operation_vouchers', 'voucher_id, seq', changes.operations.flatMap((op) => {
    const voucherId = voucherOfOperation(op);
    return voucherId === null ? [] : [[voucherId, op.seq]];
  }));
  for (const work of changes.ledgerWork) await saveLedgerWork(q, work);
  await insertMany(q, 'scf_vouchers', VOUCHER_COLUMNS, changes.newVouchers.map((v) => [
    v.id, v.programId, v.issuerId, v.supplierId, v.faceAmount, v.issueDate, v.maturityDate, v.contractHash, JSON.stringify(v.invoiceHashes), v.status, v.pieceCount, v.createdAt, v.updatedAt,
  ]));
  for (const v of changes.dirtyVouchers) {
    await q.run('UPDATE scf_vouchers SET status = ?, piece_count = ?, updated_at = ? WHERE id = ?', [v.status, v.pieceCount, v.updatedAt, v.id]);
  }
  await insertMany(q, 'scf_pieces', PIECE_COLUMNS, changes.newPieces.map((p) => [
    p.id, p.voucherId, p.start, p.end, p.parentId, p.depth, p.tier, p.holderId, p.pendingHolderId, p.status, p.frozenFrom, financingText(p.financing), p.updatedAt,
  ]));
  for (const p of changes.dirtyPieces) {
    // Naming an indexed column in SET rewrites its index entries, so the holder columns are only
    // named when they changed (a split, a financing or a freeze leaves them alone).
    if (changes.movedPieces.has(p.id)) {
      await q.run('UPDATE scf_pieces SET tier = ?, holder_id = ?, pending_holder_id = ?, status = ?, frozen_from = ?, financing = ?, updated_at = ? WHERE id = ?', [
        p.tier, p.holderId, p.pendingHolderId, p.status, p.frozenFrom, financingText(p.financing), p.updatedAt, p.id,
      ]);
    } else {
      await q.run('UPDATE scf_pieces SET tier = ?, status = ?, frozen_from = ?, financing = ?, updated_at = ? WHERE id = ?', [p.tier, p.status, p.frozenFrom, financingText(p.financing), p.updatedAt, p.id]);
    }
  }
  for (const program of changes.programs) await q.run('UPDATE scf_programs SET outstanding = ? WHERE id = ?', [program.outstanding, program.id]);
  for (const hash of changes.invoicesFreed) await q.run('DELETE FROM scf_invoices WHERE hash = ?', [hash]);
  await insertMany(q, 'scf_invoices', 'hash, voucher_id', changes.invoicesUsed.map(([hash, voucherId]) => [hash, voucherId]));
  await insertMany(q, 'scf_holdings', 'piece_id, tier, holder_id, operation_id, since', changes.holdings.map((h) => [h.pieceId, h.tier, h.holderId, h.operationId, h.since]));
  await insertMany(q, 'scf_financings', 'operation_id, piece_id, voucher_id, bank_id, financed_on', changes.financings.map((f) => [f.operationId, f.pieceId, f.voucherId, f.bankId, f.financedOn]));
}

export async function insertProgram(q: Queryable, program: ProgramRecord): Promise<void> {
  await q.run(`INSERT INTO scf_programs (${PROGRAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    program.id, program.name, program.coreEnterpriseId, program.ledger, program.creditLimit, program.outstanding,
    program.maxTermDays, program.minSplitAmount, program.maxSplitDepth, program.dayCountBasis, program.createdAt,
  ]);
  await insertMembers(q, program.id, [...program.members.values()]);
}

export async function insertMembers(q: Queryable, programId: string, members: readonly Member[]): Promise<void> {
  for (const m of members) {
    await q.run('INSERT INTO scf_program_members (program_id, party_id, role, account_id, added_at) VALUES (?, ?, ?, ?, ?)', [programId, m.partyId, m.role, m.accountId, m.addedAt]);
  }
}

/** Money operations whose ledger side is not finished; on PostgreSQL only those older than the cutoff. */
export async function unresolvedWork(q: Queryable, updatedBefore: string | null, limit: number): Promise<LedgerWorkRecord[]> {
  const where = updatedBefore === null ? '' : ' AND updated_at < ?';
  const rows = await q.all(
    `SELECT ${WORK_COLUMNS} FROM scf_ledger_work WHERE state IN ('reserved', 'post', 'void')${where} ORDER BY updated_at LIMIT ?`,
    updatedBefore === null ? [limit] : [updatedBefore, limit],
  );
  return rows.map(toWork);
}

export async function setWorkState(q: Queryable, ids: readonly string[], from: LedgerState, to: LedgerState, updatedAt: string): Promise<number> {
  let changed = 0;
  for (const id of ids) changed += (await q.run('UPDATE scf_ledger_work SET state = ?, updated_at = ? WHERE operation_id = ? AND state = ?', [to, updatedAt, id, from])).changes;
  return changed;
}

/**
 * The line of a decided operation that a journal batch entry's digest covers: everything its stored
 * record says, so that verification recomputes the digest from the table alone. The submitting key
 * follows the result when there is one, as `|key:` and its commitment (keyCommitment); an operation
 * without one has the line it had before keys were recorded, so entries journaled then still verify.
 * The result is JSON (it ends in `}`), so no result can pass for a result followed by a key.
 */
export function eventLine(op: OperationRecord): string {
  const line = `${op.seq}|${op.id}|${op.kind}|${op.fingerprint}|${op.outcome}|${op.attempt}|${op.result}`;
  return op.submittedBy === null ? line : `${line}|key:${keyCommitment(op.id, op.submittedBy)}`;
}

/**
 * What an operation's journal line says of its submitting key: SHA-256 (hex) of the operation id and
 * the key id. A voucher's proof hands its lines to every party to the voucher, and a participant is
 * shown no other key's id (http/auth.ts visibleKeyIds); the commitment binds the line to the key
 * all the same (an edited key no longer matches the digest), lets a key's holder recognise its own
 * operations, and, salted with the operation id, does not even show that two operations share a key.
 */
export function keyCommitment(operationId: string, keyId: string): string {
  return createHash('sha256').update(`${operationId}:${keyId}`).digest('hex');
}

/** Decided operations numbered first..last, in order: what one journal batch entry covers. */
export async function operationsInRange(q: Queryable, first: bigint, last: bigint): Promise<OperationRecord[]> {
  return (await q.all(`SELECT ${OPERATION_COLUMNS} FROM scf_operations WHERE seq >= ? AND seq <= ? ORDER BY seq`, [first, last])).map(toOperation);
}

/**
 * A voucher's applied operations after a number, oldest first, at most so many (voucher id, after,
 * limit): a range of the voucher's entries in scf_operation_vouchers, then each operation by its number.
 */
export const VOUCHER_OPERATIONS = `SELECT ${OPERATION_COLUMNS} FROM scf_operations WHERE seq IN (
  SELECT seq FROM scf_operation_vouchers WHERE voucher_id = ? AND seq > ? ORDER BY seq LIMIT ?
) ORDER BY seq`;
/** The numbers of a voucher's first applied operations (voucher id, limit), from scf_operation_vouchers alone. */
export const VOUCHER_OPERATION_SEQS = 'SELECT seq FROM scf_operation_vouchers WHERE voucher_id = ? ORDER BY seq LIMIT ?';

export async function appliedOperationsOfVoucher(q: Queryable, voucherId: string, afterSeq: bigint, limit: number): Promise<OperationRecord[]> {
  return (await q.all(VOUCHER_OPERATIONS, [voucherId, afterSeq, limit])).map(toOperation);
}

export async function appliedOperationSeqsOfVoucher(q: Queryable, voucherId: string, limit: number): Promise<bigint[]> {
  return (await q.all<{ seq: bigint }>(VOUCHER_OPERATION_SEQS, [voucherId, limit])).map((row) => BigInt(row.seq));
}

export async function readLastSeq(q: Queryable): Promise<bigint> {
  const row = await q.get<{ last_seq: bigint }>('SELECT last_seq FROM scf_head WHERE id = 1');
  return big(row?.last_seq ?? 0n);
}

export async function writeLastSeq(q: Queryable, lastSeq: bigint): Promise<void> {
  await q.run('UPDATE scf_head SET last_seq = ? WHERE id = 1', [lastSeq]);
}

/** Serialises the engine's write transactions across processes on PostgreSQL; SQLite has one writer anyway. */
const SCF_LOCK_KEY = 7_316_023;
export async function lockScf(q: Queryable): Promise<void> {
  if (q.dialect === 'postgres') await q.get('SELECT pg_advisory_xact_lock(?)', [SCF_LOCK_KEY]);
}
