import type { Queryable } from '../../db/index.ts';
import { toPiece } from './scf.repository.ts';

/**
 * Rebuilds every piece's range, holder, receiver and status, every holding (who accepted a piece,
 * at which tier, by which sign-off, on which day) and every financing (which bank financed which
 * piece, by which operation, on which day) from the journaled events alone, so that verification
 * can compare the tables with what the hash chain says happened. An edited holder, status or range,
 * a piece that no event created, and a holding or financing row edited, removed or added outside the
 * journal are found; the last two matter because they decide who may read a voucher
 * (scf.visibility.ts). The day of a holding or financing is the day of the batch entry that decided
 * it, which the entry's hash covers. Memory grows with the number of pieces and operations (a few
 * hundred bytes each), which is fine for an offline check.
 */
interface Replayed {
  voucher: string;
  start: string;
  end: string;
  holder: string;
  pending: string | null;
  status: string;
  /** The piece's financing column, in the words of financingText: who pays whom at maturity. */
  financing: string | null;
}

/** A financing as one line, so that a stored and a replayed one compare and print alike. */
function financingText(financing: { bankId: unknown; sellerId: unknown; annualRateBps: unknown; days: unknown; interest: unknown; proceeds: unknown; financedOn: unknown } | null): string | null {
  if (!financing) return null;
  const { bankId, sellerId, annualRateBps, days, interest, proceeds, financedOn } = financing;
  return `bank ${String(bankId)} seller ${String(sellerId)} rate ${String(annualRateBps)} bps ${String(days)} days interest ${String(interest)} proceeds ${String(proceeds)} on ${String(financedOn)}`;
}

/** A row of scf_holdings as the journal makes it, keyed by piece and tier. */
interface ReplayedHolding {
  voucherId: string;
  pieceId: string;
  tier: string;
  holder_id: string;
  operation_id: string;
  since: string;
}

/** A row of scf_financings as the journal makes it, keyed by the finance operation's id. */
interface ReplayedFinancing {
  operationId: string;
  piece_id: string;
  voucher_id: string;
  bank_id: string;
  financed_on: string;
}

type Result = Record<string, any>;
const PIECE_PAGE = 1000;
const ROW_PAGE = 1000;
/** Differences listed per table; a corrupted table would otherwise flood the report. */
const MAX_PROBLEMS = 20;

/** An applied operation as the journal covers it: its id, kind and result (canonical JSON). */
export interface ReplayedOperation {
  readonly id: string;
  readonly kind: string;
  readonly result: string;
}

export interface Replay {
  /** Folds one applied operation, decided on `day` (YYYY-MM-DD, the day of its batch entry). */
  apply(operation: ReplayedOperation, day: string): string | null;
  compare(db: Queryable): Promise<string[]>;
}

/** Collects problems of one table up to MAX_PROBLEMS, then counts the rest. */
function problemList() {
  const problems: string[] = [];
  let more = 0;
  return {
    report(problem: string) {
      if (problems.length < MAX_PROBLEMS) problems.push(problem);
      else more += 1;
    },
    done(table: string): string[] {
      return more === 0 ? problems : [...problems, `… and ${more} more differences in ${table}`];
    },
  };
}

const holdingKey = (pieceId: string, tier: string) => `${pieceId}|${tier}`;

