import { assert } from '../../kernel/index.ts';
import { SCF_CODES } from './scf.limits.ts';
import type { ScfError } from './scf.errors.ts';
import {
  childPieceId, pendingTransferId, rootPieceId,
  type FinanceOperation, type FreezeOperation, type IssueOperation, type Json, type PieceOperation, type ScfOperation,
  type SplitOperation, type TransferOperation, type VoucherOperation,
} from './scf.operations.ts';
import type { PlannedTransfer, ProgramRecord, VoucherRecord } from './scf.repository.ts';
import { checkCancel, checkFreeze, checkIssue, checkReceiver, checkSettle, checkSplit, checkTransfer, checkUnfreeze, priceFinancing, priceRepurchase } from './scf.rules.ts';
import type { BatchState } from './scf.state.ts';
import { amountOf, type Piece } from './scf.ts';

/**
 * Decides one operation against the batch state and, when it is allowed, applies it to that state.
 * Money is asked for through `money`: in the dry run that prices a batch it records the plan and
 * says yes; in the committing run it answers with what the ledger said about the reservation made
 * for exactly that plan, or `unreserved` when the plan differs (the operation then waits for the
 * next batch, priced afresh).
 */
export type MoneyAnswer = 'ok' | ScfError | 'unreserved';
export type Money = (plan: readonly PlannedTransfer[]) => MoneyAnswer;

type JsonObject = { readonly [key: string]: Json };
export type Decision =
  | { readonly type: 'applied'; readonly result: JsonObject; readonly plan: readonly PlannedTransfer[] }
  | { readonly type: 'refused'; readonly error: ScfError }
  | { readonly type: 'deferred' };

const refused = (error: ScfError): Decision => ({ type: 'refused', error });
const applied = (result: JsonObject, plan: readonly PlannedTransfer[] = []): Decision => ({ type: 'applied', result, plan });
const fromMoney = (answer: MoneyAnswer): Decision => (answer === 'unreserved' ? { type: 'deferred' } : refused(answer as ScfError));

export async function decide(state: BatchState, op: ScfOperation, attempt: number, money: Money): Promise<Decision> {
  switch (op.kind) {
    case 'issue':
      return issue(state, op);
    case 'sign_off':
    case 'decline':
      return receive(state, op);
    case 'split':
      return split(state, op);
    case 'transfer':
      return transfer(state, op);
    case 'finance':
      return finance(state, op, attempt, money);
    case 'repurchase':
      return repurchase(state, op, attempt, money);
    case 'settle':
      return settle(state, op, attempt, money);
    case 'cancel':
      return cancel(state, op);
    case 'freeze':
    case 'unfreeze':
      return freeze(state, op);
  }
}

interface PieceContext {
  readonly piece: Piece;
  readonly voucher: VoucherRecord;
  readonly program: ProgramRecord;
}

async function pieceContext(state: BatchState, pieceId: string): Promise<PieceContext | undefined> {
  const piece = await state.piece(pieceId);
  if (!piece) return undefined;
  const voucher = await state.voucher(piece.voucherId);
  assert(voucher, `piece ${piece.id} without its voucher`);
  const program = await state.program(voucher.programId);
  assert(program, `voucher ${voucher.id} without its program`);
  return { piece, voucher, program };
}

function accountOf(program: ProgramRecord, partyId: string): string {
  const member = program.members.get(partyId);
  assert(member, `party ${partyId} has no account in program ${program.id}`);
  return member.accountId;
}

function touch(state: BatchState, piece: Piece): void {
  piece.updatedAt = state.nowIso;
  state.changedPiece(piece);
}

/** Changes who holds a piece or who is asked to accept it (the columns the holder indexes cover). */
function move(state: BatchState, piece: Piece, holderId: string, pendingHolderId: string | null): void {
  if (piece.holderId === holderId && piece.pendingHolderId === pendingHolderId) return;
  piece.holderId = holderId;
  piece.pendingHolderId = pendingHolderId;
  state.movedPiece(piece);
}

