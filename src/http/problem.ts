/**
 * RFC 9457 problem details: the one error shape at the HTTP edge. `code` is the broken rule, the same
 * string the services return; `errors` names each field at fault with a JSON pointer into the request.
 */
export interface FieldError {
  /** JSON pointer into the request body, query or path, e.g. "/transfers/3/amount". */
  readonly pointer: string;
  readonly code: string;
  readonly detail: string;
  /**
   * For a fault inside a file sent in the request (a CSV in `/csv`, a watch list in `/content`): the
   * file's line, counting from 1, and the file's own name for the column at fault when there is one.
   */
  readonly line?: number;
  readonly field?: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
// Relative URI references (RFC 9457 §3.1.1): each code is explained in docs/errors.md.
const TYPE_BASE = '/problems/';

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }

  toProblem(): Problem {
    return {
      type: `${TYPE_BASE}${this.code}`,
      title: titleOf(this.code),
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

/** "exceeds_credits" → "Exceeds credits". */
const ACRONYMS: Readonly<Record<string, string>> = { json: 'JSON', url: 'URL', id: 'id', api: 'API', uuid: 'UUID' };

function titleOf(code: string): string {
  const words = code.split('_').map((word) => ACRONYMS[word] ?? word).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldProblem(status: number, code: string, pointer: string, detail: string): ProblemError {
  return new ProblemError(status, code, detail, [{ pointer, code, detail }]);
}

/**
 * One faulty line of a file sent in the request field `pointer`: `line` and `field` for programs, and
 * the same said in the detail ("line 7, value: …") for people. A fault of the whole file (line 0 or
 * none) names no line.
 */
export function fileLineError(pointer: string, fault: { readonly line?: number; readonly field?: string; readonly code: string; readonly detail: string }): FieldError {
  const line = fault.line !== undefined && fault.line >= 1 ? fault.line : undefined;
  if (line === undefined) return { pointer, code: fault.code, detail: fault.detail };
  const where = fault.field === undefined ? `line ${line}` : `line ${line}, ${fault.field}`;
  return { pointer, code: fault.code, detail: `${where}: ${fault.detail}`, line, ...(fault.field === undefined ? {} : { field: fault.field }) };
}

/**
 * The answer to a request naming an id that does not exist, or that the caller may not see: every
 * route answers both through here, so the two cannot be told apart (give the id as the client sent
 * it, whichever case it is). The pointer names the parameter that held the id (`/params/id`,
 * `/query/account_id`), so a client can tell which id of a route was unknown.
 */
export const unknownId = (code: string, pointer: string, detail: string): ProblemError => fieldProblem(404, code, pointer, detail);
