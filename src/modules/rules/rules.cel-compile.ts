import { EventValue, GraphValue, ListsValue, ScreeningValue, VARIABLE_TYPES, type CelContext } from './rules.variables.ts';

/**
 * Rule expressions compiled to plain JavaScript closures, for the shapes rules are made of:
 * literals, the five variables and their fields, comparisons, equality, `in` a list, the logical
 * operators, the conditional, arithmetic and three string methods. The CEL interpreter builds an
 * evaluation context and dispatches on operator overloads at every call; a closure does neither.
 *
 * A closure only ever answers where the interpreter's answer is certain and the same: on anything
 * else (a missing key, a value of another type than expected, an overflow, a division by zero, an
 * operand mix the interpreter may refuse) it yields NOT_DECIDED, and the expression is evaluated by
 * the interpreter, which gives the value or the error it always gave. Closures have no side effects,
 * so evaluating twice changes nothing but the time taken. An expression with any node kind not
 * compiled here is not compiled at all: the interpreter runs it, as before.
 */
export type CompiledProgram = (context: CelContext) => unknown;

const NOT_DECIDED: unique symbol = Symbol('not decided');
type Value = unknown;
type Closure = (context: CelContext) => Value;

interface AstNode {
  readonly op: string;
  readonly args: unknown;
}

const INT_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2n ** 63n);

const isNode = (value: unknown): value is AstNode => typeof value === 'object' && value !== null && 'op' in value && 'args' in value;

/** What `typeof` answers for each CEL field type the variables declare; lists are checked apart. */
const FIELD_TYPEOF: Readonly<Record<string, string>> = { int: 'bigint', string: 'string', double: 'number', bool: 'boolean' };

type MessageName = 'event' | 'lists' | 'screening' | 'graph';
const MESSAGE_CLASSES: Readonly<Record<MessageName, unknown>> = { event: EventValue, lists: ListsValue, screening: ScreeningValue, graph: GraphValue };
const isMessageName = (name: unknown): name is MessageName => name === 'event' || name === 'lists' || name === 'screening' || name === 'graph';

/** The interpreter reads a map from a plain object (or one without a prototype) or a Map; closures read plain objects only. */
function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const constructor = (value as { constructor?: unknown }).constructor;
  return constructor === Object || constructor === undefined;
}

/** A feature value of a kind every compiled operator handles; anything else is left to the interpreter. */
const isPrimitive = (value: unknown): boolean => {
  const kind = typeof value;
  return kind === 'number' || kind === 'boolean' || kind === 'string' || kind === 'bigint';
};

function compileValue(literal: unknown): Closure | null {
  if (literal === null || isPrimitive(literal)) return () => literal;
  return null;
}

function compileVariable(name: unknown): Closure | null {
  if (isMessageName(name)) {
    const type = MESSAGE_CLASSES[name];
    return (context) => {
      const value = context[name] as unknown;
      return value !== undefined && value !== null && (value as { constructor?: unknown }).constructor === type ? value : NOT_DECIDED;
    };
  }
  if (name === 'features') return (context) => (plainObject(context.features) ? context.features : NOT_DECIDED);
  return null;
}

/** `event.amount` and the like: the class is checked, then the field's declared type. */
function compileMessageField(name: MessageName, field: string): Closure | null {
  const declared = (VARIABLE_TYPES[name].fields as Readonly<Record<string, string>>)[field];
  if (declared === undefined) return null;
  const type = MESSAGE_CLASSES[name];
  if (declared === 'list<string>') {
    return (context) => {
      const message = context[name] as unknown;
      if (message === undefined || message === null || (message as { constructor?: unknown }).constructor !== type) return NOT_DECIDED;
      const value = (message as Record<string, unknown>)[field];
      return Array.isArray(value) ? value : NOT_DECIDED;
    };
  }
  const expected = FIELD_TYPEOF[declared];
  if (expected === undefined) return null;
  return (context) => {
    const message = context[name] as unknown;
    if (message === undefined || message === null || (message as { constructor?: unknown }).constructor !== type) return NOT_DECIDED;
    const value = (message as Record<string, unknown>)[field];
    return typeof value === expected ? value : NOT_DECIDED;
  };
}

/** `features.name` or `features["name"]`: an own key holding a primitive, as the interpreter finds it. */
function compileFeature(key: string): Closure {
  return (context) => {
    const features = context.features as unknown;
    if (!plainObject(features) || !Object.hasOwn(features, key)) return NOT_DECIDED;
    const value = features[key];
    return isPrimitive(value) ? value : NOT_DECIDED;
  };
}

