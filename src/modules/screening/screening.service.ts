import { createHash } from 'node:crypto';
import type { Database } from '../../db/index.ts';
import { createBoundedCache, createSerialRunner, type Clock } from '../../kernel/index.ts';
import type { AlertSink } from '../cases/index.ts';
import type { ScreeningError } from './screening.errors.ts';
import { parseListFile } from './screening.import.ts';
import { buildListIndex, type ListIndex } from './screening.index.ts';
import { SCREENING_DEFAULT_THRESHOLD, SCREENING_LIMITS } from './screening.limits.ts';
import { clampThreshold, screenAgainst } from './screening.matcher.ts';
import { screenRegisteredParty, type RegisteredParty } from './screening.onboarding.ts';
import { deleteList, entityPage, entityTotal, findSummary, insertList, listSummaries, nextVersion, readVersion } from './screening.repository.ts';
import type { ImportReport, ListFormat, NameScreener, ScreeningResult, WatchListEntity, WatchListSummary } from './screening.ts';

/**
 * Watch-list screening. Lists live in the database and, indexed, in memory: a screen is synchronous
 * and reads no database. Importing a list replaces any list of the same name in one transaction and
 * swaps this process's index as soon as it commits; other processes notice the version move when
 * they poll (every `refreshIntervalMs`) and rebuild the lists that changed.
 */
export type ScreeningOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ScreeningError; readonly detail: string; readonly line?: number };

export const LIST_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
const LIST_NAME = new RegExp(LIST_NAME_PATTERN);

export interface ScreeningService extends NameScreener {
  /** Loads every list into memory and starts polling for other processes' changes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Rebuilds the lists another process changed since the last look. */
  refresh(): Promise<void>;
  importList(input: { readonly name: string; readonly format: ListFormat; readonly content: string }): Promise<ScreeningOutcome<ImportReport>>;
  lists(): Promise<WatchListSummary[]>;
  removeList(name: string): Promise<ScreeningOutcome<WatchListSummary>>;
  /** Screens a newly registered party and raises an alert when it resembles a listed entity. */
  screenParty(party: RegisteredParty): Promise<ScreeningResult>;
  /** What this process has in memory: lists, entities and the version they reflect. */
  loaded(): { readonly lists: number; readonly entities: number; readonly version: number };
  readonly threshold: number;
  /** screen(name).topScore, remembered until the lists change (this service always offers it). */
  topScore(name: string): number;
}

export interface ScreeningServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly alerts?: AlertSink;
  /** Score at or above which a name matches; SCREENING_DEFAULT_THRESHOLD unless configured. */
  readonly threshold?: number;
  /** How often to look for other processes' changes; 0 disables the timer (tests call refresh()). */
  readonly refreshIntervalMs?: number;
}

interface Loaded {
  readonly version: number;
  readonly index: ListIndex;
}

