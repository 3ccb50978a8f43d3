import { err, ok, type Result } from '../../kernel/index.ts';
import { FX_LIMITS } from './fx.limits.ts';
import { isCurrencyCode } from './fx.ts';

/**
 * Rates files: CSV lines `base,quote,mid,spread_bps` (a header line and `#` comments allowed) or a
 * JSON array of `{ "base", "quote", "mid", "spread_bps" }`. Mid rates stay text, so "7.10" is not
 * read through a float on its way in.
 */
export interface RateInput {
  readonly base: string;
  readonly quote: string;
  readonly mid: string;
  readonly spreadBps: number;
}

const HEADER = /^base\s*,\s*quote\s*,/i;
const SPREAD = /^(0|[1-9][0-9]{0,4})$/;

export function parseRatesText(text: string): Result<RateInput[], 'rates_file_malformed' | 'too_many_rates'> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseJson(trimmed);
  const rates: RateInput[] = [];
  for (const raw of trimmed.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || HEADER.test(line)) continue;
    const cells = line.split(',').map((cell) => cell.trim());
    const [base = '', quote = '', mid = '', spread = '0'] = cells;
    if (cells.length < 3 || cells.length > 4 || !isCurrencyCode(base) || !isCurrencyCode(quote) || !SPREAD.test(spread)) return err('rates_file_malformed');
    rates.push({ base, quote, mid, spreadBps: Number(spread) });
    if (rates.length > FX_LIMITS.ratesPerRequestMax) return err('too_many_rates');
  }
  return rates.length > 0 ? ok(rates) : err('rates_file_malformed');
}

function parseJson(text: string): Result<RateInput[], 'rates_file_malformed' | 'too_many_rates'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return err('rates_file_malformed');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return err('rates_file_malformed');
  if (parsed.length > FX_LIMITS.ratesPerRequestMax) return err('too_many_rates');
  const rates: RateInput[] = [];
  for (const item of parsed as unknown[]) {
    const entry = item as Record<string, unknown> | null;
    const spread = entry?.spread_bps ?? 0;
    if (!entry || typeof entry.base !== 'string' || typeof entry.quote !== 'string' || typeof entry.mid !== 'string' || typeof spread !== 'number') return err('rates_file_malformed');
    if (!isCurrencyCode(entry.base) || !isCurrencyCode(entry.quote) || !Number.isInteger(spread)) return err('rates_file_malformed');
    rates.push({ base: entry.base, quote: entry.quote, mid: entry.mid, spreadBps: spread });
  }
  return ok(rates);
}
