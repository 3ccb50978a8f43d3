import { createHash } from 'node:crypto';
import { msToNs, type Clock } from '../kernel/index.ts';
import { TransferFlags, type LedgerService, type TransferRequest } from '../modules/ledger/index.ts';
import type { Hold, HoldItem, HoldResolver, ResolveOutcome } from '../modules/risk/index.ts';

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

/** What an analyst is told of a held transfer that ended before the review could act on it. */
const endedBeforeReview = (transferId: string, status: string): string => `transfer ${transferId} was ${status} before the review`;

export function voidRequestsOf(hold: Hold): TransferRequest[] {
  return hold.items.map((item) => ({ id: holdActionId(hold.id, item.transferId, 'void'), pendingId: item.transferId, flags: TransferFlags.void_pending }));
}

export function createTransferHoldResolver(ledger: Pick<LedgerService, 'createTransfers' | 'pendingStatus'>, clock: Clock): HoldResolver {
  async function voidAll(hold: Hold): Promise<ResolveOutcome> {
    // Voids are not linked: one transfer already released must not keep the others held.
    const voids = voidRequestsOf(hold);
    const results = await ledger.createTransfers(voids);
    if (results.every((result) => result.result === 'pending_transfer_not_found')) return { ok: false, gone: true, detail: 'nothing was booked for this hold' };
    const posted = results.find((result) => result.result === 'pending_transfer_already_posted');
    if (posted) return { ok: false, gone: true, detail: `transfer ${posted.id} was already posted` };
    const stuck = results.find((result) => !RELEASED.has(result.result) && result.result !== 'pending_transfer_not_found');
    if (stuck) return { ok: false, gone: false, detail: `the ledger refused to void: ${stuck.result}` };
    // The voids carry ids of this hold's own, so a retried rejection finds them 'ok' again. When
    // none of them is, every transfer was voided by its owner or expired before the review: the
    // rejection released nothing, and the hold was resolved elsewhere.
    if (!results.some((result) => result.result === 'ok')) {
      const index = results.findIndex((result) => result.result !== 'pending_transfer_not_found');
      return { ok: false, gone: true, detail: endedBeforeReview(voids[index]?.pendingId ?? hold.id, results[index]?.result === 'pending_transfer_expired' ? 'expired' : 'voided') };
    }
    return { ok: true, detail: `voided ${hold.items.length} transfer(s)` };
  }

  /**
   * Pending transfers the client created itself are not posted by the review: releasing them only
   * lifts the guard. That is a release only while one of them is still pending; once all were
   * voided by their owner or expired, nothing is left to release. A pending transfer past its
   * timeout counts as expired before the ledger's expiry pass has marked it, as the ledger's own
   * post and void do.
   */
  async function releaseKept(hold: Hold, kept: readonly HoldItem[]): Promise<ResolveOutcome> {
    const nowNs = msToNs(clock.nowMs());
    let ended: string | null = null;
    for (const item of kept) {
      const state = await ledger.pendingStatus(item.transferId);
      const status = !state ? 'not_found' : state.status === 'pending' && state.expiresAt !== 0n && state.expiresAt <= nowNs ? 'expired' : state.status;
      if (status === 'pending') return { ok: true, detail: 'released: the owner may post its pending transfers' };
      ended ??= status === 'not_found' ? `transfer ${item.transferId} was never booked` : endedBeforeReview(item.transferId, status);
    }
    return { ok: false, gone: true, detail: ended ?? `nothing was booked for hold ${hold.id}` };
  }

  return {
    async release(hold) {
      const posts = hold.items.filter((item) => item.onRelease === 'post');
      if (posts.length === 0) return releaseKept(hold, hold.items);
      const requests: TransferRequest[] = posts.map((item, index) => ({
        id: holdActionId(hold.id, item.transferId, 'post'), pendingId: item.transferId,
        flags: TransferFlags.post_pending | (index < posts.length - 1 ? TransferFlags.linked : 0),
      }));
      // The analyst who released the hold is the key that posted them.
      const results = await ledger.createTransfers(requests, hold.resolvedBy ?? null);
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
