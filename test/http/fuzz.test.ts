/**
 * Fuzzing the HTTP edge: arbitrary JSON bodies, near-valid transfers with one field broken, random
 * flags, raw text, and random paths and query strings, all sent with a valid admin key. Whatever
 * arrives, the answer is never a 5xx, every 4xx is a problem with a code, and afterwards the books
 * still balance and the journal still verifies.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { seed, startApi, uuid, type Api, type Fixture, type Method } from './harness.ts';

/**
 * Runs per property on SQLite; PostgreSQL commits cost more, so it gets a quarter as many.
 * SLUICE_FUZZ_RUNS raises the count for a longer hunt by hand.
 */
const SQLITE_RUNS = Number(process.env.SLUICE_FUZZ_RUNS) || 250;
const POSTGRES_SHARE = 4;

/** A number literal written into the JSON text as is, because JSON.stringify cannot write one this large. */
class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawNumber literals verbatim. */
function toJsonText(value: unknown): string {
  const markers: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawNumber) {
      markers.push(item.text);
      return `\u0000raw${markers.length - 1}\u0000`;
    }
    return item;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index: string) => markers[Number(index)] as string);
}

const TRANSFER_FLAGS = ['linked', 'pending', 'post_pending', 'void_pending', 'balancing_debit', 'balancing_credit'];
const ACCOUNT_FLAGS = ['debits_must_not_exceed_credits', 'credits_must_not_exceed_debits', 'history', 'closed'];
const TRANSFER_FIELDS = ['id', 'debit_account_id', 'credit_account_id', 'amount', 'ledger', 'code', 'flags', 'pending_id', 'timeout', 'metadata'];

const hugeNumber = fc.oneof(
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((value) => new RawNumber(String(value))),
  fc.constantFrom('1e400', '-1e400', '9223372036854775808', '18446744073709551616', '1.0000000000000000001', '-0', '4294967296', '65536').map((text) => new RawNumber(text)),
);
const unicodeText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '\u0000', '\ud83d\udcb8', '\u202e', 'é', '𝟙𝟚𝟛', '%00', '../../etc/passwd', "'; DROP TABLE ledger_accounts; --", '__proto__', 'constructor'),
);
const weirdKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'transfers', 'accounts', 'a/b', '~', ''), unicodeText);

/** Any JSON, with the awkward corners over-weighted: huge numbers, odd strings, nulls, deep nesting. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    hugeNumber,
    unicodeText,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(weirdKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

interface Bodies {
  readonly fixture: Fixture;
  readonly accountIds: readonly string[];
  /** Pending transfers booked before the run, for posts and voids to name. */
  readonly pendingIds: readonly string[];
}

const metadata = fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 });

/** Replaces one field by junk, removes it, or adds an unknown one: the near misses a careless client sends. */
function mutateOne(valid: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[]) {
  return fc.tuple(valid, fc.constantFrom(...fields, 'unknown'), fc.constantFrom('replace', 'delete'), anyJson).map(([item, field, how, junk]) => {
    const mutated: Record<string, unknown> = { ...item };
    if (field === 'unknown') mutated[`x_${Object.keys(mutated).length}`] = junk;
    else if (how === 'delete') delete mutated[field];
    else mutated[field] = junk;
    return mutated;
  });
}

/** A transfer the ledger may well accept: known accounts of ledger 1, sane amounts, compatible flags. */
function validTransfer(bodies: Bodies): fc.Arbitrary<Record<string, unknown>> {
  const { bank, alice, bob } = bodies.fixture;
  const plain = fc.record({
    id: fc.uuid(),
    pair: fc.constantFrom([bank, alice], [bank, bob], [alice, bob], [bob, alice], [alice, bank], [bob, bank]),
    amount: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 5_000 }).map(String) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String) }),
    code: fc.integer({ min: 1, max: 65_535 }),
    flags: fc.constantFrom<string[]>([], [], ['pending'], ['linked'], ['balancing_debit'], ['balancing_credit'], ['pending', 'balancing_debit']),
    timeout: fc.integer({ min: 0, max: 86_400 }),
    metadata: fc.option(metadata, { nil: undefined }),
  }).map(({ pair: [debit, credit], flags, timeout, metadata: extra, ...rest }) => ({
    ...rest, debit_account_id: debit, credit_account_id: credit, ledger: 1, flags,
    ...(flags.includes('pending') ? { timeout } : {}), ...(extra ? { metadata: extra } : {}),
  }));
  const resolve = fc.record(
    { id: fc.uuid(), pending_id: fc.oneof(fc.constantFrom(...bodies.pendingIds), fc.uuid()), flags: fc.constantFrom(['post_pending'], ['void_pending']), amount: fc.integer({ min: 1, max: 600 }).map(String) },
    { requiredKeys: ['id', 'pending_id', 'flags'] },
  );
  return fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: resolve });
}

