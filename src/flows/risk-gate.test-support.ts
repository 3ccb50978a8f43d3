/**
 * Set-up of the risk gate tests: the platform and its HTTP API on a fresh database, as in
 * test/http/harness.ts, with a scripted rules engine in place of the live rulesets so that a test
 * says which transfers are approved, held or declined.
 */
import type { Database } from '../db/index.ts';
import { buildApp } from '../http/app.ts';
import { createMetrics } from '../http/metrics.ts';
import { createManualClock } from '../kernel/index.ts';
import { createPlatform, type PlatformOptions } from '../platform.ts';
import { scriptedRules, type ScriptedRules } from '../modules/risk/risk.test-support.ts';
import { seed, START_MS, type Api, type Fixture, type Method } from '../../test/http/harness.ts';
import { expect } from 'vitest';

export interface RiskApi extends Api {
  readonly rules: ScriptedRules;
}

export async function startRiskApi(open: () => Promise<Database>, risk: PlatformOptions['risk'] = {}): Promise<RiskApi> {
  const db = await open();
  const clock = createManualClock(START_MS);
  const metrics = createMetrics();
  const rules = scriptedRules();
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, ledgerMetrics: metrics.ledger, risk: { rules, ...risk } });
  const adminKey = await platform.auth.bootstrap();
  if (!adminKey) throw new Error('a fresh database must hand out a bootstrap key');
  const app = await buildApp({ platform, metrics, logger: false, rateLimitPerMinute: 1_000_000, version: 'test' });
  await app.ready();
  const call: Api['call'] = (method: Method, url, body, options = {}) => {
    const key = options.key === undefined ? adminKey : options.key;
    return app.inject({
      method, url, payload: body === undefined ? undefined : JSON.stringify(body),
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    });
  };
  return {
    app, platform, clock, adminKey, call, rules,
    async ok(method, url, body, expected = 200, options) {
      const response = await call(method, url, body, options);
      expect(response.statusCode, `${method} ${url} answered ${response.body}`).toBe(expected);
      return (response.body ? response.json() : undefined) as never;
    },
    async close() {
      await app.close();
      await platform.close();
    },
  };
}

/** Balances of an account as the API reports them, as bigints. */
export async function balancesOf(api: Api, accountId: string) {
  const body = await api.ok('GET', `/v1/accounts/${accountId}`);
  return { debitsPending: BigInt(body.debits_pending), debitsPosted: BigInt(body.debits_posted), creditsPending: BigInt(body.credits_pending), creditsPosted: BigInt(body.credits_posted) };
}

/** A risk-gated API on a fresh database with the standard fixture seeded. */
export async function startSeededRiskApi(open: () => Promise<Database>): Promise<{ api: RiskApi; fixture: Fixture }> {
  const api = await startRiskApi(open);
  return { api, fixture: await seed(api) };
}
