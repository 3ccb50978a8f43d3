import { createHash } from 'node:crypto';
import { TransferFlags, type LedgerService, type TransferRequest } from '../modules/ledger/index.ts';
import type { Hold, HoldResolver, ResolveOutcome } from '../modules/risk/index.ts';

/**
 * Releasing and rejecting transfers held for review. The posts and voids get ids derived from the
 * hold and the transfer, so a release retried after a crash or by a second analyst books once:
 * the ledger answers a repeated id with its first result.
 */
export function holdActionId(holdId: string, transferId: string, action: 'post' | 'void'): string {
  const hex = createHash('sha256').update(`risk-hold\u0000${holdId}\u0000${transferId}\u0000${action}`).digest('hex');
  // RFC 9562 version 8 (custom) layout: version nibble 8, variant bits 10.
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Results of a void that leave the transfer released, whoever released it. */
const RELEASED = new Set(['ok', 'pending_transfer_already_voided', 'pending_transfer_expired']);
/** Results of a post meaning the held transfer is no longer there to post. */
const GONE = new Set(['pending_transfer_not_found', 'pending_transfer_already_voided', 'pending_transfer_expired']);

export function voidRequestsOf(hold: Hold): TransferRequest[] {
  return hold.items.map((item) => ({ id: holdActionId(hold.id, item.transferId, 'void'), pendingId: item.transferId, flags: TransferFlags.void_pending }));
}

export function createTransferHoldResolver(ledger: Pick<LedgerService, 'createTransfers'>): HoldResolver {
  async function voidAll(hold: Hold): Promise<ResolveOutcome> {
    // Voids are not linked: one transfer already released must not keep the others held.
    const results = await ledger.createTransfers(voidRequestsOf(hold));
    if (results.every((result) => result.result === 'pending_transfer_not_found')) return { ok: false, gone: true, detail: 'nothing was booked for this hold' };
    const posted = results.find((result) => result.result === 'pending_transfer_already_posted');
    if (posted) return { ok: false, gone: true, detail: `transfer ${posted.id} was already posted` };
    const stuck = results.find((result) => !RELEASED.has(result.result) && result.result !== 'pending_transfer_not_found');
    if (stuck) return { ok: false, gone: false, detail: `the ledger refused to void: ${stuck.result}` };
    return { ok: true, detail: `voided ${hold.items.length} transfer(s)` };
  }

  return {
    async release(hold) {
      const posts = hold.items.filter((item) => item.onRelease === 'post');
      if (posts.length === 0) return { ok: true, detail: 'released: the owner may post its pending transfers' };
      const requests: TransferRequest[] = posts.map((item, index) => ({
        id: holdActionId(hold.id, item.transferId, 'post'), pendingId: item.transferId,
        flags: TransferFlags.post_pending | (index < posts.length - 1 ? TransferFlags.linked : 0),
      }));
      const results = await ledger.createTransfers(requests);
      if (results.every((result) => result.result === 'ok' || result.result === 'pending_transfer_already_posted')) return { ok: true, detail: `posted ${posts.length} transfer(s)` };
      const failure = results.find((result) => result.result !== 'ok' && result.result !== 'linked_event_failed');
      if (failure && GONE.has(failure.result)) {
        // Part of the chain is gone (its owner voided it, or it never booked): what is left is released too.
        const voided = await voidAll(hold);
        return { ok: false, gone: true, detail: `transfer ${failure.id}: ${failure.result}${voided.ok ? '; the rest was voided' : ''}` };
      }
      return { ok: false, gone: false, detail: `the ledger refused to post: ${failure?.result ?? 'unknown'}` };
    },
    reject: (hold) => voidAll(hold),
  };
}