/** A transfer built from loosely plausible parts (unknown accounts, any flags, any ledger) that is rarely valid. */
function plausibleTransfer(bodies: Bodies) {
  const accountId = fc.oneof(fc.constantFrom(...bodies.accountIds), fc.uuid());
  return fc.record(
    {
      id: fc.uuid(),
      debit_account_id: accountId,
      credit_account_id: accountId,
      amount: fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 64n }).map(String), fc.integer({ min: 1, max: 20_000 }).map(String)),
      ledger: fc.constantFrom(1, 2, 3),
      code: fc.integer({ min: 1, max: 65_535 }),
      flags: fc.subarray(TRANSFER_FLAGS),
      pending_id: fc.uuid(),
      timeout: fc.integer({ min: 0, max: 400_000_000 }),
      metadata,
    },
    { requiredKeys: ['id'] },
  );
}

const randomFlags = fc.array(fc.oneof(fc.constantFrom(...TRANSFER_FLAGS, ...ACCOUNT_FLAGS), unicodeText, anyJson), { maxLength: 8 });

function transferBody(bodies: Bodies) {
  const item = fc.oneof(
    { weight: 3, arbitrary: validTransfer(bodies) },
    { weight: 3, arbitrary: mutateOne(validTransfer(bodies), TRANSFER_FIELDS) },
    { weight: 1, arbitrary: plausibleTransfer(bodies) },
    { weight: 1, arbitrary: validTransfer(bodies).chain((transfer) => randomFlags.map((flags) => ({ ...transfer, flags }))) },
  );
  return fc.oneof(
    { weight: 4, arbitrary: item },
    { weight: 2, arbitrary: fc.array(item, { minLength: 0, maxLength: 6 }).map((transfers) => ({ transfers })) },
    { weight: 1, arbitrary: anyJson },
  );
}

function accountBody() {
  const valid = fc.record({
    id: fc.uuid(),
    ledger: fc.constantFrom(1, 2),
    code: fc.integer({ min: 1, max: 65_535 }),
    flags: fc.constantFrom([], ['debits_must_not_exceed_credits'], ['credits_must_not_exceed_debits', 'history'], ['history']),
    party_id: fc.constantFrom('party-alice', 'party-bob'),
    metadata,
  }, { requiredKeys: ['id', 'ledger', 'code'] });
  const loose = fc.record(
    {
      id: fc.oneof(fc.uuid(), unicodeText),
      ledger: fc.oneof(fc.constantFrom(1, 2, 99), anyJson),
      code: fc.oneof(fc.integer({ min: 0, max: 70_000 }), anyJson),
      flags: fc.oneof(fc.subarray(ACCOUNT_FLAGS), randomFlags),
      party_id: fc.oneof(fc.constantFrom('party-alice', 'party-bob', 'party-ghost'), unicodeText),
      metadata: anyJson,
    },
    { requiredKeys: [] },
  );
  const account = fc.oneof(valid, mutateOne(valid, ['id', 'ledger', 'code', 'flags', 'party_id', 'metadata']), loose);
  return fc.oneof(account, fc.array(account, { maxLength: 4 }).map((accounts) => ({ accounts })), anyJson);
}

