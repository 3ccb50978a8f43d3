import type { Database, Queryable } from '../../db/index.ts';
import { msToNs, uuidv7, type Clock } from '../../kernel/index.ts';
import type { ContentVerifier, JournalService } from '../journal/index.ts';
import type { AuditAction, AuditEvent } from './audit.ts';
import { appendEvent, listEvents, type AuditQuery } from './audit.repository.ts';
import { AUDIT_ANCHOR_KIND, anchorPayload, auditVerifier, verifyAuditChain } from './audit.verify.ts';

export interface AuditServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** Where each append anchors the chain's new head, so that signed checkpoints cover the trail. */
  readonly journal: JournalService;
}

export interface AuditStats {
  /** Events this process appended since it started. */
  readonly appended: number;
  /** Appends of this process that failed (the action itself stood; see the HTTP hook). */
  readonly appendFailures: number;
}

export interface AuditService {
  /**
   * Appends one event to the chain in its own transaction, with a journal entry that anchors the
   * chain's new head (its number and hash); rejects if it could not be stored.
   */
  append(action: AuditAction): Promise<AuditEvent>;
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /** The chain's problems, read through `q` (a snapshot), or none. */
  verify(q?: Queryable): Promise<string[]>;
  /** The same check as a verifier of `platform.verify`. */
  verifier(q: Queryable): ContentVerifier;
  stats(): AuditStats;
}

export function createAuditService(deps: AuditServiceDeps): AuditService {
  const { db, clock } = deps;
  let appended = 0;
  let appendFailures = 0;
  return {
    async append(action) {
      const atMs = clock.nowMs();
      try {
        const event = await db.transaction(async (tx) => {
          const appendedEvent = await appendEvent(tx, uuidv7(atMs), atMs, action);
          await deps.journal.append(tx, { kind: AUDIT_ANCHOR_KIND, payload: anchorPayload(appendedEvent), digest: '', timestamp: msToNs(atMs) });
          return appendedEvent;
        });
        appended += 1;
        return event;
      } catch (error) {
        appendFailures += 1;
        throw error;
      }
    },
    list: (query) => listEvents(db, query),
    verify: (q = db) => verifyAuditChain(q),
    verifier: (q) => auditVerifier(q),
    stats: () => ({ appended, appendFailures }),
  };
}
