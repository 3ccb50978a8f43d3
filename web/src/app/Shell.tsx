import { Suspense, lazy, useMemo, type ComponentType, type LazyExoticComponent } from 'react';
import { Button, Layout, Menu, Space, Typography } from 'antd';
import {
  AlertOutlined, ApartmentOutlined, AuditOutlined, BankOutlined, DashboardOutlined, LogoutOutlined, SafetyCertificateOutlined, SwapOutlined,
} from '@ant-design/icons';
import { signOut } from '../api/session.ts';
import { Loading } from '../components/States.tsx';
import { useI18n } from './i18n.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { href, navigate, useRoute, type Route } from './router.ts';
import type { MessageKey } from '../i18n/en-US.ts';

/** Each page is its own chunk, fetched the first time it is opened. */
type Page = LazyExoticComponent<ComponentType<{ route: Route }>>;
const pages = {
  dashboard: lazy(() => import('../pages/dashboard/Dashboard.tsx')),
  accounts: lazy(() => import('../pages/ledger/Accounts.tsx')),
  account: lazy(() => import('../pages/ledger/AccountDetail.tsx')),
  transfer: lazy(() => import('../pages/ledger/TransferDetail.tsx')),
  payments: lazy(() => import('../pages/payments/Payments.tsx')),
  newPayment: lazy(() => import('../pages/payments/NewPayment.tsx')),
  payment: lazy(() => import('../pages/payments/PaymentDetail.tsx')),
  programs: lazy(() => import('../pages/scf/Programs.tsx')),
  program: lazy(() => import('../pages/scf/ProgramDetail.tsx')),
  voucher: lazy(() => import('../pages/scf/VoucherDetail.tsx')),
  proof: lazy(() => import('../pages/scf/ProofCheck.tsx')),
  journal: lazy(() => import('../pages/journal/Journal.tsx')),
  decisions: lazy(() => import('../pages/risk/Decisions.tsx')),
  rules: lazy(() => import('../pages/risk/Rules.tsx')),
  lists: lazy(() => import('../pages/risk/Lists.tsx')),
  cases: lazy(() => import('../pages/risk/Cases.tsx')),
  caseDetail: lazy(() => import('../pages/risk/CaseDetail.tsx')),
} satisfies Record<string, Page>;

/** Path → page and the menu entry it belongs to. The first matching pattern wins. */
const ROUTES: readonly { pattern: RegExp; page: keyof typeof pages; menu: string }[] = [
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

const MENU: readonly { key: string; label: MessageKey; icon?: ComponentType; children?: readonly { key: string; label: MessageKey }[] }[] = [
  { key: '/', label: 'nav.dashboard', icon: DashboardOutlined },
  { key: '/ledger', label: 'nav.ledger', icon: BankOutlined },
  { key: '/payments', label: 'nav.payments', icon: SwapOutlined },
  { key: 'scf', label: 'nav.scf', icon: ApartmentOutlined, children: [{ key: '/scf', label: 'nav.scfPrograms' }, { key: '/scf/proof', label: 'nav.scfProof' }] },
  { key: '/journal', label: 'nav.journal', icon: SafetyCertificateOutlined },
  {
    key: 'risk', label: 'nav.risk', icon: AlertOutlined,
    children: [{ key: '/risk', label: 'nav.riskDecisions' }, { key: '/risk/rules', label: 'nav.riskRules' }, { key: '/risk/lists', label: 'nav.riskLists' }, { key: '/risk/cases', label: 'nav.riskCases' }],
  },
];

export function Shell() {
  const { t } = useI18n();
  const route = useRoute();
  const match = ROUTES.find((candidate) => candidate.pattern.test(route.path));
  const Page = match ? pages[match.page] : null;
  const items = useMemo(
    () =>
      MENU.map((item) => ({
        key: item.key,
        icon: item.icon ? <item.icon /> : undefined,
        label: item.children ? t(item.label) : <a href={href(item.key)}>{t(item.label)}</a>,
        children: item.children?.map((child) => ({ key: child.key, label: <a href={href(child.key)}>{t(child.label)}</a> })),
      })),
    [t],
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main-content" onClick={(event) => (event.preventDefault(), document.getElementById('main-content')?.focus())}>
        {t('app.skipToContent')}
      </a>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 16, paddingInline: 20 }}>
        <span className="brand">
          <AuditOutlined /> {t('app.name')}
        </span>
        <div style={{ flex: 1 }} />
        <Space>
          <LanguageSwitch />
          <Button icon={<LogoutOutlined />} onClick={signOut} data-testid="sign-out">
            {t('header.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={220} theme="light" breakpoint="lg" collapsedWidth={0}>
          <nav aria-label={t('nav.label')}>
            {/* Arrow keys move through the menu and Enter opens an entry; the links inside also open in a new tab. */}
            <Menu mode="inline" selectedKeys={[match?.menu ?? '']} defaultOpenKeys={['scf', 'risk']} items={items} style={{ borderInlineEnd: 0 }} onClick={({ key }) => key.startsWith('/') && navigate(key)} />
          </nav>
        </Layout.Sider>
        <Layout.Content id="main-content" tabIndex={-1} style={{ padding: 24, outline: 'none' }}>
          <Suspense fallback={<Loading />}>
            {Page ? <Page route={route} /> : <Typography.Title level={3} data-testid="no-such-page">{t('state.noSuchPage')}</Typography.Title>}
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
