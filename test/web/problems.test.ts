/**
 * What the console says about a refused request (web/src/lib/problems.ts): a message from its own
 * catalogues for the problem's code, in the reader's language, never the server's English detail
 * on a Chinese page; a field error after the field's name as the form labels it; a generic message
 * with the code for a code without a message. And every code the console's pages can meet has a
 * message, in both languages.
 */
import { describe, expect, it } from 'vitest';
import { CASES_ERROR_STATUS } from '../../src/modules/cases/index.ts';
import { LIST_IMPORT_LINE_CODES, LISTS_ERROR_STATUS } from '../../src/modules/lists/index.ts';
import { PAYMENT_ERRORS } from '../../src/modules/payments/index.ts';
import { RISK_ERROR_STATUS } from '../../src/modules/risk/index.ts';
import { compileExpression, EXPECTED_KINDS, RULES_ERROR_STATUS, SYNTAX_REASONS } from '../../src/modules/rules/index.ts';
import { SCF_ERROR_STATUS } from '../../src/modules/scf/index.ts';
import { MALFORMED_LINE_CODES, SCREENING_ERROR_STATUS } from '../../src/modules/screening/index.ts';
import { enUS, type MessageKey } from '../../web/src/i18n/en-US.ts';
import { enUSProblems } from '../../web/src/i18n/en-US.problems.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';
import { zhCNProblems } from '../../web/src/i18n/zh-CN.problems.ts';
import { fieldErrorText, fileLineTexts, lineTexts, problemText, syntaxText } from '../../web/src/lib/problems.ts';

type Locale = 'en-US' | 'zh-CN';
interface Problem {
  readonly status: number; readonly code?: string; readonly detail?: string; readonly invalid_lines?: number;
  readonly errors?: readonly { readonly pointer: string; readonly code: string; readonly detail: string; readonly line?: number; readonly field?: string }[];
}

const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { 'en-US': enUS, 'zh-CN': zhCN };
/** The console's `t` (app/i18n.tsx): the message of a key with its `{names}` filled in. */
const translate = (locale: Locale) => (key: MessageKey, values: Readonly<Record<string, string | number>> = {}) =>
  CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
/** A refused request as the console's api/client.ts throws it (an ApiError: an Error with the status and the problem). */
const refused = (problem: Problem) => Object.assign(new Error(problem.detail ?? ''), { status: problem.status, problem });
const say = (locale: Locale, problem: Problem, labels?: Readonly<Record<string, string>>) => problemText(translate(locale), locale, refused(problem), labels);

/** Payment codes no page of the console can meet: ISO 20022 files, webhooks, statements and the participant directory have no console pages. */
const PAYMENT_CODES_OUTSIDE_CONSOLE = new Set([
  'xml_malformed', 'xml_entity_forbidden', 'xml_too_large', 'xml_unsupported_message', 'duplicate_message_id', 'possible_duplicate_conflict',
  'webhook_not_found', 'webhook_url_not_allowed', 'webhook_host_not_resolved', 'too_many_webhooks', 'webhook_secrets_unavailable', 'statement_too_large', 'statement_date_invalid',
  'party_not_a_payment_institution', 'participant_exists_with_different_fields', 'participant_not_found', 'account_exists_with_different_fields', 'identifier_already_used', 'message_not_found',
]);
/** Risk codes of requests the console does not send: its settings, and alerts raised by other systems. */
const RISK_CODES_OUTSIDE_CONSOLE = new Set(['invalid_settings', 'invalid_alert']);

const ACCESS_CODES = ['validation_failed', 'unauthenticated', 'forbidden', 'rate_limited', 'account_not_found', 'payment_not_found', 'voucher_not_found', 'piece_not_found', 'case_not_found', 'hold_not_found', 'ruleset_not_found', 'entry_not_found'];
/**
 * Codes a voucher's proof can meet when the stored journal holds what this server cannot prove from,
 * and the journal page's list of checkpoints when their signatures cannot be checked now.
 */
