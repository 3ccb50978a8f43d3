import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';

/**
 * Party names travel in payment messages. A name with a control character used to be registered and
 * then fail every payment to the party's accounts, and its statements, with a 500.
 */
describeEachDialect('party names', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  const party = (id: string, name: string) => ({ id, name, kind: 'individual', jurisdiction: 'CN' });

  it('refuses a name with a control character, a lone surrogate or a leading byte order mark, naming the field', async () => {
    const names = ['Bell\u0007', 'Two\nlines', 'Tab\there', 'Delete\u007f', 'Lone \udc00', '\ufeffMark', 'Not \ufffe'];
    for (const [index, name] of names.entries()) {
      expectProblem(await api.call('POST', '/v1/parties', party(`bad-${index}`, name)), 400, 'validation_failed', '/name');
      expect(await api.platform.parties.get(`bad-${index}`)).toBeUndefined();
    }
  });

  it('takes names in any script, with characters beyond the basic plane and a byte order mark inside', async () => {
    for (const [index, name] of ['王丽', 'Ногинск', 'محمد', '𠀀𠀁 Ltd', 'A\ufeffB', "O'Brien & Co."].entries()) {
      expect((await api.ok('POST', '/v1/parties', party(`good-${index}`, name), 201)).name).toBe(name);
    }
  });
});
