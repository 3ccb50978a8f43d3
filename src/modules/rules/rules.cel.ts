import { Environment } from '@marcbachmann/cel-js';
import { compileProgram } from './rules.cel-compile.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import { assertRe2MatchesInEffect, registerRe2Matches } from './rules.re2.ts';
import { syntaxFault, type SyntaxFault } from './rules.syntax.ts';
import { VARIABLE_DESCRIPTIONS, VARIABLE_NAMES, VARIABLE_TYPES, type CelContext } from './rules.variables.ts';

/**
 * Rule expressions: parsed, type-checked and measured once, when a rule is validated or a ruleset
 * version is loaded, so that a decision only runs compiled programs. Everything refused here is
 * refused with a named code and a sentence saying why.
 */
export type ExpressionError =
  | 'expression_too_long'
  | 'expression_too_complex'
  | 'expression_too_deep'
  | 'list_literal_too_long'
  | 'expression_syntax_error'
  | 'unknown_variable'
  | 'expression_type_error'
  | 'expression_not_boolean'
  | 'macros_nested_too_deeply'
  | 'too_many_macros'
  | 'regex_refused'
  | 'regex_too_long';

export interface CompiledExpression {
  readonly expression: string;
  /** Evaluates the expression against one decision's context; may throw an evaluation error. */
  readonly program: (context: CelContext) => unknown;
  /** `bool`, or `dyn` when the value comes from a feature and is checked when the rule runs. */
  readonly type: 'bool' | 'dyn';
  /** Features the expression names, so the probe can give each a worst-case value. */
  readonly featureNames: readonly string[];
}

/** A refusal; one for a syntax error also says where and why in `syntax` (rules.syntax.ts). */
export type CompileResult =
  | { readonly ok: true; readonly value: CompiledExpression }
  | { readonly ok: false; readonly error: ExpressionError; readonly detail: string; readonly syntax?: SyntaxFault };

/** Macros that iterate or bind; nesting them multiplies work, so their nesting is bounded. */
const MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one', 'bind']);

let environment: Environment | undefined;

/** The one environment every rule is checked and run in; building it is costly, so it is built once. */
export function rulesEnvironment(): Environment {
  if (environment) return environment;
  let built = new Environment({
    homogeneousAggregateLiterals: true,
    limits: {
      maxAstNodes: RULES_LIMITS.astNodesMax,
      maxDepth: RULES_LIMITS.parseDepthMax,
      maxListElements: RULES_LIMITS.literalListMaxElements,
      maxMapEntries: RULES_LIMITS.literalMapMaxEntries,
      maxCallArguments: RULES_LIMITS.callArgumentsMax,
    },
  });
  for (const name of ['event', 'lists', 'screening', 'graph'] as const) {
    const declaration = VARIABLE_TYPES[name];
    built = built.registerType(declaration.type, { ctor: declaration.ctor, fields: declaration.fields }).registerVariable(name, declaration.type, { description: VARIABLE_DESCRIPTIONS[name] });
  }
  built = registerRe2Matches(built.registerVariable('features', 'map<string, dyn>', { description: VARIABLE_DESCRIPTIONS.features }));
  assertRe2MatchesInEffect(built);
  environment = built;
  return built;
}

interface CelError {
  readonly code?: string;
  readonly summary?: string;
  readonly message?: string;
  readonly range?: { readonly start: number; readonly end: number };
}

function describeError(error: CelError): string {
  const summary = error.summary ?? error.message ?? String(error);
  return error.range ? `${summary} (at characters ${error.range.start}–${error.range.end})` : summary;
}

function parseProblem(expression: string, error: CelError): CompileResult {
  const summary = error.summary ?? '';
  if (error.code === 'limit_exceeded') {
    if (summary.includes('maxDepth')) return { ok: false, error: 'expression_too_deep', detail: `the expression nests deeper than ${RULES_LIMITS.parseDepthMax} levels` };
    if (summary.includes('maxListElements') || summary.includes('maxMapEntries')) {
      return { ok: false, error: 'list_literal_too_long', detail: `a list literal may have at most ${RULES_LIMITS.literalListMaxElements} elements, a map ${RULES_LIMITS.literalMapMaxEntries} entries` };
    }
    return { ok: false, error: 'expression_too_complex', detail: `the expression has more than ${RULES_LIMITS.astNodesMax} parts (or a call more than ${RULES_LIMITS.callArgumentsMax} arguments)` };
  }
  const syntax = syntaxFault(expression, error);
  return { ok: false, error: 'expression_syntax_error', detail: describeError(error), ...(syntax ? { syntax } : {}) };
}