const JOURNAL_CODES = ['journal_algorithm_unknown', 'journal_checkpoint_unverifiable', 'checkpoint_verification_unavailable'];

/** What the console says of line 2 of a refused file, for a code. */
const lineTextOf = (locale: Locale, code: string) =>
  fileLineTexts(translate(locale), locale, refused({ status: 422, code: 'import_invalid', errors: [{ pointer: '/csv', code, detail: `line 2: ${code}`, line: 2 }] })).join();

describe('console problem messages', () => {
  it('has a Chinese message for every problem message in English', () => {
    const missing = Object.keys(enUSProblems).filter((key) => !(zhCNProblems as Readonly<Record<string, string>>)[key]?.trim());
    expect(missing).toEqual([]);
  });

  it('has a message for every code the console\'s pages and actions can meet', () => {
    const codes = [
      ...ACCESS_CODES,
      ...JOURNAL_CODES,
      ...Object.keys(PAYMENT_ERRORS).filter((code) => !PAYMENT_CODES_OUTSIDE_CONSOLE.has(code)),
      ...Object.keys(SCF_ERROR_STATUS),
      ...Object.keys(RISK_ERROR_STATUS).filter((code) => !RISK_CODES_OUTSIDE_CONSOLE.has(code)),
      ...Object.keys(RULES_ERROR_STATUS),
      ...Object.keys(LISTS_ERROR_STATUS),
      ...Object.keys(SCREENING_ERROR_STATUS),
      ...Object.keys(CASES_ERROR_STATUS).filter((code) => !RISK_CODES_OUTSIDE_CONSOLE.has(code)),
    ];
    expect(codes.filter((code) => !Object.hasOwn(enUSProblems, `problem.code.${code}`))).toEqual([]);
  });

  it('says a refusal in the reader\'s language, not the server\'s English detail', () => {
    const refusal: Problem = { status: 422, code: 'insufficient_funds', detail: 'refused: insufficient funds', errors: [{ pointer: '/acting_party_id', code: 'insufficient_funds', detail: 'insufficient funds' }] };
    expect(say('zh-CN', refusal)).toBe('余额不足。');
    expect(say('en-US', refusal)).toBe('Insufficient funds.');
    // As the server answers it: with the header named, under a code of its own.
    const revoked: Problem = { status: 401, code: 'unauthenticated', detail: 'the API key is not valid or was revoked', errors: [{ pointer: '/headers/authorization', code: 'invalid', detail: 'is not a valid API key' }] };
    expect(say('zh-CN', revoked)).toBe('您的密钥不被接受，请重新登录。');
    expect(say('zh-CN', { status: 422, code: 'risk_declined', detail: 'risk control declined the payment' })).toBe('风控拒绝了此笔支付。');
  });

  it('names the field of a field error as the form labels it, with the limit the server gave', () => {
    const tooLong: Problem = { status: 400, code: 'validation_failed', detail: '/value must NOT have more than 128 characters', errors: [{ pointer: '/value', code: 'invalid_maxLength', detail: 'must NOT have more than 128 characters' }] };
    expect(say('zh-CN', tooLong, { '/value': '值' })).toBe('值：最多 128 个字符');
    expect(say('en-US', tooLong, { '/value': 'Value' })).toBe('Value: at most 128 characters');
    // A field the form does not label is named by its pointer.
    expect(say('zh-CN', { ...tooLong, errors: [{ pointer: '/reason', code: 'invalid_required', detail: 'is required' }] })).toBe('/reason：必填');
    // A refusal of the rule that names a labelled field says which.
    expect(say('zh-CN', { status: 409, code: 'entry_exists', detail: 'already listed', errors: [{ pointer: '/value', code: 'entry_exists', detail: 'already listed' }] }, { '/value': '值' })).toBe('值：该值已在名单中。');
  });

  it('says a field error under its field in the reader\'s language', () => {
    expect(fieldErrorText(translate('zh-CN'), 'zh-CN', { pointer: '/value', code: 'invalid_maxLength', detail: 'must NOT have more than 128 characters' })).toBe('最多 128 个字符');
    expect(fieldErrorText(translate('zh-CN'), 'zh-CN', { pointer: '/value', code: 'invalid_country', detail: 'not a country code' })).toBe('不是 ISO 3166-1 二字母国家代码。');
    expect(fieldErrorText(translate('zh-CN'), 'zh-CN', { pointer: '/value', code: 'brand_new_code', detail: 'an English sentence' })).toBe('服务器拒绝了请求（brand_new_code）。');
  });

  it('names the faulty lines of a refused CSV import by number, column and reason, then how many more', () => {
    const row = (line: number, field: string | undefined, code: string) => ({ pointer: '/csv', code, detail: `line ${line}, ${field}: an English sentence`, line, ...(field ? { field } : {}) });
    const refusal: Problem = {
      status: 422, code: 'import_invalid', detail: '5 line(s) of the CSV are not valid entries; nothing was imported', invalid_lines: 105,
      errors: [row(3, 'value', 'invalid_ip_range'), row(7, 'expires_at', 'invalid_instant'), row(9, undefined, 'import_invalid'), row(12, 'kind', 'unknown_kind')],
    };
    const columns = { 'zh-CN': { value: '值', expires_at: '到期时间' }, 'en-US': { value: 'Value', expires_at: 'Expires' } } as const;
    const lines = (locale: Locale, problem: Problem) => fileLineTexts(translate(locale), locale, refused(problem), columns[locale]);
    expect(lines('zh-CN', refusal)).toEqual(['第 3 行：值：不是 IP 地址或 CIDR 网段。', '第 7 行：到期时间：时间不是有效的时刻。', '第 9 行：不是格式正确的 CSV 行（请检查字段数、引号和表头）', '另有 102 行']);
    expect(lines('en-US', refusal)).toEqual(['line 3: Value: Not an IP address or CIDR range.', 'line 7: Expires: The time is not a valid instant.', 'line 9: not a well-formed CSV line (check its fields, its quotes and the header)', 'and 102 more']);
    // Without a count from the server, the lines listed are all there are; a column the page does not label goes by its name.
    expect(lines('zh-CN', { ...refusal, invalid_lines: undefined, errors: refusal.errors?.slice(2) })).toEqual(['第 9 行：不是格式正确的 CSV 行（请检查字段数、引号和表头）', '第 12 行：kind：条目类型不存在。']);
    // A refusal that names no line (a file too large as a whole, any other request) has no lines to add.
    expect(lines('zh-CN', { status: 413, code: 'import_too_large', errors: [{ pointer: '/csv', code: 'import_too_large', detail: 'too large' }] })).toEqual([]);
    expect(lines('zh-CN', { status: 422, code: 'insufficient_funds' })).toEqual([]);
  });

  it('has a message in both languages for every reason an imported line can be refused or skipped for', () => {
    const reasons = [...Object.keys(LISTS_ERROR_STATUS), ...LIST_IMPORT_LINE_CODES, ...Object.keys(SCREENING_ERROR_STATUS), ...MALFORMED_LINE_CODES];
    for (const locale of ['en-US', 'zh-CN'] as const) {
      const unsaid = reasons.filter((code) => lineTextOf(locale, code).includes(code));
      expect(unsaid, locale).toEqual([]);
    }
  });

  it('names the lines a watch-list import skipped by number and reason, then how many more', () => {
    const skipped = [{ line: 2, code: 'not_json' }, { line: 5, code: 'cell_count_mismatch' }, { line: 9, code: 'unclosed_quote' }, { line: 11, code: 'name_missing' }];
    expect(lineTexts(translate('zh-CN'), 'zh-CN', skipped, 4)).toEqual(['第 2 行：不是 JSON', '第 5 行：单元格数与表头不符', '第 9 行：引号内的单元格未闭合', '另有 1 行']);
    expect(lineTexts(translate('en-US'), 'en-US', skipped.slice(0, 2), 2)).toEqual(['line 2: not JSON', 'line 5: not as many cells as the header names']);
    expect(lineTexts(translate('en-US'), 'en-US', [], 0)).toEqual([]);
  });

  it('says where and why an expression does not parse in the reader\'s language, from the server\'s syntax member', () => {
    /** The refusal the server gives for an expression (rules.cel.ts), as the validate route answers it. */
    const refusalOf = (expression: string): Problem & { syntax?: unknown } => {
      const compiled = compileExpression(expression);
      if (compiled.ok) throw new Error(`${expression} was accepted`);
      return { status: 422, code: compiled.error, detail: compiled.detail, errors: [{ pointer: '/expression', code: compiled.error, detail: compiled.detail }], syntax: compiled.syntax };
    };
    expect(say('zh-CN', refusalOf('(event.amount > 5'))).toBe('语法错误（第 1 行第 18 列）：此处应为“)”，实际为表达式结尾。');
    expect(say('en-US', refusalOf('(event.amount > 5'))).toBe('Syntax error at line 1, column 18: expected “)”, found the end of the expression.');
    expect(say('zh-CN', refusalOf('event.amount > 5 &&\n  event.currency == @'))).toBe('语法错误（第 2 行第 21 列）：不应出现的“@”。');
    expect(say('zh-CN', refusalOf('event. > 5'))).toBe('语法错误（第 1 行第 8 列）：此处应为名称，实际为“>”。');
    expect(say('en-US', refusalOf('event.amount >'))).toBe('Syntax error at line 1, column 15: the expression ends where more is needed.');
    expect(say('zh-CN', refusalOf("event.device == 'dev-1"))).toBe('语法错误（第 1 行第 17 列）：字符串“\'dev-1”缺少结束引号。');
    // Without a syntax member (an older server), or with a reason this console does not know, the code's message.
    expect(say('zh-CN', { status: 422, code: 'expression_syntax_error', detail: 'Unexpected token: EOF (at characters 14–14)' })).toBe('表达式有语法错误。');
    expect(say('zh-CN', { status: 422, code: 'expression_syntax_error', detail: 'x', syntax: { reason: 'brand_new', line: 1, column: 1, found: null } } as Problem)).toBe('表达式有语法错误。');
  });

  it('has a message in both languages for every syntax reason and every kind of expected token the server names', () => {
    for (const reason of SYNTAX_REASONS) {
      expect(Object.hasOwn(enUSProblems, `problem.syntax.${reason}`), reason).toBe(true);
      for (const locale of ['en-US', 'zh-CN'] as const) expect(syntaxText(translate(locale), { code: 'expression_syntax_error', syntax: { reason, line: 1, column: 2, found: 'x' } }), `${locale} ${reason}`).toMatch(/2/);
    }
    for (const kind of EXPECTED_KINDS) expect(Object.hasOwn(enUSProblems, `problem.syntaxKind.${kind}`), kind).toBe(true);
  });

  it('says a code without a message with a generic message and the code, and only in English with the English detail', () => {
    const unknown: Problem = { status: 409, code: 'brand_new_code', detail: 'an English sentence' };
    expect(say('zh-CN', unknown)).toBe('服务器拒绝了请求（brand_new_code）。');
    expect(say('en-US', unknown)).toBe('The server refused the request (brand_new_code). an English sentence');
    expect(say('zh-CN', { status: 502, detail: 'Bad Gateway' })).toBe('服务器拒绝了请求（HTTP 502）。');
    expect(say('zh-CN', { status: 0, code: 'unreachable', detail: 'Failed to fetch' })).toBe('无法连接服务器。');
  });
});
