import { enUS, type MessageKey } from '../i18n/en-US.ts';

/**
 * What the console says about a refused request, in the reader's language. The server's `detail`
 * is an English sentence whose wording may change (docs/errors.md); its `code` is stable, and each
 * code the console can meet has a message in both catalogues (`problem.code.<code>`,
 * web/src/i18n/*.problems.ts). A field error of a `validation_failed` answer is said after the
 * field's name, as the form labels it. A code without a message is said with a generic message
 * and the code: in English with the server's detail, which is English too, in Chinese without it.
 */

/** A form's field labels (in the reader's language), by the JSON pointer of the field's value in the request. */
export type FieldLabels = Readonly<Record<string, string>>;

/** The parts of the console's `ApiError` (api/client.ts) read here; this file stays free of the browser's APIs so that tests can run it. */
interface FieldError { readonly pointer: string; readonly code: string; readonly detail?: string; readonly line?: number; readonly field?: string }
/** What a field error's message is made from: its code, and its detail for a limit (`pointer` is read elsewhere). */
type FieldFault = { readonly pointer?: string; readonly code: string; readonly detail?: string };
interface RefusedRequest extends Error {
  readonly status: number;
  /** The labels of the fields of the action that sent the request, as message keys (api/actions.ts). */
  readonly fieldLabels?: Readonly<Record<string, string>>;
  readonly problem: { readonly code?: string; readonly detail?: string; readonly errors?: readonly FieldError[]; readonly invalid_lines?: unknown; readonly syntax?: unknown };
}
type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;
type Locale = 'en-US' | 'zh-CN';

const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(enUS, key);
const isRefusedRequest = (error: unknown): error is RefusedRequest =>
  error instanceof Error && typeof (error as Partial<RefusedRequest>).status === 'number' && typeof (error as Partial<RefusedRequest>).problem === 'object';

/** Field codes whose message names a limit (`{limit}`), which only the server's detail carries. */
const LIMITED = new Set(['invalid_minLength', 'invalid_maxLength', 'invalid_minimum', 'invalid_maximum', 'invalid_exclusiveMinimum', 'invalid_exclusiveMaximum', 'invalid_minItems', 'invalid_maxItems']);

function codeMessage(t: Translate, code: string | undefined): string | null {
  const key = `problem.code.${code}`;
  return code !== undefined && isMessageKey(key) ? t(key) : null;
}

/** A schema error of one field, as a phrase said after the field's name ("at most 128 characters"); null for another code. */
function schemaPhrase(t: Translate, entry: FieldFault): string | null {
  const key = `problem.field.${entry.code}`;
  if (!isMessageKey(key)) return null;
  if (!LIMITED.has(entry.code)) return t(key);
  const limit = /(-?\d+(?:\.\d+)?)\D*$/.exec(entry.detail ?? '')?.[1];
  return limit === undefined ? t('problem.fieldInvalid') : t(key, { limit });
}

/** The `syntax` member of an `expression_syntax_error` problem (src/modules/rules/rules.syntax.ts). */
interface SyntaxFault { readonly reason: string; readonly line: number; readonly column: number; readonly found: string | null; readonly expected?: string; readonly expected_kind?: string }

const isSyntaxFault = (value: unknown): value is SyntaxFault => {
  const fault = value as Partial<SyntaxFault> | null;
  return typeof fault === 'object' && fault !== null && typeof fault.reason === 'string' && Number.isSafeInteger(fault.line) && Number.isSafeInteger(fault.column)
    && (fault.found === null || typeof fault.found === 'string');
};

/**
 * Where and why an expression does not parse, in the reader's language ("Syntax error at line 1,
 * column 18: expected “)”, found the end of the expression."), from the problem's `syntax` member
 * rather than the parser's English. Null when the problem has none or names a reason this console
 * does not know, so the code's own message is said instead.
 */
export function syntaxText(t: Translate, problem: { readonly code?: string; readonly syntax?: unknown }): string | null {
  const fault = problem.syntax;
  if (problem.code !== 'expression_syntax_error' || !isSyntaxFault(fault)) return null;
  const reasonKey = `problem.syntax.${fault.reason}`;
  if (!isMessageKey(reasonKey)) return null;
  const quoted = (text: string) => t('problem.syntaxQuoted', { text });
  const kindKey = `problem.syntaxKind.${fault.expected_kind}`;
  const expected = typeof fault.expected === 'string' ? quoted(fault.expected) : isMessageKey(kindKey) ? t(kindKey) : t('problem.syntaxEnd');
  const found = fault.found === null ? t('problem.syntaxEnd') : quoted(fault.found);
  return t('problem.syntaxAt', { line: fault.line, column: fault.column, message: t(reasonKey, { found, expected }) });
}

function fallback(t: Translate, locale: Locale, code: string, detail: string | undefined): string {
  const generic = t('problem.unknown', { code });
  return locale === 'en-US' && detail ? `${generic} ${detail}` : generic;
}

/** The message for one field's error, shown under that field of the form. */
export function fieldErrorText(t: Translate, locale: Locale, entry: FieldFault): string {
  return schemaPhrase(t, entry) ?? codeMessage(t, entry.code) ?? fallback(t, locale, entry.code, entry.detail);
}