const otherBody = fc.oneof(
  fc.record({ id: fc.oneof(fc.integer({ min: -5, max: 2 ** 33 }), anyJson), asset_code: fc.oneof(fc.constantFrom('CNY', 'JPY', 'XAU', 'a'), unicodeText), scale: anyJson, name: fc.oneof(unicodeText, anyJson) }, { requiredKeys: [] }),
  fc.record({ id: fc.oneof(fc.stringMatching(/^[a-z-]{1,12}$/), unicodeText), name: unicodeText, kind: fc.oneof(fc.constantFrom('bank', 'individual'), unicodeText), jurisdiction: fc.oneof(fc.constantFrom('CN', 'HK'), unicodeText), metadata: anyJson }, { requiredKeys: [] }),
  anyJson,
);

const QUERY_KEYS = ['limit', 'cursor', 'order', 'at', 'from', 'to', 'account_id', 'code', 'ledger', 'party_id', 'after', 'junk'];
/** Cursors a client might forge: numbers of any size, text with control characters, or no prefix at all. */
const forgedCursor = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((position) => `v1:${position}`),
  fc.string({ unit: 'binary', maxLength: 30 }).map((text) => `v1:${text}`),
  fc.string({ maxLength: 30 }),
).map((text) => Buffer.from(text).toString('base64url'));
/** Instants with every field possibly out of range, in both accepted spellings. */
const oddInstant = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.constantFrom('Z', '+08:00', '-23:59', '+99:99', ''))
    .map(([year, month, day, hour, zone]) => `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.123456789${zone}`),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 66n }).map(String),
  fc.stringMatching(/^\d{18,21}$/),
);
const queryValue = fc.oneof(
  forgedCursor,
  oddInstant,
  fc.integer({ min: -10, max: 200 }).map(String),
  fc.constantFrom('asc', 'desc', '', '0', '-1', '1e3', '99999999999999999999', '9223372036854775807', '2026-01-01T00:00:00Z', '2026-02-30T25:61:61.1234567891Z', 'dGVzdA', 'djE6MTIz', 'djE6LTE', 'djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5'),
  fc.uuid(),
  unicodeText,
);
const queryString = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), unicodeText), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`));

function getPath(bodies: Bodies) {
  const known = fc.constantFrom(...bodies.accountIds);
  return fc.oneof(
    fc.constantFrom('/v1/accounts', '/v1/transfers', '/v1/ledgers', '/v1/parties', '/v1/journal/head', '/v1/journal/entries', '/v1/api-keys'),
    known.map((id) => `/v1/accounts/${id}`),
    fc.tuple(known, fc.constantFrom('balances', 'history')).map(([id, tail]) => `/v1/accounts/${id}/${tail}`),
    fc.tuple(fc.constantFrom('accounts', 'transfers', 'ledgers', 'parties'), unicodeText).map(([collection, id]) => `/v1/${collection}/${encodeURIComponent(id)}`),
    fc.tuple(fc.oneof(known, unicodeText.map(encodeURIComponent)), fc.constantFrom('balances', 'history', 'close', 'reopen', '')).map(([id, tail]) => `/v1/accounts/${id}/${tail}`),
    fc.array(unicodeText.map(encodeURIComponent), { maxLength: 4 }).map((segments) => `/v1/${segments.join('/')}`),
    fc.tuple(fc.constantFrom('accounts', 'transfers', 'parties'), fc.string({ minLength: 60, maxLength: 400 })).map(([collection, id]) => `/v1/${collection}/${encodeURIComponent(id)}`),
    fc.constantFrom('/v1/accounts/%zz', '/v1/%', '/v1/transfers/%E0%A4%A', '//v1//accounts', '/v1/accounts/../ledgers'),
  );
}

/** The property every answer must have: never a server error, and every client error a problem with a code. */
function expectWellFormed(response: LightMyRequestResponse, request: string): void {
  expect(response.statusCode, `${request} → ${response.body.slice(0, 500)}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    expect(response.headers['content-type'], `${request} → ${response.body.slice(0, 500)}`).toMatch(/^application\/problem\+json/);
    const problem = response.json() as { code?: unknown; status?: unknown };
    expect(typeof problem.code, request).toBe('string');
    expect(problem.status, request).toBe(response.statusCode);
  } else if (response.statusCode !== 204) {
    expect(() => response.json(), request).not.toThrow();
  }
}

