import type { Queryable } from '../../db/index.ts';
import { toPiece } from './scf.repository.ts';

/**
 * Rebuilds every piece's range, holder, receiver and status from the journaled events alone, so
 * that verification can compare the tables with what the hash chain says happened. An edited holder,
 * status or range, or a piece that no event created, is found. Memory grows with the number of
 * pieces (a few hundred bytes each), which is fine for an offline check.
 */
interface Replayed {
  start: string;
  end: string;
  holder: string;
  pending: string | null;
  status: string;
}

type Result = Record<string, any>;
const PIECE_PAGE = 1000;
const MAX_PROBLEMS = 20;

export interface Replay {
  apply(kind: string, result: Result): string | null;
  compare(db: Queryable): Promise<string[]>;
}

export function createReplay(): Replay {
  const pieces = new Map<string, Replayed>();
  const frozenFrom = new Map<string, string>();

  function piece(id: unknown): Replayed {
    const found = pieces.get(String(id));
    if (!found) throw new Error(`an event names piece ${String(id)}, which no earlier event created`);
    return found;
  }

  function fold(kind: string, r: Result): void {
    switch (kind) {
      case 'issue':
        pieces.set(r.pieceId, { start: '0', end: r.faceAmount, holder: r.supplierId, pending: r.supplierId, status: 'awaiting_signoff' });
        return;
      case 'sign_off':
        Object.assign(piece(r.pieceId), { holder: r.holderId, pending: null, status: 'held' });
        return;
      case 'decline':
        Object.assign(piece(r.pieceId), { pending: null, status: r.voucherStatus === 'cancelled' ? 'cancelled' : 'held' });
        return;
      case 'split': {
        const parent = piece(r.pieceId);
        parent.status = 'split';
        for (const child of r.children as Result[]) pieces.set(child.pieceId, { start: child.start, end: child.end, holder: parent.holder, pending: null, status: 'held' });
        return;
      }
      case 'transfer':
        Object.assign(piece(r.pieceId), { pending: r.toPartyId, status: 'transfer_pending' });
        return;
      case 'finance':
        piece(r.pieceId).status = 'financed';
        return;
      case 'repurchase':
        piece(r.pieceId).status = 'held';
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
    apply(kind, result) {
      try {
        fold(kind, result);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
    async compare(db) {
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
          const actual: Replayed = { start: String(row.start), end: String(row.end), holder: row.holderId, pending: row.pendingHolderId, status: row.status };
          for (const field of ['start', 'end', 'holder', 'pending', 'status'] as const) {
            if (actual[field] !== expected[field]) report(`piece ${row.id}: ${field} is ${actual[field]} but the journal says ${expected[field]}`);
          }
        }
      }
      if (seen !== pieces.size) report(`the journal creates ${pieces.size} pieces but the table holds ${seen} of them`);
      return problems;
    },
  };
}
