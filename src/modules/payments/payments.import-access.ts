import { participantAt, primaryOffice } from './payments.checks.ts';
import type { Directory } from './payments.directory.ts';
import type { ParsedFile } from './payments.import.ts';

/**
 * What a participant key may import, beyond paying only from its own side (the debtor accounts,
 * checked by the routes as for any payment). A participant key acts for its parties: a bank (a
 * participant registered under one or more BICs) or a customer of one. Whoever a file says sent it
 * owns the file's message id and the UETRs derived from it, and the debtor agent with the debtor
 * account own the payment ids derived from the end-to-end ids (payments.ids.ts); a key naming another
 * bank there could use up that bank's ids, so that its real files are refused as duplicates. Admin and operator keys import
 * on anyone's behalf and are not checked here.
 *
 * - A pacs.008 comes from a bank: every BIC it names as its sender (the header's `Fr`, the
 *   instructing agent) must be one of the key's participants, and it must name at least one.
 * - Any file: a debtor agent it names must be one of the key's participants, or the agent that holds
 *   the debtor account (a customer's key names its own bank).
 *
 * A pain.001's sender is its initiating party, a customer named by a free identifier or name that no
 * party of Sluice carries, so there is nothing to hold it against.
 */
export interface ImportAccessRefusal {
  readonly code: 'sender_not_owned' | 'debtor_agent_not_owned';
  readonly detail: string;
  readonly errors: readonly { readonly pointer: string; readonly code: string; readonly detail: string }[];
}

/** Problems listed in one refusal; the routes show at most as many. */
const PROBLEMS_MAX = 20;

/** Answers, once per office, whether a BIC is one of the key's participants. */
function ownership(directory: Directory, scope: readonly string[]): (bic: string) => Promise<boolean> {
  const owned = new Map<string, boolean>();
  return async (bic) => {
    const office = primaryOffice(bic);
    let known = owned.get(office);
    if (known === undefined) {
      const participant = await participantAt(directory, office);
      known = participant !== undefined && scope.includes(participant.partyId);
      owned.set(office, known);
    }
    return known;
  };
}

/** A pacs.008 that names no sender, or a sender other than the key's own participant. */
export async function senderRefusal(directory: Directory, scope: readonly string[], file: ParsedFile): Promise<ImportAccessRefusal | null> {
  if (file.kind === 'pain.001.001.09') return null;
  if (file.senderBics.length === 0) {
    const detail = 'a participant key\'s pacs.008 must name its sender: the header\'s Fr or the instructing agent';
    return { code: 'sender_not_owned', detail, errors: [{ pointer: file.senderPath, code: 'sender_not_owned', detail }] };
  }
  const isOwned = ownership(directory, scope);
  const errors = [];
  for (const named of file.senderBics) {
    if (!(await isOwned(named.bic))) errors.push({ pointer: named.path, code: 'sender_not_owned', detail: `${named.bic} is not a BIC of your participant` });
  }
  return errors.length > 0 ? { code: 'sender_not_owned', detail: 'a participant key may only send as its own participant', errors } : null;
}

/** A debtor agent named that is neither the key's participant nor the agent holding the debtor account. */
export async function debtorAgentRefusal(directory: Directory, scope: readonly string[], file: ParsedFile): Promise<ImportAccessRefusal | null> {
  const isOwned = ownership(directory, scope);
  const errors: { pointer: string; code: string; detail: string }[] = [];
  const seen = new Set<string>();
  for (const [index, order] of file.orders.entries()) {
    const path = file.debtorAgentPaths[index];
    if (!order.debtorAgent || !path || seen.has(path) || errors.length >= PROBLEMS_MAX) continue;
    seen.add(path);
    if (await isOwned(order.debtorAgent)) continue;
    const account = await directory.account(order.debtorAccount);
    if (account && primaryOffice(account.bic) === primaryOffice(order.debtorAgent)) continue;
    errors.push({ pointer: path, code: 'debtor_agent_not_owned', detail: `${order.debtorAgent} is neither your participant nor the agent holding debtor account ${order.debtorAccount}` });
  }
  if (errors.length === 0) return null;
  return { code: 'debtor_agent_not_owned', detail: 'a participant key may only name its own participant, or the agent holding its account, as debtor agent', errors };
}