function endVoucher(state: BatchState, voucher: VoucherRecord, program: ProgramRecord, status: 'cancelled' | 'settled'): void {
  voucher.status = status;
  voucher.updatedAt = state.nowIso;
  state.changedVoucher(voucher);
  program.outstanding -= voucher.faceAmount;
  state.changedProgram(program);
  // An invoice of a cancelled voucher never backed a claim that circulated, so it may back another.
  if (status === 'cancelled') for (const hash of voucher.invoiceHashes) state.freeInvoice(hash);
}

async function issue(state: BatchState, op: IssueOperation): Promise<Decision> {
  const program = await state.program(op.programId);
  if (!program) return refused('program_not_found');
  const used = new Set<string>();
  for (const hash of op.invoiceHashes) if (await state.invoiceOwner(hash)) used.add(hash);
  const check = checkIssue({
    program, actingPartyId: op.actingPartyId, supplierIsMember: program.members.get(op.supplierId)?.role === 'supplier', today: state.today,
    maturityDate: op.maturityDate, faceAmount: op.faceAmount, invoiceHashes: op.invoiceHashes, invoiceUsed: (hash) => used.has(hash),
  });
  if (!check.ok) return refused(check.error);
  const voucher: VoucherRecord = {
    id: op.id, programId: program.id, issuerId: op.actingPartyId, supplierId: op.supplierId, faceAmount: op.faceAmount,
    issueDate: state.today, maturityDate: op.maturityDate, contractHash: op.contractHash, invoiceHashes: [...op.invoiceHashes],
    status: 'active', pieceCount: 1, createdAt: state.nowIso, updatedAt: state.nowIso,
  };
  const root: Piece = {
    id: rootPieceId(op.id), voucherId: op.id, start: 0n, end: op.faceAmount, parentId: null, depth: 0, tier: 1,
    holderId: op.supplierId, pendingHolderId: op.supplierId, status: 'awaiting_signoff', frozenFrom: null, financing: null, updatedAt: state.nowIso,
  };
  state.addVoucher(voucher);
  state.addPiece(root);
  for (const hash of op.invoiceHashes) state.useInvoice(hash, voucher.id);
  program.outstanding += op.faceAmount;
  state.changedProgram(program);
  return applied({
    voucherId: voucher.id, pieceId: root.id, programId: program.id, supplierId: op.supplierId, faceAmount: String(op.faceAmount),
    issueDate: voucher.issueDate, maturityDate: voucher.maturityDate, termDays: check.value.termDays,
  });
}

async function receive(state: BatchState, op: PieceOperation): Promise<Decision> {
  const context = await pieceContext(state, op.pieceId);
  if (!context) return refused('piece_not_found');
  const { piece, voucher, program } = context;
  const signing = op.kind === 'sign_off';
  const refusal = checkReceiver(piece, voucher, op.actingPartyId, state.today, signing);
  if (refusal) return refused(refusal);
  const firstSignOff = piece.status === 'awaiting_signoff';
  if (!signing && firstSignOff) {
    // The first supplier turning the voucher down ends it, as the core enterprise's cancel would.
    piece.status = 'cancelled';
    move(state, piece, piece.holderId, null);
    touch(state, piece);
    endVoucher(state, voucher, program, 'cancelled');
    return applied({ pieceId: piece.id, voucherId: voucher.id, voucherStatus: 'cancelled' });
  }
  if (signing) {
    move(state, piece, op.actingPartyId, null);
    if (!firstSignOff) piece.tier += 1;
    state.addHolding({ pieceId: piece.id, tier: piece.tier, holderId: piece.holderId, operationId: op.id, since: state.today });
  } else {
    move(state, piece, piece.holderId, null);
  }
  piece.status = 'held';
  touch(state, piece);
  return applied({ pieceId: piece.id, voucherId: voucher.id, holderId: piece.holderId, tier: piece.tier });
}

