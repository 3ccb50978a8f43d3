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
}
