/**
 * API key names: control, invisible and bidirectional formatting characters are refused with a 422
 * naming /name, letters of every script are kept, and keys named before the check stay listable.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import { apiKeyNameProblem } from './auth.ts';

const REFUSED = [0x00, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0x061c, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2060, 0x2066, 0x2069, 0xfeff];

describe('which key names are refused', () => {
  it('refuses each control, invisible and bidirectional formatting character, naming it', () => {
    for (const code of REFUSED) {
      const name = `ops${String.fromCharCode(code)}key`;
      expect(apiKeyNameProblem(name), `U+${code.toString(16)}`).toContain(`U+${code.toString(16).toUpperCase().padStart(4, '0')} at index 3`);
    }
    expect(apiKeyNameProblem('ops \ud800 key')).toContain('U+D800');
  });

  it('refuses names of spaces only', () => {
    expect(apiKeyNameProblem('   ')).toBeDefined();
  });

  it('keeps names in any script, with punctuation and the joiners scripts need', () => {
    for (const name of ['ci deploy', 'Zoë’s key', '运维-机器人 #2', 'مدير\u200cالمفاتيح', 'क्‍ष key', '👩‍💻 dev', 'a'.repeat(200)]) expect(apiKeyNameProblem(name), name).toBeUndefined();
  });

  it('refuses any name holding a refused character, wherever it stands', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abc XYZ-_.运维é'.split('')), maxLength: 20 });
    fc.assert(fc.property(printable, fc.constantFrom(...REFUSED), printable, (before, code, after) => {
      expect(apiKeyNameProblem(`x${before}${String.fromCharCode(code)}${after}`)).toBeDefined();
    }));
    fc.assert(fc.property(printable, (text) => {
      expect(apiKeyNameProblem(`x${text}`)).toBeUndefined();
    }));
  });
});

describeEachDialect('key names over HTTP', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  it('answers a name with a control or bidirectional character with 422 naming /name, and creates no key', async () => {
    for (const name of ['ops\u202egnp.exe', 'bell\u0007', 'next\u0085line', 'del\u007f', ' \t ']) {
      const refused = expectProblem(await api.call('POST', '/v1/api-keys', { name, role: 'auditor' }), 422, 'invalid_key_name', '/name');
      expect(refused.detail).toMatch(/key name/);
    }
    const names = (await api.ok('GET', '/v1/api-keys')).data.map((key: { name: string }) => key.name);
    expect(names).toEqual(['bootstrap admin']);
    expect((await api.ok('POST', '/v1/api-keys', { name: '运维 Zoë', role: 'auditor' }, 201)).name).toBe('运维 Zoë');
  });

  it('still lists a key whose name was stored before names were checked', async () => {
    const { key } = await api.platform.auth.createKey({ name: 'old\u202ename\u0007', role: 'auditor', partyIds: [] });
    const listed = (await api.ok('GET', '/v1/api-keys')).data.find((entry: { id: string }) => entry.id === key.id);
    expect(listed).toMatchObject({ name: 'old\u202ename\u0007', role: 'auditor', revoked_at: null });
  });
});
