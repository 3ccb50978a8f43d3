import { parseArgs } from 'node:util';
import { apiTarget, callApi, withQuery, type ApiAnswer } from './http/api-client.ts';
import { isoToNs } from './kernel/index.ts';
import { AUDIT_LIMITS } from './modules/audit/index.ts';

/**
 * The most events `--all` gathers before it stops and names the cursor to go on from: a trail of
 * years would otherwise be held in memory and printed at once. A hundred full pages; narrow the
 * listing with --since, --key-id or --route, or go on with --cursor, for more.
 */
export const AUDIT_ALL_MAX_EVENTS = 10_000;

/**
 * `sluice audit list`: the audit trail (`GET /v1/audit-events`) of a running server, as a table an
 * auditor reads on a terminal, or as the server's JSON.
 */
export const AUDIT_HELP = `Usage: sluice audit list [options]   (server at SLUICE_URL, key in SLUICE_API_KEY)

Which API key did which control-plane action, newest first: time, key name and role, method and
route pattern, target and status. Needs an admin, operator or auditor key.

  --key-id ID        only the events of this API key (16 hex digits, as key listings show it)
  --route PREFIX     only the events whose route pattern starts with PREFIX, e.g. /v1/risk/rulesets
  --since INSTANT    only the events at or after this ISO 8601 instant, e.g. 2026-03-01T00:00:00Z
  --order asc|desc   oldest or newest first (desc by default)
  --limit N          events per page (1 to ${AUDIT_LIMITS.pageMaxItems}; ${AUDIT_LIMITS.pageDefaultItems} by default, ${AUDIT_LIMITS.pageMaxItems} with --all)
  --cursor C         the page after the one that printed "next page: --cursor C" (on standard error)
  --all              follow the pages to the end, at most ${AUDIT_ALL_MAX_EVENTS.toLocaleString('en')} events
  --json             print the server's JSON instead of a table (with --all, one object of all pages)
  --url URL          server address (SLUICE_URL, default http://127.0.0.1:8080)
  --key KEY          API key (SLUICE_API_KEY)`;

const STRING_OPTIONS = ['url', 'key', 'key-id', 'route', 'since', 'order', 'limit', 'cursor'] as const;

/** The fields of an event the table shows, as the server renders them. */
interface AuditEventRow {
  readonly at: string;
  readonly key_id: string;
  readonly key_name: string;
  readonly role: string;
  readonly method: string;
  readonly route: string;
  readonly target_id: string | null;
  readonly status: number;
}

interface AuditPage {
  readonly data: AuditEventRow[];
  readonly next_cursor: string | null;
}

/** The first argument the server would refuse, said as the options name it; undefined when all can be sent. */
function usageFault(values: Partial<Record<(typeof STRING_OPTIONS)[number], string>>): string | undefined {
  const { order, limit, since, route, cursor } = values;
  if (order !== undefined && order !== 'asc' && order !== 'desc') return `--order must be asc or desc, not "${order}"`;
  if (limit !== undefined && !(/^\d{1,6}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= AUDIT_LIMITS.pageMaxItems)) {
    return `--limit must be a whole number of events per page, from 1 to ${AUDIT_LIMITS.pageMaxItems}, not "${limit}"`;
  }
  if (values['key-id'] !== undefined && !/^[0-9a-f]{16}$/.test(values['key-id'])) return `--key-id must be an API key id of 16 hex digits, not "${values['key-id']}"`;
  if (route !== undefined && !(route.startsWith('/') && route.length <= AUDIT_LIMITS.routeFilterMaxLength)) {
    return `--route must be the start of a route pattern, beginning with / and at most ${AUDIT_LIMITS.routeFilterMaxLength} characters, e.g. /v1/risk/rulesets`;
  }
  if (since !== undefined && (since.length > 40 || isoToNs(since) === undefined)) return `--since must be an ISO 8601 instant such as 2026-03-01T00:00:00Z, not "${since}"`;
  if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) return `--cursor must be the value a previous page named after "next page: --cursor", not "${cursor}"`;
  return undefined;
}

function usage(message: string): number {
  process.stderr.write(`sluice: ${message}\nRun "sluice audit --help" for the options.\n`);
  return 2;
}

