import { useCallback } from 'react';
import { App } from 'antd';
import { ApiError } from '../api/client.ts';
import { useI18n } from '../app/i18n.tsx';
import { problemText, type FieldLabels } from './problems.ts';

/** `problemText` in the reader's current language. */
export function useProblemText(): (error: unknown, labels?: FieldLabels) => string {
  const { t, locale } = useI18n();
  return useCallback((error: unknown, labels?: FieldLabels) => problemText(t, locale, error, labels), [t, locale]);
}

/**
 * Shows a failed request in the message bar, in the reader's language. A key the server refuses
 * (401) is not shown there: the refusal has ended the session (api/client.ts), and the sign-in
 * form says why; a 401 for an earlier session's key is no news to the current one.
 */
export function useFailureToast(): (error: unknown, labels?: FieldLabels) => void {
  const { message } = App.useApp();
  const describe = useProblemText();
  return useCallback((error: unknown, labels?: FieldLabels) => {
    if (error instanceof ApiError && error.status === 401) return;
    void message.error(describe(error, labels));
  }, [message, describe]);
}
