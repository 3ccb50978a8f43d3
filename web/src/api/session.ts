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
  try {
    sessionStorage.removeItem(KEY_ITEM);
  } catch {
    // Nothing was stored.
  }
  notify();
}

/** Calls `listener` whenever the user signs in or out; returns the unsubscribe function. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
