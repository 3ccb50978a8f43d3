import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Queryable } from '../../db/index.ts';
import { type Clock } from '../../kernel/index.ts';
import { KEY_PREFIX, type ApiKey, type Role } from './auth.ts';

type KeyRow = { id: string; name: string; role: string; party_ids: string; secret_hash: string; created_at: string; revoked_at: string | null };
const toKey = (row: KeyRow): ApiKey => ({
  id: row.id, name: row.name, role: row.role as Role, partyIds: JSON.parse(row.party_ids) as string[], createdAt: row.created_at, revokedAt: row.revoked_at,
});

// API keys carry 256 random bits, so one fast hash is enough: there is nothing to guess slowly.
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
/** Preset keys (SLUICE_ADMIN_KEY) may be any printable text within these bounds. */
export const KEY_MIN_LENGTH = 24;
export const KEY_MAX_LENGTH = 256;
const PRINTABLE = /^[\x21-\x7e]+$/;
/** Any constant, distinct from the migration lock: serialises the bootstrap of concurrent first starts, and revocations. */
const BOOTSTRAP_LOCK_KEY = 7_316_012;
// The key's id is derived from its text, so lookups need no separate id field in the header.
const keyId = (text: string) => createHash('sha256').update(`id:${text}`).digest('hex').slice(0, 16);

export interface AuthService {
  /** Creates the first admin key when there is none; returns its text once, or null if keys exist. */
  bootstrap(presetKey?: string): Promise<string | null>;
  createKey(input: { name: string; role: Role; partyIds: readonly string[] }): Promise<{ key: ApiKey; secret: string }>;
  authenticate(presented: string): Promise<ApiKey | undefined>;
  list(): Promise<ApiKey[]>;
  /** The key with this id, revoked or not, without its hash; undefined if there is none. */
  find(id: string): Promise<ApiKey | undefined>;
  /** Revokes an active key; the last active admin key stays, or nobody could ever manage keys again. */
  revoke(id: string): Promise<'revoked' | 'api_key_not_found' | 'last_admin_key'>;
}

export function isWellFormedKey(text: string): boolean {
  return text.length >= KEY_MIN_LENGTH && text.length <= KEY_MAX_LENGTH && PRINTABLE.test(text);
}

export function createAuthService(deps: { readonly db: Database; readonly clock: Clock }): AuthService {
  const { db } = deps;
  const newKeyText = () => `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

  async function store(text: string, name: string, role: Role, partyIds: readonly string[], q: Queryable = db): Promise<ApiKey> {
    if (!isWellFormedKey(text)) throw new Error(`an API key must be ${KEY_MIN_LENGTH} to ${KEY_MAX_LENGTH} printable characters without spaces`);
    const key: ApiKey = { id: keyId(text), name, role, partyIds: [...partyIds], createdAt: new Date(deps.clock.nowMs()).toISOString(), revokedAt: null };
    await q.run('INSERT INTO auth_api_keys (id, name, role, party_ids, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      key.id, key.name, key.role, JSON.stringify(key.partyIds), hashSecret(text), key.createdAt,
    ]);
    return key;
  }

  return {
    async bootstrap(presetKey) {
      return db.transaction(async (tx) => {
        // Several processes may start on one empty PostgreSQL database at once. Without the lock
        // both see no key and both insert one: with a preset key the second insert fails and
        // stops that process; with generated keys there would be two "first" admin keys.
        if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK_KEY]);
        const any = await tx.get('SELECT id FROM auth_api_keys LIMIT 1');
        if (any) return null;
        const text = presetKey ?? newKeyText();
        await store(text, 'bootstrap admin', 'admin', [], tx);
        return text;
      });
    },
    async createKey({ name, role, partyIds }) {
      const secret = newKeyText();
      return { key: await store(secret, name, role, partyIds), secret };
    },
    async authenticate(presented) {
      if (!isWellFormedKey(presented)) return undefined;
      const row = await db.get<KeyRow>('SELECT * FROM auth_api_keys WHERE id = ?', [keyId(presented)]);
      if (!row || row.revoked_at) return undefined;
      const expected = Buffer.from(row.secret_hash, 'hex');
      const actual = Buffer.from(hashSecret(presented), 'hex');
      return expected.length === actual.length && timingSafeEqual(expected, actual) ? toKey(row) : undefined;
    },
    async list() {
      return (await db.all<KeyRow>('SELECT * FROM auth_api_keys ORDER BY created_at, id')).map(toKey);
    },
    async find(id) {
      const row = await db.get<KeyRow>('SELECT * FROM auth_api_keys WHERE id = ?', [id]);
      return row ? toKey(row) : undefined;
    },
    async revoke(id) {
      return db.transaction(async (tx) => {
        // Keys are only ever added by an admin key, and the bootstrap adds one only to an empty
        // table, so an installation whose admin keys are all revoked is locked out for good. Two
        // admins revoking each other at once on PostgreSQL must not both succeed: the bootstrap's
        // lock serialises the check and the update.
        if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK_KEY]);
        const row = await tx.get<{ role: string }>('SELECT role FROM auth_api_keys WHERE id = ? AND revoked_at IS NULL', [id]);
        if (!row) return 'api_key_not_found';
        if (row.role === 'admin') {
          const other = await tx.get("SELECT id FROM auth_api_keys WHERE role = 'admin' AND revoked_at IS NULL AND id <> ? LIMIT 1", [id]);
          if (!other) return 'last_admin_key';
        }
        await tx.run('UPDATE auth_api_keys SET revoked_at = ? WHERE id = ?', [new Date(deps.clock.nowMs()).toISOString(), id]);
        return 'revoked';
      });
    },
  };
}
