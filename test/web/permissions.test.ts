/**
 * What the console shows each key (web/src/api/permissions.ts): every request it names there, and
 * every action of its table (web/src/api/actions.ts), carries the permission the server really asks
 * of it — checked by sending each one with a key of every role and seeing which the server refuses
 * with 403 — and the menu and pages a participant and an auditor are shown follow from that.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, type Role } from '../../src/modules/auth/index.ts';
import { startSeededApi, type Api } from '../http/harness.ts';
import { testDialects } from '../support/databases.ts';
import { ACTIONS } from '../../web/src/api/actions.ts';
import {
  DASHBOARD_REQUESTS, PAGE_REQUESTS, PERMISSION_NAMES, allowedMenu, mayAct, mayOpen, mayOpenPath, type Access, type PageRequest, type Permission,
} from '../../web/src/api/permissions.ts';
import type { PageName } from '../../web/src/app/routes.ts';

const WEB_SOURCE = new URL('../../web/src/', import.meta.url);

/** The roles the server lets make a request: those it does not refuse with `403 forbidden`. */
async function rolesLetThrough(api: Api, keys: ReadonlyMap<Role, string>, method: string, route: string): Promise<Role[]> {
  // Any value will do for a path parameter: the key is checked before the request is validated.
  const url = route.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
  const allowed: Role[] = [];
  for (const role of ROLES) {
    // An empty body: a role that may make the request gets a refusal of the body, never a change.
    const response = await api.call(method as 'GET', url, method === 'GET' || method === 'DELETE' ? undefined : {}, { key: keys.get(role) ?? null });
    const refused = response.statusCode === 403 && (response.json() as { code?: string }).code === 'forbidden';
    if (!refused) allowed.push(role);
  }
  return allowed;
}

/** The roles a request named in the console's tables should be let through for. */
const expectedRoles = (permission: Permission, refuses: readonly string[] = []): Role[] =>
  ROLES.filter((role) => (PERMISSIONS[permission] as readonly Role[]).includes(role) && !refuses.includes(role));

const accessOf = (role: Role): Access => ({ role, permissions: new Set(PERMISSION_NAMES.filter((permission) => (PERMISSIONS[permission] as readonly Role[]).includes(role))) });

/** The side menu of web/src/app/Shell.tsx, as keys. */
const MENU = [
  { key: '/' }, { key: '/ledger' }, { key: '/payments' },
  { key: 'scf', children: [{ key: '/scf' }, { key: '/scf/proof' }] },
  { key: '/journal' }, { key: '/audit' },
  { key: 'risk', children: [{ key: '/risk' }, { key: '/risk/rules' }, { key: '/risk/lists' }, { key: '/risk/cases' }] },
];
const menuKeys = (access: Access | null) => allowedMenu(MENU, access).flatMap((item) => (item.children ? item.children.map((child) => child.key) : [item.key]));

