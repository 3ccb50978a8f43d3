/**
 * The one way command-line helpers talk to a running server: they go through its HTTP API, so
 * they respect its authorisation and its single writer, whatever database it runs on.
 */

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';

export interface ApiTarget {
  /** Server address without a trailing slash. */
  readonly url: string;
  readonly key: string;
}

export interface ApiAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly text: string;
}

/**
 * A request body: JSON (serialised here), or a file's content of a given content type (XML, CSV),
 * as text or as the file's bytes when the server must judge the encoding itself.
 */
export type ApiBody = { readonly json: unknown } | { readonly text: string | Uint8Array; readonly type: string };

/**
 * The server and key from `--url` / `--key` or SLUICE_URL / SLUICE_API_KEY. Without a key, or with
 * an address that is not an http(s) URL, it says so on stderr and returns null: the caller exits
 * with status 2.
 */
export function apiTarget(values: { readonly url?: string | undefined; readonly key?: string | undefined }): ApiTarget | null {
  const key = values.key ?? process.env.SLUICE_API_KEY;
  if (!key) {
    process.stderr.write('sluice: set SLUICE_API_KEY or pass --key\n');
    return null;
  }
  const url = values.url ?? process.env.SLUICE_URL ?? DEFAULT_SERVER_URL;
  // A mistyped address is the operator's to fix, said before any request (exit 2), not reported
  // as a server that "cannot be reached".
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
    process.stderr.write(`sluice: SLUICE_URL (--url) must be an http:// or https:// address, not "${url}"\n`);
    return null;
  }
  return { url: url.replace(/\/$/, ''), key };
}

/**
 * The server could not be asked at all: nothing listens at the address, the name does not resolve,
 * the address is not a URL, or the connection broke. The operator fixes the address or starts the
 * server; fetch's own error says only "fetch failed", so the message names the address and the cause.
 */
export class ServerUnreachableError extends Error {
  constructor(url: string, failure: unknown) {
    const cause = failure instanceof Error && failure.cause instanceof Error ? failure.cause : failure;
    super(`cannot reach the server at ${url}: ${cause instanceof Error ? cause.message : String(cause)} (is it running? check SLUICE_URL or --url)`, { cause: failure });
    this.name = 'ServerUnreachableError';
  }
}

export async function callApi(target: ApiTarget, method: string, path: string, body?: ApiBody): Promise<ApiAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.key}` };
  let payload: string | Uint8Array | undefined;
  if (body && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body) {
    headers['content-type'] = body.type;
    payload = body.text;
  }
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (error) {
    throw new ServerUnreachableError(target.url, error);
  }
  return { ok: response.ok, status: response.status, text: await response.text() };
}

/** Prints an answer (problems on stderr) and returns the exit code: 0 when the server said yes. */
export function printAnswer(answer: ApiAnswer): number {
  process[answer.ok ? 'stdout' : 'stderr'].write(`${answer.text}\n`);
  return answer.ok ? 0 : 1;
}

/** A path with those of the query parameters that are set. */
export function withQuery(path: string, parameters: Readonly<Record<string, string | undefined>>): string {
  const search = new URLSearchParams(Object.entries(parameters).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return search.size > 0 ? `${path}?${search}` : path;
}

/**
 * Prints one page of a list as printAnswer does. Standard output stays the answer as the server gave
 * it (so that it can be piped to a JSON tool); the way to the next page, when there is one, is said
 * beside it on standard error, as the option to pass: `next page: --cursor C`.
 */
export function printPage(answer: ApiAnswer): number {
  const code = printAnswer(answer);
  const next = answer.ok ? nextCursor(answer.text) : undefined;
  if (next) process.stderr.write(`next page: --cursor ${next}\n`);
  return code;
}

/** The `next_cursor` of a page, when there is a next page. */
function nextCursor(text: string): string | undefined {
  try {
    const cursor = (JSON.parse(text) as { next_cursor?: unknown }).next_cursor;
    return typeof cursor === 'string' && cursor.length > 0 ? cursor : undefined;
  } catch {
    return undefined;
  }
}
