import { cloneElement, useEffect, useMemo, useSyncExternalStore, type ReactElement } from 'react';
import { Alert, Tooltip } from 'antd';
import { api } from '../api/client.ts';
import type { ConsoleAction } from '../api/actions.ts';
import { PERMISSION_NAMES, accessOf, mayAct, type Access } from '../api/permissions.ts';
import { currentKey, identityState, loadIdentity, onSessionChange, type IdentityState, type KeyIdentity } from '../api/session.ts';
import { isMessageKey, useI18n } from './i18n.tsx';

/** When the server does not say who the key is, the console shows everything and lets it refuse. */
const EVERYTHING: Access = { role: '', permissions: new Set(PERMISSION_NAMES) };

const fetchIdentity = () => api.get<KeyIdentity>('/v1/api-keys/current');

export interface KeyAccess {
  readonly state: IdentityState;
  /** The key's role and permissions; null while not yet known. */
  readonly access: Access | null;
  /** The key's role in the reader's language, or '' while not known. */
  readonly roleName: string;
}

/**
 * Who the signed-in key is and what its role may do, asked for once per session (the answer is
 * kept by the session module, api/session.ts, and forgotten on signing out).
 */
export function useAccess(): KeyAccess {
  const { t } = useI18n();
  const key = useSyncExternalStore(onSessionChange, currentKey);
  const state = useSyncExternalStore(onSessionChange, identityState);
  useEffect(() => {
    if (key !== null) loadIdentity(fetchIdentity);
  }, [key]);
  const access = useMemo<Access | null>(() => {
    if (state.status === 'failed') return EVERYTHING;
    if (state.status === 'loading') return null;
    return accessOf(state.identity);
  }, [state]);
  const role = state.status === 'known' ? state.identity.role : '';
  const messageKey = `role.${role}`;
  return { state, access, roleName: role === '' ? '' : isMessageKey(messageKey) ? t(messageKey) : role };
}

/**
 * A control that takes `action`: disabled, with a tooltip saying why, when the key's role may not
 * take it, and disabled without one while the key's role is not yet known.
 */
export function Permitted({ action, children }: { readonly action: Pick<ConsoleAction, 'permission'>; readonly children: ReactElement<{ disabled?: boolean }> }) {
  const { t } = useI18n();
  const { access, roleName } = useAccess();
  const allowed = mayAct(access, action);
  if (allowed === true) return children;
  const disabled = cloneElement(children, { disabled: true });
  if (allowed === undefined) return disabled;
  return (
    <Tooltip title={t('access.actionForbidden', { role: roleName })}>
      <span style={{ display: 'inline-block' }} data-testid="action-forbidden">{disabled}</span>
    </Tooltip>
  );
}

/** What a page the key's role may not use shows instead, in place of the server's 403. */
export function PageForbidden() {
  const { t } = useI18n();
  const { roleName } = useAccess();
  return <Alert type="warning" showIcon data-testid="role-forbidden" title={t('access.pageForbidden')} description={t('access.pageForbiddenDetail', { role: roleName })} />;
}
