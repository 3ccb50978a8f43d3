import { FX_LIMITS } from './fx.limits.ts';
import { isCurrencyCode, parseRate, SPREAD_BPS_MAX } from './fx.ts';

/**
 * Rates files: CSV lines `base,quote,mid,spread_bps` (a header line and `#` comments allowed) or a
 * JSON array of `{ "base", "quote", "mid", "spread_bps" }`. Mid rates stay text, so "7.10" is not
 * read through a float on its way in. A file is taken whole or not at all, and a refusal names the
 * line (CSV) or entry (JSON) at fault and what is wrong with it, so that an operator can mend a file
 * of hundreds of lines.
 */
export interface RateInput {
  readonly base: string;
  readonly quote: string;
  readonly mid: string;
  readonly spreadBps: number;
}

/** A rate read from a file, with where it stands there ("line 4", "entry 2"). */
export interface RateFromFile extends RateInput {
  readonly where: string;
}

export type RatesFileError = 'rates_file_malformed' | 'too_many_rates';

/** A file read whole, or refused naming the broken rule, the line or entry at fault ("line 4", "entry 2"; null when the file as a whole is) and what is wrong with it. */
export type RatesFileResult =
  | { readonly ok: true; readonly value: RateFromFile[] }
  | { readonly ok: false; readonly error: RatesFileError; readonly where: string | null; readonly reason: string };

const HEADER = /^base\s*,\s*quote\s*,/i;
const SPREAD = /^(0|[1-9][0-9]{0,4})$/;

const problem = (where: string | null, reason: string, error: RatesFileError = 'rates_file_malformed'): RatesFileResult => ({ ok: false, error, where, reason });

/** What is wrong with one rate, or null; the checks the desk would make of the text itself. */
function rateProblem(base: string, quote: string, mid: string, spread: number): string | null {
  if (!isCurrencyCode(base)) return `base "${base}" is not an ISO 4217 code`;
  if (!isCurrencyCode(quote)) return `quote "${quote}" is not an ISO 4217 code`;
  if (base === quote) return 'base and quote are the same currency';
  if (!parseRate(mid)) return `mid "${mid}" is not a positive decimal rate`;
  if (!Number.isInteger(spread) || spread < 0 || spread > SPREAD_BPS_MAX) return `spread_bps must be a whole number from 0 to ${SPREAD_BPS_MAX}`;
  return null;
}

/** A pair set twice (in either direction) would leave whichever came last: say which line repeats which. */
function repeated(rates: readonly RateFromFile[]): RatesFileResult | null {
  const seen = new Map<string, string>();
  for (const rate of rates) {
    const pair = [rate.base, rate.quote].sort().join('/');
    const first = seen.get(pair);
    if (first) return problem(rate.where, `${rate.base}/${rate.quote} is set again (first at ${first})`);
    seen.set(pair, rate.where);
  }
  return null;
}

export function parseRatesText(text: string): RatesFileResult {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseJson(trimmed);
  const rates: RateFromFile[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || HEADER.test(line)) continue;
    const where = `line ${index + 1}`;
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length < 3 || cells.length > 4) return problem(where, `expected base,quote,mid[,spread_bps], found ${cells.length} field${cells.length === 1 ? '' : 's'}`);
    const [base = '', quote = '', mid = '', spread = '0'] = cells;
    if (!SPREAD.test(spread)) return problem(where, `spread_bps "${spread}" is not a whole number of basis points`);
    const wrong = rateProblem(base, quote, mid, Number(spread));
    if (wrong) return problem(where, wrong);
    rates.push({ base, quote, mid, spreadBps: Number(spread), where });
    if (rates.length > FX_LIMITS.ratesPerRequestMax) return problem(where, `a file holds at most ${FX_LIMITS.ratesPerRequestMax} rates`, 'too_many_rates');
  }
  if (rates.length === 0) return problem(null, 'the file holds no rates');
  return repeated(rates) ?? { ok: true, value: rates };
}

function parseJson(text: string): RatesFileResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return problem(null, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return problem(null, 'expected a JSON array of rates');
  if (parsed.length > FX_LIMITS.ratesPerRequestMax) return problem(null, `a file holds at most ${FX_LIMITS.ratesPerRequestMax} rates`, 'too_many_rates');
  const rates: RateFromFile[] = [];
  for (const [index, item] of (parsed as unknown[]).entries()) {
    const where = `entry ${index + 1}`;
    const entry = item as Record<string, unknown> | null;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return problem(where, 'expected an object with base, quote, mid and spread_bps');
    const spread = entry.spread_bps ?? 0;
    for (const field of ['base', 'quote', 'mid'] as const) {
      if (typeof entry[field] !== 'string') return problem(where, `${field} must be a string`);
    }
    if (typeof spread !== 'number') return problem(where, 'spread_bps must be a number');
    const [base, quote, mid] = [entry.base as string, entry.quote as string, entry.mid as string];
    const wrong = rateProblem(base, quote, mid, spread);
    if (wrong) return problem(where, wrong);
    rates.push({ base, quote, mid, spreadBps: spread, where });
  }
  return repeated(rates) ?? { ok: true, value: rates };
}
