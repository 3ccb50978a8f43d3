/**
 * Where and why an expression does not parse, in terms a client can act on and translate: a reason
 * from a fixed vocabulary (not the parser's own codes, which may change with the library), the
 * place (offset, line and column), what was found there and, when the parser says so, what it
 * expected. It travels in the `syntax` member of an `expression_syntax_error` problem beside the
 * English `detail`, so that the console can say the same thing in the reader's language.
 */
export const SYNTAX_REASONS = [
  /** A token that cannot stand there (`event.amount > > 3`). */
  'unexpected_token',
  /** The expression stops where more was needed (`event.amount >`). */
  'unexpected_end',
  /** A particular token was needed, such as a closing `)` (`(event.amount > 5`); see `expected`. */
  'expected_token',
  /** A character that is no part of CEL (`@`), or something left after a complete expression. */
  'unexpected_character',
  /** A string literal without its closing quote. */
  'unterminated_string',
  /** A line break inside a single-quoted string literal. */
  'newline_in_string',
  /** A number literal that is not one (`0x`, `1.5e`). */
  'invalid_number',
  /** A backslash escape a string or bytes literal may not hold (`"\q"`). */
  'invalid_escape',
  /** A word CEL reserves, used as a name. */
  'reserved_identifier',
  /** A macro given something other than a variable name where it binds one (`list.map(1, x)`). */
  'invalid_macro_argument',
  /** Any other parse error; `detail` says which. */
  'other',
] as const;
export type SyntaxReason = (typeof SYNTAX_REASONS)[number];

/** Kinds of token the parser may ask for that have no fixed text. */
export const EXPECTED_KINDS = ['identifier', 'number', 'string', 'end'] as const;
export type ExpectedKind = (typeof EXPECTED_KINDS)[number];

export interface SyntaxFault {
  readonly reason: SyntaxReason;
  /** Where the fault starts, counted in UTF-16 code units from 0. */
  readonly offset: number;
  /** The line and column of `offset`, both counted from 1 (columns in UTF-16 code units). */
  readonly line: number;
  readonly column: number;
  /** The text at fault, cut to `SYNTAX_FOUND_MAX_LENGTH` characters; null at the end of the expression. */
  readonly found: string | null;
  /** The token the parser needed there, by its text (`")"`), for `expected_token`. */
  readonly expected?: string;
  /** Or the kind of token it needed, when that has no fixed text (`identifier`). */
  readonly expected_kind?: ExpectedKind;
}

/** The found text a fault carries at most: enough to recognise, never the whole of a long literal. */
export const SYNTAX_FOUND_MAX_LENGTH = 32;

/** The parser's error codes, grouped into the reasons a client is told. */
const REASON_OF_CODE: Readonly<Record<string, SyntaxReason>> = {
  unexpected_token: 'unexpected_token',
  expected_token: 'expected_token',
  unexpected_character: 'unexpected_character',
  unterminated_string: 'unterminated_string',
  unterminated_triple_quoted_string: 'unterminated_string',
  newline_in_string: 'newline_in_string',
  invalid_number: 'invalid_number',
  invalid_integer: 'invalid_number',
  invalid_hex_integer: 'invalid_number',
  invalid_exponent: 'invalid_number',
  bytes_unicode_escape: 'invalid_escape',
  invalid_unicode_escape: 'invalid_escape',
  invalid_unicode_surrogate: 'invalid_escape',
  invalid_hex_escape: 'invalid_escape',
  invalid_octal_escape: 'invalid_escape',
  octal_escape_out_of_range: 'invalid_escape',
  invalid_escape_sequence: 'invalid_escape',
  reserved_identifier: 'reserved_identifier',
  invalid_macro_argument: 'invalid_macro_argument',
};

/** The parser names tokens by kind (`RPAREN`); a client is told their text, or a kind of its own. */
const TOKEN_TEXT: Readonly<Record<string, string>> = {
  PLUS: '+', MINUS: '-', MULTIPLY: '*', DIVIDE: '/', MODULO: '%', EQ: '==', NE: '!=', LT: '<', LE: '<=', GT: '>', GE: '>=',
  AND: '&&', OR: '||', NOT: '!', IN: 'in', LPAREN: '(', RPAREN: ')', LBRACKET: '[', RBRACKET: ']', LBRACE: '{', RBRACE: '}',
  DOT: '.', COMMA: ',', COLON: ':', QUESTION: '?', BOOLEAN: 'true', NULL: 'null',
};
const TOKEN_KIND: Readonly<Record<string, ExpectedKind>> = { IDENTIFIER: 'identifier', NUMBER: 'number', STRING: 'string', BYTES: 'string', EOF: 'end' };

/** The parts of the parser's error read here (ParseError of @marcbachmann/cel-js). */
export interface ParserError {
  readonly code?: string;
  readonly summary?: string;
  readonly range?: { readonly start: number; readonly end: number };
}

/** Line and column (both from 1) of a UTF-16 offset into `text`. */
export function lineAndColumn(text: string, offset: number): { readonly line: number; readonly column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let index = 0; index < end; index += 1) {
    if (text.charCodeAt(index) === 10) {
      line += 1;
      lineStart = index + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function expectation(summary: string): Pick<SyntaxFault, 'expected' | 'expected_kind'> {
  const token = /^Expected (\w+),/.exec(summary)?.[1];
  if (token === undefined) return {};
  const kind = TOKEN_KIND[token];
  if (kind) return { expected_kind: kind };
  const text = TOKEN_TEXT[token];
  return text === undefined ? {} : { expected: text };
}

/** The fault a parse error describes in `expression`; null when the error gives no place. */
export function syntaxFault(expression: string, error: ParserError): SyntaxFault | null {
  const range = error.range;
  if (!range || !Number.isInteger(range.start) || range.start < 0 || range.start > expression.length) return null;
  const start = range.start;
  const end = Math.min(Math.max(range.end, start), expression.length);
  const text = expression.slice(start, end);
  const found = text.length === 0 ? null : text.slice(0, SYNTAX_FOUND_MAX_LENGTH);
  let reason = REASON_OF_CODE[error.code ?? ''] ?? 'other';
  if (reason === 'unexpected_token' && found === null) reason = 'unexpected_end';
  return {
    reason,
    offset: start,
    ...lineAndColumn(expression, start),
    found,
    ...(reason === 'expected_token' ? expectation(error.summary ?? '') : {}),
  };
}