async function split(state: BatchState, op: SplitOperation): Promise<Decision> {
  const context = await pieceContext(state, op.pieceId);
  if (!context) return refused('piece_not_found');
  const { piece, voucher, program } = context;
  const check = checkSplit({ piece, voucher, program, actingPartyId: op.actingPartyId, amounts: op.amounts, today: state.today });
  if (!check.ok) return refused(check.error);
  const children = check.value.map((range, index): Piece => ({
    id: childPieceId(op.id, index), voucherId: voucher.id, start: range.start, end: range.end, parentId: piece.id, depth: piece.depth + 1,
    tier: piece.tier, holderId: piece.holderId, pendingHolderId: null, status: 'held', frozenFrom: null, financing: null, updatedAt: state.nowIso,
  }));
  piece.status = 'split';
  touch(state, piece);
  for (const child of children) state.addPiece(child);
  voucher.pieceCount += children.length;
  voucher.updatedAt = state.nowIso;
  state.changedVoucher(voucher);
  return applied({
    pieceId: piece.id, voucherId: voucher.id,
    children: children.map((child) => ({ pieceId: child.id, start: String(child.start), end: String(child.end), amount: String(amountOf(child)) })),
  });
}

async function transfer(state: BatchState, op: TransferOperation): Promise<Decision> {
  const context = await pieceContext(state, op.pieceId);
  if (!context) return refused('piece_not_found');
  const { piece, voucher, program } = context;
  const toIsSupplier = program.members.get(op.toPartyId)?.role === 'supplier';
  const refusal = checkTransfer(piece, voucher, op.actingPartyId, op.toPartyId, toIsSupplier, state.today);
  if (refusal) return refused(refusal);
  piece.status = 'transfer_pending';
  move(state, piece, piece.holderId, op.toPartyId);
  touch(state, piece);
  return applied({ pieceId: piece.id, voucherId: voucher.id, fromPartyId: piece.holderId, toPartyId: op.toPartyId, amount: String(amountOf(piece)) });
}

async function finance(state: BatchState, op: FinanceOperation, attempt: number, money: Money): Promise<Decision> {
  const context = await pieceContext(state, op.pieceId);
  if (!context) return refused('piece_not_found');
  const { piece, voucher, program } = context;
  const priced = priceFinancing({
    piece, voucher, program, actingPartyId: op.actingPartyId, bankId: op.bankId, bankIsFunder: program.members.get(op.bankId)?.role === 'bank',
    annualRateBps: op.annualRateBps, today: state.today,
  });
  if (!priced.ok) return refused(priced.error);
  const { remainder, ...financing } = priced.value;
  const plan: PlannedTransfer[] = [{
    id: pendingTransferId(op.id, attempt, 0), debitAccountId: accountOf(program, op.bankId), creditAccountId: accountOf(program, op.actingPartyId),
    amount: financing.proceeds, ledger: program.ledger, code: SCF_CODES.finance,
  }];
  const answer = money(plan);
  if (answer !== 'ok') return fromMoney(answer);
  piece.status = 'financed';
  piece.financing = financing;
  touch(state, piece);
  state.addFinancing({ operationId: op.id, pieceId: piece.id, voucherId: voucher.id, bankId: op.bankId, financedOn: financing.financedOn });
  return applied({
    pieceId: piece.id, voucherId: voucher.id, bankId: op.bankId, sellerId: op.actingPartyId, amount: String(amountOf(piece)),
    annualRateBps: financing.annualRateBps, dayCountBasis: program.dayCountBasis, days: financing.days, interest: String(financing.interest),
    interestRemainder: `${remainder}/${10_000 * program.dayCountBasis}`, proceeds: String(financing.proceeds), transferIds: plan.map((t) => t.id),
  }, plan);
}

