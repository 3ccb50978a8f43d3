import type { ComponentType } from 'react';
import type { Route } from './router.ts';

/**
 * The console's pages and the hash paths that lead to them. A page's modules are initialised the
 * first time it is opened (they are in the one bundle; see web/vite.config.ts).
 */
type PageModule = Promise<{ default: ComponentType<{ route: Route }> }>;

export const PAGE_LOADERS = {
  dashboard: () => import('../pages/dashboard/Dashboard.tsx'),
  accounts: () => import('../pages/ledger/Accounts.tsx'),
  account: () => import('../pages/ledger/AccountDetail.tsx'),
  transfer: () => import('../pages/ledger/TransferDetail.tsx'),
  payments: () => import('../pages/payments/Payments.tsx'),
  newPayment: () => import('../pages/payments/NewPayment.tsx'),
  payment: () => import('../pages/payments/PaymentDetail.tsx'),
  programs: () => import('../pages/scf/Programs.tsx'),
  program: () => import('../pages/scf/ProgramDetail.tsx'),
  voucher: () => import('../pages/scf/VoucherDetail.tsx'),
  proof: () => import('../pages/scf/ProofCheck.tsx'),
  journal: () => import('../pages/journal/Journal.tsx'),
  decisions: () => import('../pages/risk/Decisions.tsx'),
  rules: () => import('../pages/risk/Rules.tsx'),
  lists: () => import('../pages/risk/Lists.tsx'),
  cases: () => import('../pages/risk/Cases.tsx'),
  caseDetail: () => import('../pages/risk/CaseDetail.tsx'),
} satisfies Record<string, () => PageModule>;

export type PageName = keyof typeof PAGE_LOADERS;

/** Pages whose modules have run already, which render at once instead of suspending first. */
const prepared = new Map<PageName, ComponentType<{ route: Route }>>();

/**
 * Runs the page's modules before the console first renders (main.tsx), so that the page is drawn
 * in the first frame rather than after a loading frame and a second render.
 */
export async function preparePage(name: PageName): Promise<void> {
  prepared.set(name, (await PAGE_LOADERS[name]()).default);
}

export function preparedPage(name: PageName): ComponentType<{ route: Route }> | undefined {
  return prepared.get(name);
}

/** Path → page and the menu entry it belongs to. The first matching pattern wins. */
const ROUTES: readonly { pattern: RegExp; page: PageName; menu: string }[] = [
  { pattern: /^\/$/, page: 'dashboard', menu: '/' },
  { pattern: /^\/ledger\/?$/, page: 'accounts', menu: '/ledger' },
  { pattern: /^\/ledger\/accounts\/[^/]+$/, page: 'account', menu: '/ledger' },
  { pattern: /^\/ledger\/transfers\/[^/]+$/, page: 'transfer', menu: '/ledger' },
  { pattern: /^\/payments\/?$/, page: 'payments', menu: '/payments' },
  { pattern: /^\/payments\/new$/, page: 'newPayment', menu: '/payments' },
  { pattern: /^\/payments\/[^/]+$/, page: 'payment', menu: '/payments' },
  { pattern: /^\/scf\/?$/, page: 'programs', menu: '/scf' },
  { pattern: /^\/scf\/programs\/[^/]+$/, page: 'program', menu: '/scf' },
  { pattern: /^\/scf\/vouchers\/[^/]+$/, page: 'voucher', menu: '/scf' },
  { pattern: /^\/scf\/proof$/, page: 'proof', menu: '/scf/proof' },
  { pattern: /^\/journal\/?$/, page: 'journal', menu: '/journal' },
  { pattern: /^\/risk\/?$/, page: 'decisions', menu: '/risk' },
  { pattern: /^\/risk\/rules$/, page: 'rules', menu: '/risk/rules' },
  { pattern: /^\/risk\/lists$/, page: 'lists', menu: '/risk/lists' },
  { pattern: /^\/risk\/cases\/?$/, page: 'cases', menu: '/risk/cases' },
  { pattern: /^\/risk\/cases\/[^/]+$/, page: 'caseDetail', menu: '/risk/cases' },
];

export function matchRoute(path: string): { readonly page: PageName; readonly menu: string } | undefined {
  return ROUTES.find((candidate) => candidate.pattern.test(path));
}
