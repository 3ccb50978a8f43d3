import type { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { createBoundedCache } from '../../kernel/index.ts';
import { RULES_LIMITS } from './rules.limits.ts';

/**
 * Regular expressions in rules run only through RE2 (the linear-time engine of re2js), never through
 * JavaScript's backtracking RegExp: a pattern such as `(a+)+$` on a long input costs RE2 time in
 * proportion to the input, where RegExp would take longer than the age of the universe.
 *
 * CEL's built-in `string.matches(string)` calls RegExp. The library refuses a second overload of the
 * same signature, but it expands macros by name before it knows the receiver's type, so a macro
 * `matches` declared on a private receiver type takes over every `x.matches(p)` call. The macro then
 * checks the types itself. `assertRe2MatchesInEffect` proves at start that the built-in is out of
 * reach, so a library upgrade that changed this would stop the process rather than open a hole.
 */
export type PatternVerdict = { readonly ok: true; readonly regex: RE2JS } | { readonly ok: false; readonly code: 'regex_refused' | 'regex_too_long'; readonly detail: string };

export function compilePattern(pattern: string): PatternVerdict {
  if (pattern.length > RULES_LIMITS.regexPatternMaxLength) {
    return { ok: false, code: 'regex_too_long', detail: `a regular expression may have at most ${RULES_LIMITS.regexPatternMaxLength} characters` };
  }
  try {
    return { ok: true, regex: RE2JS.compile(pattern) };
  } catch (error) {
    return { ok: false, code: 'regex_refused', detail: `RE2 cannot compile ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Patterns only known at run time (taken from a variable) are compiled once and kept; the cache is
 * bounded and forgets the oldest patterns first (a forgotten one is compiled again). Literal
 * patterns are compiled when the rule is.
 */
const runtimePatterns = createBoundedCache<string, PatternVerdict>(RULES_LIMITS.regexCacheMaxEntries);

function cachedPattern(pattern: string): PatternVerdict {
  const cached = runtimePatterns.get(pattern);
  if (cached) return cached;
  const verdict = compilePattern(pattern);
  runtimePatterns.set(pattern, verdict);
  return verdict;
}

/** The library's checker and evaluator, as far as the macro uses them. */
interface CelTypeLike {
  readonly kind: string;
  readonly type: string;
}
interface CelChecker {
  check(node: unknown, ctx: unknown): CelTypeLike;
  getType(name: string): unknown;
  createError(code: string, message: string, node?: unknown): Error;
}
interface CelEvaluator {
  run(node: unknown, ctx: unknown): unknown;
  createError(code: string, message: string, node?: unknown): Error;
}
interface AstLike {
  readonly op: string;
  readonly args: unknown;
}
interface MatchesMacro {
  readonly ast: AstLike;
  readonly receiver: AstLike;
  readonly pattern: AstLike;
  regex: RE2JS | null;
  typeCheck(checker: CelChecker, macro: MatchesMacro, ctx: unknown): unknown;
  evaluate(evaluator: CelEvaluator, macro: MatchesMacro, ctx: unknown): boolean;
}

/** A type no value ever has: it only gives the `matches` macro a receiver of its own. */
class Re2MatchesReceiver {}

function typeCheckMatches(checker: CelChecker, macro: MatchesMacro, ctx: unknown): unknown {
  const receiverType = checker.check(macro.receiver, ctx);
  const patternType = checker.check(macro.pattern, ctx);
  for (const [what, type] of [['receiver', receiverType], ['pattern', patternType]] as const) {
    if (type.type !== 'string' && type.kind !== 'dyn') throw checker.createError('no_matching_overload', `matches() needs a string ${what}, not ${type.type}`, macro.ast);
  }
  if (macro.pattern.op === 'value' && typeof macro.pattern.args === 'string') {
    const verdict = compilePattern(macro.pattern.args);
    if (!verdict.ok) throw checker.createError(verdict.code, verdict.detail, macro.pattern);
    macro.regex = verdict.regex;
  }
  return checker.getType('bool');
}

function evaluateMatches(evaluator: CelEvaluator, macro: MatchesMacro, ctx: unknown): boolean {
  const text = evaluator.run(macro.receiver, ctx);
  if (typeof text !== 'string') throw evaluator.createError('no_matching_overload', 'matches() needs a string receiver', macro.ast);
  let regex = macro.regex;
  if (!regex) {
    const pattern = evaluator.run(macro.pattern, ctx);
    if (typeof pattern !== 'string') throw evaluator.createError('no_matching_overload', 'matches() needs a string pattern', macro.ast);
    const verdict = cachedPattern(pattern);
    if (!verdict.ok) throw evaluator.createError(verdict.code, verdict.detail, macro.pattern);
    regex = verdict.regex;
  }
  // RE2 semantics, as CEL specifies: true when the pattern matches any part of the text.
  return regex.test(text);
}

export function registerRe2Matches(environment: Environment): Environment {
  return environment.registerType('Re2MatchesReceiver', Re2MatchesReceiver).registerFunction(
    'Re2MatchesReceiver.matches(ast): bool',
    ({ ast, args, receiver }: { ast: AstLike; args: AstLike[]; receiver: AstLike }): MatchesMacro => ({
      ast,
      receiver,
      pattern: args[0] as AstLike,
      regex: null,
      typeCheck: typeCheckMatches,
      evaluate: evaluateMatches,
    }),
  );
}

/**
 * Fails loudly unless `matches` is the RE2 macro: a lookahead, which RegExp accepts and RE2 does
 * not, must be refused by the checker.
 */
export function assertRe2MatchesInEffect(environment: Environment): void {
  const lookahead = environment.check('"a".matches("(?=a)")');
  const code = (lookahead.error as { code?: string } | undefined)?.code;
  if (lookahead.valid || code !== 'regex_refused') throw new Error('rules: matches() is not served by RE2; refusing to run user regular expressions');
}
