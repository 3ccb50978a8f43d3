import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { enUS, type MessageKey } from '../i18n/en-US.ts';
import { zhCN } from '../i18n/zh-CN.ts';

/**
 * The console speaks English and Simplified Chinese. The choice is remembered in localStorage; the
 * first visit follows the browser's language. Messages are looked up by key, and `{name}` in a
 * message is replaced by the value of that name.
 */
export const LOCALES = ['en-US', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { 'en-US': enUS, 'zh-CN': zhCN };
const LOCALE_ITEM = 'sluice.locale';

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

interface I18n {
  readonly locale: Locale;
  setLocale(locale: Locale): void;
  readonly t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(LOCALE_ITEM);
    if (saved === 'en-US' || saved === 'zh-CN') return saved;
  } catch {
    // Storage disabled: fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

/**
 * Whether `key` names a message. For keys built from a value the server sends (a status, a kind):
 * a value this console does not know yet is shown as it is rather than as a missing key.
 */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(enUS, key);
}

export function interpolate(message: string, values?: Readonly<Record<string, string | number>>): string {
  if (!values) return message;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function I18nProvider({ children }: { readonly children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(LOCALE_ITEM, next);
    } catch {
      // Not remembered; the choice still holds for this visit.
    }
    document.documentElement.lang = next;
  }, []);
  const value = useMemo<I18n>(() => {
    const catalogue = CATALOGUES[locale];
    document.documentElement.lang = locale;
    return { locale, setLocale, t: (key, values) => interpolate(catalogue[key] ?? key, values) };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
