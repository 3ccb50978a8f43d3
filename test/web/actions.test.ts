/**
 * Every request of the console that asks the server to do something goes through one table of
 * actions (web/src/api/actions.ts), and a refusal of any of them names its field by the label the
 * reader sees, never by the raw JSON pointer: every pointer the route's schema can yield, read from
 * the server's own OpenAPI document, has a label in both languages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApi, type Api } from '../http/harness.ts';
import { testDialects } from '../support/databases.ts';
import { ACTIONS, type ConsoleAction } from '../../web/src/api/actions.ts';
import { enUS, type MessageKey } from '../../web/src/i18n/en-US.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';
import { problemText } from '../../web/src/lib/problems.ts';

type Locale = 'en-US' | 'zh-CN';
const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { 'en-US': enUS, 'zh-CN': zhCN };
const translate = (locale: Locale) => (key: MessageKey, values: Readonly<Record<string, string | number>> = {}) =>
  CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));

const WEB_SOURCE = fileURLToPath(new URL('../../web/src', import.meta.url));
/** The client and the sender of actions are the only places that may send a request that changes anything (the table names methods). */
const SENDERS = new Set(['api/client.ts', 'api/act.ts', 'api/actions.ts']);
/**
 * The sender of actions, loaded by its path: the server's type check, which has no browser types,
 * must not follow it into the client's use of the browser's session storage.
 */