function compileAccess(node: AstNode): Closure | null {
  const [target, key] = node.args as [unknown, unknown];
  if (!isNode(target) || target.op !== 'id') return null;
  const name = node.op === '.' ? key : isNode(key) && key.op === 'value' ? key.args : undefined;
  if (typeof name !== 'string') return null;
  if (target.args === 'features') return compileFeature(name);
  if (node.op === '.' && isMessageName(target.args)) return compileMessageField(target.args, name);
  return null;
}

const isNumeric = (kind: string): boolean => kind === 'number' || kind === 'bigint';

/** Ordering as the interpreter's overloads do it: numbers of either kind together, or two of one kind. */
function compileOrdering(op: string, left: Closure, right: Closure): Closure | null {
  const comparable = (a: Value, b: Value): boolean => {
    const kindA = typeof a;
    const kindB = typeof b;
    return isNumeric(kindA) ? isNumeric(kindB) : kindA === kindB && (kindA === 'string' || kindA === 'boolean');
  };
  switch (op) {
    case '<':
      return (context) => { const a = left(context); const b = right(context); return comparable(a, b) ? (a as number) < (b as number) : NOT_DECIDED; };
    case '<=':
      return (context) => { const a = left(context); const b = right(context); return comparable(a, b) ? (a as number) <= (b as number) : NOT_DECIDED; };
    case '>':
      return (context) => { const a = left(context); const b = right(context); return comparable(a, b) ? (a as number) > (b as number) : NOT_DECIDED; };
    case '>=':
      return (context) => { const a = left(context); const b = right(context); return comparable(a, b) ? (a as number) >= (b as number) : NOT_DECIDED; };
    default:
      return null;
  }
}

/** Equality of two values of the same primitive kind; a mix of kinds is left to the interpreter. */
function compileEquality(op: string, left: Closure, right: Closure): Closure {
  const negate = op === '!=';
  return (context) => {
    const a = left(context);
    const b = right(context);
    if (!isPrimitive(a) || typeof a !== typeof b) return NOT_DECIDED;
    return negate ? a !== b : a === b;
  };
}

function checkedInt(value: bigint): Value {
  return value <= INT_MAX && value >= INT_MIN ? value : NOT_DECIDED;
}

/** Arithmetic on two ints (overflow and zero divisors left to the interpreter), two doubles or two strings. */
function arithmetic(op: string, a: Value, b: Value): Value {
  const kind = typeof a;
  if (kind !== typeof b) return NOT_DECIDED;
  if (kind === 'bigint') {
    const x = a as bigint;
    const y = b as bigint;
    switch (op) {
      case '+': return checkedInt(x + y);
      case '-': return checkedInt(x - y);
      case '*': return checkedInt(x * y);
      case '/': return y === 0n ? NOT_DECIDED : x / y;
      case '%': return y === 0n ? NOT_DECIDED : x % y;
    }
    return NOT_DECIDED;
  }
  if (kind === 'number') {
    const x = a as number;
    const y = b as number;
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
    }
    return NOT_DECIDED;
  }
  if (kind === 'string' && op === '+') return (a as string) + (b as string);
  return NOT_DECIDED;
}

/** `x in [literal, ...]` with literals of one kind: membership by strict equality for a value of that kind. */
function compileInLiteralList(left: Closure, list: AstNode): Closure | null {
  const items = list.args as unknown[];
  const values: unknown[] = [];
  for (const item of items) {
    if (!isNode(item) || item.op !== 'value' || !isPrimitive(item.args)) return null;
    values.push(item.args);
  }
  const kind = values.length > 0 ? typeof values[0] : undefined;
  if (kind === undefined || values.some((value) => typeof value !== kind)) return null;
  // A set would find NaN in a list holding NaN, where equality never does; doubles are compared one by one.
  if (kind === 'number') return (context) => { const value = left(context); return typeof value === 'number' ? values.includes(value) && !Number.isNaN(value) : NOT_DECIDED; };
  const members = new Set(values);
  return (context) => { const value = left(context); return typeof value === kind ? members.has(value) : NOT_DECIDED; };
}

function compileIn(node: AstNode): Closure | null {
  const [leftNode, rightNode] = node.args as [unknown, unknown];
  const left = compileNode(leftNode);
  if (!left || !isNode(rightNode)) return null;
  if (rightNode.op === 'list') return compileInLiteralList(left, rightNode);
  const right = compileNode(rightNode);
  if (!right) return null;
  // A string in a list of strings (lists.hits): the interpreter's equality of a string is strict equality.
  return (context) => {
    const value = left(context);
    const list = right(context);
    return typeof value === 'string' && Array.isArray(list) ? list.includes(value) : NOT_DECIDED;
  };
}