async function repurchase(state: BatchState, op: PieceOperation, attempt: number, money: Money): Promise<Decision> {
  const context = await pieceContext(state, op.pieceId);
  if (!context) return refused('piece_not_found');
  const { piece, voucher, program } = context;
  const priced = priceRepurchase(piece, voucher, program.dayCountBasis, op.actingPartyId, state.today);
  if (!priced.ok) return refused(priced.error);
  const { financing, price } = priced.value;
  assert(price > 0n, 'a repurchase price is positive while the financing had positive proceeds');
  const plan: PlannedTransfer[] = [{
    id: pendingTransferId(op.id, attempt, 0), debitAccountId: accountOf(program, financing.sellerId), creditAccountId: accountOf(program, financing.bankId),
    amount: price, ledger: program.ledger, code: SCF_CODES.repurchase,
  }];
  const answer = money(plan);
  if (answer !== 'ok') return fromMoney(answer);
  piece.status = 'held';
  piece.financing = null;
  touch(state, piece);
  return applied({
    pieceId: piece.id, voucherId: voucher.id, bankId: financing.bankId, sellerId: financing.sellerId, daysRemaining: priced.value.daysRemaining,
    interestRemaining: String(priced.value.interestRemaining), price: String(price), bankEarned: String(price - financing.proceeds), transferIds: plan.map((t) => t.id),
  }, plan);
}

async function settle(state: BatchState, op: VoucherOperation, attempt: number, money: Money): Promise<Decision> {
  const voucher = await state.voucher(op.voucherId);
  if (!voucher) return refused('voucher_not_found');
  const program = await state.program(voucher.programId);
  assert(program, `voucher ${voucher.id} without its program`);
  const pieces = await state.piecesOf(voucher.id);
  const check = checkSettle(voucher, pieces, op.actingPartyId, state.today);
  if (!check.ok) return refused(check.error);
  const payouts = check.value;
  assert(payouts.reduce((sum, payout) => sum + payout.amount, 0n) === voucher.faceAmount, `payouts of voucher ${voucher.id} do not add up to its face value`);
  const core = accountOf(program, voucher.issuerId);
  const plan = payouts.map((payout, index): PlannedTransfer => ({
    id: pendingTransferId(op.id, attempt, index), debitAccountId: core, creditAccountId: accountOf(program, payout.payeeId),
    amount: payout.amount, ledger: program.ledger, code: SCF_CODES.settlement,
  }));
  const answer = money(plan);
  if (answer !== 'ok') return fromMoney(answer);
  const byId = new Map(pieces.map((piece) => [piece.id, piece]));
  for (const payout of payouts) {
    const piece = byId.get(payout.pieceId) as Piece;
    piece.status = 'settled';
    move(state, piece, piece.holderId, null);
    touch(state, piece);
  }
  endVoucher(state, voucher, program, 'settled');
  return applied({
    voucherId: voucher.id, total: String(voucher.faceAmount),
    payouts: payouts.map((payout, index) => ({ pieceId: payout.pieceId, payeeId: payout.payeeId, amount: String(payout.amount), transferId: plan[index]?.id ?? null })),
  }, plan);
}

async function cancel(state: BatchState, op: VoucherOperation): Promise<Decision> {
  const voucher = await state.voucher(op.voucherId);
  if (!voucher) return refused('voucher_not_found');
  const program = await state.program(voucher.programId);
  const root = await state.piece(rootPieceId(voucher.id));
  assert(program && root, `voucher ${voucher.id} without its program or root piece`);
  const refusal = checkCancel(voucher, root, op.actingPartyId);
  if (refusal) return refused(refusal);
  root.status = 'cancelled';
  move(state, root, root.holderId, null);
  touch(state, root);
  endVoucher(state, voucher, program, 'cancelled');
  return applied({ voucherId: voucher.id, pieceId: root.id });
}

async function freeze(state: BatchState, op: FreezeOperation): Promise<Decision> {
  const piece = await state.piece(op.pieceId);
  if (!piece) return refused('piece_not_found');
  if (op.kind === 'freeze') {
    const refusal = checkFreeze(piece);
    if (refusal) return refused(refusal);
    piece.frozenFrom = piece.status;
    piece.status = 'frozen';
  } else {
    const refusal = checkUnfreeze(piece);
    if (refusal) return refused(refusal);
    piece.status = piece.frozenFrom ?? 'held';
    piece.frozenFrom = null;
  }
  touch(state, piece);
  return applied({ pieceId: piece.id, voucherId: piece.voucherId, status: piece.status, reason: op.reason });
}