function checkProblem(error: CelError): CompileResult {
  switch (error.code) {
    case 'regex_refused':
    case 'regex_too_long':
      return { ok: false, error: error.code, detail: describeError(error) };
    case 'unknown_variable':
      return { ok: false, error: 'unknown_variable', detail: `${describeError(error)}; a rule sees only ${VARIABLE_NAMES.join(', ')}` };
    case 'no_such_key':
      return { ok: false, error: 'unknown_variable', detail: `${describeError(error)}: no such field (see the fields of ${VARIABLE_NAMES.filter((name) => name !== 'features').join(', ')})` };
    default:
      return { ok: false, error: 'expression_type_error', detail: describeError(error) };
  }
}

interface Node {
  readonly op: string;
  readonly args: unknown;
}

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && 'op' in value && 'args' in value;

function children(node: Node): Node[] {
  const found: Node[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (isNode(value)) found.push(value);
    else if (Array.isArray(value) && depth < 3) for (const item of value) visit(item, depth + 1);
  };
  if (node.op !== 'value' && node.op !== 'id') visit(node.args, 0);
  return found;
}

const isMacro = (node: Node): boolean => node.op === 'rcall' && Array.isArray(node.args) && MACROS.has(node.args[0] as string);

/** Walks the parse tree once: the deepest macro nesting, the number of macros, the features named. */
function measure(root: Node): { nesting: number; macros: number; features: Set<string> } {
  const features = new Set<string>();
  let macros = 0;
  let nesting = 0;
  // Explicit stack: the parser bounds depth, but a walk should not rely on the call stack anyway.
  const stack: Array<{ node: Node; level: number }> = [{ node: root, level: 0 }];
  while (stack.length > 0) {
    const { node, level } = stack.pop() as { node: Node; level: number };
    const here = isMacro(node) ? level + 1 : level;
    if (here > level) macros += 1;
    nesting = Math.max(nesting, here);
    const [target, key] = Array.isArray(node.args) ? (node.args as unknown[]) : [];
    if ((node.op === '.' || node.op === '[]') && isNode(target) && target.op === 'id' && target.args === 'features') {
      const name = typeof key === 'string' ? key : isNode(key) && key.op === 'value' && typeof key.args === 'string' ? key.args : undefined;
      if (name !== undefined) features.add(name);
    }
    for (const child of children(node)) stack.push({ node: child, level: here });
  }
  return { nesting, macros, features };
}

/** Parses, checks and measures an expression; refuses it with a named code when it breaks a limit. */
export function compileExpression(expression: string): CompileResult {
  if (expression.length > RULES_LIMITS.expressionMaxLength) {
    return { ok: false, error: 'expression_too_long', detail: `an expression may have at most ${RULES_LIMITS.expressionMaxLength} characters; this one has ${expression.length}` };
  }
  const env = rulesEnvironment();
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(expression);
  } catch (error) {
    return parseProblem(expression, error as CelError);
  }
  const shape = measure(parsed.ast as unknown as Node);
  if (shape.nesting > RULES_LIMITS.macroNestingMax) {
    return { ok: false, error: 'macros_nested_too_deeply', detail: `map, filter, all, exists, exists_one and cel.bind may be nested at most ${RULES_LIMITS.macroNestingMax} deep; this expression nests ${shape.nesting}` };
  }
  if (shape.macros > RULES_LIMITS.macrosPerRuleMax) {
    return { ok: false, error: 'too_many_macros', detail: `an expression may use at most ${RULES_LIMITS.macrosPerRuleMax} macros; this one uses ${shape.macros}` };
  }
  const checked = parsed.check();
  if (!checked.valid) return checkProblem((checked.error ?? {}) as CelError);
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    return { ok: false, error: 'expression_not_boolean', detail: `a rule must yield a bool; this expression yields ${checked.type}` };
  }
  // The interpreter stays behind the compiled closures: it answers whatever they leave undecided.
  const program = compileProgram(parsed.ast, parsed as (context: CelContext) => unknown);
  return { ok: true, value: { expression, program, type: checked.type, featureNames: [...shape.features].sort() } };
}
