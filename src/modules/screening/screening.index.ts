import { alignmentScore, type PreparedQuery } from './screening.align.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';
import { createTokenCache, nameForms, type NameForm, type Token, type TokenCache } from './screening.names.ts';
import { deletionKeys } from './screening.phonetic.ts';
import { createPostingsBuilder, type Postings, type PostingsBuilder } from './screening.postings.ts';
import type { WatchListEntity } from './screening.ts';

/**
 * The in-memory index of one list. Every name form is filed under the blocking keys of its words:
 * the consonant skeleton of each word and every skeleton one letter shorter (so that a word with one
 * typing mistake shares a key with the word spelt right), each joined pair of neighbouring words, and
 * each Han character. A screen looks up the keys of the query's words, ranks the names it reaches by
 * how much of the query they share (rare words count more than common ones), and scores only the best
 * few in full. No screen reads every name on the list.
 */
export interface IndexedName {
  /** Position of the entity in `entities`. */
  readonly entity: number;
  readonly name: string;
  readonly weak: boolean;
  readonly form: NameForm;
}

export interface ListIndex {
  readonly listName: string;
  readonly entities: readonly WatchListEntity[];
  readonly names: readonly IndexedName[];
  readonly postings: Postings;
  /** For each name, the first letters of its words as a bit set, to rank names for a query's initials. */
  readonly firstLetters: Int32Array;
  /** Birth years of each entity, parsed once. */
  readonly birthYears: readonly (readonly number[])[];
  /** Scratch space for one screen at a time (screens are synchronous, so they never overlap). */
  readonly scratch: { readonly blockScore: Float64Array; readonly creditedTokens: Int32Array; readonly touched: Int32Array };
}

/** Keys a word is filed under: its skeleton and the skeletons one letter shorter. Particles and initials are too common to file. */
function blockingKeys(token: Token): string[] {
  return token.kind === 'initial' || token.kind === 'particle' ? [] : deletionKeys(token.skeleton);
}

const letterBit = (text: string) => 1 << (text.charCodeAt(0) & 31);

export function birthYearsOf(entity: WatchListEntity): number[] {
  const years = new Set<number>();
  for (const date of entity.birthDates) {
    const match = /^(\d{4})/.exec(date);
    if (match) years.add(Number(match[1]));
  }
  return [...years];
}

/** Files one name form under its keys; `keysOfToken` remembers each distinct word's key numbers. */
function fileForm(builder: PostingsBuilder, keysOfToken: Map<Token, number[]>, form: NameForm, nameId: number): number {
  const filed: number[] = [];
  let letters = 0;
  const file = (keyIds: readonly number[]) => {
    for (const keyId of keyIds) {
      if (filed.includes(keyId)) continue;
      filed.push(keyId);
      builder.add(keyId, nameId);
    }
  };
  for (const token of form.tokens) {
    if (token.kind !== 'initial' && token.kind !== 'han') letters |= letterBit(token.text);
    let keyIds = keysOfToken.get(token);
    if (!keyIds) keysOfToken.set(token, (keyIds = blockingKeys(token).map((key) => builder.intern(key))));
    file(keyIds);
  }
  for (const joined of form.joined) if (joined) file([builder.intern(joined.skeleton)]);
  return letters;
}

/** Builds the index, yielding to the event loop now and then so that a large list never stalls requests. */
export async function buildListIndex(listName: string, entities: readonly WatchListEntity[], cache: TokenCache = createTokenCache()): Promise<ListIndex> {
  const names: IndexedName[] = [];
  const letters: number[] = [];
  const builder = createPostingsBuilder();
  const keysOfToken = new Map<Token, number[]>();
  for (let position = 0; position < entities.length; position++) {
    if (position > 0 && position % SCREENING_LIMITS.buildYieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
    const entity = entities[position] as WatchListEntity;
    const seen = new Set<string>();
    const file = (name: string, weak: boolean) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const form of nameForms(name, cache)) {
        letters.push(fileForm(builder, keysOfToken, form, names.length));
        names.push({ entity: position, name, weak, form });
      }
    };
    for (const name of entity.names) file(name, false);
    for (const name of entity.aliases) file(name, false);
    for (const name of entity.weakAliases) file(name, true);
  }
  return {
    listName, entities, names, postings: builder.build(), firstLetters: Int32Array.from(letters), birthYears: entities.map(birthYearsOf),
    scratch: { blockScore: new Float64Array(names.length), creditedTokens: new Int32Array(names.length), touched: new Int32Array(names.length) },
  };
}

export interface FormMatch {
  readonly name: IndexedName;
  /** The name score (see screening.align.ts); the pairs behind it are worked out only for names reported. */
  readonly score: number;
}

