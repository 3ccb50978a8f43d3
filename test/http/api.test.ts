/**
 * The HTTP API's happy paths over both dialects: definitions, accounts and transfers (single,
 * replayed and batched), linked chains, two-phase transfers, point-in-time balances, history and
 * transfer queries with cursor pagination, the journal, and the operational endpoints.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, START_MS, startSeededApi, uuid, type Api, type Fixture } from './harness.ts';

type Balances = { debits_pending: string; debits_posted: string; credits_pending: string; credits_posted: string };
const balancesOf = (account: Balances) => ({
  debits_pending: account.debits_pending, debits_posted: account.debits_posted, credits_pending: account.credits_pending, credits_posted: account.credits_posted,
});
const zero = { debits_pending: '0', debits_posted: '0', credits_pending: '0', credits_posted: '0' };

/** Follows next_cursor until the last page and returns every item, checking no page is larger than asked. */
async function pageThrough(api: Api, url: string, limit: number): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const separator = url.includes('?') ? '&' : '?';
    const page: { data: any[]; next_cursor: string | null } = await api.ok('GET', `${url}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    items.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('pagination did not end');
}

describeEachDialect('HTTP API happy paths', ({ open }) => {
  let api: Api;
  let fixture: Fixture;

  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => {
    await api.close();
  });

  /** Two fresh accounts on ledger 1: a funding account without limits and a customer that may not overdraw. */
  async function pair(flags: string[] = []): Promise<{ source: string; target: string }> {
    const source = uuid();
    const target = uuid();
    const created = await api.ok('POST', '/v1/accounts', { accounts: [{ id: source, ledger: 1, code: 10, flags }, { id: target, ledger: 1, code: 20, flags: ['debits_must_not_exceed_credits', ...flags] }] });
    expect(created.results.every((result: { result: string }) => result.result === 'ok')).toBe(true);
    return { source, target };
  }

  it('defines a ledger once: 201 the first time, 200 for the same definition, listed and readable', async () => {
    const created = await api.ok('POST', '/v1/ledgers', { id: 7, asset_code: 'JPY', name: 'Yen' }, 201);
    expect(created).toMatchObject({ id: 7, asset_code: 'JPY', scale: 0, name: 'Yen' });
    expect(await api.ok('POST', '/v1/ledgers', { id: 7, asset_code: 'JPY', name: 'Yen' }, 200)).toEqual(created);
    expect(await api.ok('GET', '/v1/ledgers/7')).toEqual(created);
    const list = await api.ok('GET', '/v1/ledgers');
    expect(list.data.map((ledger: { id: number }) => ledger.id)).toEqual([1, 2, 7]);
    const other = await api.ok('POST', '/v1/ledgers', { id: 8, asset_code: 'CARBON-T', scale: 3, name: 'Carbon tonnes' }, 201);
    expect(other.scale).toBe(3);
  });

  it('registers parties idempotently, reads one and lists them by id', async () => {
    const body = { id: 'party-carol', name: 'Carol', kind: 'individual', jurisdiction: 'SG', metadata: { segment: 'retail' } };
    const created = await api.ok('POST', '/v1/parties', body, 201);
    expect(created).toMatchObject({ id: 'party-carol', kind: 'individual', metadata: { segment: 'retail' } });
    expect(await api.ok('POST', '/v1/parties', body, 200)).toEqual(created);
    expect(await api.ok('GET', '/v1/parties/party-carol')).toEqual(created);
    const list = await api.ok('GET', '/v1/parties');
    expect(list.data.map((party: { id: string }) => party.id)).toEqual(['party-alice', 'party-bob', 'party-carol']);
  });

  it('creates a single account with 201, replays it with 200 and reads it back with zero balances', async () => {
    const id = uuid();
    const body = { id, ledger: 1, code: 300, flags: ['credits_must_not_exceed_debits'], party_id: 'party-alice', metadata: { purpose: 'escrow' } };
    const created = await api.ok('POST', '/v1/accounts', body, 201);
    expect(created).toMatchObject({ id, ledger: 1, code: 300, flags: ['credits_must_not_exceed_debits'], party_id: 'party-alice', metadata: { purpose: 'escrow' }, ...zero });
    expect(await api.ok('POST', '/v1/accounts', body, 200)).toEqual(created);
    // An id in upper case names the same account; reading it also says which key opened it.
    const openedBy = (await api.platform.auth.authenticate(api.adminKey))!.id;
    expect(await api.ok('GET', `/v1/accounts/${id.toUpperCase()}`)).toEqual({ ...created, submitted_by: openedBy });
  });

  it('creates a batch of accounts and answers one result per item, in order', async () => {
    const ids = [uuid(), uuid(), uuid()];
    const answer = await api.ok('POST', '/v1/accounts', {
      accounts: [
        { id: ids[0], ledger: 1, code: 11 },
        { id: ids[1], ledger: 99, code: 11 },
        { id: ids[2], ledger: 2, code: 12, party_id: 'party-nobody' },
      ],
    });
    expect(answer.results).toEqual([
      { index: 0, id: ids[0], result: 'ok', timestamp: expect.stringMatching(/^\d+$/), replayed: false },
      { index: 1, id: ids[1], result: 'ledger_not_found' },
      { index: 2, id: ids[2], result: 'party_not_found' },
    ]);
    await api.ok('GET', `/v1/accounts/${ids[0]}`);
    expectProblem(await api.call('GET', `/v1/accounts/${ids[1]}`), 404, 'account_not_found');
  });

  it('books a single transfer with 201 and answers a replay of the same id and body with 200 and the same transfer', async () => {
    const { source, target } = await pair();
    const body = { id: uuid(), debit_account_id: source, credit_account_id: target, amount: '2500', ledger: 1, code: 5, metadata: { order: 'A-1' } };
    const created = await api.ok('POST', '/v1/transfers', body, 201);
    expect(created).toMatchObject({ id: body.id, debit_account_id: source, credit_account_id: target, amount: '2500', ledger: 1, code: 5, flags: [], pending_id: null, timeout: 0, metadata: { order: 'A-1' } });
    expect(created.timestamp).toMatch(/^\d+$/);
    api.clock.advance(1000);
    const replayed = await api.ok('POST', '/v1/transfers', body, 200);
    expect(replayed).toEqual(created);
    // Reading it also says which key submitted it (test/http/transfer-submitter.test.ts).
    const submittedBy = (await api.platform.auth.authenticate(api.adminKey))!.id;
    expect(await api.ok('GET', `/v1/transfers/${body.id}`)).toEqual({ ...created, submitted_by: submittedBy });
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '2500' });
  });

  it('answers a batch of transfers with 200 and one result per item, in order, booking only the good ones', async () => {
    const { source, target } = await pair();
    const ids = [uuid(), uuid(), uuid(), uuid()];
    const answer = await api.ok('POST', '/v1/transfers', {
      transfers: [
        { id: ids[0], debit_account_id: source, credit_account_id: target, amount: '100', ledger: 1, code: 1 },
        { id: ids[1], debit_account_id: target, credit_account_id: source, amount: '101', ledger: 1, code: 1 },
        { id: ids[2], debit_account_id: source, credit_account_id: uuid(), amount: '1', ledger: 1, code: 1 },
        { id: ids[3], debit_account_id: target, credit_account_id: source, amount: '40', ledger: 1, code: 1 },
      ],
    });
    expect(answer.results.map((result: { index: number; id: string; result: string }) => [result.index, result.id, result.result])).toEqual([
      [0, ids[0], 'ok'], [1, ids[1], 'exceeds_credits'], [2, ids[2], 'credit_account_not_found'], [3, ids[3], 'ok'],
    ]);
    expect(BigInt(answer.results[3].timestamp)).toBeGreaterThan(BigInt(answer.results[0].timestamp));
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '100', debits_posted: '40' });
  });

  it('fails a linked chain together when its last member breaks a rule, and books nothing of it', async () => {
    const { source, target } = await pair();
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: target, amount: '500', ledger: 1, code: 1 }, 201);
    const before = await api.ok('GET', `/v1/accounts/${target}`);
    const ids = [uuid(), uuid(), uuid()];
    const answer = await api.ok('POST', '/v1/transfers', {
      transfers: [
        { id: ids[0], debit_account_id: target, credit_account_id: source, amount: '300', ledger: 1, code: 1, flags: ['linked'] },
        { id: ids[1], debit_account_id: target, credit_account_id: source, amount: '150', ledger: 1, code: 1, flags: ['linked'] },
        { id: ids[2], debit_account_id: target, credit_account_id: source, amount: '100', ledger: 1, code: 1 },
      ],
    });
    expect(answer.results.map((result: { result: string }) => result.result)).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    expect(await api.ok('GET', `/v1/accounts/${target}`)).toEqual(before);
    for (const id of ids) expectProblem(await api.call('GET', `/v1/transfers/${id}`), 404, 'transfer_not_found');
    // The same chain within the balance commits as a whole.
    const retry = await api.ok('POST', '/v1/transfers', {
      transfers: [
        { id: uuid(), debit_account_id: target, credit_account_id: source, amount: '300', ledger: 1, code: 1, flags: ['linked'] },
        { id: uuid(), debit_account_id: target, credit_account_id: source, amount: '200', ledger: 1, code: 1 },
      ],
    });
    expect(retry.results.map((result: { result: string }) => result.result)).toEqual(['ok', 'ok']);
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '500', debits_posted: '500' });
  });

  it('holds funds with a pending transfer, posts part of it, and releases the rest', async () => {
    const { source, target } = await pair();
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: target, amount: '5000', ledger: 1, code: 1 }, 201);
    const pendingId = uuid();
    const pending = await api.ok('POST', '/v1/transfers', { id: pendingId, debit_account_id: target, credit_account_id: source, amount: '3000', ledger: 1, code: 2, flags: ['pending'], timeout: 3600 }, 201);
    expect(pending).toMatchObject({ flags: ['pending'], timeout: 3600 });
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '5000', debits_pending: '3000' });
    expect((await api.ok('GET', `/v1/transfers/${pendingId}`)).pending_status).toBe('pending');

    const post = await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pendingId, amount: '1200', flags: ['post_pending'] }, 201);
    expect(post).toMatchObject({ pending_id: pendingId, amount: '1200', debit_account_id: target, credit_account_id: source, ledger: 1, code: 2, flags: ['post_pending'] });
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '5000', debits_posted: '1200' });
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${source}`))).toEqual({ ...zero, debits_posted: '5000', credits_posted: '1200' });
    expect((await api.ok('GET', `/v1/transfers/${pendingId}`)).pending_status).toBe('posted');
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), pending_id: pendingId, flags: ['void_pending'] }), 422, 'pending_transfer_already_posted', '/pending_id');
  });

  it('voids a pending transfer and gives the held funds back', async () => {
    const { source, target } = await pair();
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: target, amount: '800', ledger: 1, code: 1 }, 201);
    const pendingId = uuid();
    await api.ok('POST', '/v1/transfers', { id: pendingId, debit_account_id: target, credit_account_id: source, amount: '800', ledger: 1, code: 2, flags: ['pending'] }, 201);
    // With everything held, a plain transfer out of the account is refused.
    expectProblem(await api.call('POST', '/v1/transfers', { id: uuid(), debit_account_id: target, credit_account_id: source, amount: '1', ledger: 1, code: 1 }), 422, 'exceeds_credits', '/amount');
    const voided = await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pendingId, flags: ['void_pending'] }, 201);
    expect(voided).toMatchObject({ amount: '800', flags: ['void_pending'], pending_id: pendingId });
    expect((await api.ok('GET', `/v1/transfers/${pendingId}`)).pending_status).toBe('voided');
    expect(balancesOf(await api.ok('GET', `/v1/accounts/${target}`))).toEqual({ ...zero, credits_posted: '800' });
  });

  it('answers a series of balances at evenly spaced instants, each as the point-in-time answer gives it', async () => {
    const { source, target } = await pair();
    const opened = BigInt((await api.ok('GET', `/v1/accounts/${target}`)).timestamp);
    for (const amount of ['300', '200', '100']) {
      api.clock.advance(10_000);
      await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: target, amount, ledger: 1, code: 1 }, 201);
    }
    api.clock.advance(10_000);
    const series = await api.ok('GET', `/v1/accounts/${target}/balances/series?points=5`);
    expect(series.account_id).toBe(target);
    expect(series.points.map((point: { at: string }) => BigInt(point.at))).toEqual(
      [0n, 1n, 2n, 3n, 4n].map((index) => opened + ((BigInt(api.clock.nowMs()) * 1_000_000n - opened) * index) / 4n),
    );
    for (const point of series.points) {
      const single = await api.ok('GET', `/v1/accounts/${target}/balances?at=${point.at}`);
      expect(balancesOf(point)).toEqual(balancesOf(single));
    }
    expect(series.points[0].credits_posted).toBe('0');
    expect(series.points[4].credits_posted).toBe('600');
    // Default: 24 points from the opening to now.
    expect((await api.ok('GET', `/v1/accounts/${target}/balances/series`)).points).toHaveLength(24);
    const explicit = await api.ok('GET', `/v1/accounts/${target}/balances/series?from=${opened}&to=${opened + 2n}&points=3`);
    expect(explicit.points.map((point: { at: string }) => point.at)).toEqual([String(opened), String(opened + 1n), String(opened + 2n)]);
    expectProblem(await api.call('GET', `/v1/accounts/${target}/balances/series?points=1`), 400, undefined, '/query/points');
    expectProblem(await api.call('GET', `/v1/accounts/${target}/balances/series?points=201`), 400, undefined, '/query/points');
    expectProblem(await api.call('GET', `/v1/accounts/${target}/balances/series?from=${opened}&to=${opened}`), 400, 'invalid_range', '/query/to');
    expectProblem(await api.call('GET', `/v1/accounts/${target}/balances/series?from=tomorrow`), 400, 'invalid_instant', '/query/from');
    expectProblem(await api.call('GET', `/v1/accounts/${uuid()}/balances/series`), 404, 'account_not_found');
  });

  it('answers balances now and at past instants, in ISO 8601 or nanoseconds, for history and non-history accounts', async () => {
    const { source, target } = await pair(['history']);
    const plainTarget = uuid();
    await api.ok('POST', '/v1/accounts', { id: plainTarget, ledger: 1, code: 20 }, 201);
    api.clock.advance(60_000);
    const firstMs = api.clock.nowMs();
    const first = await api.ok('POST', '/v1/transfers', { transfers: [
      { id: uuid(), debit_account_id: source, credit_account_id: target, amount: '700', ledger: 1, code: 1 },
      { id: uuid(), debit_account_id: source, credit_account_id: plainTarget, amount: '700', ledger: 1, code: 1 },
    ] });
    api.clock.advance(60_000);
    const pendingId = uuid();
    const second = await api.ok('POST', '/v1/transfers', { transfers: [
      { id: uuid(), debit_account_id: target, credit_account_id: source, amount: '200', ledger: 1, code: 1 },
      { id: pendingId, debit_account_id: plainTarget, credit_account_id: source, amount: '300', ledger: 1, code: 1, flags: ['pending'] },
    ] });
    api.clock.advance(60_000);
    await api.ok('POST', '/v1/transfers', { id: uuid(), pending_id: pendingId, flags: ['void_pending'] }, 201);
    const firstAt = BigInt(first.results[1].timestamp);
    const secondAt = BigInt(second.results[1].timestamp);

    const at = async (account: string, instant?: string) => {
      const answer = await api.ok('GET', `/v1/accounts/${account}/balances${instant === undefined ? '' : `?at=${encodeURIComponent(instant)}`}`);
      expect(answer.account_id).toBe(account);
      return answer;
    };
    // Now, before anything, between the two batches (in nanoseconds and as ISO), and after the second.
    expect(await at(target)).toMatchObject({ source: 'current', credits_posted: '700', debits_posted: '200' });
    expect(await at(plainTarget)).toMatchObject({ source: 'current', credits_posted: '700', debits_pending: '0' });
    expect(await at(target, '2025-12-31T00:00:00Z')).toMatchObject(zero);
    expect(await at(target, String(firstAt))).toMatchObject({ source: 'recorded', ...zero, credits_posted: '700' });
    expect(await at(plainTarget, String(firstAt))).toMatchObject({ source: 'computed', ...zero, credits_posted: '700' });
    expect(await at(plainTarget, String(firstAt - 1n))).toMatchObject({ source: 'computed', ...zero });
    const between = new Date(firstMs + 30_000).toISOString();
    expect(BigInt(Date.parse(between)) * 1_000_000n).toBeGreaterThan(firstAt);
    expect(BigInt(Date.parse(between)) * 1_000_000n).toBeLessThan(secondAt);
    expect(await at(target, between)).toMatchObject({ source: 'recorded', ...zero, credits_posted: '700' });
    expect(await at(plainTarget, between)).toMatchObject({ source: 'computed', ...zero, credits_posted: '700' });
    // While the pending transfer was open it held 300; after the void it holds nothing.
    expect(await at(plainTarget, String(secondAt))).toMatchObject({ ...zero, credits_posted: '700', debits_pending: '300' });
    expect(await at(target, String(secondAt))).toMatchObject({ ...zero, credits_posted: '700', debits_posted: '200' });
    const later = new Date(api.clock.nowMs() + 1000).toISOString().replace('Z', '+00:00');
    expect(await at(plainTarget, later)).toMatchObject({ ...zero, credits_posted: '700' });
    // A nanosecond-precision ISO instant names the same moment as its nanoseconds.
    const isoOfFirst = (await api.ok('GET', `/v1/transfers/${first.results[1].id}`)).created_at as string;
    expect(await at(plainTarget, isoOfFirst)).toEqual(await at(plainTarget, String(firstAt)));
  });

  it('pages through the balance history of a history account with a cursor, in both orders', async () => {
    const { source, target } = await pair(['history']);
    for (let index = 1; index <= 9; index++) {
      api.clock.advance(1000);
      await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: target, amount: String(index), ledger: 1, code: 1 }, 201);
    }
    const all = await api.ok('GET', `/v1/accounts/${target}/history?limit=100`);
    expect(all.next_cursor).toBeNull();
    expect(all.data).toHaveLength(9);
    const paged = await pageThrough(api, `/v1/accounts/${target}/history`, 4);
    expect(paged).toEqual(all.data);
    // Each snapshot is the balance after one change: 1, 1+2, 1+2+3 …
    expect(paged.map((row: Balances) => row.credits_posted)).toEqual(['1', '3', '6', '10', '15', '21', '28', '36', '45']);
    const descending = await pageThrough(api, `/v1/accounts/${target}/history?order=desc`, 2);
    expect(descending).toEqual([...all.data].reverse());
    const window = await api.ok('GET', `/v1/accounts/${target}/history?from=${paged[2].timestamp}&to=${paged[5].timestamp}`);
    expect(window.data).toEqual(paged.slice(2, 5));
    // Accounts without the history flag keep no history.
    expectProblem(await api.call('GET', `/v1/accounts/${fixture.bob}/history`), 409, 'account_history_not_enabled');
  });

  it('queries transfers by account, code and time range, and a cursor walk returns exactly the whole set', async () => {
    const { source, target } = await pair();
    const code = 4242;
    const ids: string[] = [];
    const stamps: bigint[] = [];
    for (let batch = 0; batch < 5; batch++) {
      api.clock.advance(10_000);
      const transfers = Array.from({ length: 5 }, (_, index) => ({ id: uuid(), debit_account_id: source, credit_account_id: target, amount: String(10 + index), ledger: 1, code: index % 2 === 0 ? code : code + 1 }));
      const answer = await api.ok('POST', '/v1/transfers', { transfers });
      ids.push(...transfers.map((transfer) => transfer.id));
      stamps.push(...answer.results.map((result: { timestamp: string }) => BigInt(result.timestamp)));
    }
    const byAccount = await pageThrough(api, `/v1/transfers?account_id=${target}`, 7);
    expect(byAccount.map((transfer: { id: string }) => transfer.id)).toEqual(ids);
    const byAccountDescending = await pageThrough(api, `/v1/transfers?account_id=${source}&order=desc`, 6);
    expect(byAccountDescending.map((transfer: { id: string }) => transfer.id)).toEqual([...ids].reverse());
    const byCode = await pageThrough(api, `/v1/transfers?code=${code}`, 4);
    expect(byCode.map((transfer: { id: string }) => transfer.id)).toEqual(ids.filter((_, index) => index % 5 % 2 === 0));
    expect(byCode).toHaveLength(15);
    // A time range is [from, to): from the first of the second batch up to the first of the fifth.
    const from = stamps[5]!;
    const to = stamps[20]!;
    const byTime = await pageThrough(api, `/v1/transfers?account_id=${target}&from=${from}&to=${to}`, 4);
    expect(byTime.map((transfer: { id: string }) => transfer.id)).toEqual(ids.slice(5, 20));
    const isoFrom = new Date(START_MS).toISOString();
    const everything = await pageThrough(api, `/v1/transfers?ledger=1&from=${isoFrom}`, 100);
    expect(everything.length).toBeGreaterThanOrEqual(25);
    const timestamps = everything.map((transfer: { timestamp: string }) => BigInt(transfer.timestamp));
    expect(timestamps).toEqual([...timestamps].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0)));
    expect(new Set(everything.map((transfer: { id: string }) => transfer.id)).size).toBe(everything.length);
  });

  it('lists accounts with a cursor and filters by ledger, code and party', async () => {
    const all = await pageThrough(api, '/v1/accounts', 3);
    const direct = await api.ok('GET', '/v1/accounts?limit=100');
    expect(all).toEqual(direct.data);
    const foreign = await api.ok('GET', '/v1/accounts?ledger=2');
    expect(foreign.data.map((account: { id: string }) => account.id)).toContain(fixture.foreign);
    expect(foreign.data.every((account: { ledger: number }) => account.ledger === 2)).toBe(true);
    const alice = await api.ok('GET', '/v1/accounts?party_id=party-alice&code=200');
    expect(alice.data.map((account: { id: string }) => account.id)).toEqual([fixture.alice]);
  });

  it('verifies the journal over everything booked so far', async () => {
    const head = await api.ok('GET', '/v1/journal/head');
    expect(BigInt(head.seq)).toBeGreaterThan(5n);
    expect(head.algorithm).toBe('sha256');
    const report = await api.ok('GET', '/v1/journal/verify');
    expect(report).toMatchObject({ ok: true, problems: [], head_seq: head.seq, head_hash: head.hash });
    expect(report.entries).toBe(Number(head.seq));
    const entries = await api.ok('GET', '/v1/journal/entries?limit=3');
    expect(entries.data.map((entry: { seq: string }) => entry.seq)).toEqual(['1', '2', '3']);
    expect(entries.data[1].prev_hash).toBe(entries.data[0].hash);
    const next = await api.ok('GET', '/v1/journal/entries?after=3&limit=1');
    expect(next.data[0].prev_hash).toBe(entries.data[2].hash);
  });

  it('answers /healthz and /readyz without a key', async () => {
    expect(await api.ok('GET', '/healthz', undefined, 200, { key: null })).toEqual({ status: 'ok' });
    expect(await api.ok('GET', '/readyz', undefined, 200, { key: null })).toMatchObject({ status: 'ready', database: api.platform.db.dialect, queued_items: 0 });
  });

  it('exposes Prometheus metrics of requests and ledger batches', async () => {
    const response = await api.call('GET', '/metrics', undefined, { key: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of ['sluice_ledger_batch_items_bucket', 'sluice_ledger_commit_seconds', 'sluice_ledger_results_total{kind="transfers",outcome="ok"}', 'sluice_http_requests_total', 'sluice_process_cpu_user_seconds_total']) {
      expect(response.body).toContain(name);
    }
    const count = /^sluice_ledger_batch_items_count (\d+)$/m.exec(response.body);
    expect(Number(count?.[1])).toBeGreaterThan(0);
  });

  it('serves an OpenAPI 3.1 document that describes the ledger routes, and an HTML reference', async () => {
    const document = await api.ok('GET', '/openapi.json', undefined, 200, { key: null });
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Sluice API', version: 'test' });
    for (const path of ['/v1/transfers', '/v1/accounts', '/v1/accounts/{id}/balances', '/v1/ledgers', '/v1/parties', '/v1/journal/verify']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect(document.paths['/v1/transfers'].post.requestBody).toBeDefined();
    expect(document.paths['/v1/transfers'].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(expect.arrayContaining(['account_id', 'cursor', 'limit']));
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.paths)).not.toContain('/healthz');
    // Every section an operation is filed under is declared with a description, so none is a bare name.
    const declared = new Map((document.tags as { name: string; description: string }[]).map((tag) => [tag.name, tag.description]));
    const used = new Set(Object.values(document.paths as Record<string, Record<string, { tags?: string[] }>>).flatMap((operations) => Object.values(operations).flatMap((operation) => operation.tags ?? ['(none)'])));
    expect([...used].filter((tag) => !declared.get(tag)), 'operation tags without a declared, described section').toEqual([]);
    expect([...declared.keys()].filter((tag) => !used.has(tag)), 'declared sections no operation uses').toEqual([]);
    const docs = await api.call('GET', '/docs', undefined, { key: null });
    const page = docs.statusCode === 302 ? await api.call('GET', docs.headers.location as string, undefined, { key: null }) : docs;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).toMatch(/<title>Sluice API reference<\/title>/);
  });

  it('sends security headers and echoes a well-formed request id', async () => {
    const response = await api.call('GET', '/healthz', undefined, { key: null, headers: { 'x-request-id': 'trace-42' } });
    expect(response.headers['x-request-id']).toBe('trace-42');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    // TLS ends at the proxy in front of Sluice, which decides on HSTS.
    expect(response.headers['strict-transport-security']).toBeUndefined();
    // Refusals carry the same headers as answers.
    const missing = await api.call('GET', '/v1/no-such-route', undefined, { key: null });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    expect(missing.headers['content-security-policy']).toBe(response.headers['content-security-policy']);
    const odd = await api.call('GET', '/healthz', undefined, { key: null, headers: { 'x-request-id': 'not ok' } });
    expect(odd.headers['x-request-id']).not.toBe('not ok');
  });

  it('tells every cache not to keep API answers, which carry balances and one-time secrets', async () => {
    const created = await api.call('POST', '/v1/api-keys', { name: 'cache probe', role: 'auditor' });
    expect(created.statusCode).toBe(201);
    const listed = await api.call('GET', '/v1/accounts');
    const refused = await api.call('GET', '/v1/accounts', undefined, { key: null });
    for (const response of [created, listed, refused]) expect(response.headers['cache-control']).toBe('no-store');
  });
});
