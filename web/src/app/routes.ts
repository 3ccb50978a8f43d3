/**
 * The console's pages and the hash paths that lead to them. Kept apart from the pages themselves
 * (pages.ts), so that the early script can tell which page an address opens without loading any.
 */
export type PageName =
  | 'dashboard' | 'accounts' | 'account' | 'transfer' | 'payments' | 'newPayment' | 'payment'
  | 'programs' | 'program' | 'voucher' | 'proof' | 'journal' | 'audit'
  | 'decisions' | 'rules' | 'lists' | 'cases' | 'caseDetail';

/**
 * Pages whose code is in the shell's script: the page an operator lands on. Every other page is
 * in a chunk of its own script, loaded the first time one of them is opened (see pages.ts).
 */
export const SHELL_PAGES: ReadonlySet<PageName> = new Set(['dashboard']);

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
  { pattern: /^\/audit\/?$/, page: 'audit', menu: '/audit' },
  { pattern: /^\/risk\/?$/, page: 'decisions', menu: '/risk' },
  { pattern: /^\/risk\/rules$/, page: 'rules', menu: '/risk/rules' },
  { pattern: /^\/risk\/lists$/, page: 'lists', menu: '/risk/lists' },
  { pattern: /^\/risk\/cases\/?$/, page: 'cases', menu: '/risk/cases' },
  { pattern: /^\/risk\/cases\/[^/]+$/, page: 'caseDetail', menu: '/risk/cases' },
];

export function matchRoute(path: string): { readonly page: PageName; readonly menu: string } | undefined {
  return ROUTES.find((candidate) => candidate.pattern.test(path));
}
