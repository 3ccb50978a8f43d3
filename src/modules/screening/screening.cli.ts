import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { apiTarget, callApi, printAnswer } from '../../http/api-client.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';
import { LIST_FORMATS, type ListFormat } from './screening.ts';

/**
 * `sluice screening …`: watch lists and name screening through a running server's HTTP API, so that
 * an import is authorised and replaces the list for every process at once.
 */
export const SCREENING_HELP = `Usage: sluice screening <action> [options]   (server at SLUICE_URL, key in SLUICE_API_KEY)

  import FILE --list NAME [--format csv|ftm-jsonl]
                          import a watch list (replaces a list of the same name); the format is
                          taken from the extension (.csv, .jsonl, .ndjson, .json) unless given
  lists                   the lists loaded
  remove NAME             remove a list
  screen "NAME" [--country CC] [--birth-year YYYY] [--threshold 0.86]
                          screen one name, with the explanation of each match

  --url URL    server address (SLUICE_URL, default http://127.0.0.1:8080)
  --key KEY    API key (SLUICE_API_KEY)`;

const OPTIONS = ['url', 'key', 'list', 'format', 'country', 'birth-year', 'threshold'] as const;
type Values = Partial<Record<(typeof OPTIONS)[number], string>>;

export interface ScreeningRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string;
}

const EXTENSION_FORMATS: Readonly<Record<string, ListFormat>> = { '.csv': 'csv', '.jsonl': 'ftm-jsonl', '.ndjson': 'ftm-jsonl', '.json': 'ftm-jsonl' };
const isFormat = (text: string): text is ListFormat => (LIST_FORMATS as readonly string[]).includes(text);

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function importRequest(file: string, values: Values): Promise<ScreeningRequest> {
  if (!file || !values.list) throw new UsageError('import needs a FILE and --list NAME');
  const format = values.format ?? EXTENSION_FORMATS[extname(file).toLowerCase()];
  if (!format || !isFormat(format)) throw new UsageError(`say --format ${LIST_FORMATS.join(' or ')}`);
  const size = (await stat(file)).size;
  // The server would refuse it too; checking here saves sending it.
  if (size > SCREENING_LIMITS.importMaxBytes) throw new UsageError(`${file} has ${size} bytes; a list file has at most ${SCREENING_LIMITS.importMaxBytes}`);
  const query = new URLSearchParams({ name: values.list, format });
  return { method: 'POST', path: `/v1/risk/screening/lists?${query}`, contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson', body: await readFile(file, 'utf8') };
}

/** Maps a command line to one API request; throws a usage error for a command it does not know. */
export async function screeningRequest(action: string, target: string, values: Values): Promise<ScreeningRequest> {
  switch (action) {
    case 'import':
      return importRequest(target, values);
    case 'lists':
      return { method: 'GET', path: `/v1/risk/screening/lists?limit=100` };
    case 'remove':
      if (!target) throw new UsageError('remove needs the list NAME');
      return { method: 'DELETE', path: `/v1/risk/screening/lists/${encodeURIComponent(target)}` };
    case 'screen': {
      if (!target) throw new UsageError('screen needs a "NAME"');
      const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
      const body = { name: target, country: values.country, birth_year: number(values['birth-year']), threshold: number(values.threshold) };
      return { method: 'POST', path: '/v1/risk/screening/screen', contentType: 'application/json', body: JSON.stringify(body) };
    }
  }
  throw new UsageError(`unknown screening action "${action}"`);
}

/** Runs `sluice screening …`; prints the answer (problems on stderr) and returns the exit code. */
export async function screeningCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: Object.fromEntries(OPTIONS.map((name) => [name, { type: 'string' as const }])) });
  const [action = '', target = ''] = positionals;
  let request: ScreeningRequest;
  try {
    request = await screeningRequest(action, target, values as Values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`sluice: ${error.message}\n\n${SCREENING_HELP}\n`);
    return 2;
  }
  const server = apiTarget(values as { url?: string; key?: string });
  if (!server) return 2;
  const body = request.body === undefined ? undefined : { text: request.body, type: request.contentType ?? 'application/json' };
  return printAnswer(await callApi(server, request.method, request.path, body));
}
