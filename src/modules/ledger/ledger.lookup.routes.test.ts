/**
 * POST /v1/transfers/lookup and /v1/accounts/lookup: many records by id in one request, rendered as
 * the single GET routes render them, and to a participant key only what those routes would show it,
 * with a hidden record left out exactly as an id nobody has.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startSeededApi, uuid, type Api, type Fixture } from '../../../test/http/harness.ts';
import { LIMITS } from '../../kernel/index.ts';

type Rendered = Record<string, unknown> & { id: string };

describeEachDialect('ledger lookups over HTTP', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let participant: string;
  let auditor: string;
  /** bank → alice (seeded), bank → bob, alice → bob, bob → bank, a pending bank → bob: ids by name. */
  const transfers: Record<'bankToBob' | 'aliceToBob' | 'bobToBank' | 'pendingToBob', string> = { bankToBob: uuid(), aliceToBob: uuid(), bobToBank: uuid(), pendingToBob: uuid() };
  let seeded: string;

  beforeAll(async () => {
    ({ api, fixture } = await startSeededApi(open));
    participant = (await api.ok('POST', '/v1/api-keys', { name: 'alice', role: 'participant', party_ids: ['party-alice'] }, 201)).key;
    auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    seeded = (await api.ok('GET', `/v1/transfers?account_id=${fixture.alice}`)).data[0].id;
    const book = (id: string, debit: string, credit: string, flags: string[] = []) =>
      api.ok('POST', '/v1/transfers', { id, debit_account_id: debit, credit_account_id: credit, amount: '10', ledger: fixture.ledger, code: 1, flags }, 201);
    await book(transfers.bankToBob, fixture.bank, fixture.bob);
    await book(transfers.aliceToBob, fixture.alice, fixture.bob);
    await book(transfers.bobToBank, fixture.bob, fixture.bank);
    await book(transfers.pendingToBob, fixture.bank, fixture.bob, ['pending']);
  });
  afterAll(async () => api?.close());

  const lookup = (kind: 'transfers' | 'accounts', ids: unknown, key?: string | null) => api.call('POST', `/v1/${kind}/lookup`, { ids }, key === undefined ? {} : { key });
  const found = async (kind: 'transfers' | 'accounts', ids: readonly string[], key?: string): Promise<Rendered[]> => {
    const response = await lookup(kind, ids, key);
    expect(response.statusCode, response.body).toBe(200);
    expect(Object.keys(response.json())).toEqual([kind]);
    return response.json()[kind];
  };
  /** What GET /v1/{kind}/{id} answers, without the members only the single route adds (who submitted it, a pending transfer's status). */
  const single = async (kind: 'transfers' | 'accounts', id: string): Promise<Rendered> => {
    const { submitted_by: _submitter, pending_status: _status, ...rendered } = await api.ok('GET', `/v1/${kind}/${id}`);
    return rendered;
  };

  it('answers transfers in the order asked, each once, rendered as GET /v1/transfers/{id}, leaving out ids nobody has', async () => {
    const ids = [transfers.pendingToBob, uuid(), seeded, transfers.aliceToBob.toUpperCase(), transfers.pendingToBob, transfers.aliceToBob];
    const answered = await found('transfers', ids);
    expect(answered.map((item) => item.id)).toEqual([transfers.pendingToBob, seeded, transfers.aliceToBob]);
    expect(answered).toEqual([await single('transfers', transfers.pendingToBob), await single('transfers', seeded), await single('transfers', transfers.aliceToBob)]);
    expect(await found('transfers', [uuid()])).toEqual([]);
    // An auditor reads too.
    expect((await found('transfers', [seeded], auditor)).map((item) => item.id)).toEqual([seeded]);
  });

  it('answers accounts in the order asked, each once, rendered as GET /v1/accounts/{id} with balances', async () => {
    const answered = await found('accounts', [fixture.foreign, fixture.alice.toUpperCase(), uuid(), fixture.bank, fixture.alice]);
    expect(answered.map((item) => item.id)).toEqual([fixture.foreign, fixture.alice, fixture.bank]);
    expect(answered).toEqual([await single('accounts', fixture.foreign), await single('accounts', fixture.alice), await single('accounts', fixture.bank)]);
    expect(answered[1]).toMatchObject({ party_id: 'party-alice', credits_posted: '10000' });
  });

  it('shows a participant only what the single GET routes show it, and a hidden record exactly as a missing one', async () => {
    const allTransfers = [seeded, ...Object.values(transfers)];
    const visibleTransfers = await found('transfers', allTransfers, participant);
    // Transfers touching alice's account; bank → bob and bob → bank touch no account of party-alice.
    expect(visibleTransfers.map((item) => item.id)).toEqual([seeded, transfers.aliceToBob]);
    for (const id of allTransfers) {
      const alone = await api.call('GET', `/v1/transfers/${id}`, undefined, { key: participant });
      expect(alone.statusCode === 200, id).toBe(visibleTransfers.some((item) => item.id === id));
    }
    const visibleAccounts = await found('accounts', [fixture.bank, fixture.bob, fixture.alice, fixture.foreign], participant);
    expect(visibleAccounts.map((item) => item.id)).toEqual([fixture.alice]);

    // Hidden and missing answer alike, byte for byte.
    for (const [kind, hidden] of [['transfers', transfers.bankToBob], ['accounts', fixture.bob]] as const) {
      const [hiddenAnswer, missingAnswer] = [await lookup(kind, [hidden], participant), await lookup(kind, [uuid()], participant)];
      expect(hiddenAnswer.statusCode).toBe(200);
      expect(hiddenAnswer.body).toBe(missingAnswer.body);
      expect(hiddenAnswer.body).toBe(`{"${kind}":[]}`);
    }
  });

  it('refuses more ids than the limit, none, malformed ones and other members with a 400 naming the field, and callers without a key', async () => {
    for (const kind of ['transfers', 'accounts'] as const) {
      const tooMany = Array.from({ length: LIMITS.batchMaxItems + 1 }, () => uuid());
      expectProblem(await lookup(kind, tooMany), 400, 'validation_failed', '/ids');
      expect((await lookup(kind, tooMany.slice(1))).statusCode).toBe(200);
      expectProblem(await lookup(kind, []), 400, 'validation_failed', '/ids');
      expectProblem(await lookup(kind, [uuid(), uuid(), uuid(), 'not-a-uuid']), 400, 'validation_failed', '/ids/3');
      expectProblem(await lookup(kind, [uuid(), 7]), 400, 'validation_failed', '/ids/1');
      expectProblem(await lookup(kind, 'x'), 400, 'validation_failed', '/ids');
      expectProblem(await api.call('POST', `/v1/${kind}/lookup`, { ids: [uuid()], cursor: 'x' }), 400, 'validation_failed');
      expectProblem(await api.call('POST', `/v1/${kind}/lookup`, {}), 400, 'validation_failed', '/ids');
      expectProblem(await lookup(kind, [uuid()], null), 401, 'unauthenticated');
    }
  });

  it('checks a participant\'s batch against the accounts it debits with one lookup, not a read per item', async () => {
    const pendingFrom = async (debit: string, credit: string, key?: string) => {
      const id = uuid();
      await api.ok('POST', '/v1/transfers', { id, debit_account_id: debit, credit_account_id: credit, amount: '1', ledger: fixture.ledger, code: 1, flags: ['pending'] }, 201, key === undefined ? {} : { key });
      return id;
    };
    const own = [await pendingFrom(fixture.alice, fixture.bob, participant), await pendingFrom(fixture.alice, fixture.bank, participant)];
    const foreign = await pendingFrom(fixture.bank, fixture.alice);
    const plain = () => ({ id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount: '1', ledger: fixture.ledger, code: 1 });
    const post = (pendingId: string) => ({ id: uuid(), pending_id: pendingId, flags: ['post_pending'] });
    const spies = { getTransfer: vi.spyOn(api.platform.ledger, 'getTransfer'), getAccount: vi.spyOn(api.platform.ledger, 'getAccount'), lookupTransfers: vi.spyOn(api.platform.ledger, 'lookupTransfers') };
    try {
      const refused = await api.call('POST', '/v1/transfers', { transfers: [plain(), post(own[0] as string), plain(), post(foreign), plain()] }, { key: participant });
      expectProblem(refused, 403, 'account_not_owned', '/transfers/3/pending_id');
      expect(refused.json().errors).toHaveLength(1);
      expect(spies.lookupTransfers.mock.calls).toEqual([[[own[0], foreign]]]);
      const booked = await api.ok('POST', '/v1/transfers', { transfers: [plain(), post(own[0] as string), plain(), post(own[1] as string)] }, 200, { key: participant });
      expect(booked.results.map((item: { result: string }) => item.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(spies.lookupTransfers).toHaveBeenCalledTimes(2);
      expect(spies.getTransfer).not.toHaveBeenCalled();
      expect(spies.getAccount).not.toHaveBeenCalled();
    } finally {
      for (const spy of Object.values(spies)) spy.mockRestore();
    }
  });

  it('is listed in the OpenAPI document with the ledger routes', async () => {
    const spec = await api.ok('GET', '/openapi.json', undefined, 200, { key: null });
    for (const kind of ['transfers', 'accounts']) {
      expect(spec.paths[`/v1/${kind}/lookup`]?.post).toMatchObject({ tags: ['ledger'], summary: expect.stringContaining(`Look up to ${LIMITS.batchMaxItems} ${kind}`) });
    }
  });
});
