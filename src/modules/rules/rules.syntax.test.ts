/**
 * An expression that does not parse is refused as `expression_syntax_error` with where and why in
 * a fixed vocabulary (rules.syntax.ts): the reason, offset, line and column, the text found there
 * and the token the parser expected, so a client can say it in its own language.
 */
import { describe, expect, it } from 'vitest';
import { compileExpression } from './rules.cel.ts';
import { lineAndColumn, SYNTAX_FOUND_MAX_LENGTH, syntaxFault } from './rules.syntax.ts';

const syntaxOf = (expression: string) => {
  const compiled = compileExpression(expression);
  if (compiled.ok) throw new Error(`${expression} was accepted`);
  expect(compiled.error).toBe('expression_syntax_error');
  // The English sentence stays for people reading the API directly.
  expect(compiled.detail).toMatch(/\(at characters \d+–\d+\)$/);
  return compiled.syntax;
};

describe('syntax errors of rule expressions', () => {
  it('says where an expression ends too early', () => {
    expect(syntaxOf('event.amount >')).toEqual({ reason: 'unexpected_end', offset: 14, line: 1, column: 15, found: null });
  });

  it('says which closing token is missing, by its text', () => {
    expect(syntaxOf('(event.amount > 5')).toEqual({ reason: 'expected_token', offset: 17, line: 1, column: 18, found: null, expected: ')' });
    expect(syntaxOf('event.amount in [1, 2')).toMatchObject({ reason: 'expected_token', expected: ']' });
    expect(syntaxOf('event.amount > 5 ? true false')).toMatchObject({ reason: 'expected_token', expected: ':', found: 'false', column: 25 });
  });

  it('says a name was expected where it has no fixed text', () => {
    expect(syntaxOf('event. > 5')).toEqual({ reason: 'expected_token', offset: 7, line: 1, column: 8, found: '>', expected_kind: 'identifier' });
  });

  it('names a token that cannot stand where it stands, and a character that is no part of CEL', () => {
    expect(syntaxOf('event.amount > > 3')).toEqual({ reason: 'unexpected_token', offset: 15, line: 1, column: 16, found: '>' });
    expect(syntaxOf('event.amount @ 5')).toEqual({ reason: 'unexpected_character', offset: 13, line: 1, column: 14, found: '@' });
    expect(syntaxOf('event.amount > 5 )')).toMatchObject({ reason: 'unexpected_character', found: ')', column: 18 });
  });

  it('counts lines and columns from 1 in an expression written over several lines', () => {
    expect(syntaxOf('event.amount > 5 &&\n  event.currency ==\n')).toEqual({ reason: 'unexpected_end', offset: 40, line: 3, column: 1, found: null });
    expect(syntaxOf('event.amount > 5 &&\n  event.currency == @')).toMatchObject({ reason: 'unexpected_character', line: 2, column: 21, found: '@' });
  });

  it('groups the faults of literals: strings, numbers and escapes', () => {
    expect(syntaxOf("event.device == 'dev-1")).toEqual({ reason: 'unterminated_string', offset: 16, line: 1, column: 17, found: "'dev-1" });
    expect(syntaxOf('event.device == """dev')).toMatchObject({ reason: 'unterminated_string' });
    expect(syntaxOf("event.device == 'a\nb'")).toMatchObject({ reason: 'newline_in_string' });
    expect(syntaxOf('event.amount > 0x')).toMatchObject({ reason: 'invalid_number', found: '0x' });
    expect(syntaxOf('event.amount > 1.5e')).toMatchObject({ reason: 'invalid_number' });
    expect(syntaxOf('event.device == "\\q"')).toMatchObject({ reason: 'invalid_escape', found: '\\q', column: 18 });
  });

  it('names reserved words and macro arguments that are not variable names', () => {
    expect(syntaxOf('event.amount > 5 && package')).toMatchObject({ reason: 'reserved_identifier', found: 'package' });
    expect(syntaxOf('lists.hits.exists(1, true)')).toMatchObject({ reason: 'invalid_macro_argument', found: '1' });
  });

  it('cuts a long text found at fault, and tells any other parse error as other', () => {
    const long = `'${'x'.repeat(100)}`;
    expect(syntaxOf(`event.device == ${long}`)?.found).toBe(long.slice(0, SYNTAX_FOUND_MAX_LENGTH));
    expect(syntaxFault('abc', { code: 'something_new', summary: 'Something new', range: { start: 1, end: 2 } })).toEqual({ reason: 'other', offset: 1, line: 1, column: 2, found: 'b' });
    expect(syntaxFault('abc', { code: 'unexpected_token', summary: 'no place' })).toBeNull();
  });

  it('counts columns in UTF-16 code units from the line start', () => {
    expect(lineAndColumn('a\n中文x', 4)).toEqual({ line: 2, column: 3 });
    expect(lineAndColumn('ab', 0)).toEqual({ line: 1, column: 1 });
  });
});
