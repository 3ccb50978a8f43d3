import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { ProblemError, type FieldError } from './problem.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Two validators: bodies are checked exactly as sent (no type coercion, no silently dropped fields),
 * while query strings and path parameters, which are always text, may be coerced to numbers.
 */
function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: false, coerceTypes, removeAdditional: false, useDefaults: true, strict: false });
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** RFC 6901: a property name inside a JSON pointer escapes "~" as "~0" and "/" as "~1". */
function escapePointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A field that must be one of a list of words (a union of literals: reason codes, statuses, message
 * kinds) fails every word and then the union, so Ajv reports "must be equal to constant" once per
 * word and never says which words there are. Those reports are folded into one that lists them.
 */
function foldChoices(errors: readonly ErrorObject[]): ErrorObject[] {
  const folded: ErrorObject[] = [];
  let words: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'const') {
      words.push(error);
      continue;
    }
    if (error.keyword === 'anyOf' && words.length > 0 && words.every((word) => word.instancePath === error.instancePath)) {
      const allowed = words.map((word) => (word.params as { allowedValue?: unknown }).allowedValue);
      folded.push({ ...error, keyword: 'enum', params: { allowedValues: allowed }, message: `must be one of ${allowed.map((value) => String(value)).join(', ')}` });
    } else {
      folded.push(...words, error);
    }
    words = [];
  }
  return [...folded, ...words];
}

/** Turns Ajv's report into field errors whose pointers lead to the offending value. */
export function toFieldErrors(errors: readonly ErrorObject[], part: string): FieldError[] {
  return foldChoices(errors).slice(0, 20).map((error) => {
    let pointer = error.instancePath;
    let detail = error.message ?? 'is invalid';
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'required') pointer += `/${escapePointerToken(String(params.missingProperty))}`;
    if (error.keyword === 'additionalProperties') {
      pointer += `/${escapePointerToken(String(params.additionalProperty))}`;
      detail = 'is not a known field';
    }
    if (error.keyword === 'required') detail = 'is required';
    // Fastify names the query string "querystring"; problems raised by route code say "query", and
    // a client should meet one name for one part of the request.
    const prefix = part === 'body' ? '' : `/${part === 'querystring' ? 'query' : part}`;
    return { pointer: `${prefix}${pointer}` || '/', code: `invalid_${error.keyword}`, detail };
  });
}

/**
 * The pointer to the first string or property name in a parsed JSON body that holds U+0000, if any.
 * No field of this API has a use for NUL, PostgreSQL refuses it in text columns (the insert would fail
 * deep inside a service as a 500), and XML cannot carry it; so it is turned away at the edge for every
 * route at once. The walk keeps its own stack, so a deeply nested body cannot overflow the call stack.
 */
export function pointerToNul(body: unknown): string | undefined {
  const pending: [unknown, string][] = [[body, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, pointer] = next;
    if (typeof value === 'string' && value.includes('\u0000')) return pointer || '/';
    if (value === null || typeof value !== 'object') continue;
    for (const [name, item] of Object.entries(value).reverse()) {
      const inner = `${pointer}/${escapePointerToken(name)}`;
      if (name.includes('\u0000')) return inner;
      pending.push([item, inner]);
    }
  }
  return undefined;
}

export function validationProblem(errors: readonly ErrorObject[], part: string): ProblemError {
  const fieldErrors = toFieldErrors(errors, part);
  const first = fieldErrors[0];
  const where = first ? `${first.pointer} ${first.detail}` : 'the request is invalid';
  return new ProblemError(400, 'validation_failed', where, fieldErrors);
}