/**
 * Initials are not filed (a letter is shared by a twentieth of every list), but among the names the
 * query's words reached, those whose words begin with the query's initials rank higher: "J. Smith"
 * prefers John Smith to Adam Smith before the cut to the best few.
 */
const INITIAL_CREDIT = 1;

/**
 * The names of one list that look most like one query form, best blocking score first, at most
 * `candidatesPerListMax`; each scored in full.
 */
export function searchForm(index: ListIndex, prepared: PreparedQuery): FormMatch[] {
  const query = prepared.form;
  const { blockScore, creditedTokens, touched } = index.scratch;
  let touchedCount = 0;
  let scanned = 0;
  // Rarest keys first, within a bounded number of postings: on a large list the most common keys
  // ("dan", "mark") reach a few per cent of all names and would cost more than everything else.
  for (const probe of probesOf(index, query)) {
    if (scanned > 0 && scanned + probe.ids.length > SCREENING_LIMITS.postingsScannedMax) break;
    scanned += probe.ids.length;
    const bit = 1 << probe.position;
    for (let at = 0; at < probe.ids.length; at++) {
      const id = probe.ids[at] as number;
      const credited = creditedTokens[id] as number;
      // A query word is credited once per name, however many of its keys reach that name.
      if (credited & bit) continue;
      if (credited === 0) touched[touchedCount++] = id;
      creditedTokens[id] = credited | bit;
      blockScore[id] = (blockScore[id] as number) + probe.weight;
    }
  }
  let initials = 0;
  for (const token of query.tokens) if (token.kind === 'initial') initials |= letterBit(token.text);
  const best = bestCandidates(index, touchedCount, initials);
  for (let at = 0; at < touchedCount; at++) {
    const id = touched[at] as number;
    blockScore[id] = 0;
    creditedTokens[id] = 0;
  }
  return best.map((id) => {
    const name = index.names[id] as IndexedName;
    return { name, score: alignmentScore(prepared, name.form) };
  });
}

interface Probe {
  /** The query word the key belongs to. */
  readonly position: number;
  readonly ids: Int32Array;
  readonly weight: number;
}

/** Every key of the query's words that some name is filed under, rarest first. */
function probesOf(index: ListIndex, query: NameForm): Probe[] {
  const total = index.names.length;
  const probes: Probe[] = [];
  for (let position = 0; position < query.tokens.length; position++) {
    const token = query.tokens[position] as Token;
    const keys = blockingKeys(token);
    const joined = query.joined[position];
    for (let keyAt = 0; keyAt < keys.length; keyAt++) {
      const ids = index.postings.lookup(keys[keyAt] as string);
      // deletionKeys puts the skeleton itself first; the shorter variants are skipped when they reach too many names.
      if (ids.length === 0 || (keyAt > 0 && ids.length > SCREENING_LIMITS.fuzzyKeyPostingsMax)) continue;
      // Rare words say more about who is meant: their hits weigh more (inverse document frequency).
      probes.push({ position, ids, weight: token.weight * Math.log(1 + total / ids.length) });
    }
    if (joined) {
      const ids = index.postings.lookup(joined.skeleton);
      if (ids.length > 0) probes.push({ position, ids, weight: token.weight * Math.log(1 + total / ids.length) });
    }
  }
  return probes.sort((a, b) => a.ids.length - b.ids.length);
}

/** The touched names with the highest blocking scores, best first: a bounded selection, never a sort of them all. */
function bestCandidates(index: ListIndex, touchedCount: number, initials: number): number[] {
  const { blockScore, touched } = index.scratch;
  const limit = SCREENING_LIMITS.candidatesPerListMax;
  const chosen: number[] = [];
  const scores: number[] = [];
  let floor = -Infinity;
  for (let at = 0; at < touchedCount; at++) {
    const id = touched[at] as number;
    let score = blockScore[id] as number;
    if (initials !== 0) {
      const shared = initials & (index.firstLetters[id] as number);
      for (let bits = shared; bits !== 0; bits &= bits - 1) score += INITIAL_CREDIT;
    }
    if (chosen.length === limit && score <= floor) continue;
    // Insertion into a short sorted array: `limit` is a few dozen, so this beats a heap.
    let slot = chosen.length;
    while (slot > 0 && (scores[slot - 1] as number) < score) slot--;
    chosen.splice(slot, 0, id);
    scores.splice(slot, 0, score);
    if (chosen.length > limit) (chosen.pop(), scores.pop());
    floor = chosen.length === limit ? (scores[limit - 1] as number) : -Infinity;
  }
  return chosen;
}