describe('what the console shows each key', () => {
  let api: Api;
  let paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  const keys = new Map<Role, string>();

  beforeAll(async () => {
    const sqlite = testDialects()[0];
    if (!sqlite) throw new Error('no SQLite dialect');
    ({ api } = await startSeededApi(sqlite.open));
    keys.set('admin', api.adminKey);
    for (const role of ROLES.filter((name) => name !== 'admin')) {
      const created = await api.ok('POST', '/v1/api-keys', role === 'participant' ? { name: role, role, party_ids: ['party-alice'] } : { name: role, role }, 201);
      keys.set(role, created.key);
    }
    paths = (await api.ok('GET', '/openapi.json')).paths;
  });
  afterAll(async () => api?.close());

  it('names the server\'s permissions, no more and no fewer', () => {
    expect([...PERMISSION_NAMES].sort()).toEqual(Object.keys(PERMISSIONS).sort());
    // A read needs no answer from the server: every role has it.
    expect(PERMISSIONS.read).toEqual(ROLES);
  });

  it('gives every page\'s first request the permission the server asks of it, on a route the server has', async () => {
    const wrong: string[] = [];
    const requests: [string, PageRequest][] = [...Object.entries(PAGE_REQUESTS), ...Object.entries(DASHBOARD_REQUESTS).map(([name, request]) => [`dashboard ${name}`, request] as [string, PageRequest])];
    for (const [page, request] of requests) {
      // A page whose request is an action names the action's permission; the actions are checked below.
      if ('action' in request) {
        if (ACTIONS[request.action].permission !== request.permission) wrong.push(`${page}: ${request.action} needs ${ACTIONS[request.action].permission}, the table says ${request.permission}`);
        continue;
      }
      if (!paths[request.read]?.get) wrong.push(`${page}: the server has no GET ${request.read}`);
      const through = await rolesLetThrough(api, keys, 'GET', request.read);
      const expected = expectedRoles(request.permission, request.refuses);
      if (through.join() !== expected.join()) wrong.push(`${page}: GET ${request.read} lets ${through.join()} through, the table says ${expected.join()}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives every console action the permission the server asks of its route', async () => {
    const wrong: string[] = [];
    for (const [name, action] of Object.entries(ACTIONS)) {
      const through = await rolesLetThrough(api, keys, action.method, action.route);
      const expected = expectedRoles(action.permission);
      if (through.join() !== expected.join()) wrong.push(`${name}: ${action.method} ${action.route} lets ${through.join()} through, the table says ${action.permission}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names for each page a request its code makes', () => {
    const loaders = readFileSync(new URL('app/pages.ts', WEB_SOURCE), 'utf8');
    const missing: string[] = [];
    for (const [page, request] of Object.entries(PAGE_REQUESTS) as [PageName, PageRequest][]) {
      const file = new RegExp(`\\b${page}: \\(\\) => import\\('\\.\\./([^']+)'\\)`).exec(loaders)?.[1] ?? (page === 'dashboard' ? 'pages/dashboard/Dashboard.tsx' : undefined);
      if (!file) {
        missing.push(`${page}: no module`);
        continue;
      }
      const source = readFileSync(new URL(file, WEB_SOURCE), 'utf8');
      // A page's form sends its request through the table of actions; a read names its path.
      const asks = 'action' in request ? source.includes(`ACTIONS.${request.action}`) : [`'`, '`'].some((quote) => source.includes(`${quote}${request.read.split('{')[0]}`));
      if (!asks) missing.push(`${page}: ${file} does not ask for ${JSON.stringify(request)}`);
    }
    expect(missing).toEqual([]);
  });

  it('shows a participant its ledger, payments, supply-chain finance and journal, and no risk pages', () => {
    const participant = accessOf('participant');
    expect(menuKeys(participant)).toEqual(['/ledger', '/payments', '/scf', '/scf/proof', '/journal']);
    expect(mayOpen(participant, 'lists')).toBe(false);
    expect(mayOpen(participant, 'caseDetail')).toBe(false);
    expect(mayOpen(participant, 'dashboard')).toBe(false);
    expect(mayOpen(participant, 'newPayment')).toBe(true);
    expect(mayAct(participant, ACTIONS.sendPayment)).toBe(true);
    expect(mayAct(participant, ACTIONS.signCheckpoint)).toBe(false);
    expect(mayAct(participant, ACTIONS.verifyJournal)).toBe(false);
  });

  it('shows an auditor every page but decisions and the payment form, and lets it verify but change nothing', () => {
    const auditor = accessOf('auditor');
    expect(menuKeys(auditor)).toEqual(['/', '/ledger', '/payments', '/scf', '/scf/proof', '/journal', '/audit', '/risk/rules', '/risk/lists', '/risk/cases']);
    expect(mayOpen(auditor, 'decisions')).toBe(false);
    expect(mayOpen(auditor, 'newPayment')).toBe(false);
    expect(mayOpen(auditor, 'caseDetail')).toBe(true);
    expect(mayAct(auditor, ACTIONS.verifyJournal)).toBe(true);
    const refused = (['sendPayment', 'promoteRuleset', 'createRuleset', 'addListEntry', 'moveCase', 'signCheckpoint'] as const).filter((name) => mayAct(auditor, ACTIONS[name]) !== false);
    expect(refused).toEqual([]);
  });

  it('offers the audit trail to the roles that may verify, and not to an analyst or a participant', () => {
    // GET /v1/audit-events needs `verify`; the first-request check above holds the table to the server.
    expect(PAGE_REQUESTS.audit).toEqual({ read: '/v1/audit-events', permission: 'verify' });
    expect((['admin', 'operator', 'analyst', 'auditor', 'participant'] as const).map((role) => mayOpenPath(accessOf(role), '/audit'))).toEqual([true, true, false, true, false]);
    expect(menuKeys(accessOf('analyst'))).not.toContain('/audit');
  });

  it('shows an admin everything, and while a key\'s access is unknown only what every role may read', () => {
    expect(menuKeys(accessOf('admin'))).toEqual(MENU.flatMap((item) => (item.children ? item.children.map((child) => child.key) : [item.key])));
    expect(Object.values(ACTIONS).every((action) => mayAct(accessOf('admin'), action) === true)).toBe(true);
    expect(menuKeys(null)).toEqual(['/ledger', '/payments', '/scf', '/scf/proof', '/journal']);
    expect(mayOpen(null, 'lists')).toBeUndefined();
    expect(mayAct(null, ACTIONS.verifyProof)).toBe(true);
    expect(mayAct(null, ACTIONS.moveCase)).toBeUndefined();
    expect(mayOpenPath(accessOf('admin'), '/no/such/page')).toBe(false);
  });
});