/** Runs `sluice audit …` and returns the exit code: 0 listed, 1 the server refused, 2 unusable arguments. */
export async function auditCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])), all: { type: 'boolean' }, json: { type: 'boolean' } },
  }) as { values: Partial<Record<(typeof STRING_OPTIONS)[number], string>> & { all?: boolean; json?: boolean }; positionals: string[] };
  const [action, extra] = positionals;
  if (action !== 'list') return usage(action === undefined ? 'audit needs an action: list' : `unknown audit action "${action}"; the one action is list`);
  if (extra !== undefined) return usage(`audit list takes no argument "${extra}"; filter with --key-id, --route or --since`);
  const fault = usageFault(values);
  if (fault) return usage(fault);
  const server = apiTarget(values);
  if (!server) return 2;

  const filters = { key_id: values['key-id'], route: values.route, since: values.since, order: values.order };
  const pageSize = Number(values.limit ?? AUDIT_LIMITS.pageMaxItems);
  const events: AuditEventRow[] = [];
  let cursor = values.cursor;
  for (;;) {
    // With --all the last page asks for no more than the bound leaves room for.
    const limit = values.all ? String(Math.min(pageSize, AUDIT_ALL_MAX_EVENTS - events.length)) : values.limit;
    const answer = await callApi(server, 'GET', withQuery('/v1/audit-events', { ...filters, limit, cursor }));
    if (!answer.ok) return refused(answer, values.json === true);
    const page = JSON.parse(answer.text) as AuditPage;
    if (!values.all) {
      process.stdout.write(values.json ? `${answer.text}\n` : table(page.data));
      if (page.next_cursor) process.stderr.write(`next page: --cursor ${page.next_cursor}\n`);
      return 0;
    }
    events.push(...page.data);
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
    if (events.length >= AUDIT_ALL_MAX_EVENTS) {
      process.stderr.write(`sluice: stopped at ${AUDIT_ALL_MAX_EVENTS} events, the most --all gathers; narrow the listing with --since, --key-id or --route, or go on from the next page\n`);
      break;
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify({ data: events, next_cursor: cursor ?? null })}\n` : table(events));
  if (cursor) process.stderr.write(`next page: --cursor ${cursor}\n`);
  return 0;
}

/** A refusal: the problem's detail in one line (the problem itself with --json), exit 1. */
function refused(answer: ApiAnswer, json: boolean): number {
  if (json) {
    process.stderr.write(`${answer.text}\n`);
    return 1;
  }
  let problem: { title?: unknown; detail?: unknown; code?: unknown } = {};
  try {
    problem = JSON.parse(answer.text) as typeof problem;
  } catch {
    // Not a problem document (a proxy's page, say): its first characters say more than nothing.
  }
  const said = typeof problem.detail === 'string' ? `${problem.detail}${typeof problem.code === 'string' ? ` (${problem.code})` : ''}` : answer.text.slice(0, 200);
  process.stderr.write(`sluice: the server refused (${answer.status}): ${printable(said)}\n`);
  return 1;
}

/**
 * Key names and target ids are chosen by API callers, and keys named before names were checked may
 * hold any character: a control or bidirectional formatting character (an escape sequence, a carriage
 * return, a right-to-left override) must not act on the auditor's terminal, so it is shown as \uXXXX.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The events as aligned columns, one line each; a line saying so when there are none. */
function table(events: readonly AuditEventRow[]): string {
  if (events.length === 0) return 'No audit events.\n';
  const rows = [
    ['TIME', 'KEY (ROLE)', 'ACTION', 'TARGET', 'STATUS'],
    ...events.map((event) => [event.at, `${event.key_name} (${event.role})`, `${event.method} ${event.route}`, event.target_id ?? '-', String(event.status)].map(printable)),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => displayWidth(row[column]!))));
  const pad = (cell: string, width: number) => cell + ' '.repeat(width - displayWidth(cell));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : pad(cell, widths[column]!))).join('  ')).join('\n') + '\n';
}

/** East Asian wide and full-width characters (CJK, Hangul, full-width forms, emoji) take two columns of a terminal. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** The columns a cell takes on a terminal, so that key names in Chinese keep the columns aligned. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += WIDE.test(char) ? 2 : 1;
  return width;
}
