import type { Queryable } from '../../db/index.ts';
import type { ContentVerifier } from '../journal/index.ts';
import { AUDIT_LIMITS } from './audit.limits.ts';
import { AUDIT_GENESIS_HASH, auditEventHash, type AuditEvent } from './audit.ts';
import { chainPage, readHead } from './audit.repository.ts';

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
  return problems;
}

/**
 * The audit trail's check as a journal verifier, so that `sluice verify` and GET /v1/journal/verify
 * report it beside the ledger's. The trail has no journal entries of its own: its kind matches none,
 * and the whole check runs once the journal was read.
 */
export function auditVerifier(q: Queryable): ContentVerifier {
  return { kind: 'audit', checkEntry: async () => [], finish: () => verifyAuditChain(q) };
}
