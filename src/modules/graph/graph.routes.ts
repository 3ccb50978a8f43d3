import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isoToNs, NANOSECONDS_PER_MILLISECOND } from '../../kernel/index.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import { GRAPH_ERROR_STATUS, type GraphError } from './graph.errors.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import type { Neighbourhood } from './graph.neighbourhood.ts';
import type { StoredScore } from './graph.repository.ts';
import { GRAPH_SCORING } from './graph.scoring.ts';
import type { GraphService, ScanSummary } from './graph.service.ts';
import type { AccountScore } from './graph.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];
const DAY_MS = 24 * 3600 * 1000;
/** A scan without a window looks back this far. */
export const DEFAULT_SCAN_WINDOW_DAYS = 30;

const Instant = Type.String({ maxLength: 40, description: 'ISO 8601 instant, e.g. 2026-03-01T00:00:00Z.' });
const ScanBody = Type.Union([
  Type.Object(
    {
      since: Type.Optional(Instant),
      until: Type.Optional(Instant),
      window_days: Type.Optional(Type.Integer({ minimum: 1, maximum: GRAPH_LIMITS.scanWindowMaxMs / DAY_MS, description: `Days to look back from until (default ${DEFAULT_SCAN_WINDOW_DAYS}); instead of since.` })),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const AccountId = Type.Object({ id: Type.String({ minLength: 1, maxLength: GRAPH_LIMITS.idMaxLength, pattern: '^[A-Za-z0-9._:-]+$' }) }, { additionalProperties: false });

const POINTERS: Record<GraphError, string> = { window_too_long: '/since', window_empty: '/since', scan_in_progress: '/', account_not_scored: '/params/id' };

export function graphProblem(code: GraphError, detail = code.replace(/_/g, ' ')): ProblemError {
  return new ProblemError(GRAPH_ERROR_STATUS[code], code, detail, [{ pointer: POINTERS[code], code, detail }]);
}

function instantMs(text: string | undefined, pointer: string): number | undefined {
  if (text === undefined) return undefined;
  const ns = isoToNs(text);
  if (ns === undefined) throw fieldProblem(400, 'invalid_instant', pointer, `'${text}' is not an ISO 8601 instant`);
  return Number(ns / NANOSECONDS_PER_MILLISECOND);
}

const iso = (ms: number) => new Date(ms).toISOString();

export const renderSignals = (score: Pick<AccountScore, 'signals'>) =>
  score.signals.map((reading) => ({ signal: reading.signal, strength: reading.strength, contribution: reading.contribution, values: reading.values }));

export const renderScore = (score: StoredScore) => ({
  account_id: score.accountId, score: score.scoreBp / 10_000, alerted: score.scoreBp / 10_000 >= GRAPH_SCORING.alertThreshold, ring_key: score.ringKey,
  scan_id: score.scanId, scanned_at: iso(score.scannedAtMs), signals: renderSignals(score),
});

export const renderScan = (summary: ScanSummary) => ({
  scan_id: summary.scan.id,
  since: iso(summary.scan.sinceMs),
  until: iso(summary.scan.untilMs),
  accounts: summary.scan.accounts,
  edges: summary.scan.edges,
  edges_truncated: summary.scan.edgesTruncated,
  cycles: summary.scan.cycles,
  cycle_search_truncated: summary.scan.cycleSearchTruncated,
  rings: summary.scan.rings,
  alert_threshold: GRAPH_SCORING.alertThreshold,
  alerts: summary.alerted.map((item) => ({ ring_key: item.ring.key, accounts: item.ring.accountIds.length, score: item.ring.score, case_id: item.caseId, alert_id: item.alertId })),
  top: summary.top.map((score) => ({ account_id: score.accountId, score: score.score, signals: renderSignals(score) })),
});

export const renderNeighbourhood = (drawn: Neighbourhood) => ({
  nodes: drawn.nodes.map((node) => ({ id: node.id, depth: node.depth, score: node.score, seed: node.seed })),
  edges: drawn.edges.map((edge) => ({
    source: edge.source, target: edge.target, currency: edge.currency, count: edge.count, amount: String(edge.amountMinor), first_at: iso(edge.firstAtMs), last_at: iso(edge.lastAtMs),
  })),
  truncated: drawn.truncated,
});

/** What the case view draws, in wire shape: the graph module's side of the cases module's CaseGraphSource. */
export function caseGraphSource(graph: GraphService) {
  return {
    scoreOf: (accountId: string) => graph.scoreOf(accountId),
    neighbourhood: async (accountIds: readonly string[], depth: number, limit: number) => renderNeighbourhood(await graph.neighbourhood(accountIds, depth, limit)),
  };
}

export function graphRoutes(platform: { readonly graph: GraphService; readonly clock: { nowMs(): number } }) {
  const { graph, clock } = platform;
  return async function register(app: App) {
    app.post('/risk/graph/scan', {
      config: { permission: 'risk' },
      schema: { tags: TAGS, summary: 'Score every account on the transaction graph of a window; alert mule rings', body: ScanBody },
    }, async (request) => {
      const body = request.body ?? {};
      if (body.since !== undefined && body.window_days !== undefined) throw fieldProblem(400, 'since_or_window', '/window_days', 'give since or window_days, not both');
      const untilMs = instantMs(body.until, '/until') ?? clock.nowMs();
      const sinceMs = instantMs(body.since, '/since') ?? untilMs - (body.window_days ?? DEFAULT_SCAN_WINDOW_DAYS) * DAY_MS;
      const result = await graph.scan({ sinceMs, untilMs });
      if (!result.ok) {
        if (result.error === 'window_too_long') throw graphProblem(result.error, `a scan looks back at most ${GRAPH_LIMITS.scanWindowMaxMs / DAY_MS} days`);
        throw graphProblem(result.error, result.error === 'scan_in_progress' ? 'a scan is already running; try again when it ends' : 'since must lie before until');
      }
      return renderScan(result.value);
    });

    app.get('/risk/graph/accounts/:id', {
      config: { permission: 'oversee' },
      schema: { tags: TAGS, summary: 'An account\'s mule score from the latest scan, with the signals behind it', params: AccountId },
    }, async (request) => {
      const score = await graph.account(request.params.id);
      if (!score) throw unknownId('account_not_scored', '/params/id', `account ${request.params.id} was in no scan yet`);
      return renderScore(score);
    });
  };
}