describeEachDialect('HTTP fuzzing', ({ dialect, open }) => {
  let api: Api;
  let bodies: Bodies;
  const numRuns = dialect === 'sqlite' ? SQLITE_RUNS : Math.ceil(SQLITE_RUNS / POSTGRES_SHARE);

  beforeAll(async () => {
    api = await startApi(open);
    const fixture = await seed(api);
    // Pending transfers give the fuzzer something real to post or void.
    const pending = Array.from({ length: 6 }, (_, index) => ({ id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.bob, amount: String(100 * (index + 1)), ledger: 1, code: 1, flags: ['pending'] }));
    await api.ok('POST', '/v1/transfers', { transfers: pending });
    bodies = { fixture, accountIds: [fixture.bank, fixture.alice, fixture.bob, fixture.foreign], pendingIds: pending.map((transfer) => transfer.id) };
  });
  afterAll(async () => {
    await api.close();
  });

  it('never answers a POST of arbitrary JSON with a server error, and refuses it with a problem', async () => {
    const statuses = new Set<number>();
    const target = fc.oneof(
      fc.tuple(fc.constant('/v1/transfers'), transferBody(bodies)),
      fc.tuple(fc.constant('/v1/accounts'), accountBody()),
      fc.tuple(fc.constantFrom('/v1/ledgers', '/v1/parties', '/v1/api-keys', `/v1/accounts/${bodies.fixture.bob}/close`, `/v1/accounts/${bodies.fixture.bob}/reopen`), otherBody),
    );
    await fc.assert(
      fc.asyncProperty(target, async ([url, body]) => {
        const text = toJsonText(body);
        const response = await api.call('POST', url, undefined, { raw: text });
        expectWellFormed(response, `POST ${url} ${text.slice(0, 300)}`);
        statuses.add(response.statusCode);
      }),
      { numRuns },
    );
    // The generators are meant to reach the ledger, not only the schema: some bodies must be accepted.
    expect([...statuses].some((status) => status === 200 || status === 201), `statuses seen: ${[...statuses].join(', ')}`).toBe(true);
  });

  it('never answers raw text that is not JSON, or is JSON of another content type, with a server error', async () => {
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      anyJson.map((value) => toJsonText(value).slice(0, -1)),
      fc.constantFrom('{"transfers": [', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}', '\ufeff{}', '{"a":1}{"b":2}', 'null', '[]', '"text"', '1e999'),
    );
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/transfers', '/v1/accounts', '/v1/ledgers'), raw, contentType, async (url, text, type) => {
        const response = await api.call('POST', url, undefined, { raw: text, headers: { 'content-type': type } });
        expectWellFormed(response, `POST ${url} (${type}) ${JSON.stringify(text).slice(0, 300)}`);
      }),
      { numRuns },
    );
  });

  it('never answers a random method, path and query string with a server error', async () => {
    const method = fc.constantFrom<Method>('GET', 'GET', 'GET', 'GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD');
    await fc.assert(
      fc.asyncProperty(method, getPath(bodies), queryString, async (verb, path, query) => {
        const response = await api.call(verb, `${path}${query}`);
        if (verb === 'HEAD') expect(response.statusCode, `HEAD ${path}${query}`).toBeLessThan(500);
        else expectWellFormed(response, `${verb} ${path}${query}`);
      }),
      { numRuns },
    );
  });

  it('leaves books that balance and a journal that verifies after all of it', async () => {
    const accounts = await api.platform.ledger.listAccounts({ order: 'asc', limit: 100_000 });
    const byLedger = new Map<number, { debits: bigint; credits: bigint }>();
    for (const account of accounts) {
      const totals = byLedger.get(account.ledger) ?? { debits: 0n, credits: 0n };
      totals.debits += account.debitsPosted + account.debitsPending;
      totals.credits += account.creditsPosted + account.creditsPending;
      byLedger.set(account.ledger, totals);
    }
    for (const [ledger, totals] of byLedger) expect(totals.debits, `ledger ${ledger}`).toBe(totals.credits);
    const report = await api.ok('GET', '/v1/journal/verify');
    expect(report).toMatchObject({ ok: true, problems: [] });
  });
});
