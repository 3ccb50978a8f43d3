/**
 * The routes of the API as its OpenAPI document lists them, for tests that must walk every one (the
 * 404 test of not-found.test.ts, the 401 test of unauthenticated.test.ts): a route added to the API
 * is in the document, so such a test covers it, or fails until it is told why not.
 */
import type { Api, Method } from './harness.ts';
import { uuid } from './harness.ts';

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly schema?: { readonly type?: string; readonly pattern?: string };
}

export interface Operation {
  readonly method: Method;
  /** The path as the document writes it, with `{name}` parameters. */
  readonly path: string;
  /** "METHOD /path", the key tests list routes by. */
  readonly route: string;
  readonly pathParameters: readonly Parameter[];
}

/** Every operation of the document at `/openapi.json`, read without a key as any client may. */
export async function openApiOperations(api: Api): Promise<Operation[]> {
  const spec = (await api.ok('GET', '/openapi.json', undefined, 200, { key: null })) as { paths: Record<string, Record<string, { parameters?: Parameter[] }>> };
  return Object.entries(spec.paths).flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({
    method: method.toUpperCase() as Method,
    path,
    route: `${method.toUpperCase()} ${path}`,
    pathParameters: (operation.parameters ?? []).filter((parameter) => parameter.in === 'path'),
  })));
}

/** Whether a call ("METHOD /v1/…", query string cut off) is a call of `route` ("METHOD /v1/…/{id}"). */
export function callsRoute(route: string, call: string): boolean {
  return new RegExp(`^${route.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(call.replace(/\?.*$/, ''));
}

/** Values of the kind each path parameter names, so that a route is called as a client would. */
const VALUES: Readonly<Record<string, () => string>> = {
  bic: () => 'HXCBCNSHXXX',
  currency: () => 'CNY',
  base: () => 'USD',
  quote: () => 'CNY',
  kind: () => 'pacs.008',
  name: () => 'watch-list',
  party_id: () => 'party-alice',
  program_id: () => 'program-1',
};

function plausible(parameter: Parameter): string {
  const { type, pattern = '' } = parameter.schema ?? {};
  if (type === 'integer' || type === 'number') return '1';
  if (pattern.includes('{16}')) return '0123456789abcdef';
  // UUID patterns spell out the 8-4-4-4-12 groups.
  if (pattern.includes('{12}')) return uuid();
  return VALUES[parameter.name]?.() ?? (parameter.name === 'id' || parameter.name.endsWith('_id') || parameter.name === 'uetr' ? uuid() : 'x');
}

/** The operation's path with every parameter filled with a plausible value. */
export function filledPath(operation: Operation): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    const parameter = operation.pathParameters.find((candidate) => candidate.name === name) ?? { name, in: 'path' };
    return encodeURIComponent(plausible(parameter));
  });
}
