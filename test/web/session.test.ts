/**
 * The console's session (web/src/api/session.ts) asks who its key is once per session, keeps the
 * answer beside the key in the tab's storage, and forgets it on signing out or in with another key.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface KeyIdentity { readonly id: string; readonly name: string; readonly role: string; readonly party_ids: readonly string[]; readonly permissions: readonly string[] }
interface SessionModule {
  signIn(key: string): void;
  signOut(): void;
  identityState(): { status: string; identity?: KeyIdentity };
  loadIdentity(load: () => Promise<KeyIdentity>): void;
}
/** Loaded by its path: the server's type check, which has no browser types, must not follow it into the browser's storage. */
const SESSION_MODULE: string = '../../web/src/api/session.ts';

/** The tab's sessionStorage, as a map. */
class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(name: string): string | null {
    return this.items.get(name) ?? null;
  }
  setItem(name: string, value: string): void {
    this.items.set(name, value);
  }
  removeItem(name: string): void {
    this.items.delete(name);
  }
}

const auditor: KeyIdentity = { id: '00112233445566aa', name: 'audit desk', role: 'auditor', party_ids: [], permissions: ['read', 'verify', 'oversee'] };
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the console\'s session', () => {
  let storage: MemoryStorage;
  let session: SessionModule;

  beforeEach(async () => {
    storage = new MemoryStorage();
    vi.stubGlobal('sessionStorage', storage);
    vi.resetModules();
    session = (await import(SESSION_MODULE)) as SessionModule;
  });
  afterEach(() => vi.unstubAllGlobals());

  it('asks who the key is once per session, and keeps the answer for a reload of the tab', async () => {
    const load = vi.fn(async () => auditor);
    session.signIn('sk_auditor');
    expect(session.identityState().status).toBe('loading');
    session.loadIdentity(load);
    session.loadIdentity(load);
    await settled();
    session.loadIdentity(load);
    expect(load).toHaveBeenCalledTimes(1);
    expect(session.identityState()).toEqual({ status: 'known', identity: auditor });

    // A reload: a fresh copy of the module, the same tab storage.
    vi.resetModules();
    const reloaded = (await import(SESSION_MODULE)) as SessionModule;
    expect(reloaded.identityState()).toEqual({ status: 'known', identity: auditor });
    reloaded.loadIdentity(load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('forgets the answer on signing out, and asks again for the next key', async () => {
    session.signIn('sk_auditor');
    session.loadIdentity(async () => auditor);
    await settled();
    session.signOut();
    expect(session.identityState().status).toBe('loading');
    expect([...storage.items.keys()]).toEqual([]);
    const participant: KeyIdentity = { ...auditor, id: 'ffeeddccbbaa9988', name: 'bank desk', role: 'participant', party_ids: ['bank-1'], permissions: ['read', 'write'] };
    const load = vi.fn(async () => participant);
    session.signIn('sk_participant');
    session.loadIdentity(load);
    await settled();
    expect(load).toHaveBeenCalledTimes(1);
    expect(session.identityState()).toEqual({ status: 'known', identity: participant });
  });

  it('does not take an answer kept for another key, nor a late answer for a key signed out meanwhile', async () => {
    session.signIn('sk_auditor');
    session.loadIdentity(async () => auditor);
    await settled();
    // Another key put in the tab's storage without signing out (as a second sign-in form would).
    storage.setItem('sluice.apiKey', 'sk_other');
    expect(session.identityState().status).toBe('loading');

    let answer: (identity: KeyIdentity) => void = () => {};
    session.signIn('sk_slow');
    session.loadIdentity(() => new Promise<KeyIdentity>((resolve) => (answer = resolve)));
    session.signOut();
    answer(auditor);
    await settled();
    session.signIn('sk_slow');
    expect(session.identityState().status).toBe('loading');
  });

  it('says when the server would not say who the key is, so the console shows everything', async () => {
    session.signIn('sk_old_server');
    session.loadIdentity(async () => Promise.reject(new Error('404')));
    await settled();
    expect(session.identityState().status).toBe('failed');
  });
});
