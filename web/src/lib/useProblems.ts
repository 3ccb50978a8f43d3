import { createElement, useCallback } from 'react';
import { App } from 'antd';
import { ApiError } from '../api/client.ts';
import { useI18n } from '../app/i18n.tsx';
import { fileLineTexts, problemText, type FieldLabels } from './problems.ts';

/** `problemText` in the reader's current language. */
export function useProblemText(): (error: unknown, labels?: FieldLabels) => string {
  const { t, locale } = useI18n();
  return useCallback((error: unknown, labels?: FieldLabels) => problemText(t, locale, error, labels), [t, locale]);
}

/** How long a refusal that names faulty lines of a file stays up: they take longer to read than one sentence. */
export const FILE_LINES_TOAST_SECONDS = 10;

/**
 * Shows a failed request in the message bar, in the reader's language. A key the server refuses
 * (401) is not shown there: the refusal has ended the session (api/client.ts), and the sign-in
 * form says why; a 401 for an earlier session's key is no news to the current one.
 */
export function useFailureToast(): (error: unknown, labels?: FieldLabels, columns?: FieldLabels) => void {
  const { message } = App.useApp();
  const { t, locale } = useI18n();
  const describe = useProblemText();
  return useCallback((error: unknown, labels?: FieldLabels, columns?: FieldLabels) => {
    if (error instanceof ApiError && error.status === 401) return;
    // A refused file upload also names its first faulty lines (`columns` labels the file's columns),
    // one to a row, and stays up long enough to read them.
    const lines = columns ? fileLineTexts(t, locale, error, columns) : [];
    if (lines.length === 0) return void message.error(describe(error, labels));
    const rows = [describe(error, labels), ...lines].map((text, index) => createElement('div', { key: index }, text));
    void message.error({ content: createElement('div', { style: { display: 'inline-block', textAlign: 'left' } }, rows), duration: FILE_LINES_TOAST_SECONDS });
  }, [message, describe, t, locale]);
}

