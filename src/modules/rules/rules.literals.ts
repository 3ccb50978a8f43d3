/**
 * Integer literals a rule may write. CEL makes an int literal outside int64 and a uint literal
 * outside uint64 a parse error, but the CEL library reads any size into a BigInt, so a rule could
 * compare against a number no event can carry, or negate its way past the int64 range. This scan
 * finds such a literal before an expression is stored.
 *
 * It reads the expression token by token exactly as the library's lexer does, so that digits inside
 * strings, bytes, raw and triple-quoted strings, comments and identifiers are never taken for a
 * number. Whatever the scan cannot read (an unterminated string, a bad exponent) it leaves to the
 * parser, which refuses it with its own message.
 */
export interface OutOfRangeLiteral {
  /** The literal as written, with its `u` suffix if it has one. */
  readonly literal: string;
  readonly start: number;
  readonly end: number;
  readonly type: 'int' | 'uint';
}

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
export const UINT64_MAX = 2n ** 64n - 1n;

/** What a token is to the minus after it: the end of an operand makes that minus a subtraction. */
type TokenKind = 'operand' | 'minus' | 'other';

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isHexDigit = (ch: string | undefined): boolean => ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
const isIdentifierChar = (ch: string | undefined): boolean => ch !== undefined && /^[A-Za-z0-9_]$/.test(ch);

function skipDigits(input: string, from: number): number {
  let at = from;
  while (isDigit(input[at])) at += 1;
  return at;
}

/** The index just past the string that opens at `start` (its quote), or -1 when it never closes. */
function skipString(input: string, start: number): number {
  const quote = input[start] as string;
  const triple = input[start + 1] === quote && input[start + 2] === quote;
  let at = start + (triple ? 3 : 1);
  while (at < input.length) {
    const ch = input[at];
    if (ch === quote && (!triple || (input[at + 1] === quote && input[at + 2] === quote))) return at + (triple ? 3 : 1);
    if (!triple && (ch === '\n' || ch === '\r')) return -1;
    // The library skips the character after a backslash in every kind of string, raw ones too.
    if (ch === '\\') at += 1;
    at += 1;
  }
  return -1;
}

interface NumberToken {
  readonly end: number;
  /** Undefined for a double, or for a literal the parser refuses on its own. */
  readonly integer?: { readonly value: bigint; readonly unsigned: boolean };
}

/** Reads the number that starts at `start`, the way the library's `readNumber` does. */
function readNumber(input: string, start: number): NumberToken | null {
  const suffixed = (end: number, text: string): NumberToken => {
    const unsigned = input[end] === 'u' || input[end] === 'U';
    return { end: unsigned ? end + 1 : end, integer: { value: BigInt(text), unsigned } };
  };
  if (input[start] === '0' && (input[start + 1] === 'x' || input[start + 1] === 'X')) {
    let end = start + 2;
    while (isHexDigit(input[end])) end += 1;
    return end === start + 2 ? null : suffixed(end, input.slice(start, end));
  }
  let end = skipDigits(input, start);
  if (end + 1 < input.length) {
    let double = false;
    if (input[end] === '.') {
      const fraction = skipDigits(input, end + 1);
      if (fraction !== end + 1) {
        double = true;
        end = fraction;
      }
    }
    if (input[end] === 'e' || input[end] === 'E') {
      let exponent = end + 1;
      if (input[exponent] === '-' || input[exponent] === '+') exponent += 1;
      const digits = skipDigits(input, exponent);
      if (digits === exponent) return null;
      double = true;
      end = digits;
    }
    if (double) return { end };
  }
  return suffixed(end, input.slice(start, end));
}

/**
 * Whether a minus run before a literal makes it negative: `-N` and `x - -N` do, `x - N` does not,
 * and neither does `--N` (whose inner `-N` would be negated past the int64 range).
 */
function negatedOnce(minusRun: number, beforeRun: TokenKind): boolean {
  const unary = beforeRun === 'operand' ? minusRun - 1 : minusRun;
  return unary === 1;
}

/** The first integer literal outside its type's range, or null when every one fits. */
export function findOutOfRangeLiteral(expression: string): OutOfRangeLiteral | null {
  const input = expression;
  let at = 0;
  let minusRun = 0;
  let beforeRun: TokenKind = 'other';
  const saw = (kind: TokenKind) => {
    if (kind === 'minus') {
      minusRun += 1;
      return;
    }
    beforeRun = kind;
    minusRun = 0;
  };
  while (at < input.length) {
    const ch = input[at] as string;
    const next = input[at + 1];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      at += 1;
    } else if (ch === '/' && next === '/') {
      while (at < input.length && input[at] !== '\n') at += 1;
    } else if (ch === '"' || ch === "'" || ('bBrR'.includes(ch) && (next === '"' || next === "'"))) {
      const end = skipString(input, ch === '"' || ch === "'" ? at : at + 1);
      if (end < 0) return null;
      at = end;
      saw('operand');
    } else if (isDigit(ch)) {
      const token = readNumber(input, at);
      if (!token) return null;
      if (token.integer) {
        const { value, unsigned } = token.integer;
        const fits = unsigned ? value <= UINT64_MAX : value <= INT64_MAX || (value === -INT64_MIN && negatedOnce(minusRun, beforeRun));
        if (!fits) return { literal: input.slice(at, token.end), start: at, end: token.end, type: unsigned ? 'uint' : 'int' };
      }
      at = token.end;
      saw('operand');
    } else if (isIdentifierChar(ch)) {
      const start = at;
      while (isIdentifierChar(input[at])) at += 1;
      saw(input.slice(start, at) === 'in' ? 'other' : 'operand');
    } else {
      at += 1;
      saw(ch === '-' ? 'minus' : ch === ')' || ch === ']' || ch === '}' ? 'operand' : 'other');
    }
  }
  return null;
}

/** A sentence naming the literal, where it is, and the range its type allows. */
export function describeOutOfRangeLiteral(found: OutOfRangeLiteral): string {
  const range = found.type === 'uint' ? `a uint literal is 0u to ${UINT64_MAX}u` : `an int literal is ${INT64_MIN} to ${INT64_MAX}`;
  return `the integer literal ${found.literal} (at characters ${found.start}–${found.end}) is out of range: ${range}`;
}
