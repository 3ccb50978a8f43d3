import { useEffect, useSyncExternalStore } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { App as AntApp, ConfigProvider } from 'antd';
import enUSLocale from 'antd/locale/en_US';
import zhCNLocale from 'antd/locale/zh_CN';
import { currentKey, onSessionChange } from '../api/session.ts';
import { useI18n } from './i18n.tsx';
import { Shell } from './Shell.tsx';
import { SignIn } from './SignIn.tsx';

/** Ant Design in the chosen language, and either the sign-in form or the console. */
export function Root() {
  const { locale } = useI18n();
  const key = useSyncExternalStore(onSessionChange, currentKey);
  // Date pickers name months and weekdays through dayjs, which has its own locale setting.
  useEffect(() => void dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en'), [locale]);
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCNLocale : enUSLocale} theme={{ token: { colorPrimary: '#1668dc', borderRadius: 6 } }}>
      <AntApp>{key ? <Shell /> : <SignIn />}</AntApp>
    </ConfigProvider>
  );
}
