import type { GraphEdge } from './graph.ts';

/**
 * Offline evaluation of mule scoring against labelled accounts: ROC AUC and precision at top k, and
 * a reader for the AMLSim sample format (nodes.csv with an isFraud label per account, transactions.csv
 * with sourceNodeId,targetNodeId,value,time). AMLSim's time is a simulation step; a step is taken as
 * one day, so that the scoring windows (split payments within a day, pass-through within two) mean
 * what they mean on live data.
 */
export const DAY_MS = 24 * 3600 * 1000;
/** Step 0 would be the epoch itself; any fixed origin does, since only differences matter. */
const AMLSIM_ORIGIN_MS = Date.UTC(2020, 0, 1);

export interface LabelledSample {
  readonly edges: GraphEdge[];
  /** Every account of nodes.csv with its label, including accounts that never transact. */
  readonly labels: ReadonlyMap<string, boolean>;
}

/** "147.8" → 14780n: decimal text in major units to integer minor units (two decimals), exactly. */
export function decimalToMinor(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal amount with at most two decimals: ${text}`);
  return BigInt(match[1] as string) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

function rows(text: string, header: string): string[][] {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0]?.trim() !== header) throw new Error(`expected the header "${header}", found "${lines[0] ?? ''}"`);
  return lines.slice(1).map((line) => line.split(','));
}

export function parseAmlSim(nodesCsv: string, transactionsCsv: string): LabelledSample {
  const labels = new Map<string, boolean>();
  for (const [id, isFraud] of rows(nodesCsv, 'nodeid,isFraud,init_balance,fraudStep')) labels.set(id as string, isFraud === '1');
  const edges = rows(transactionsCsv, 'sourceNodeId,targetNodeId,value,time').map(([source, target, value, time]) => ({
    source: source as string,
    target: target as string,
    amountMinor: decimalToMinor(value as string),
    atMs: AMLSIM_ORIGIN_MS + Number(time) * DAY_MS,
  }));
  return { edges, labels };
}

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative, ties
 * counting half (Mann–Whitney U with average ranks).
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((x, y) => (scores[x] as number) - (scores[y] as number));
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j += 1;
    const average = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = average;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((label, i) => {
    if (label) {
      positives += 1;
      rankSum += ranks[i] as number;
    }
  });
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Share of positives among the k highest scores; ties at the cut are broken by position, as given. */
export function precisionAtK(scores: readonly number[], labels: readonly boolean[], k: number): number {
  const order = scores.map((_, i) => i).sort((x, y) => (scores[y] as number) - (scores[x] as number) || x - y);
  const top = order.slice(0, Math.min(k, order.length));
  return top.length === 0 ? Number.NaN : top.filter((i) => labels[i]).length / top.length;
}

/** The baseline: how many transfers each account received. */
export function inDegrees(edges: readonly GraphEdge[]): Map<string, number> {
  const degrees = new Map<string, number>();
  for (const edge of edges) degrees.set(edge.target, (degrees.get(edge.target) ?? 0) + 1);
  return degrees;
}

export interface Evaluation {
  readonly accounts: number;
  readonly positives: number;
  readonly auc: number;
  readonly precisionAtPositives: number;
  readonly precisionAt100: number;
}

/** Scores by account id (absent counts as 0) evaluated against every labelled account. */
export function evaluate(scoreOf: (accountId: string) => number, labels: ReadonlyMap<string, boolean>): Evaluation {
  const ids = [...labels.keys()];
  const scores = ids.map((id) => scoreOf(id));
  const truth = ids.map((id) => labels.get(id) === true);
  const positives = truth.filter(Boolean).length;
  return {
    accounts: ids.length, positives, auc: rocAuc(scores, truth),
    precisionAtPositives: precisionAtK(scores, truth, positives), precisionAt100: precisionAtK(scores, truth, 100),
  };
}
