/**
 * Shared set-up of the HTTP tests: a platform on a fresh database, the Fastify app on top of it
 * (driven with `inject`, so no socket is opened), a manual clock the tests move between steps, and
 * helpers to call the API and to check problem answers.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Database } from '../../src/db/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { createManualClock, type ManualClock } from '../../src/kernel/index.ts';
import type { CheckpointSignatureVerifier } from '../../src/modules/journal/index.ts';
import type { WebhookResolver } from '../../src/modules/payments/index.ts';
import { createPlatform, type Platform } from '../../src/platform.ts';

/** 2026-01-01T00:00:00Z: every test starts its clock at this instant, so timestamps are predictable. */
export const START_MS = Date.UTC(2026, 0, 1);

export type Method = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'HEAD' | 'OPTIONS';

export interface CallOptions {
  /** The API key to send; null sends none. Defaults to the bootstrap admin key. */
  readonly key?: string | null;
  /** A raw payload sent as is (for malformed JSON or huge bodies) instead of `body` as JSON. */
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export interface Api {
  readonly app: FastifyInstance;
  readonly platform: Platform;
  readonly clock: ManualClock;
  readonly adminKey: string;
  call(method: Method, url: string, body?: unknown, options?: CallOptions): Promise<LightMyRequestResponse>;
  /** Calls the API and fails the test unless the status is the one expected; returns the JSON body. */
  ok<T = any>(method: Method, url: string, body?: unknown, expected?: number, options?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

export interface ApiOptions {
  readonly rateLimitPerMinute?: number;
  readonly webhookPrivateAddresses?: boolean;
  readonly webhookAllowedNetworks?: readonly string[];
  /** Answers webhook host names instead of DNS, so that no test depends on the network. */
  readonly webhookResolver?: WebhookResolver;
  /** pino options for the app's logger (a `stream` captures its lines); silent by default. */
  readonly logger?: object;
  /** Verifies checkpoints' signatures instead of the process's shared worker (to test its bound or its failure). */
  readonly checkpointVerifier?: CheckpointSignatureVerifier;
}

export async function startApi(open: () => Promise<Database>, options: ApiOptions = {}): Promise<Api> {
  const db = await open();
  const clock = createManualClock(START_MS);
  const metrics = createMetrics();
  const platform = await createPlatform({
    db, clock, expiryIntervalMs: 0, ledgerMetrics: metrics.ledger, webhookPrivateAddresses: options.webhookPrivateAddresses ?? false,
    webhookAllowedNetworks: options.webhookAllowedNetworks ?? [], ...(options.webhookResolver ? { webhookResolver: options.webhookResolver } : {}),
    ...(options.checkpointVerifier ? { checkpointVerifier: options.checkpointVerifier } : {}),
  });
  const adminKey = await platform.auth.bootstrap();
  if (!adminKey) throw new Error('a fresh database must hand out a bootstrap key');
  const app = await buildApp({ platform, metrics, logger: options.logger ?? false, rateLimitPerMinute: options.rateLimitPerMinute ?? 1_000_000, version: 'test' });
  await app.ready();

  const call: Api['call'] = (method, url, body, callOptions = {}) => {
    const key = callOptions.key === undefined ? adminKey : callOptions.key;
    const headers: Record<string, string> = { ...(key === null ? {} : { authorization: `Bearer ${key}` }) };
    let payload: string | Buffer | undefined;
    if (callOptions.raw !== undefined) {
      payload = callOptions.raw;
      headers['content-type'] = 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return app.inject({ method, url, payload, headers: { ...headers, ...callOptions.headers } });
  };

  return {
    app,
    platform,
    clock,
    adminKey,
    call,
    async ok(method, url, body, expected = 200, callOptions) {
      const response = await call(method, url, body, callOptions);
      expect(response.statusCode, `${method} ${url} answered ${response.body}`).toBe(expected);
      return (response.body ? response.json() : undefined) as never;
    },
    async close() {
      await app.close();
      await platform.close();
    },
  };
}

/**
 * Asserts an RFC 9457 problem answer: the status, the content type, the five members every problem
 * carries, and (when given) that some entry of `errors` points at the field at fault.
 */
export function expectProblem(response: LightMyRequestResponse, status: number, code?: string, pointer?: string): Record<string, any> {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json() as Record<string, any>;
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), code: expect.any(String), detail: expect.any(String) });
  expect(problem.type).toBe(`/problems/${problem.code}`);
  if (code !== undefined) expect(problem.code).toBe(code);
  if (pointer !== undefined) {
    const pointers = ((problem.errors ?? []) as { pointer: string }[]).map((error) => error.pointer);
    expect(pointers, `errors of ${response.body}`).toContain(pointer);
  }
  return problem;
}

/** A random UUIDv4, as a client would make up its own ids. */
export const uuid = (): string => crypto.randomUUID();

export interface Fixture {
  readonly ledger: number;
  /** A settlement account that may go negative (no balance limits), with the history flag. */
  readonly bank: string;
  /** Customer accounts that may not overdraw: one with history, one without. */
  readonly alice: string;
  readonly bob: string;
  /** An account on another ledger, for mismatch tests. */
  readonly foreign: string;
}

/**
 * Two ledgers, two parties and four accounts, with alice funded by 10,000 minor units from the bank.
 * Alice and bob belong to parties `party-alice` and `party-bob`.
 */
export async function seed(api: Api): Promise<Fixture> {
  await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
  await api.ok('POST', '/v1/ledgers', { id: 2, asset_code: 'HKD', name: 'Hong Kong dollar' }, 201);
  await api.ok('POST', '/v1/parties', { id: 'party-alice', name: 'Alice', kind: 'individual', jurisdiction: 'CN' }, 201);
  await api.ok('POST', '/v1/parties', { id: 'party-bob', name: 'Bob', kind: 'enterprise', jurisdiction: 'HK' }, 201);
  const fixture: Fixture = { ledger: 1, bank: uuid(), alice: uuid(), bob: uuid(), foreign: uuid() };
  const created = await api.ok('POST', '/v1/accounts', {
    accounts: [
      { id: fixture.bank, ledger: 1, code: 100, flags: ['history'] },
      { id: fixture.alice, ledger: 1, code: 200, flags: ['debits_must_not_exceed_credits', 'history'], party_id: 'party-alice' },
      { id: fixture.bob, ledger: 1, code: 200, flags: ['debits_must_not_exceed_credits'], party_id: 'party-bob' },
      { id: fixture.foreign, ledger: 2, code: 100 },
    ],
  });
  expect(created.results.map((result: { result: string }) => result.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
  await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '10000', ledger: 1, code: 1 }, 201);
  return fixture;
}

/** What a refused request must not change: the journal head, and the latest accounts (with balances) and transfers. */
export async function stateOf(api: Api): Promise<unknown> {
  const head = await api.platform.journal.head();
  // Newest first: anything a refused request wrongly wrote would be among the latest rows.
  const accounts = await api.platform.ledger.listAccounts({ order: 'desc', limit: 100 });
  const transfers = await api.platform.ledger.listTransfers({ order: 'desc', limit: 100 });
  return {
    seq: head.seq,
    hash: head.hash,
    accounts: accounts.map((account) => [account.id, account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted, account.flags]),
    transfers: transfers.map((transfer) => transfer.id),
  };
}

/** An API on a fresh database with the standard fixture seeded: where most HTTP suites start. */
export async function startSeededApi(open: () => Promise<Database>): Promise<{ api: Api; fixture: Fixture }> {
  const api = await startApi(open);
  return { api, fixture: await seed(api) };
}
