import type { ComponentType } from 'react';
import { installChunkLoader } from '../lib/chunks.ts';
import Dashboard from '../pages/dashboard/Dashboard.tsx';
import type { Route } from './router.ts';
import type { PageName } from './routes.ts';

export { matchRoute, type PageName } from './routes.ts';

/**
 * The console's pages. The dashboard, where an operator lands, is in the shell's script
 * (SHELL_PAGES in routes.ts); every other page's `import()` is of a chunk the build writes as a
 * classic script of its own (web/classic-chunks.ts), loaded and run the first time a page in it
 * is opened.
 */
type PageModule = Promise<{ default: ComponentType<{ route: Route }> }>;

installChunkLoader();

export const PAGE_LOADERS = {
  dashboard: () => Promise.resolve({ default: Dashboard }),
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
  audit: () => import('../pages/audit/AuditTrail.tsx'),
  decisions: () => import('../pages/risk/Decisions.tsx'),
  rules: () => import('../pages/risk/Rules.tsx'),
  lists: () => import('../pages/risk/Lists.tsx'),
  cases: () => import('../pages/risk/Cases.tsx'),
  caseDetail: () => import('../pages/risk/CaseDetail.tsx'),
} satisfies Record<PageName, () => PageModule>;

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
