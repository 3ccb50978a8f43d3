import client from 'prom-client';
import { withDeadline } from '../kernel/index.ts';
import type { Platform } from '../platform.ts';

/**
 * What the modules are doing, beside the HTTP and ledger metrics (metrics.ts): risk decisions and
 * their failures, holds waiting for an analyst, payment status changes and webhook deliveries, the
 * journal's head and its last signed checkpoint, and the risk control's queues.
 *
 * Everything is read when Prometheus scrapes, never pushed from the money path: the modules keep
 * plain counts (an increment per decision or status change) and these collectors copy them out.
 * Two kinds of series, which the operations guide tells apart:
 *   - this process's own counts since it started (counters, queues): sum them over processes;
 *   - the installation's state read from the database (holds waiting, journal head, last
 *     checkpoint): every process reports the same value, so take the max, not the sum.
 * A database read that fails or takes longer than DB_READ_DEADLINE_MS keeps its last value and
 * counts a failure, so that /metrics answers while the database is away (the readiness probe is
 * what reports that).
 */
export const DB_READ_DEADLINE_MS = 2_000;

type Gauge = client.Gauge<string>;
type Counter = client.Counter<string>;

export function registerDomainMetrics(registry: client.Registry, platform: Platform): void {
  const registers = [registry];
  /** Database reads of the scrape under way; the failure counter, collected last, waits for them. */
  const reading = new Set<Promise<unknown>>();
  let readFailures: Counter | undefined;

  /**
   * A gauge of the installation's state, read from the database at each scrape: one value, or one
   * per value of `labelName` when the read gives a record.
   */
  function stateGauge(name: string, help: string, read: () => Promise<number | Record<string, number>>, labelName?: string): void {
    new client.Gauge({
      name, help, registers, labelNames: labelName ? [labelName] : [],
      async collect(this: Gauge) {
        const value = withDeadline(read, DB_READ_DEADLINE_MS);
        reading.add(value);
        try {
          const got = await value;
          if (typeof got === 'number') this.set(got);
          else for (const [label, count] of Object.entries(got)) this.set({ [labelName as string]: label }, count);
        } catch {
          readFailures?.inc({ metric: name });
        } finally {
          reading.delete(value);
        }
      },
    });
  }

  /**
   * A counter of this process whose totals a module keeps: each scrape sets it to them. Counters
   * only ever grow in the module, so setting the total is what Prometheus expects of a counter.
   */
  function processCounter(name: string, help: string, labelNames: readonly string[], totals: () => Iterable<[Record<string, string>, number]>): void {
    new client.Counter({
      name, help, labelNames: [...labelNames], registers,
      collect(this: Counter) {
        this.reset();
        for (const [labels, total] of totals()) this.inc(labels, total);
      },
    });
  }

  function processGauge(name: string, help: string, read: () => number): void {
    new client.Gauge({
      name, help, registers,
      collect(this: Gauge) {
        this.set(read());
      },
    });
  }

  // Risk control.
  processCounter('sluice_risk_decisions_total', 'Risk decisions logged by this process, by what asked for them and outcome', ['source', 'outcome'], function* () {
    for (const [source, outcomes] of Object.entries(platform.risk.stats().decisions)) {
      for (const [outcome, total] of Object.entries(outcomes)) yield [{ source, outcome }, total];
    }
  });
  processCounter('sluice_risk_evaluation_failures_total', 'Risk decisions whose evaluation failed or overran its budget, by the fail mode that decided them', ['fail_mode'], function* () {
    for (const [mode, total] of Object.entries(platform.risk.stats().failed)) yield [{ fail_mode: mode }, total];
  });
  processGauge('sluice_risk_decision_log_queued', 'Risk decisions taken by this process and not yet written to the decision log', () => platform.risk.stats().logQueued);
  stateGauge('sluice_risk_holds_waiting', 'Holds waiting for an analyst (funds held for review), in the whole installation', async () => (await platform.risk.holds.waiting()).count);
  stateGauge('sluice_risk_holds_oldest_wait_seconds', 'How long the oldest hold still waiting for an analyst has waited; 0 when none waits', async () => {
    const { oldestAtMs } = await platform.risk.holds.waiting();
    return oldestAtMs === null ? 0 : Math.max(0, (platform.clock.nowMs() - oldestAtMs) / 1000);
  });
  stateGauge('sluice_risk_cases_unclosed', 'Cases for analysts not yet closed, by status, in the whole installation', () => platform.cases.unclosed(), 'status');
  processGauge('sluice_risk_feature_events_queued', 'Booked events recorded to the feature windows and not yet written', () => platform.features.stats().queued);
  processCounter('sluice_risk_feature_events_failed_total', 'Booked events the feature windows could not write', [], function* () {
    yield [{}, platform.features.stats().failedEvents];
  });
  processGauge('sluice_risk_graph_edges_queued', "Booked events observed by mule-ring detection and not yet written to the graph's edges", () => platform.graph.stats().queuedEvents);
  processCounter('sluice_risk_graph_edges_failed_total', "Booked events that could not be written to the graph's edges", [], function* () {
    yield [{}, platform.graph.stats().failedEvents];
  });
  processCounter('sluice_risk_graph_scans_total', 'Scheduled mule-ring scans this process ran, by result', ['result'], function* () {
    const { scheduledScans, scheduledScanFailures } = platform.graph.stats();
    yield [{ result: 'ok' }, scheduledScans - scheduledScanFailures];
    yield [{ result: 'failed' }, scheduledScanFailures];
  });
  processGauge('sluice_risk_list_entries', 'Block and allow list entries in force, as this process holds them', () => platform.lists.stats().entries);

  // Payments.
  processCounter('sluice_payments_status_changes_total', 'Payment status changes this process recorded, by ISO 20022 status', ['status'], function* () {
    for (const [status, total] of Object.entries(platform.payments.stats().statusChanges)) yield [{ status }, total];
  });
  processGauge('sluice_payments_writer_queued', 'Payment writes waiting for their commit or its flush', () => platform.payments.stats().writerQueued);
  processCounter('sluice_payments_webhook_attempts_total', 'Webhook deliveries this process attempted, by result (retried: failed and due again; withheld: not sent, the signing secret did not open)', ['result'], function* () {
    for (const [result, total] of Object.entries(platform.payments.stats().webhookAttempts)) yield [{ result }, total];
  });

  // The journal.
  stateGauge('sluice_journal_head_seq', 'Number of the last journal entry', async () => Number((await platform.journal.head()).seq));
  stateGauge('sluice_journal_unsigned_entries', 'Journal entries no signed checkpoint covers yet (all of them before the first checkpoint)', async () => {
    const [head, latest] = await Promise.all([platform.journal.head(), platform.checkpoints.latest()]);
    return Math.max(0, Number(head.seq) - (latest?.treeSize ?? 0));
  });
  stateGauge('sluice_journal_checkpoint_age_seconds', 'How long ago the latest signed checkpoint was made; 0 before the first', async () => {
    const latest = await platform.checkpoints.latest();
    return latest ? Math.max(0, (platform.clock.nowMs() - Date.parse(latest.createdAt)) / 1000) : 0;
  });

  // The audit trail of control-plane actions.
  processCounter('sluice_audit_events_total', 'Control-plane actions this process recorded in the audit trail, by result (failed: the action was done but not recorded)', ['result'], function* () {
    const { appended, appendFailures } = platform.audit.stats();
    yield [{ result: 'recorded' }, appended];
    yield [{ result: 'failed' }, appendFailures];
  });

  // Registered last: Prometheus's registry starts every collector of a scrape in order and waits for
  // them together, so by the time this one runs, the reads above have started and it can wait for them.
  readFailures = new client.Counter({
    name: 'sluice_metrics_read_failures_total',
    help: 'Scrapes in which a database-backed metric could not be read in time (its last value was kept)',
    labelNames: ['metric'],
    registers,
    async collect() {
      await Promise.allSettled([...reading]);
    },
  });
}
