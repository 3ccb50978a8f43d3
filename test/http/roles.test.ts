/**
 * API keys and roles over HTTP: the admin hands out keys of every role, each role can do exactly
 * what its permissions say, a participant sees and moves only its own parties' money, and a
 * revoked key stops working at once.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ROLES, type Role } from '../../src/modules/auth/index.ts';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, startSeededApi, stateOf, uuid, type Api, type Fixture, type Method } from './harness.ts';

type Outcome = 'allowed' | 'forbidden';

interface Action {
  readonly name: string;
  readonly method: Method;
  /** Built per call, so that every write uses fresh ids and none is a replay. */
  readonly request: () => { url: string; body?: unknown };
  /** Who may do it; everyone else gets 403. */
  readonly roles: readonly Role[];
}

describeEachDialect('HTTP API roles', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  const keys = new Map<Role, { id: string; key: string }>();

  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => {
    await api.close();
  });

  const keyOf = (role: Role): string => {
    const entry = keys.get(role);
    if (!entry) throw new Error(`no ${role} key yet`);
    return entry.key;
  };

  it('lets the admin create a key of every role, shows its text once, and lists keys without their text', async () => {
    keys.set('admin', { id: '', key: api.adminKey });
    for (const role of ROLES.filter((name) => name !== 'admin')) {
      const body = role === 'participant' ? { name: `${role} key`, role, party_ids: ['party-alice'] } : { name: `${role} key`, role };
      const created = await api.ok('POST', '/v1/api-keys', body, 201);
      expect(created).toMatchObject({ name: `${role} key`, role, party_ids: role === 'participant' ? ['party-alice'] : [] });
      expect(created.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
      keys.set(role, { id: created.id, key: created.key });
    }
    // A second admin key works like the bootstrap one.
    const secondAdmin = await api.ok('POST', '/v1/api-keys', { name: 'second admin', role: 'admin' }, 201);
    await api.ok('GET', '/v1/api-keys', undefined, 200, { key: secondAdmin.key });
    const list = await api.ok('GET', '/v1/api-keys');
    expect(list.data.map((key: { role: string }) => key.role).sort()).toEqual([...ROLES, 'admin'].sort());
    expect(JSON.stringify(list)).not.toContain('sk_');
    expect(list.data.every((key: { revoked_at: unknown }) => key.revoked_at === null)).toBe(true);
  });

  it('refuses participant keys without parties, party lists on other roles, and unknown parties', async () => {
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'p', role: 'participant' }), 400, 'party_ids_required', '/party_ids');
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'o', role: 'operator', party_ids: ['party-bob'] }), 400, 'party_ids_not_allowed', '/party_ids');
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'p', role: 'participant', party_ids: ['party-bob', 'party-ghost'] }), 422, 'party_not_found', '/party_ids/1');
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'r', role: 'root' }), 400, 'validation_failed', '/role');
  });

  const actions = (): Action[] => [
    { name: 'list ledgers', method: 'GET', request: () => ({ url: '/v1/ledgers' }), roles: ROLES },
    { name: 'read the journal head', method: 'GET', request: () => ({ url: '/v1/journal/head' }), roles: ROLES },
    { name: 'read its own account', method: 'GET', request: () => ({ url: `/v1/accounts/${fixture.alice}` }), roles: ROLES },
    { name: 'read balances at an instant', method: 'GET', request: () => ({ url: `/v1/accounts/${fixture.alice}/balances?at=${Date.UTC(2027, 0, 1)}000000` }), roles: ROLES },
    { name: 'verify the journal', method: 'GET', request: () => ({ url: '/v1/journal/verify' }), roles: ['admin', 'operator', 'auditor'] },
    { name: 'read journal entries', method: 'GET', request: () => ({ url: '/v1/journal/entries?limit=2' }), roles: ['admin', 'operator', 'auditor'] },
    {
      name: 'post a transfer from alice', method: 'POST',
      request: () => ({ url: '/v1/transfers', body: { id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '1', ledger: 1, code: 1 } }),
      roles: ['admin', 'operator', 'participant'],
    },
    {
      name: 'open an account for alice', method: 'POST',
      request: () => ({ url: '/v1/accounts', body: { id: uuid(), ledger: 1, code: 9, party_id: 'party-alice', flags: ['debits_must_not_exceed_credits'] } }),
      roles: ['admin', 'operator', 'participant'],
    },
    { name: 'define a ledger', method: 'POST', request: () => ({ url: '/v1/ledgers', body: { id: 30, asset_code: 'EUR', name: 'Euro' } }), roles: ['admin', 'operator'] },
    { name: 'register a party', method: 'POST', request: () => ({ url: '/v1/parties', body: { id: 'party-dave', name: 'Dave', kind: 'individual', jurisdiction: 'TH' } }), roles: ['admin', 'operator'] },
    { name: 'reopen an account', method: 'POST', request: () => ({ url: `/v1/accounts/${fixture.foreign}/reopen` }), roles: ['admin', 'operator'] },
    { name: 'list API keys', method: 'GET', request: () => ({ url: '/v1/api-keys' }), roles: ['admin'] },
    { name: 'create an API key', method: 'POST', request: () => ({ url: '/v1/api-keys', body: { name: 'more', role: 'analyst' } }), roles: ['admin'] },
  ];

  it('grants each role exactly the actions of its permissions and answers 403 for the rest', async () => {
    const seen: string[] = [];
    for (const action of actions()) {
      for (const role of ROLES) {
        const expected: Outcome = action.roles.includes(role) ? 'allowed' : 'forbidden';
        const { url, body } = action.request();
        const before = expected === 'forbidden' ? await stateOf(api) : undefined;
        const response = await api.call(action.method, url, body, { key: keyOf(role) });
        if (expected === 'forbidden') {
          expectProblem(response, 403, 'forbidden');
          expect(response.json().detail).toContain(role);
          expect(await stateOf(api)).toEqual(before);
        } else {
          // Reopening an open account is refused by the ledger (409), which still proves the role got through.
          expect([200, 201, 409], `${role} may ${action.name}: ${response.body}`).toContain(response.statusCode);
        }
        seen.push(`${role}:${action.name}:${response.statusCode}`);
      }
    }
    expect(seen.filter((entry) => entry.endsWith(':403'))).toHaveLength(actions().reduce((sum, action) => sum + ROLES.length - action.roles.length, 0));
  });

  it('shows a participant only the accounts, parties and transfers of its own parties', async () => {
    const key = keyOf('participant');
    const accounts = await api.ok('GET', '/v1/accounts?limit=100', undefined, 200, { key });
    expect(accounts.data.length).toBeGreaterThan(0);
    expect(accounts.data.every((account: { party_id: string }) => account.party_id === 'party-alice')).toBe(true);
    expect(accounts.data.map((account: { id: string }) => account.id)).toContain(fixture.alice);
    // Asking for another party's accounts by filter yields nothing rather than a leak.
    expect((await api.ok('GET', '/v1/accounts?party_id=party-bob', undefined, 200, { key })).data).toEqual([]);
    const everyone = await api.ok('GET', '/v1/accounts?limit=100');
    expect(everyone.data.length).toBeGreaterThan(accounts.data.length);

    expect((await api.ok('GET', '/v1/parties', undefined, 200, { key })).data.map((party: { id: string }) => party.id)).toEqual(['party-alice']);
    expectProblem(await api.call('GET', '/v1/parties/party-bob', undefined, { key }), 404, 'party_not_found');
    await api.ok('GET', '/v1/parties/party-alice', undefined, 200, { key });

    expectProblem(await api.call('GET', `/v1/accounts/${fixture.bob}`, undefined, { key }), 404, 'account_not_found');
    expectProblem(await api.call('GET', `/v1/accounts/${fixture.bank}/history`, undefined, { key }), 404, 'account_not_found');
    expectProblem(await api.call('GET', '/v1/transfers', undefined, { key }), 400, 'account_id_required', '/query/account_id');
    expectProblem(await api.call('GET', `/v1/transfers?account_id=${fixture.bob}`, undefined, { key }), 404, 'account_not_found');
    const own = await api.ok('GET', `/v1/transfers?account_id=${fixture.alice}&limit=100`, undefined, 200, { key });
    expect(own.data.length).toBeGreaterThan(0);
    expect(own.data.every((transfer: { debit_account_id: string; credit_account_id: string }) => [transfer.debit_account_id, transfer.credit_account_id].includes(fixture.alice))).toBe(true);

    // A transfer between two other parties' accounts is invisible; one touching alice is not.
    const elsewhere = await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.bob, amount: '5', ledger: 1, code: 1 }, 201);
    expectProblem(await api.call('GET', `/v1/transfers/${elsewhere.id}`, undefined, { key }), 404, 'transfer_not_found');
    await api.ok('GET', `/v1/transfers/${own.data[0].id}`, undefined, 200, { key });
  });

  it('lets a participant move money only out of its own accounts', async () => {
    const key = keyOf('participant');
    const before = await api.ok('GET', `/v1/accounts/${fixture.alice}`);
    // Paying into another party's account is what a payment is; taking out of it is not.
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '7', ledger: 1, code: 1 }, 201, { key });
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bob, credit_account_id: fixture.alice, amount: '7', ledger: 1, code: 1 }, { key }), 403, 'account_not_owned', '/debit_account_id');

    // In a batch, one foreign item refuses the whole request and names the item.
    const state = await stateOf(api);
    const batch = await api.call('POST', '/v1/transfers', { transfers: [
      { id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '1', ledger: 1, code: 1 },
      { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '1000000', ledger: 1, code: 1 },
    ] }, { key });
    expectProblem(batch, 403, 'account_not_owned', '/transfers/1/debit_account_id');
    expect(await stateOf(api)).toEqual(state);

    // Posting a pending transfer counts as debiting the pending transfer's debit account.
    const foreignPending = await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '50', ledger: 1, code: 1, flags: ['pending'] }, 201);
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), pending_id: foreignPending.id, flags: ['post_pending'] }, { key }), 403, 'account_not_owned', '/pending_id');
    const ownPending = await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '20', ledger: 1, code: 1, flags: ['pending'] }, 201, { key });
    await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: ownPending.id, flags: ['void_pending'] }, 201, { key });

    const after = await api.ok('GET', `/v1/accounts/${fixture.alice}`);
    expect(BigInt(after.debits_posted) - BigInt(before.debits_posted)).toBe(7n);
    expect(after.debits_pending).toBe(before.debits_pending);
    expectProblem(await api.call('POST', '/v1/accounts', { id: uuid(), ledger: 1, code: 9 }, { key }), 403, 'party_not_owned', '/party_id');
  });

  it('lets a participant open only accounts that cannot be overdrawn, so it cannot pay out money nobody lent it', async () => {
    const key = keyOf('participant');
    const state = await stateOf(api);
    // Without debits_must_not_exceed_credits an account can be debited without bound: opened by the
    // participant, it would credit alice with any amount, which alice could then pay on.
    for (const flags of [[], ['history'], ['credits_must_not_exceed_debits']]) {
      expectProblem(await api.call('POST', '/v1/accounts', { id: uuid(), ledger: 1, code: 9, party_id: 'party-alice', flags }, { key }), 403, 'overdraft_not_allowed', '/flags');
    }
    const batch = await api.call('POST', '/v1/accounts', { accounts: [
      { id: uuid(), ledger: 1, code: 9, party_id: 'party-alice', flags: ['debits_must_not_exceed_credits'] },
      { id: uuid(), ledger: 1, code: 9, party_id: 'party-alice' },
    ] }, { key });
    expectProblem(batch, 403, 'overdraft_not_allowed', '/accounts/1/flags');
    expect(await stateOf(api)).toEqual(state);
    const limited = uuid();
    await api.ok('POST', '/v1/accounts', { id: limited, ledger: 1, code: 9, party_id: 'party-alice', flags: ['debits_must_not_exceed_credits', 'history'] }, 201, { key });
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), debit_account_id: limited, credit_account_id: fixture.alice, amount: '1000000', ledger: 1, code: 1 }, { key }), 422, 'exceeds_credits', '/amount');
    // The bank's staff may still open accounts that can be overdrawn, for any party.
    await api.ok('POST', '/v1/accounts', { id: uuid(), ledger: 1, code: 9, party_id: 'party-alice' }, 201);
  });

  it('rejects a revoked key with 401 at once, even right after it was used, and leaves other keys working', async () => {
    const entry = keys.get('analyst');
    if (!entry) throw new Error('no analyst key');
    await api.ok('GET', '/v1/ledgers', undefined, 200, { key: entry.key });
    const revoked = await api.call('DELETE', `/v1/api-keys/${entry.id}`);
    expect(revoked.statusCode, revoked.body).toBe(204);
    expectProblem(await api.call('GET', '/v1/ledgers', undefined, { key: entry.key }), 401, 'unauthenticated', '/headers/authorization');
    expectProblem(await api.call('DELETE', `/v1/api-keys/${entry.id}`), 404, 'api_key_not_found');
    expectProblem(await api.call('DELETE', '/v1/api-keys/not-a-key-id'), 400, 'validation_failed', '/params/id');
    const list = await api.ok('GET', '/v1/api-keys');
    expect(list.data.find((key: { id: string }) => key.id === entry.id).revoked_at).toEqual(expect.any(String));
    await api.ok('GET', '/v1/ledgers', undefined, 200, { key: keyOf('auditor') });
  });

  it('does not keep a key revoked while a request with it was being authenticated', async () => {
    const created = await api.ok('POST', '/v1/api-keys', { name: 'revoked in flight', role: 'analyst' }, 201);
    const original = api.platform.auth.authenticate.bind(api.platform.auth);
    let reached!: () => void;
    let release!: () => void;
    const lookedUp = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The lookup finds the key active, and answers only after the revocation has gone through.
    const spy = vi.spyOn(api.platform.auth, 'authenticate').mockImplementationOnce(async (text) => {
      const found = await original(text);
      reached();
      await gate;
      return found;
    });
    try {
      const inFlight = api.call('GET', '/v1/ledgers', undefined, { key: created.key });
      await lookedUp;
      expect((await api.call('DELETE', `/v1/api-keys/${created.id}`)).statusCode).toBe(204);
      release();
      await inFlight;
      expectProblem(await api.call('GET', '/v1/ledgers', undefined, { key: created.key }), 401, 'unauthenticated', '/headers/authorization');
    } finally {
      spy.mockRestore();
    }
  });

  it('accepts a key in the X-API-Key header as well as a bearer token', async () => {
    const response = await api.call('GET', '/v1/ledgers', undefined, { key: null, headers: { 'x-api-key': keyOf('auditor') } });
    expect(response.statusCode).toBe(200);
    expectProblem(await api.call('GET', '/v1/ledgers', undefined, { key: null, headers: { authorization: `Basic ${keyOf('auditor')}` } }), 401, 'unauthenticated');
    // The scheme's name is case-insensitive (RFC 9110, section 11.1).
    for (const scheme of ['bearer', 'BEARER']) {
      const answer = await api.call('GET', '/v1/ledgers', undefined, { key: null, headers: { authorization: `${scheme} ${keyOf('auditor')}` } });
      expect(answer.statusCode, `${scheme}: ${answer.body}`).toBe(200);
    }
  });
});
