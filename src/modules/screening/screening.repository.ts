import type { Queryable } from '../../db/index.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';
import type { ListFormat, WatchListEntity, WatchListSummary } from './screening.ts';

/** SQL of the screening module, the same text on both dialects. */
type Row = Record<string, unknown>;
const LIST_COLUMNS = 'name, format, entity_count, name_count, source_sha256, imported_at, version';

const toSummary = (row: Row): WatchListSummary => ({
  name: row.name as string,
  format: row.format as ListFormat,
  entityCount: Number(row.entity_count),
  nameCount: Number(row.name_count),
  sourceSha256: row.source_sha256 as string,
  importedAt: row.imported_at as string,
  version: Number(row.version),
});

export async function readVersion(q: Queryable): Promise<number> {
  const row = await q.get<{ version: bigint | number }>('SELECT version FROM screening_state WHERE id = 1');
  return Number(row?.version ?? 0);
}

/** Moves the version on; the row lock it takes also orders concurrent changes from several processes. */
export async function nextVersion(q: Queryable): Promise<number> {
  await q.run('UPDATE screening_state SET version = version + 1 WHERE id = 1');
  return readVersion(q);
}

export async function listSummaries(q: Queryable): Promise<WatchListSummary[]> {
  return (await q.all(`SELECT ${LIST_COLUMNS} FROM screening_lists ORDER BY name LIMIT ?`, [SCREENING_LIMITS.listsMax])).map(toSummary);
}

export async function findSummary(q: Queryable, name: string): Promise<WatchListSummary | undefined> {
  const row = await q.get(`SELECT ${LIST_COLUMNS} FROM screening_lists WHERE name = ?`, [name]);
  return row ? toSummary(row) : undefined;
}

/** Entities held by every list but `except`, to keep the total within its limit. */
export async function entityTotal(q: Queryable, except: string): Promise<number> {
  const row = await q.get<{ total: bigint | number | null }>('SELECT SUM(entity_count) AS total FROM screening_lists WHERE name <> ?', [except]);
  return Number(row?.total ?? 0);
}

export async function deleteList(q: Queryable, name: string): Promise<boolean> {
  await q.run('DELETE FROM screening_entities WHERE list_name = ?', [name]);
  return (await q.run('DELETE FROM screening_lists WHERE name = ?', [name])).changes > 0;
}

export async function insertList(q: Queryable, summary: WatchListSummary, entities: readonly WatchListEntity[]): Promise<void> {
  await q.run(`INSERT INTO screening_lists (${LIST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
    summary.name, summary.format, summary.entityCount, summary.nameCount, summary.sourceSha256, summary.importedAt, summary.version,
  ]);
  for (let start = 0; start < entities.length; start += SCREENING_LIMITS.insertBatchRows) {
    const batch = entities.slice(start, start + SCREENING_LIMITS.insertBatchRows);
    await q.run(
      `INSERT INTO screening_entities (list_name, entity_id, schema, data) VALUES ${batch.map(() => '(?, ?, ?, ?)').join(', ')}`,
      batch.flatMap((entity) => [summary.name, entity.id, entity.schema, JSON.stringify(dataOf(entity))]),
    );
  }
}

const dataOf = (entity: WatchListEntity) => ({
  names: entity.names, aliases: entity.aliases, weak_aliases: entity.weakAliases, birth_dates: entity.birthDates, countries: entity.countries, datasets: entity.datasets,
});

const texts = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function toEntity(row: Row): WatchListEntity {
  const data = JSON.parse(row.data as string) as Record<string, unknown>;
  return {
    id: row.entity_id as string, schema: row.schema as string, names: texts(data.names), aliases: texts(data.aliases), weakAliases: texts(data.weak_aliases),
    birthDates: texts(data.birth_dates), countries: texts(data.countries), datasets: texts(data.datasets),
  };
}

/** One page of a list's entities in id order, after `afterId`. */
export async function entityPage(q: Queryable, listName: string, afterId: string | undefined, limit: number): Promise<WatchListEntity[]> {
  const rows = afterId === undefined
    ? await q.all('SELECT entity_id, schema, data FROM screening_entities WHERE list_name = ? ORDER BY entity_id LIMIT ?', [listName, limit])
    : await q.all('SELECT entity_id, schema, data FROM screening_entities WHERE list_name = ? AND entity_id > ? ORDER BY entity_id LIMIT ?', [listName, afterId, limit]);
  return rows.map(toEntity);
}
