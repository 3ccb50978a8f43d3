import type { Database } from '../../db/index.ts';
import { err, ok, type Clock, type Result } from '../../kernel/index.ts';
import type { Party, PartyKind } from './parties.ts';

type PartyRow = { id: string; name: string; kind: string; jurisdiction: string; metadata: string | null; created_at: string };
const toParty = (row: PartyRow): Party => ({
  id: row.id, name: row.name, kind: row.kind as PartyKind, jurisdiction: row.jurisdiction, metadata: row.metadata, createdAt: row.created_at,
});
const COLUMNS = 'id, name, kind, jurisdiction, metadata, created_at';

export type PartyError = 'party_exists_with_different_fields';

export interface PartiesService {
  /** Idempotent by id: the same id and fields return the stored party. */
  create(input: Omit<Party, 'createdAt'>): Promise<Result<{ party: Party; created: boolean }, PartyError>>;
  get(id: string): Promise<Party | undefined>;
  list(options: { after?: string; limit: number; ids?: readonly string[] }): Promise<Party[]>;
  existing(ids: readonly string[]): Promise<Set<string>>;
}

export interface PartiesServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  /**
   * Called once a new party is committed (not for an idempotent repeat), before create answers:
   * onboarding checks such as watch-list screening hang here. An error it throws reaches the caller.
   */
  readonly onRegistered?: (party: Party) => Promise<unknown>;
}

export function createPartiesService(deps: PartiesServiceDeps): PartiesService {
  const { db } = deps;
  return {
    async create(input) {
      const result = await db.transaction(async (tx) => {
        const row = await tx.get<PartyRow>(`SELECT ${COLUMNS} FROM parties WHERE id = ?`, [input.id]);
        if (row) {
          const party = toParty(row);
          const same = party.name === input.name && party.kind === input.kind && party.jurisdiction === input.jurisdiction && party.metadata === input.metadata;
          return same ? ok({ party, created: false }) : err('party_exists_with_different_fields');
        }
        const party: Party = { ...input, createdAt: new Date(deps.clock.nowMs()).toISOString() };
        await tx.run(`INSERT INTO parties (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [party.id, party.name, party.kind, party.jurisdiction, party.metadata, party.createdAt]);
        return ok({ party, created: true });
      });
      if (result.ok && result.value.created && deps.onRegistered) await deps.onRegistered(result.value.party);
      return result;
    },
    async get(id) {
      const row = await db.get<PartyRow>(`SELECT ${COLUMNS} FROM parties WHERE id = ?`, [id]);
      return row ? toParty(row) : undefined;
    },
    async list({ after, limit, ids }) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (ids) {
        if (ids.length === 0) return [];
        where.push(`id IN (${ids.map(() => '?').join(', ')})`);
        params.push(...ids);
      }
      if (after !== undefined) (where.push('id > ?'), params.push(after));
      const rows = await db.all<PartyRow>(`SELECT ${COLUMNS} FROM parties ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`, [...params, limit]);
      return rows.map(toParty);
    },
    async existing(ids) {
      const found = new Set<string>();
      // Bounded chunks keep the statement under every dialect's parameter limit.
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500);
        const rows = await db.all<{ id: string }>(`SELECT id FROM parties WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
        for (const row of rows) found.add(row.id);
      }
      return found;
    },
  };
}