export function createScreeningService(deps: ScreeningServiceDeps): ScreeningService {
  const { db, clock } = deps;
  const threshold = clampThreshold(deps.threshold ?? SCREENING_DEFAULT_THRESHOLD);
  const loaded = new Map<string, Loaded>();
  let indexes: ListIndex[] = [];
  let seenVersion = -1;
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  // Loads and swaps run one after another, so that an older index never replaces a newer one.
  const serially = createSerialRunner();
  /** Top scores by name against `indexes` as they are; a new set of indexes starts it afresh. */
  let topScores = createBoundedCache<string, number>(SCREENING_LIMITS.topScoreCacheEntries);
  const publish = () => {
    indexes = [...loaded.values()].map((item) => item.index).sort((a, b) => a.listName.localeCompare(b.listName));
    topScores = createBoundedCache<string, number>(SCREENING_LIMITS.topScoreCacheEntries);
  };

  async function loadList(summary: WatchListSummary): Promise<ListIndex> {
    const entities: WatchListEntity[] = [];
    let afterId: string | undefined;
    const pagesMax = Math.ceil(SCREENING_LIMITS.entitiesPerListMax / SCREENING_LIMITS.loadPageRows) + 1;
    for (let page = 0; page < pagesMax; page++) {
      const rows = await entityPage(db, summary.name, afterId, SCREENING_LIMITS.loadPageRows);
      entities.push(...rows);
      if (rows.length < SCREENING_LIMITS.loadPageRows) break;
      afterId = (rows[rows.length - 1] as WatchListEntity).id;
    }
    return buildListIndex(summary.name, entities);
  }

  async function catchUp(): Promise<void> {
    const version = await readVersion(db);
    if (version === seenVersion) return;
    const summaries = await listSummaries(db);
    for (const summary of summaries) {
      if (loaded.get(summary.name)?.version === summary.version) continue;
      const index = await loadList(summary);
      loaded.set(summary.name, { version: summary.version, index });
    }
    for (const name of loaded.keys()) if (!summaries.some((summary) => summary.name === name)) loaded.delete(name);
    seenVersion = version;
    publish();
  }

  const refresh = () => serially(catchUp);

  async function importList(input: { readonly name: string; readonly format: ListFormat; readonly content: string }): Promise<ScreeningOutcome<ImportReport>> {
    if (!LIST_NAME.test(input.name)) return { ok: false, error: 'invalid_list_name', detail: `a list name matches ${LIST_NAME_PATTERN}` };
    const parsed = parseListFile(input.content, input.format);
    if (!parsed.ok) return { ok: false, error: parsed.error, detail: parsed.detail, ...(parsed.line === undefined ? {} : { line: parsed.line }) };
    const { entities } = parsed.value;
    const nameCount = entities.reduce((sum, entity) => sum + entity.names.length + entity.aliases.length + entity.weakAliases.length, 0);
    const sourceSha256 = createHash('sha256').update(input.content).digest('hex');
    const written = await db.transaction(async (tx): Promise<ScreeningOutcome<{ summary: WatchListSummary; replaced: boolean }>> => {
      // The version moves first: its row lock orders this change against any other process's.
      const version = await nextVersion(tx);
      const previous = await findSummary(tx, input.name);
      if (!previous && (await listSummaries(tx)).length >= SCREENING_LIMITS.listsMax) {
        return { ok: false, error: 'too_many_lists', detail: `at most ${SCREENING_LIMITS.listsMax} lists; remove one first` };
      }
      if ((await entityTotal(tx, input.name)) + entities.length > SCREENING_LIMITS.entitiesTotalMax) {
        return { ok: false, error: 'too_many_entities', detail: `all lists together hold at most ${SCREENING_LIMITS.entitiesTotalMax} entities` };
      }
      const summary: WatchListSummary = {
        name: input.name, format: input.format, entityCount: entities.length, nameCount, sourceSha256, importedAt: new Date(clock.nowMs()).toISOString(), version,
      };
      if (previous) await deleteList(tx, input.name);
      await insertList(tx, summary, entities);
      return { ok: true, value: { summary, replaced: previous !== undefined } };
    });
    if (!written.ok) return written;
    const { summary, replaced } = written.value;
    const index = await buildListIndex(summary.name, entities);
    await serially(async () => {
      if ((loaded.get(summary.name)?.version ?? -1) < summary.version) loaded.set(summary.name, { version: summary.version, index });
      publish();
    });
    return { ok: true, value: { list: summary, imported: entities.length, skipped: parsed.value.skipped, malformed: parsed.value.malformed, replaced } };
  }

  const service: ScreeningService = {
    threshold,
    screen: (name, options = {}) => screenAgainst(indexes, name, options, threshold),
    topScore(name) {
      const known = topScores.get(name);
      if (known !== undefined) return known;
      const score = screenAgainst(indexes, name, {}, threshold).topScore;
      topScores.set(name, score);
      return score;
    },
    async start() {
      await refresh();
      const intervalMs = Math.min(SCREENING_LIMITS.refreshIntervalMaxMs, deps.refreshIntervalMs ?? SCREENING_LIMITS.refreshIntervalDefaultMs);
      if (intervalMs > 0 && !timer) {
        timer = setInterval(() => {
          if (refreshing) return;
          refreshing = true;
          // A database that does not answer now is asked again at the next tick; the lists stay as they were.
          refresh().catch(() => {}).finally(() => (refreshing = false));
        }, Math.max(SCREENING_LIMITS.refreshIntervalMinMs, intervalMs));
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      // Whatever is queued finishes first: an empty piece of work settles after all of it.
      await serially(async () => {});
    },
    refresh,
    importList,
    lists: () => listSummaries(db),
    async removeList(name) {
      const removed = await db.transaction(async (tx) => {
        const summary = await findSummary(tx, name);
        if (!summary) return undefined;
        await nextVersion(tx);
        await deleteList(tx, name);
        return summary;
      });
      if (!removed) return { ok: false, error: 'list_not_found', detail: `no list named ${name}` };
      await serially(async () => {
        loaded.delete(name);
        publish();
      });
      return { ok: true, value: removed };
    },
    screenParty: (party) => screenRegisteredParty(service, deps.alerts, party),
    loaded: () => ({ lists: indexes.length, entities: indexes.reduce((sum, index) => sum + index.entities.length, 0), version: seenVersion }),
  };
  return service;
}
