/**
 * The modules' metrics on /metrics: risk decisions by outcome, holds waiting and how long, the
 * journal's unsigned entries and checkpoint age, each read at the scrape from what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { uuid, type Fixture } from '../../test/http/harness.ts';
import { startSeededRiskApi, type RiskApi } from '../flows/risk-gate.test-support.ts';
import { byAmount } from '../modules/risk/risk.test-support.ts';
import client from 'prom-client';
import { DB_READ_DEADLINE_MS, registerDomainMetrics } from './domain-metrics.ts';

/** The value of one series in Prometheus's text format, or undefined when it is absent. */
function valueOf(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return undefined;
}

async function scrape(api: RiskApi): Promise<string> {
  const response = await api.call('GET', '/metrics', undefined, { key: null });
  expect(response.statusCode).toBe(200);
  return response.body;
}

describeEachDialect('domain metrics', ({ open }) => {
  let api: RiskApi;
  let fixture: Fixture;
  beforeAll(async () => {
    ({ api, fixture } = await startSeededRiskApi(open));
    api.rules.script = byAmount(3_000n, 4_000n);
  });
  afterAll(async () => api?.close());

  const transfer = (amount: string) => ({ id: uuid(), debit_account_id: fixture.alice, credit_account_id: fixture.bob, amount, ledger: 1, code: 1 });

  it('counts the decisions logged by outcome, and the holds waiting and for how long', async () => {
    const before = await scrape(api);
    const decided = (body: string, outcome: string) => valueOf(body, `sluice_risk_decisions_total{source="transfer",outcome="${outcome}"}`) ?? 0;
    expect(valueOf(before, 'sluice_risk_holds_waiting')).toBe(0);
    expect(valueOf(before, 'sluice_risk_holds_oldest_wait_seconds')).toBe(0);

    await api.ok('POST', '/v1/transfers', transfer('10'), 201);
    await api.ok('POST', '/v1/transfers', transfer('20'), 201);
    expect(await api.ok('POST', '/v1/transfers', transfer('3500'), 201)).toMatchObject({ risk: { outcome: 'review' } });
    expect((await api.call('POST', '/v1/transfers', transfer('4500'))).json()).toMatchObject({ code: 'risk_declined' });
    api.clock.advance(90_000);

    const after = await scrape(api);
    expect(decided(after, 'approve') - decided(before, 'approve')).toBe(2);
    expect(decided(after, 'review') - decided(before, 'review')).toBe(1);
    expect(decided(after, 'decline') - decided(before, 'decline')).toBe(1);
    expect(valueOf(after, 'sluice_risk_evaluation_failures_total{fail_mode="closed"}')).toBe(0);
    expect(valueOf(after, 'sluice_risk_holds_waiting')).toBe(1);
    expect(valueOf(after, 'sluice_risk_holds_oldest_wait_seconds')).toBe(90);
    // The review and the decline raise alerts, which open cases for analysts once filed (the
    // decision does not wait for the filing).
    const openCases = async () => (await api.ok('GET', '/v1/risk/cases?status=open&limit=100')).data.length as number;
    await expect.poll(openCases).toBeGreaterThan(0);
    const cases = await scrape(api);
    expect(valueOf(cases, 'sluice_risk_cases_unclosed{status="open"}')).toBe(await openCases());
    expect(valueOf(cases, 'sluice_risk_cases_unclosed{status="escalated"}')).toBe(0);

    const [hold] = (await api.ok('GET', '/v1/risk/holds?status=held')).data;
    await api.ok('POST', `/v1/risk/holds/${hold.id}/release`, { note: 'known customer' });
    const released = await scrape(api);
    expect(valueOf(released, 'sluice_risk_holds_waiting')).toBe(0);
    expect(valueOf(released, 'sluice_risk_holds_oldest_wait_seconds')).toBe(0);
  });

  it('counts an evaluation that failed under the fail mode that decided it', async () => {
    const before = valueOf(await scrape(api), 'sluice_risk_evaluation_failures_total{fail_mode="closed"}') ?? 0;
    await api.ok('PUT', '/v1/risk/settings', { fail_mode: 'closed' });
    api.rules.script = () => 'throw';
    try {
      const response = await api.call('POST', '/v1/transfers', transfer('15'));
      expect(response.json()).toMatchObject({ code: 'risk_declined' });
    } finally {
      api.rules.script = byAmount(3_000n, 4_000n);
    }
    expect(valueOf(await scrape(api), 'sluice_risk_evaluation_failures_total{fail_mode="closed"}')).toBe(before + 1);
  });

  it('reports the journal entries no signed checkpoint covers yet, and the checkpoint age', async () => {
    const head = Number((await api.platform.journal.head()).seq);
    const unsigned = await scrape(api);
    expect(valueOf(unsigned, 'sluice_journal_head_seq')).toBe(head);
    expect(valueOf(unsigned, 'sluice_journal_unsigned_entries')).toBe(head);
    expect(valueOf(unsigned, 'sluice_journal_checkpoint_age_seconds')).toBe(0);

    // Signed in process: the request that asks for a checkpoint is itself recorded in the audit
    // trail, and the anchor of that record is journaled after the checkpoint it asked for.
    await api.platform.checkpoints.checkpoint();
    api.clock.advance(30_000);
    const signed = await scrape(api);
    expect(valueOf(signed, 'sluice_journal_unsigned_entries')).toBe(0);
    expect(valueOf(signed, 'sluice_journal_checkpoint_age_seconds')).toBe(30);

    await api.ok('POST', '/v1/transfers', transfer('5'), 201);
    expect(valueOf(await scrape(api), 'sluice_journal_unsigned_entries')).toBeGreaterThan(0);
  });

  it('shows the queues of risk control and payments, and payment status changes by status', async () => {
    const body = await scrape(api);
    for (const series of ['sluice_risk_decision_log_queued', 'sluice_risk_feature_events_queued', 'sluice_risk_graph_edges_queued', 'sluice_payments_writer_queued', 'sluice_risk_list_entries']) {
      expect(valueOf(body, series), series).toBeGreaterThanOrEqual(0);
    }
    for (const status of ['ACCC', 'RJCT', 'CANC']) expect(valueOf(body, `sluice_payments_status_changes_total{status="${status}"}`)).toBe(0);
    expect(valueOf(body, 'sluice_payments_webhook_attempts_total{result="delivered"}')).toBe(0);
  });
});