const STRING_METHODS: Readonly<Record<string, (receiver: string, argument: string) => boolean>> = {
  startsWith: (receiver, argument) => receiver.startsWith(argument),
  endsWith: (receiver, argument) => receiver.endsWith(argument),
  contains: (receiver, argument) => receiver.includes(argument),
};

function compileMethod(node: AstNode): Closure | null {
  const [name, receiverNode, argumentNodes] = node.args as [unknown, unknown, unknown];
  if (typeof name !== 'string' || !Object.hasOwn(STRING_METHODS, name) || !Array.isArray(argumentNodes) || argumentNodes.length !== 1) return null;
  const method = STRING_METHODS[name] as (receiver: string, argument: string) => boolean;
  const receiver = compileNode(receiverNode);
  const argument = compileNode(argumentNodes[0]);
  if (!receiver || !argument) return null;
  return (context) => {
    const target = receiver(context);
    const value = argument(context);
    return typeof target === 'string' && typeof value === 'string' ? method(target, value) : NOT_DECIDED;
  };
}

function compileLogical(op: '&&' | '||', left: Closure, right: Closure): Closure {
  // The interpreter lets a known answer on one side cover an error on the other; any such case is
  // NOT_DECIDED here (a side that is not a bool), so that the interpreter settles it.
  const settles = op === '||';
  return (context) => {
    const a = left(context);
    if (a === settles) return settles;
    if (a !== !settles) return NOT_DECIDED;
    const b = right(context);
    return typeof b === 'boolean' ? b : NOT_DECIDED;
  };
}

function compileUnary(node: AstNode): Closure | null {
  const operand = compileNode(node.args);
  if (!operand) return null;
  if (node.op === '!_') return (context) => { const value = operand(context); return typeof value === 'boolean' ? !value : NOT_DECIDED; };
  // The interpreter negates an int without an overflow check; so does this.
  return (context) => { const value = operand(context); return typeof value === 'bigint' ? -value : typeof value === 'number' ? -value : NOT_DECIDED; };
}

function compileBinary(node: AstNode): Closure | null {
  const [leftNode, rightNode] = node.args as [unknown, unknown];
  const left = compileNode(leftNode);
  const right = compileNode(rightNode);
  if (!left || !right) return null;
  const op = node.op;
  if (op === '&&' || op === '||') return compileLogical(op, left, right);
  if (op === '==' || op === '!=') return compileEquality(op, left, right);
  if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%') return (context) => arithmetic(op, left(context), right(context));
  return compileOrdering(op, left, right);
}

function compileNode(node: unknown): Closure | null {
  if (!isNode(node)) return null;
  switch (node.op) {
    case 'value': return compileValue(node.args);
    case 'id': return compileVariable(node.args);
    case '.':
    case '[]': return compileAccess(node);
    case 'in': return compileIn(node);
    case 'rcall': return compileMethod(node);
    case '!_':
    case '-_': return compileUnary(node);
    case '?:': {
      const [conditionNode, whenTrueNode, whenFalseNode] = node.args as [unknown, unknown, unknown];
      const condition = compileNode(conditionNode);
      const whenTrue = compileNode(whenTrueNode);
      const whenFalse = compileNode(whenFalseNode);
      if (!condition || !whenTrue || !whenFalse) return null;
      return (context) => { const value = condition(context); return value === true ? whenTrue(context) : value === false ? whenFalse(context) : NOT_DECIDED; };
    }
    case '&&': case '||': case '==': case '!=': case '<': case '<=': case '>': case '>=': case '+': case '-': case '*': case '/': case '%':
      return compileBinary(node);
    default:
      return null;
  }
}

/**
 * The program of a checked expression: its compiled closure with the interpreter behind it, or the
 * interpreter alone when a node of the expression is not compiled. The closure's answer is taken when
 * it has one; otherwise the interpreter evaluates the same context.
 */
export function compileProgram(ast: unknown, interpreter: CompiledProgram): CompiledProgram {
  const closure = compileNode(ast);
  if (!closure) return interpreter;
  return (context) => {
    // Anything but a plain object is the interpreter's to judge (it refuses some and reads Maps).
    if (!plainObject(context)) return interpreter(context);
    const value = closure(context);
    return value === NOT_DECIDED ? interpreter(context) : value;
  };
}

/** Whether every node of the expression is compiled; for tests and diagnostics. */
export function isCompiled(ast: unknown): boolean {
  return compileNode(ast) !== null;
}
