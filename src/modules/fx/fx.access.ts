import type { ApiKey } from '../auth/index.ts';
import type { Quote } from './fx.repository.ts';

/**
 * Who may read or spend a firm quote. A quote holds a price for one payment; if any key that learnt
 * its id could use it, another client could spend it first and leave the quoting client's payment
 * without it. So a quote belongs to the key that asked for it (`Quote.requestedBy`) and to the
 * parties that key acts for:
 *
 * - a staff key (admin, operator, analyst, auditor) reads and spends any quote, as it acts for any
 *   party elsewhere;
 * - a participant key reads a quote it asked for, or one another participant key asked for while
 *   acting for a party this key acts for too (a bank's two systems with keys for the same parties
 *   may quote with one and pay with the other); it spends such a quote only on a payment from the
 *   side of such a shared party (the debtor or the debtor's agent);
 * - a quote asked for by a staff key, or without a key, is for staff keys only.
 *
 * Anyone else is answered exactly as for a quote that does not exist.
 */
export interface QuoteAccessDeps {
  /** The key with this id, revoked or not; its parties are what its quotes are for. */
  readonly findKey: (id: string) => Promise<ApiKey | undefined>;
}

/**
 * Whether `caller` may use `quote`. `payingFor` names the debtor side's parties (the customer and its
 * agent) when the quote is to be spent on a payment; without it the question is whether it may read it.
 */
export async function mayUseQuote(deps: QuoteAccessDeps, caller: ApiKey | null, quote: Quote, payingFor?: readonly string[]): Promise<boolean> {
  if (!caller) return false;
  if (caller.role !== 'participant') return true;
  const wanted = payingFor ?? caller.partyIds;
  if (quote.requestedBy === caller.id) return wanted.some((party) => caller.partyIds.includes(party));
  if (quote.requestedBy === null) return false;
  const requester = await deps.findKey(quote.requestedBy);
  if (!requester || requester.role !== 'participant') return false;
  return wanted.some((party) => caller.partyIds.includes(party) && requester.partyIds.includes(party));
}
