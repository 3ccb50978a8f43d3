import { Select } from 'antd';
import { LOCALES, useI18n, type Locale } from './i18n.tsx';

const NAMES: Readonly<Record<Locale, string>> = { 'en-US': 'English', 'zh-CN': '简体中文' };

/** The language menu in the header; each language is named in itself so anyone can find theirs. */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Select<Locale>
      aria-label={t('header.language')}
      data-testid="language-switch"
      value={locale}
      onChange={setLocale}
      style={{ width: 120 }}
      options={LOCALES.map((value) => ({ value, label: NAMES[value] }))}
    />
  );
}
