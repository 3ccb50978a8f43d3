/** Watch-list screening: what a screen of one name answers. */
export interface ScreeningMatch {
  readonly entityId: string;
  /** The list the entity came from, e.g. un_sc_sanctions. */
  readonly listName: string;
  /** The listed name (or alias) that matched best. */
  readonly matchedName: string;
  /** 0..1, how alike the two names are after normalisation. */
  readonly score: number;
  /** Why: each step that contributed, in words ("token order differs", "pinyin of 王伟 = wang wei"). */
  readonly explanation: readonly string[];
  /** The entity's kind on its list (Person, Organization …), when the list says. */
  readonly schema?: string;
  /** The score of the names alone, before birth year, country and weak-alias adjustments. */
  readonly nameScore?: number;
}

export interface ScreeningResult {
  readonly query: string;
  /** The best match's score, 0 when nothing matched. */
  readonly topScore: number;
  /** Matches at or above the threshold, best first. */
  readonly matches: readonly ScreeningMatch[];
  readonly threshold: number;
}

/** What other modules need of screening: a fast, in-memory screen of one name. */
export interface NameScreener {
  screen(name: string, options?: { readonly threshold?: number; readonly country?: string; readonly birthYear?: number }): ScreeningResult;
  /** screen(name).topScore, remembered until the lists change, where the screener offers it. */
  topScore?(name: string): number;
}

/** One listed person, organisation or vessel, as held by the screening module. */
export interface WatchListEntity {
  /** Unique within its list: the source's id (OpenSanctions entity id) or one derived from the row. */
  readonly id: string;
  /** FollowTheMoney schema: Person, Organization, Company, LegalEntity, Vessel … */
  readonly schema: string;
  /** Primary names, then aliases; weak aliases (nicknames) apart, since they are less certain. */
  readonly names: readonly string[];
  readonly aliases: readonly string[];
  readonly weakAliases: readonly string[];
  /** As the list writes them: YYYY, YYYY-MM or YYYY-MM-DD. */
  readonly birthDates: readonly string[];
  /** Lower-case ISO 3166-1 alpha-2 codes where the list gives codes, else the list's words, lower-cased. */
  readonly countries: readonly string[];
  /** Source datasets or programmes (un_sc_sanctions, SDN …). */
  readonly datasets: readonly string[];
}

export const LIST_FORMATS = ['ftm-jsonl', 'csv'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

export interface WatchListSummary {
  readonly name: string;
  readonly format: ListFormat;
  readonly entityCount: number;
  readonly nameCount: number;
  /** SHA-256 of the imported file, hex: shows whether two imports were of the same file. */
  readonly sourceSha256: string;
  readonly importedAt: string;
  /** Increases with every change to any list; processes compare it to know when to reload. */
  readonly version: number;
}

/** Why a line of an imported file could not be read, for programs (the `reason` beside it says it for people). */
export const MALFORMED_LINE_CODES = [
  'not_json', 'not_json_object', 'schema_missing', 'properties_missing', 'invalid_entity_id', 'name_missing', 'name_too_long',
  'duplicate_entity_id', 'cell_count_mismatch', 'unclosed_quote', 'stray_quote',
] as const;
export type MalformedLineCode = (typeof MALFORMED_LINE_CODES)[number];

/** A line of an imported file that could not be read, with why. */
export interface MalformedLine {
  readonly line: number;
  readonly code: MalformedLineCode;
  readonly reason: string;
}

export interface ImportReport {
  readonly list: WatchListSummary;
  /** Lines read as entities, lines skipped on purpose (other schemata, blank), and lines refused. */
  readonly imported: number;
  readonly skipped: number;
  readonly malformed: readonly MalformedLine[];
  /** True when an earlier list of the same name was replaced. */
  readonly replaced: boolean;
}
