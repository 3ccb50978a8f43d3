/**
 * The API key of the signed-in user. It lives in sessionStorage: it survives a reload of the tab
 * but not closing it, and other tabs do not see it. Signing out removes it.
 */
const KEY_ITEM = 'sluice.apiKey';

const listeners = new Set<() => void>();

export function currentKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_ITEM);
  } catch {
    // Storage can be disabled by the browser's privacy settings; the user then signs in each time.
    return memoryKey;
  }
}

let memoryKey: string | null = null;

/**
 * Why the last session ended when the user did not sign out: the server stopped accepting its key
 * (revoked, expired, or the server's data was replaced). The sign-in form says so.
 */
export type SessionEnd = 'key_refused';
let lastEnd: SessionEnd | null = null;

export function sessionEnd(): SessionEnd | null {
  return lastEnd;
}

export function signIn(key: string): void {
  memoryKey = key;
  lastEnd = null;
  forgetIdentity();
  try {
    sessionStorage.setItem(KEY_ITEM, key);
  } catch {
    // Kept in memory only (see currentKey).
  }
  notify();
}

/** Ends the session; `reason` when it was not the user's choice. */
export function signOut(reason: SessionEnd | null = null): void {
  lastEnd = reason;
  memoryKey = null;
  forgetIdentity();
  try {
    sessionStorage.removeItem(KEY_ITEM);
  } catch {
    // Nothing was stored.
  }
  notify();
}

/** Who the signed-in key is, as `GET /v1/api-keys/current` answers: never the key's text. */
export interface KeyIdentity {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  /** Parties a participant key acts for; empty for other roles. */
  readonly party_ids: readonly string[];
  /** The permissions of the key's role (read, write, verify, oversee, manage, risk, admin). */
  readonly permissions: readonly string[];
}

/** What is known of the session's key: loading, its identity, or `failed` (the console then shows everything and lets the server refuse). */
export type IdentityState = { readonly status: 'loading' } | { readonly status: 'known'; readonly identity: KeyIdentity } | { readonly status: 'failed' };

const LOADING: IdentityState = { status: 'loading' };
const FAILED: IdentityState = { status: 'failed' };

/** The session's key and what is known of it; asked for once per session, forgotten on signing in or out. */
let identity: { readonly key: string; state: IdentityState } | null = null;

/**
 * A key's identity is kept in sessionStorage too, beside the key it belongs to, so that a reload of
 * the tab knows at once what the key may do (a key's role never changes; a revoked key is refused).
 */
const IDENTITY_ITEM = 'sluice.keyIdentity';

function storedIdentity(key: string): KeyIdentity | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(IDENTITY_ITEM) ?? 'null') as { key?: string; identity?: KeyIdentity } | null;
    return saved?.key === key && saved.identity ? saved.identity : null;
  } catch {
    return null;
  }
}

function forgetIdentity(): void {
  identity = null;
  try {
    sessionStorage.removeItem(IDENTITY_ITEM);
  } catch {
    // Nothing was stored.
  }
}

/** What is known of the current key's identity, without asking the server. */
export function identityState(): IdentityState {
  const key = currentKey();
  if (key === null) return LOADING;
  if (identity?.key !== key) {
    const stored = storedIdentity(key);
    if (!stored) return LOADING;
    identity = { key, state: { status: 'known', identity: stored } };
  }
  return identity.state;
}

/** Asks for the current key's identity with `load`, unless this session has already. */
export function loadIdentity(load: () => Promise<KeyIdentity>): void {
  const key = currentKey();
  if (key === null || identityState().status !== 'loading' || identity?.key === key) return;
  const entry: { readonly key: string; state: IdentityState } = { key, state: LOADING };
  identity = entry;
  load().then(
    (found) => {
      if (identity !== entry) return;
      try {
        sessionStorage.setItem(IDENTITY_ITEM, JSON.stringify({ key, identity: found }));
      } catch {
        // Kept in memory only.
      }
      settle(entry, { status: 'known', identity: found });
    },
    () => settle(entry, FAILED),
  );
}

function settle(entry: { readonly key: string; state: IdentityState }, state: IdentityState): void {
  // A late answer for a key signed out meanwhile is dropped.
  if (identity !== entry) return;
  entry.state = state;
  notify();
}

/** Calls `listener` whenever the user signs in or out, or the key's identity arrives; returns the unsubscribe function. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