describe('a database read that does not answer', () => {
  it('keeps /metrics answering and counts the failure', async () => {
    const registry = new client.Registry();
    const never = () => new Promise<never>(() => {});
    const zeroStats = { decisions: {}, failed: {}, logQueued: 0 };
    const platform = {
      clock: { nowMs: () => 0 },
      risk: { stats: () => zeroStats, holds: { waiting: never } },
      features: { stats: () => ({ queued: 0, failedEvents: 0 }) },
      graph: { stats: () => ({ queuedEvents: 0, failedEvents: 0, scheduledScans: 0, scheduledScanFailures: 0 }) },
      lists: { stats: () => ({ entries: 0 }) },
      cases: { unclosed: never },
      payments: { stats: () => ({ statusChanges: {}, writerQueued: 0, webhookAttempts: {} }) },
      journal: { head: never },
      checkpoints: { latest: never },
      audit: { stats: () => ({ appended: 0, appendFailures: 0 }) },
    };
    registerDomainMetrics(registry, platform as never);
    const body = await registry.metrics();
    expect(valueOf(body, 'sluice_metrics_read_failures_total{metric="sluice_risk_holds_waiting"}')).toBe(1);
    expect(valueOf(body, 'sluice_metrics_read_failures_total{metric="sluice_journal_head_seq"}')).toBe(1);
  }, 4 * DB_READ_DEADLINE_MS);
});