export function createReplay(): Replay {
  const pieces = new Map<string, Replayed>();
  const frozenFrom = new Map<string, string>();
  const holdings = new Map<string, ReplayedHolding>();
  const financings = new Map<string, ReplayedFinancing>();

  function piece(id: unknown): Replayed {
    const found = pieces.get(String(id));
    if (!found) throw new Error(`an event names piece ${String(id)}, which no earlier event created`);
    return found;
  }

  function fold(operation: ReplayedOperation, day: string): void {
    const r = JSON.parse(operation.result) as Result;
    switch (operation.kind) {
      case 'issue':
        pieces.set(r.pieceId, { voucher: r.voucherId, start: '0', end: r.faceAmount, holder: r.supplierId, pending: r.supplierId, status: 'awaiting_signoff', financing: null });
        return;
      case 'sign_off': {
        Object.assign(piece(r.pieceId), { holder: r.holderId, pending: null, status: 'held' });
        const tier = String(r.tier);
        holdings.set(holdingKey(r.pieceId, tier), { voucherId: r.voucherId, pieceId: r.pieceId, tier, holder_id: r.holderId, operation_id: operation.id, since: day });
        return;
      }
      case 'decline':
        Object.assign(piece(r.pieceId), { pending: null, status: r.voucherStatus === 'cancelled' ? 'cancelled' : 'held' });
        return;
      case 'split': {
        const parent = piece(r.pieceId);
        parent.status = 'split';
        for (const child of r.children as Result[]) pieces.set(child.pieceId, { voucher: parent.voucher, start: child.start, end: child.end, holder: parent.holder, pending: null, status: 'held', financing: null });
        return;
      }
      case 'transfer':
        Object.assign(piece(r.pieceId), { pending: r.toPartyId, status: 'transfer_pending' });
        return;
      case 'finance':
        Object.assign(piece(r.pieceId), {
          status: 'financed',
          financing: financingText({ bankId: r.bankId, sellerId: r.sellerId, annualRateBps: r.annualRateBps, days: r.days, interest: r.interest, proceeds: r.proceeds, financedOn: day }),
        });
        financings.set(operation.id, { operationId: operation.id, piece_id: r.pieceId, voucher_id: r.voucherId, bank_id: r.bankId, financed_on: day });
        return;
      case 'repurchase':
        Object.assign(piece(r.pieceId), { status: 'held', financing: null });
        return;
      case 'settle':
        for (const payout of r.payouts as Result[]) Object.assign(piece(payout.pieceId), { pending: null, status: 'settled' });
        return;
      case 'cancel':
        Object.assign(piece(r.pieceId), { pending: null, status: 'cancelled' });
        return;
      case 'freeze': {
        const target = piece(r.pieceId);
        frozenFrom.set(r.pieceId, target.status);
        target.status = 'frozen';
        return;
      }
      case 'unfreeze':
        piece(r.pieceId).status = frozenFrom.get(r.pieceId) ?? r.status;
        return;
    }
  }

  return {
    apply(operation, day) {
      try {
        fold(operation, day);
        return null;
      } catch (error) {
        return `operation ${operation.id} (${operation.kind}): ${(error as Error).message}`;
      }
    },
    async compare(db) {
      return [...(await comparePieces(db)), ...(await compareHoldings(db)), ...(await compareFinancings(db))];
    },
  };

  async function comparePieces(db: Queryable): Promise<string[]> {
    const problems: string[] = [];
    const report = (problem: string) => void (problems.length < MAX_PROBLEMS && problems.push(problem));
    let seen = 0;
    let after = '';
    for (;;) {
      const rows = (await db.all('SELECT * FROM scf_pieces WHERE id > ? ORDER BY id LIMIT ?', [after, PIECE_PAGE])).map(toPiece);
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.id;
        const expected = pieces.get(row.id);
        if (!expected) {
          report(`piece ${row.id} is in the table but no journaled event created it`);
          continue;
        }
        seen += 1;
        const actual: Replayed = { voucher: row.voucherId, start: String(row.start), end: String(row.end), holder: row.holderId, pending: row.pendingHolderId, status: row.status, financing: financingText(row.financing) };
        for (const field of ['voucher', 'start', 'end', 'holder', 'pending', 'status', 'financing'] as const) {
          if (actual[field] !== expected[field]) report(`piece ${row.id}: ${field} is ${actual[field]} but the journal says ${expected[field]}`);
        }
      }
    }
    if (seen !== pieces.size) report(`the journal creates ${pieces.size} pieces but the table holds ${seen} of them`);
    return problems;
  }

  /** Every row of scf_holdings against the sign-offs of the journal: edited, missing or extra. */
  async function compareHoldings(db: Queryable): Promise<string[]> {
    const { report, done } = problemList();
    const seen = new Set<string>();
    let after = { pieceId: '', tier: -1n };
    for (;;) {
      const rows = await db.all<{ piece_id: string; tier: bigint | number; holder_id: string; operation_id: string; since: string }>(
        'SELECT piece_id, tier, holder_id, operation_id, since FROM scf_holdings WHERE piece_id > ? OR (piece_id = ? AND tier > ?) ORDER BY piece_id, tier LIMIT ?',
        [after.pieceId, after.pieceId, after.tier, ROW_PAGE],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const tier = String(row.tier);
        after = { pieceId: row.piece_id, tier: BigInt(row.tier) };
        const key = holdingKey(row.piece_id, tier);
        const expected = holdings.get(key);
        const voucher = pieces.has(row.piece_id) ? `voucher ${pieces.get(row.piece_id)?.voucher}, ` : '';
        if (!expected) {
          report(`${voucher}piece ${row.piece_id}: a holding at tier ${tier} (holder ${row.holder_id}, operation ${row.operation_id}) is in scf_holdings but no journaled sign-off made it`);
          continue;
        }
        seen.add(key);
        for (const column of ['holder_id', 'operation_id', 'since'] as const) {
          if (row[column] !== expected[column]) {
            report(`voucher ${expected.voucherId}, piece ${row.piece_id}: the holding at tier ${tier} has ${column} ${row[column]} but the journal says ${expected[column]}`);
          }
        }
      }
    }
    for (const [key, expected] of holdings) {
      if (!seen.has(key)) {
        report(`voucher ${expected.voucherId}, piece ${expected.pieceId}: the holding at tier ${expected.tier} (holder ${expected.holder_id}, operation ${expected.operation_id}) is missing from scf_holdings`);
      }
    }
    return done('scf_holdings');
  }

  /** Every row of scf_financings against the financings of the journal: edited, missing or extra. */
  async function compareFinancings(db: Queryable): Promise<string[]> {
    const { report, done } = problemList();
    const seen = new Set<string>();
    let after = '';
    for (;;) {
      const rows = await db.all<{ operation_id: string; piece_id: string; voucher_id: string; bank_id: string; financed_on: string }>(
        'SELECT operation_id, piece_id, voucher_id, bank_id, financed_on FROM scf_financings WHERE operation_id > ? ORDER BY operation_id LIMIT ?',
        [after, ROW_PAGE],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.operation_id;
        const expected = financings.get(row.operation_id);
        if (!expected) {
          report(`voucher ${row.voucher_id}, piece ${row.piece_id}: a financing by bank ${row.bank_id} (operation ${row.operation_id}) is in scf_financings but no journaled financing made it`);
          continue;
        }
        seen.add(row.operation_id);
        for (const column of ['piece_id', 'voucher_id', 'bank_id', 'financed_on'] as const) {
          if (row[column] !== expected[column]) {
            report(`voucher ${expected.voucher_id}, piece ${expected.piece_id}: the financing of operation ${row.operation_id} has ${column} ${row[column]} but the journal says ${expected[column]}`);
          }
        }
      }
    }
    for (const [operationId, expected] of financings) {
      if (!seen.has(operationId)) {
        report(`voucher ${expected.voucher_id}, piece ${expected.piece_id}: the financing by bank ${expected.bank_id} (operation ${operationId}) is missing from scf_financings`);
      }
    }
    return done('scf_financings');
  }
}