const SENDER_MODULE: string = '../../web/src/api/act.ts';
/** Ways of sending a request other than a read, written any way the console's code could write them. */
const MUTATING_REQUESTS = [
  /\bapi\s*\.\s*(post|put|patch|delete)\b/,
  /\brequest\s*(<[^(]*>)?\s*\(\s*['"`](POST|PUT|PATCH|DELETE)/i,
  /\.open\(\s*['"`](POST|PUT|PATCH|DELETE)/i,
  /\bmethod\s*:\s*['"`](POST|PUT|PATCH|DELETE)/i,
];

interface Schema { readonly properties?: Readonly<Record<string, Schema>>; readonly items?: Schema; readonly anyOf?: readonly Schema[]; readonly oneOf?: readonly Schema[]; readonly allOf?: readonly Schema[] }
interface Operation { readonly parameters?: readonly { readonly in: string; readonly name: string }[]; readonly requestBody?: { readonly content?: Readonly<Record<string, { readonly schema?: Schema }>> } }

/** Every pointer a schema error can name inside a value of `schema` at `at`: each property, at any depth, and `*` for an array's items. */
function schemaPointers(schema: Schema | undefined, at: string, found: Set<string>): Set<string> {
  if (!schema) return found;
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) schemaPointers(branch, at, found);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    found.add(`${at}/${name}`);
    schemaPointers(property, `${at}/${name}`, found);
  }
  if (schema.items) {
    found.add(`${at}/*`);
    schemaPointers(schema.items, `${at}/*`, found);
  }
  return found;
}

/** The pointers a request of `action` can be refused with: its path and query parameters, its body's fields, and the body itself when it is a file. */
function pointersOf(action: ConsoleAction, operation: Operation): string[] {
  const found = new Set<string>();
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'path') found.add(`/params/${parameter.name}`);
    if (parameter.in === 'query') found.add(`/query/${parameter.name}`);
  }
  schemaPointers(operation.requestBody?.content?.['application/json']?.schema, '', found);
  if (action.body === 'file') found.add('/');
  return [...found].sort();
}

/** A schema refusal of the field at `pointer`, as the console's client throws it, with the action's labels. */
const refusalAt = (action: ConsoleAction, pointer: string) => Object.assign(new Error('refused'), {
  status: 400,
  problem: { status: 400, code: 'validation_failed', detail: `${pointer} must be string`, errors: [{ pointer, code: 'invalid_type', detail: 'must be string' }] },
  fieldLabels: action.labels,
});

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'vendor' ? [] : sourceFiles(path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

describe('the console\'s actions', () => {
  let api: Api;
  let paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;

  beforeAll(async () => {
    const sqlite = testDialects()[0];
    if (!sqlite) throw new Error('no SQLite dialect');
    api = await startApi(sqlite.open);
    paths = (await api.ok('GET', '/openapi.json')).paths;
  });
  afterAll(async () => api?.close());

  it('send every request that changes anything through the table of actions', () => {
    const offenders = sourceFiles(WEB_SOURCE)
      .filter((path) => !SENDERS.has(relative(WEB_SOURCE, path).replaceAll('\\', '/')))
      .flatMap((path) => MUTATING_REQUESTS.filter((pattern) => pattern.test(readFileSync(path, 'utf8'))).map((pattern) => `${relative(WEB_SOURCE, path)}: ${pattern.source}`));
    expect(offenders).toEqual([]);
  });

  it('name routes the server has', () => {
    const missing = Object.entries(ACTIONS).filter(([, action]) => !paths[action.route]?.[action.method.toLowerCase()]).map(([name, action]) => `${name}: ${action.method} ${action.route}`);
    expect(missing).toEqual([]);
  });

  it('label every field a refusal of their request can name, and nothing else', () => {
    const unlabelled: string[] = [];
    const stale: string[] = [];
    for (const [name, action] of Object.entries(ACTIONS) as [string, ConsoleAction][]) {
      const operation = paths[action.route]?.[action.method.toLowerCase()];
      if (!operation) continue;
      const pointers = pointersOf(action, operation);
      unlabelled.push(...pointers.filter((pointer) => !Object.hasOwn(action.labels, pointer)).map((pointer) => `${name} ${pointer}`));
      stale.push(...Object.keys(action.labels).filter((pointer) => !pointers.includes(pointer)).map((pointer) => `${name} ${pointer}`));
    }
    expect(unlabelled).toEqual([]);
    expect(stale).toEqual([]);
  });

  it('send a request to the route with its parameters filled in, and give a refusal the action\'s labels', async () => {
    const sent: { url: string; method: string | undefined }[] = [];
    const problem = { status: 400, code: 'validation_failed', detail: '/text must NOT have more than 4000 characters', errors: [{ pointer: '/text', code: 'invalid_maxLength', detail: 'must NOT have more than 4000 characters' }] };
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent.push({ url, method: init.method });
      return new Response(JSON.stringify(problem), { status: 400, headers: { 'content-type': 'application/problem+json' } });
    });
    try {
      const { callAction } = (await import(SENDER_MODULE)) as { callAction(action: ConsoleAction, request: unknown): Promise<unknown> };
      const refusal = await callAction(ACTIONS.addCaseNote, { params: { id: 'case/1' }, body: { text: 'x' } }).catch((error: unknown) => error);
      expect(sent).toEqual([{ url: '/v1/risk/cases/case%2F1/notes', method: 'POST' }]);
      expect(problemText(translate('zh-CN'), 'zh-CN', refusal)).toBe('添加备注：最多 4000 个字符');
      expect(problemText(translate('en-US'), 'en-US', refusal)).toBe('Add a note: at most 4000 characters');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('say every such refusal after the field\'s label in both languages, an array item by its number, never by the raw pointer', () => {
    const raw: string[] = [];
    for (const [name, action] of Object.entries(ACTIONS) as [string, ConsoleAction][]) {
      for (const pattern of Object.keys(action.labels)) {
        const pointer = pattern.replaceAll('*', '2');
        for (const locale of ['en-US', 'zh-CN'] as const) {
          const text = problemText(translate(locale), locale, refusalAt(action, pointer));
          const label = CATALOGUES[locale][action.labels[pattern] as MessageKey];
          if (!label || !text.startsWith(label) || (pointer !== '/' && text.includes(pointer)) || (pattern.includes('*') && !text.includes('3'))) raw.push(`${locale} ${name} ${pointer}: ${text}`);
        }
      }
    }
    expect(raw).toEqual([]);
    expect(problemText(translate('zh-CN'), 'zh-CN', refusalAt(ACTIONS.createRuleset, '/rules/3/expression'))).toBe('CEL 表达式（第 4 项）：类型不正确');
    expect(problemText(translate('en-US'), 'en-US', refusalAt(ACTIONS.sendPayment, '/amount'))).toBe('Amount: of the wrong type');
  });
});
