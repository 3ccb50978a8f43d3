import type { Overview } from './scf.queries.ts';
import type { Json, Outcome } from './scf.operations.ts';
import type { Holding, OperationRecord, ProgramRecord, VoucherRecord } from './scf.repository.ts';
import type { VoucherView } from './scf.service.ts';
import { amountOf, isLive, type Piece } from './scf.ts';

/** Wire forms: snake_case keys, amounts as strings of minor units. */
const snake = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

export function snakeKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [snake(key), snakeKeys(item as Json)]));
  return value;
}

export function renderOutcome(outcome: Outcome & { ok: true }) {
  return { operation_id: outcome.id, kind: outcome.kind, status: 'applied', replayed: outcome.replayed, result: snakeKeys(outcome.result) };
}

/**
 * `seen` is what the asking key may see of the program's use of its limit (creditSeen in
 * scf.visibility.ts); without it, the whole program's figures (for keys that manage programs).
 */
export function renderProgram(program: ProgramRecord, seen: { readonly outstanding: bigint; readonly available: bigint | null } = { outstanding: program.outstanding, available: program.creditLimit - program.outstanding }) {
  return {
    id: program.id, name: program.name, core_enterprise_id: program.coreEnterpriseId, funding_bank_ids: program.fundingBankIds, supplier_ids: program.supplierIds,
    ledger: program.ledger, credit_limit: String(program.creditLimit), outstanding: String(seen.outstanding), available: seen.available === null ? null : String(seen.available),
    max_term_days: program.maxTermDays, min_split_amount: String(program.minSplitAmount), max_split_depth: program.maxSplitDepth, day_count_basis: program.dayCountBasis,
    created_at: program.createdAt,
    accounts: [...program.members.values()].map((member) => ({ party_id: member.partyId, role: member.role, account_id: member.accountId })),
  };
}

export function renderVoucherSummary(voucher: VoucherRecord) {
  return {
    id: voucher.id, program_id: voucher.programId, issuer_id: voucher.issuerId, supplier_id: voucher.supplierId, face_amount: String(voucher.faceAmount),
    issue_date: voucher.issueDate, maturity_date: voucher.maturityDate, contract_hash: voucher.contractHash, invoice_hashes: voucher.invoiceHashes,
    status: voucher.status, piece_count: voucher.pieceCount, created_at: voucher.createdAt, updated_at: voucher.updatedAt,
  };
}

/** Who is paid at maturity: the funding bank for a financed piece, otherwise the holder. */
const payeeOf = (piece: Piece) => (!isLive(piece) ? null : piece.financing ? piece.financing.bankId : piece.holderId);

export function renderPiece(piece: Piece) {
  const financing = piece.financing && {
    bank_id: piece.financing.bankId, seller_id: piece.financing.sellerId, annual_rate_bps: piece.financing.annualRateBps, days: piece.financing.days,
    interest: String(piece.financing.interest), proceeds: String(piece.financing.proceeds), financed_on: piece.financing.financedOn,
  };
  return {
    id: piece.id, voucher_id: piece.voucherId, parent_id: piece.parentId, start: String(piece.start), end: String(piece.end), amount: String(amountOf(piece)),
    depth: piece.depth, tier: piece.tier, status: piece.status, holder_id: piece.holderId, pending_holder_id: piece.pendingHolderId,
    frozen_from: piece.frozenFrom, payee_id: payeeOf(piece), financing, updated_at: piece.updatedAt,
  };
}

type Node = ReturnType<typeof renderPiece> & { holders: ReturnType<typeof renderHolding>[]; children: Node[] };
const renderHolding = (holding: Holding) => ({ party_id: holding.holderId, tier: holding.tier, since: holding.since, operation_id: holding.operationId });

/**
 * The voucher with its whole tree: the issued piece at the root, every split below it, and for each
 * current piece the chain of parties that accepted it, from the first supplier to the holder.
 */
export function renderVoucher(view: VoucherView) {
  const holdings = new Map<string, Holding[]>();
  for (const holding of view.holdings) holdings.set(holding.pieceId, [...(holdings.get(holding.pieceId) ?? []), holding]);
  const nodes = new Map<string, Node>();
  for (const piece of view.pieces) nodes.set(piece.id, { ...renderPiece(piece), holders: (holdings.get(piece.id) ?? []).map(renderHolding), children: [] });
  let root: Node | undefined;
  for (const piece of view.pieces) {
    const node = nodes.get(piece.id) as Node;
    if (piece.parentId === null) root = node;
    else nodes.get(piece.parentId)?.children.push(node);
  }
  const current: { piece_id: string; holder_id: string; payee_id: string | null; amount: string; status: string; tier: number; chain: string[] }[] = [];
  const walk = (node: Node, chain: readonly string[]) => {
    const own = [...chain];
    for (const holder of node.holders) if (own[own.length - 1] !== holder.party_id) own.push(holder.party_id);
    if (node.children.length === 0 && node.status !== 'cancelled') {
      current.push({ piece_id: node.id, holder_id: node.holder_id, payee_id: node.payee_id, amount: node.amount, status: node.status, tier: node.tier, chain: own });
    }
    for (const child of node.children) walk(child, own);
  };
  if (root) walk(root, [view.voucher.issuerId]);
  return { ...renderVoucherSummary(view.voucher), overdue: view.overdue, tree: root ?? null, current_pieces: current };
}

/**
 * One applied operation of a voucher's history. `keys` is what the asking key may see of submitting
 * keys (http/auth.ts visibleKeyIds): staff every key id, a participant only its own; null otherwise,
 * and for an operation made inside the process or decided before keys were recorded.
 */
export function renderOperation(operation: OperationRecord, keys: (keyId: string | null) => string | null) {
  return {
    operation_id: operation.id, kind: operation.kind, created_at: operation.createdAt, submitted_by: keys(operation.submittedBy),
    result: snakeKeys(JSON.parse(operation.result) as Json),
  };
}

export function renderOverview(overview: Overview & { program: ProgramRecord; today: string; available: bigint | null }) {
  const { program } = overview;
  const shareBps = overview.outstanding > 0n ? Number((overview.financed * 10_000n) / overview.outstanding) : 0;
  return {
    program_id: program.id, today: overview.today, ledger: program.ledger, credit_limit: String(program.creditLimit), outstanding: String(overview.outstanding),
    available: overview.available === null ? null : String(overview.available), financed: String(overview.financed), financed_share_bps: shareBps,
    overdue: { amount: String(overview.overdue.amount), vouchers: overview.overdue.vouchers },
    by_tier: overview.byTier.map((row) => ({ tier: row.tier, amount: String(row.amount), pieces: row.pieces })),
    maturity_ladder: overview.maturityLadder.map((row) => ({ month: row.month, amount: String(row.amount), vouchers: row.vouchers })),
  };
}
