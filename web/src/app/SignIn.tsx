import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { ApiError } from '../api/client.ts';
import { sessionEnd, signIn } from '../api/session.ts';
import type { MessageKey } from '../i18n/en-US.ts';
import { problemText } from '../lib/problems.ts';
import { useI18n } from './i18n.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';

/**
 * Sign in with an API key. The key is checked against the server before the console opens, so a
 * typing mistake shows here rather than as errors on every page. A session the server ended (its
 * key refused) lands here too, and is told why.
 */
export function SignIn() {
  const { t, locale } = useI18n();
  const [checking, setChecking] = useState(false);
  // A message key while the console has one, so that the note follows a change of language.
  const [failure, setFailure] = useState<MessageKey | { readonly error: unknown } | null>(null);
  // Read once: the note is about how this visit to the form began, not about later attempts.
  const [ended] = useState(sessionEnd);

  const submit = async ({ key }: { key: string }) => {
    const text = key.trim();
    setChecking(true);
    setFailure(null);
    try {
      await fetchWithKey(text);
      signIn(text);
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      setFailure(status === 401 ? 'signIn.invalid' : status === 0 ? 'signIn.unreachable' : { error });
      setChecking(false);
    }
  };

  return (
    <main style={{ minHeight: '100vh', boxSizing: 'border-box', display: 'grid', placeItems: 'center', background: '#f0f2f5', padding: 16 }}>
      <Card style={{ width: 420, maxWidth: '100%' }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 16 }}>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('app.name')}
          </Typography.Title>
          <LanguageSwitch />
        </div>
        <Typography.Paragraph type="secondary">{t('signIn.intro')}</Typography.Paragraph>
        {ended === 'key_refused' && !failure && <Alert type="warning" showIcon title={t('signIn.sessionEnded')} style={{ marginBottom: 16 }} data-testid="session-ended" />}
        {failure && <Alert type="error" showIcon title={typeof failure === 'string' ? t(failure) : problemText(t, locale, failure.error)} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          {/* Password managers expect a user name beside a secret; the key stands alone, so this one is fixed. */}
          <input type="text" name="username" autoComplete="username" value="api-key" readOnly hidden />
          <Form.Item label={t('signIn.key')} name="key" rules={[{ required: true, message: t('signIn.keyRequired') }]}>
            <Input.Password autoFocus autoComplete="current-password" placeholder="sk_…" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={checking}>
            {t('signIn.submit')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}

/** Any read with the key proves it; the ledgers list is small and every role may read it. */
async function fetchWithKey(key: string): Promise<void> {
  const response = await fetch('/v1/ledgers', { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } }).catch(() => {
    throw new ApiError(0, { status: 0 });
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ status: response.status }));
    throw new ApiError(response.status, problem);
  }
}
