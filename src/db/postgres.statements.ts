import { createBoundedCache } from '../kernel/index.ts';

/**
 * Names for the statements transactions repeat, so that PostgreSQL parses and plans each once per
 * connection instead of on every execution.
 *
 * Unnamed, every statement is parsed, analysed and planned again on each call. For the ledger's
 * group commits over HTTP (a dozen statements for some sixteen transfers) that was more of the
 * server's CPU than running them, all of it while the transaction held the ledger clock row that
 * every process waits for: with names and risk control off, two servers on one PostgreSQL committed
 * 12 to 50 % more transfers per second, and the server spent about a third less CPU per transfer (see
 * docs/benchmarks.md, "Where a group commit of two servers spends its time").
 *
 * Which texts get a name: those issued inside a transaction with parameters, from their second
 * use on (a text seen once may never come back: statements whose text varies with a list's length),
 * at most NAMED_STATEMENTS_MAX of them per process. PostgreSQL keeps each named statement of each
 * connection until the connection closes, so the cap bounds the server's memory as well. Left
 * unnamed: a SELECT that lists no columns (`SELECT *`, `RETURNING *`), whose prepared form fails
 * with "cached plan must not change result type" once a migration adds a column to its table.
 */
export const NAMED_STATEMENTS_MAX = 256;
/** Texts seen once, remembered to recognise their second use. */
const SEEN_ONCE_MAX = 4_096;
/** Texts that name no columns of their result. */
const STAR_RESULT = /^\s*SELECT\s+\*|RETURNING\s+\*/i;

export interface StatementNames {
  /** The name to prepare `text` under, or undefined to send it unnamed. */
  nameOf(text: string): string | undefined;
  readonly size: number;
}

export function createStatementNames(maxNames = NAMED_STATEMENTS_MAX): StatementNames {
  const names = new Map<string, string>();
  const seenOnce = createBoundedCache<string, true>(SEEN_ONCE_MAX);
  return {
    nameOf(text) {
      const known = names.get(text);
      if (known !== undefined) return known;
      if (names.size >= maxNames || STAR_RESULT.test(text)) return undefined;
      if (!seenOnce.has(text)) {
        seenOnce.set(text, true);
        return undefined;
      }
      seenOnce.delete(text);
      // One name per text for the whole process: a connection refuses a name it holds for another text.
      const name = `sluice_${names.size}`;
      names.set(text, name);
      return name;
    },
    get size() {
      return names.size;
    },
  };
}