/** An array index in a pointer (`/rules/3/expression`), which a label's pointer writes as `*`. */
const INDEX_SEGMENT = /\/(\d+)(?=\/|$)/g;

/**
 * The label of the field at `pointer`: from the page's `labels`, else from the labels of the action
 * that sent the request (message keys). A label found through `*` for an array index says which item
 * ("CEL expression (item 4)"). Undefined for a field neither labels.
 */
export function fieldLabel(t: Translate, pointer: string, labels: FieldLabels = {}, keys: Readonly<Record<string, string>> = {}): string | undefined {
  const exact = labels[pointer] ?? (isMessageKey(keys[pointer] ?? '') ? t(keys[pointer] as MessageKey) : undefined);
  if (exact !== undefined) return exact;
  const pattern = pointer.replace(INDEX_SEGMENT, '/*');
  if (pattern === pointer) return undefined;
  const key = keys[pattern];
  const label = labels[pattern] ?? (key !== undefined && isMessageKey(key) ? t(key) : undefined);
  const index = Number(/\/(\d+)(?=\/|$)/.exec(pointer)?.[1] ?? Number.NaN);
  if (label === undefined) return undefined;
  return Number.isSafeInteger(index) ? t('problem.fieldOfItem', { field: label, index: index + 1 }) : label;
}

/** The message for a failed request; `labels` names the fields of the form that sent it, over those of the action that sent it. */
export function problemText(t: Translate, locale: Locale, error: unknown, labels: FieldLabels = {}): string {
  return refusalText(t, locale, error, labels, true);
}

/** The message for a failed request shown under the one field it was about, which needs no naming. */
export function problemTextUnderField(t: Translate, locale: Locale, error: unknown): string {
  return refusalText(t, locale, error, {}, false);
}

function refusalText(t: Translate, locale: Locale, error: unknown, labels: FieldLabels, named: boolean): string {
  if (!isRefusedRequest(error)) return error instanceof Error ? error.message : String(error);
  if (error.status === 0) return t('problem.unreachable');
  const { problem } = error;
  const first = problem.errors?.[0];
  const phrase = first ? schemaPhrase(t, first) : null;
  // A schema error is a phrase about a field ("at most 300 characters"), said after the field's
  // label: the form's, else the one of the action that sent the request, never the raw pointer.
  if (first && phrase) return named ? t('problem.withField', { field: fieldLabel(t, first.pointer, labels, error.fieldLabels) ?? first.pointer, message: phrase }) : phrase;
  const code = problem.code ?? `HTTP ${error.status}`;
  const message = syntaxText(t, problem) ?? codeMessage(t, problem.code) ?? (first && codeMessage(t, first.code)) ?? fallback(t, locale, code, problem.detail);
  // A code's message is a sentence of its own ("The CSV file has lines that are not valid
  // entries"); the form names the field before it where that helps.
  const label = first && named ? fieldLabel(t, first.pointer, labels) : undefined;
  return label ? t('problem.withField', { field: label, message }) : message;
}

/** Faulty lines of a refused file the console names before saying how many more there are. */
export const FILE_LINES_SHOWN_MAX = 3;

/** Why one line of a file was refused: a phrase of its own when the code's message speaks of the whole file. */
function lineReason(t: Translate, locale: Locale, entry: FileLine): string {
  const key = `problem.line.${entry.code}`;
  return isMessageKey(key) ? t(key) : fieldErrorText(t, locale, entry);
}

/** One line of a file the server found fault with: a field error with a `line`, or a line a watch-list import skipped. */
export interface FileLine { readonly line: number; readonly code: string; readonly field?: string; readonly detail?: string }

/**
 * Lines of a file the server found fault with, one phrase each, "line 7: Value: …", the column named
 * as `columns` labels it (by the file's column name); at most `shownMax` of them, then "and N more"
 * out of `total` (the lines found, which may be more than the lines listed).
 */
export function lineTexts(t: Translate, locale: Locale, lines: readonly FileLine[], total: number, columns: FieldLabels = {}, shownMax = FILE_LINES_SHOWN_MAX): string[] {
  const shown = lines.slice(0, shownMax).map((entry) => {
    const reason = lineReason(t, locale, entry);
    const message = entry.field === undefined ? reason : t('problem.withField', { field: columns[entry.field] ?? entry.field, message: reason });
    return t('problem.fileLine', { line: entry.line, message });
  });
  const more = Math.max(total, lines.length) - shown.length;
  return more > 0 && shown.length > 0 ? [...shown, t('problem.moreLines', { count: more })] : shown;
}

/**
 * The faulty lines of a refused file upload (the field errors that carry a `line`, docs/errors.md),
 * said by `lineTexts`, counting the problem's `invalid_lines` when the server listed fewer lines than
 * it found. Empty when the refusal names no line.
 */
export function fileLineTexts(t: Translate, locale: Locale, error: unknown, columns: FieldLabels = {}, shownMax = FILE_LINES_SHOWN_MAX): string[] {
  if (!isRefusedRequest(error)) return [];
  const lined = (error.problem.errors ?? []).filter((entry): entry is FieldError & FileLine => typeof entry.line === 'number');
  const counted = error.problem.invalid_lines;
  return lineTexts(t, locale, lined, typeof counted === 'number' && Number.isSafeInteger(counted) ? counted : 0, columns, shownMax);
}
