import type { Queryable } from '../../db/index.ts';
import type { ContentVerifier, JournalEntry } from '../journal/index.ts';
import { AUDIT_LIMITS } from './audit.limits.ts';
import { AUDIT_GENESIS_HASH, auditEventHash, type AuditEvent } from './audit.ts';
import { chainPage, readHead } from './audit.repository.ts';

/**
 * The journal entries that anchor the audit trail: each append writes, in its own transaction, one
 * naming the chain's new head (its number and hash). Since every event's hash covers the one before
 * it, an anchor vouches for the whole chain up to it, and the journal's signed checkpoints vouch for
 * the anchors: whoever rewrites the trail consistently, hashes and head included, still leaves
 * anchors that no longer match, unless they rewrite the journal too, which the checkpoints' signatures
 * and any copy of them kept outside show.
 */
export const AUDIT_ANCHOR_KIND = 'audit.anchor';

export const anchorPayload = (event: Pick<AuditEvent, 'seq' | 'hash'>): string => JSON.stringify({ seq: String(event.seq), hash: event.hash });

function readAnchor(entry: JournalEntry): { seq: bigint; hash: string } | null {
  try {
    const payload = JSON.parse(entry.payload) as { seq?: unknown; hash?: unknown };
    if (typeof payload.seq !== 'string' || !/^[1-9][0-9]{0,18}$/.test(payload.seq) || typeof payload.hash !== 'string') return null;
    return { seq: BigInt(payload.seq), hash: payload.hash };
  } catch {
    return null;
  }
}

/** How an event is named in a finding: its place in the chain, its id and what it recorded. */
const describe = (event: AuditEvent): string => {
  const at = Number.isFinite(event.atMs) && Math.abs(event.atMs) <= 8.64e15 ? new Date(event.atMs).toISOString() : String(event.atMs);
  return `audit event #${event.seq} (id ${event.id}, ${event.method} ${event.route} by key ${event.keyId} at ${at})`;
};

/**
 * Checks the audit trail's hash chain: every event follows the one before it (no number missing or
 * repeated), points back to its hash, and hashes to what it stores; the head names the last event.
 * The first broken event is reported with what is wrong with it, and later ones are only counted,
 * since one removed event would otherwise be reported again by everything after it.
 */
export async function verifyAuditChain(q: Queryable): Promise<string[]> {
  return (await checkChain(q)).problems;
}

/** The chain's problems and the number of its last event (0 for none), read in one pass. */
async function checkChain(q: Queryable): Promise<{ problems: string[]; lastSeq: bigint }> {
  const problems: string[] = [];
  let first: string | undefined;
  let brokenAfterFirst = 0;
  let expectedSeq = 1n;
  let prevHash = AUDIT_GENESIS_HASH;
  let afterSeq = 0n;
  for (;;) {
    const page = await chainPage(q, afterSeq, AUDIT_LIMITS.verifyPageRows);
    if (page.length === 0) break;
    for (const event of page) {
      const wrong: string[] = [];
      if (event.seq !== expectedSeq) wrong.push(`expected event #${expectedSeq} here: an event was removed or inserted`);
      if (event.prevHash !== prevHash) wrong.push('its previous hash does not match the event before it');
      const { hash: _hash, prevHash: _prevHash, ...fields } = event;
      if (auditEventHash(event.prevHash, fields) !== event.hash) wrong.push('its hash does not match its content: it was edited');
      if (wrong.length > 0) {
        if (first === undefined) first = `the audit trail is broken at ${describe(event)}: ${wrong.join('; ')}`;
        else brokenAfterFirst += 1;
      }
      expectedSeq = event.seq + 1n;
      prevHash = event.hash;
      afterSeq = event.seq;
    }
  }
  if (first !== undefined) problems.push(first);
  if (brokenAfterFirst > 0) problems.push(`the audit trail has ${brokenAfterFirst} more broken events after the first`);
  const head = await readHead(q, false);
  const lastSeq = expectedSeq - 1n;
  if (head.seq !== lastSeq) problems.push(`the audit trail's head records event #${head.seq} but the chain ends at #${lastSeq}: events were removed from its end or added past it`);
  else if (head.hash !== prevHash) problems.push(`the audit trail's head hash does not match its last event #${lastSeq}`);
  return { problems, lastSeq };
}

/**
 * The audit trail's check as a journal verifier, so that `sluice verify` and GET /v1/journal/verify
 * report it beside the ledger's. Each anchor must name an event of the trail with the hash it has;
 * once the journal is read, the chain itself is checked, and the last anchor must name its last
 * event. A trail with no anchor at all was written before anchoring began and is checked as a chain
 * only, until its next event anchors it whole.
 */
export function auditVerifier(q: Queryable): ContentVerifier {
  let lastAnchored: bigint | null = null;
  return {
    kind: AUDIT_ANCHOR_KIND,
    async checkEntry(entry) {
      const anchor = readAnchor(entry);
      if (!anchor) return ['audit anchor payload is not readable'];
      if (lastAnchored === null || anchor.seq > lastAnchored) lastAnchored = anchor.seq;
      const row = await q.get<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = ?', [anchor.seq]);
      if (!row) return [`anchors audit event #${anchor.seq}, which the audit trail does not have: events were removed`];
      if (row.hash !== anchor.hash) return [`anchors audit event #${anchor.seq} with another hash than the trail now has: the trail was rewritten`];
      return [];
    },
    async finish() {
      const { problems, lastSeq } = await checkChain(q);
      if (lastAnchored !== null && lastSeq > lastAnchored) {
        problems.push(`audit events #${lastAnchored + 1n} to #${lastSeq} are anchored by no journal entry: they were added to the trail outside Sluice`);
      }
      return problems;
    },
  };
}
