import { Button, Dropdown } from 'antd';
import { DownOutlined } from '@ant-design/icons';
import { LOCALES, useI18n, type Locale } from './i18n.tsx';

const NAMES: Readonly<Record<Locale, string>> = { 'en-US': 'English', 'zh-CN': '简体中文' };

/**
 * The language menu in the header; each language is named in itself so anyone can find theirs. A
 * drop-down menu rather than a select: the header's navigation already brings the menu's code, and
 * a select would add a tenth of the shell's script to every page load for two choices.
 */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Dropdown
      trigger={['click']}
      // The open menu takes the focus, so arrows and Enter choose a language from the keyboard.
      autoFocus
      menu={{
        selectable: true,
        selectedKeys: [locale],
        items: LOCALES.map((value) => ({ key: value, label: NAMES[value], lang: value })),
        onClick: ({ key }) => setLocale(key as Locale),
      }}
    >
      <Button aria-label={t('header.language')} data-testid="language-switch" style={{ width: 120 }}>
        {NAMES[locale]} <DownOutlined aria-hidden />
      </Button>
    </Dropdown>
  );
}
