import type { PageName } from '../app/routes.ts';
import { matchRoute } from '../app/routes.ts';
import type { ActionName, ConsoleAction } from './actions.ts';

/**
 * What the console shows a key: the server names each route's permission and answers 403 to a role
 * without it; the console hides what would only be refused. Knowing the key's permissions (GET
 * /v1/api-keys/current), it keeps the menu to the pages whose first request the key may make, says
 * so on a page opened by its address, and disables actions the key may not take. The server still
 * checks every request; this only spares the reader refusals. A test checks every request named
 * here against the server's answers to keys of each role (test/web/permissions.test.ts), so the
 * table cannot drift from the server. This file stays free of the browser's APIs so tests can read it,
 * and small, as the early script (early.ts) reads it too.
 */
export const PERMISSION_NAMES = ['read', 'write', 'verify', 'oversee', 'manage', 'risk', 'admin'] as const;
export type Permission = (typeof PERMISSION_NAMES)[number];

/**
 * A request a page makes: a read, by its route in OpenAPI form with the permission the server asks
 * of it, or one of the console's actions (whose table names its permission).
 */
export type PageRequest =
  | {
    readonly read: string;
    readonly permission: Permission;
    /** Roles refused although their permission would do: the read covers every party, which a participant may not see. */
    readonly refuses?: readonly string[];
  }
  | {
    readonly action: ActionName;
    /** The action's permission, as its table says (a test compares them); named here so that the early script needs no table of actions. */
    readonly permission: Permission;
  };

/**
 * The request that decides whether a page is of use to a key: its first request, or for a page that
 * is a form (a new payment), the request the form sends.
 */
export const PAGE_REQUESTS: Readonly<Record<PageName, PageRequest>> = {
  dashboard: { read: '/v1/overview', permission: 'read', refuses: ['participant'] },
  accounts: { read: '/v1/accounts', permission: 'read' },
  account: { read: '/v1/accounts/{id}', permission: 'read' },
  transfer: { read: '/v1/transfers/{id}', permission: 'read' },
  payments: { read: '/v1/payments', permission: 'read' },
  newPayment: { action: 'sendPayment', permission: 'write' },
  payment: { read: '/v1/payments/{uetr}', permission: 'read' },
  programs: { read: '/v1/scf/programs', permission: 'read' },
  program: { read: '/v1/scf/programs/{program_id}', permission: 'read' },
  voucher: { read: '/v1/scf/vouchers/{voucher_id}', permission: 'read' },
  proof: { action: 'verifyProof', permission: 'read' },
  journal: { read: '/v1/journal/head', permission: 'read' },
  audit: { read: '/v1/audit-events', permission: 'verify' },
  decisions: { read: '/v1/risk/decisions', permission: 'risk' },
  rules: { read: '/v1/risk/rulesets', permission: 'oversee' },
  lists: { read: '/v1/risk/lists/entries', permission: 'oversee' },
  cases: { read: '/v1/risk/cases', permission: 'oversee' },
  caseDetail: { read: '/v1/risk/cases/{id}', permission: 'oversee' },
};

/** Reads the dashboard makes beside its first, of modules a key may not be allowed to see. */
export const DASHBOARD_REQUESTS = {
  decisions: { read: '/v1/risk/decisions', permission: 'risk' },
  cases: { read: '/v1/risk/cases', permission: 'oversee' },
} as const satisfies Readonly<Record<string, PageRequest>>;

/**
 * What the console knows of a key: its role and permissions, or null while they are not known
 * (still loading, or the server did not say). Every role has `read`, so a read needs no answer.
 */
export interface Access {
  readonly role: string;
  readonly permissions: ReadonlySet<string>;
}

/** Whether a key may make `request`: true or false, or undefined while its access is unknown. */
export function mayRequest(access: Access | null, request: PageRequest): boolean | undefined {
  if ('action' in request) return mayAct(access, request);
  if (access === null) return request.permission === 'read' && !request.refuses?.length ? true : undefined;
  return access.permissions.has(request.permission) && !(request.refuses ?? []).includes(access.role);
}

/** Whether a key may take a console action (api/actions.ts); undefined while its access is unknown. */
export function mayAct(access: Access | null, action: Pick<ConsoleAction, 'permission'>): boolean | undefined {
  if (access === null) return action.permission === 'read' ? true : undefined;
  return access.permissions.has(action.permission);
}

/** The access an identity the server answered gives (GET /v1/api-keys/current). */
export function accessOf(identity: { readonly role: string; readonly permissions: readonly string[] }): Access {
  return { role: identity.role, permissions: new Set(identity.permissions) };
}

/** Whether a key may use a page; undefined while that depends on access not yet known. */
export function mayOpen(access: Access | null, page: PageName): boolean | undefined {
  return mayRequest(access, PAGE_REQUESTS[page]);
}

/** Whether the console path `path` (a menu entry's key) leads to a page the key may use; false for no page. */
export function mayOpenPath(access: Access | null, path: string): boolean | undefined {
  const match = matchRoute(path);
  return match ? mayOpen(access, match.page) : false;
}

/** Menu entries (with groups of children) a key may see: an entry it may open, a group with one. */
export function allowedMenu<T extends { readonly key: string; readonly children?: readonly { readonly key: string }[] }>(menu: readonly T[], access: Access | null): T[] {
  return menu.flatMap((item) => {
    if (!item.children) return mayOpenPath(access, item.key) === true ? [item] : [];
    const children = item.children.filter((child) => mayOpenPath(access, child.key) === true);
    return children.length > 0 ? [{ ...item, children }] : [];
  });
}
