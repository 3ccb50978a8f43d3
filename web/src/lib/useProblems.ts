import { useCallback } from 'react';
import { App } from 'antd';
import { useI18n } from '../app/i18n.tsx';
import { problemText, type FieldLabels } from './problems.ts';

/** `problemText` in the reader's current language. */
export function useProblemText(): (error: unknown, labels?: FieldLabels) => string {
  const { t, locale } = useI18n();
  return useCallback((error: unknown, labels?: FieldLabels) => problemText(t, locale, error, labels), [t, locale]);
}

/** Shows a failed request in the message bar, in the reader's language. */
export function useFailureToast(): (error: unknown, labels?: FieldLabels) => void {
  const { message } = App.useApp();
  const describe = useProblemText();
  return useCallback((error: unknown, labels?: FieldLabels) => void message.error(describe(error, labels)), [message, describe]);
}
