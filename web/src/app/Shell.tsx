import { Suspense, lazy, useEffect, useMemo, type ComponentType, type LazyExoticComponent } from 'react';
import { Button, Layout, Menu, Space, Typography } from 'antd';
import {
  AlertOutlined, ApartmentOutlined, AuditOutlined, BankOutlined, DashboardOutlined, FileSearchOutlined, LogoutOutlined, SafetyCertificateOutlined, SwapOutlined,
} from '@ant-design/icons';
import { allowedMenu, mayOpen, mayOpenPath } from '../api/permissions.ts';
import { signOut } from '../api/session.ts';
import { Loading } from '../components/States.tsx';
import { PageForbidden, useAccess } from './access.tsx';
import { useI18n } from './i18n.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { PAGE_LOADERS, matchRoute, preparedPage, type PageName } from './pages.ts';
import { href, navigate, useRoute, type Route } from './router.ts';
import type { MessageKey } from '../i18n/en-US.ts';

/** Each page's modules start the first time it is opened. */
const pages = Object.fromEntries(Object.entries(PAGE_LOADERS).map(([name, load]) => [name, lazy(load)])) as Record<PageName, LazyExoticComponent<ComponentType<{ route: Route }>>>;

/**
 * Icons beside a text (here and on buttons throughout the console) are decoration, hidden from
 * screen readers: Ant Design names each icon after itself in English ("logout"), which would be
 * read before the label in every language.
 */
const MENU: readonly { key: string; label: MessageKey; icon?: ComponentType; children?: readonly { key: string; label: MessageKey }[] }[] = [
  { key: '/', label: 'nav.dashboard', icon: DashboardOutlined },
  { key: '/ledger', label: 'nav.ledger', icon: BankOutlined },
  { key: '/payments', label: 'nav.payments', icon: SwapOutlined },
  { key: 'scf', label: 'nav.scf', icon: ApartmentOutlined, children: [{ key: '/scf', label: 'nav.scfPrograms' }, { key: '/scf/proof', label: 'nav.scfProof' }] },
  { key: '/journal', label: 'nav.journal', icon: SafetyCertificateOutlined },
  { key: '/audit', label: 'nav.audit', icon: FileSearchOutlined },
  {
    key: 'risk', label: 'nav.risk', icon: AlertOutlined,
    children: [{ key: '/risk', label: 'nav.riskDecisions' }, { key: '/risk/rules', label: 'nav.riskRules' }, { key: '/risk/lists', label: 'nav.riskLists' }, { key: '/risk/cases', label: 'nav.riskCases' }],
  },
];

export function Shell() {
  const { t } = useI18n();
  const route = useRoute();
  const match = matchRoute(route.path);
  const Page = match ? (preparedPage(match.page) ?? pages[match.page]) : null;
  const { state, access, roleName } = useAccess();
  // The menu holds only pages the key's role may use (api/permissions.ts); a page opened by its
  // address that the role may not use says so instead of showing the server's 403.
  const allowed = match ? mayOpen(access, match.page) : true;
  // The dashboard covers every party, which a participant may not see: it lands on the first page it may use.
  const landing = route.path === '/' && allowed === false ? MENU.flatMap((item) => (item.children ? item.children : [item])).find((item) => mayOpenPath(access, item.key) === true)?.key : undefined;
  useEffect(() => {
    if (landing) navigate(landing);
  }, [landing]);
  const items = useMemo(
    () =>
      allowedMenu(MENU, access).map((item) => ({
        key: item.key,
        icon: item.icon ? <item.icon aria-hidden /> : undefined,
        label: item.children ? t(item.label) : <a href={href(item.key)}>{t(item.label)}</a>,
        children: item.children?.map((child) => ({ key: child.key, label: <a href={href(child.key)}>{t(child.label)}</a> })),
      })),
    [t, access],
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main-content" onClick={(event) => (event.preventDefault(), document.getElementById('main-content')?.focus())}>
        {t('app.skipToContent')}
      </a>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 16, paddingInline: 20 }}>
        <span className="brand">
          <AuditOutlined aria-hidden /> {t('app.name')}
        </span>
        <div style={{ flex: 1 }} />
        <Space>
          {state.status === 'known' && (
            <Typography.Text title={t('header.key')} data-testid="key-identity" style={{ color: 'rgba(255, 255, 255, 0.85)' }}>
              {t('header.keyRole', { name: state.identity.name, role: roleName })}
            </Typography.Text>
          )}
          <LanguageSwitch />
          <Button icon={<LogoutOutlined aria-hidden />} onClick={() => signOut()} data-testid="sign-out">
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
            {!Page ? (
              <Typography.Title level={3} data-testid="no-such-page">{t('state.noSuchPage')}</Typography.Title>
            ) : allowed === undefined || landing ? (
              <Loading />
            ) : allowed ? (
              <Page route={route} />
            ) : (
              <PageForbidden />
            )}
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
