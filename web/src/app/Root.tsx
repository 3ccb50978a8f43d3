import { Suspense, lazy, useEffect, useSyncExternalStore } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { App as AntApp, ConfigProvider } from 'antd';
import enUSLocale from 'antd/locale/en_US';
import zhCNLocale from 'antd/locale/zh_CN';
import { currentKey, onSessionChange } from '../api/session.ts';
import { useI18n } from './i18n.tsx';
import { Loading } from '../components/States.tsx';
import { Shell } from './Shell.tsx';

/**
 * The sign-in form is not in the shell's script: a signed-in load never draws it, and its form
 * code would be read on every one. It comes with the other pages' script (vite.config.ts), which
 * the early script starts at once when nobody is signed in.
 */
const SignIn = lazy(() => import('./SignIn.tsx').then((module) => ({ default: module.SignIn })));

/**
 * Ant Design's component styles come from its prebuilt stylesheet (imported in main.tsx) instead of
 * being generated in the browser on every load: `zeroRuntime` skips the run-time style generation,
 * a large part of the console's JavaScript time at every start. The theme still applies, as CSS variables the
 * prebuilt styles read (Ant Design registers those at run time; they are few). The stylesheet's
 * rules carry no hash, so hashed class names are turned off; the variables' scope gets a fixed
 * class rather than one derived from React's ids, which the prebuilt file also uses for its defaults.
 */
const THEME = { zeroRuntime: true, hashed: false, cssVar: { key: 'sluice-theme' }, token: { colorPrimary: '#1668dc', borderRadius: 6 } } as const;

/** Ant Design in the chosen language, and either the sign-in form or the console. */
export function Root() {
  const { locale } = useI18n();
  const key = useSyncExternalStore(onSessionChange, currentKey);
  // Date pickers name months and weekdays through dayjs, which has its own locale setting.
  useEffect(() => void dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en'), [locale]);
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCNLocale : enUSLocale} theme={THEME}>
      <AntApp>
        {key ? (
          <Shell />
        ) : (
          <Suspense fallback={<Loading />}>
            <SignIn />
          </Suspense>
        )}
      </AntApp>
    </ConfigProvider>
  );
}
