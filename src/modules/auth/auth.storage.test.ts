import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi, type Api } from '../../../test/http/harness.ts';

/**
 * API keys are stored as their SHA-256 hash only: whoever reads the table, a backup or a dump learns
 * no key that would be accepted (docs/security.md).
 */
describeEachDialect('API key storage', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  it('keeps no key text in the database, only the SHA-256 hash of each key', async () => {
    const created = (await api.ok('POST', '/v1/api-keys', { name: 'stored', role: 'auditor' }, 201)).key as string;
    const rows = await api.platform.db.all<Record<string, unknown>>('SELECT * FROM auth_api_keys ORDER BY id');
    const stored = JSON.stringify(rows);
    for (const key of [api.adminKey, created]) {
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(3));
      expect(rows.map((row) => row.secret_hash)).toContain(createHash('sha256').update(key).digest('hex'));
    }
  });
});
