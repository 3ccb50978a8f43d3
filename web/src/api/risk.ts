/**
 * Wire shapes of the risk API (/v1/risk/…): decisions, rulesets, lists, cases and the account
 * graph. Only the fields the console reads are declared, and most are optional: the pages show
 * what a server sends and leave out what it does not.
 */
export interface FiredRule {
  readonly rule_id: string;
  readonly name?: string;
  readonly score?: number;
  readonly forces?: string | null;
  readonly reason?: string;
}

export interface Decision {
  readonly id: string;
  readonly event_id?: string;
  readonly source?: string;
  readonly decided_at?: string;
  readonly outcome: string;
  readonly score?: number;
  readonly reasons?: readonly string[];
  readonly fired?: readonly FiredRule[];
  readonly ruleset?: unknown;
  readonly shadow?: readonly { readonly ruleset_id: string; readonly version: number; readonly outcome: string; readonly score: number }[];
  readonly list_hits?: readonly { readonly list: string; readonly kind: string; readonly value: string; readonly reason?: string }[];
  readonly elapsed_ms?: number;
  readonly fail_mode?: string | null;
  readonly event?: {
    readonly amount?: string; readonly currency?: string; readonly debit_account_id?: string; readonly credit_account_id?: string;
    readonly debit_party_id?: string | null; readonly credit_party_id?: string | null; readonly channel?: string | null;
  };
}

export interface Hold {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly decision_ids?: readonly string[];
  readonly amount: string;
  readonly currency: string;
  readonly debit_account_id: string;
  readonly credit_account_id: string;
  readonly reasons?: readonly string[];
  readonly created_at: string;
  readonly resolved_at?: string | null;
  readonly resolved_by?: string | null;
  readonly note?: string | null;
  readonly detail?: string | null;
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly expression: string;
  /** Points the rule adds when it fires; absent when it forces an outcome instead. */
  readonly score?: number | null;
  /** The outcome the rule forces; absent when it adds points. */
  readonly outcome?: string | null;
  readonly effect?: { readonly kind: string; readonly points?: number; readonly outcome?: string };
  readonly reason: string;
}

export interface Thresholds {
  readonly review_at: number;
  readonly decline_at: number;
}

export interface BacktestResult {
  readonly days?: number;
  readonly from?: string;
  readonly to?: string;
  readonly decisions?: number;
  readonly truncated?: boolean;
  readonly recorded?: Readonly<Record<string, number>>;
  readonly would_be?: Readonly<Record<string, number>>;
  readonly matrix?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly changed?: number;
  readonly with_errors?: number;
  readonly rule_hits?: readonly { readonly rule_id: string; readonly hits: number }[];
  readonly sample?: readonly { readonly decision_id: string; readonly recorded: string; readonly would_be: string; readonly score: number; readonly fired?: readonly string[] }[];
}

export interface Ruleset {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly stage: string;
  readonly rules: readonly Rule[];
  readonly thresholds: Thresholds;
  readonly backtest?: BacktestResult | null;
  readonly created_at?: string;
  readonly updated_at?: string;
}

export interface ValidationAnswer {
  readonly valid?: boolean;
  readonly ok?: boolean;
  readonly type?: string;
  readonly errors?: readonly (string | { readonly message?: string; readonly detail?: string })[];
  readonly detail?: string;
}

export interface ListEntry {
  readonly id: string;
  readonly list: string;
  readonly kind: string;
  readonly value: string;
  readonly reason?: string;
  readonly actor?: string;
  readonly created_at?: string;
  readonly expires_at?: string | null;
}

export interface Case {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  /** 0..1, higher is more urgent. */
  readonly priority: number;
  readonly source: string;
  /** Kind of the alert that opened the case, and the values its title is made of (lib/alerts.ts words it). */
  readonly kind?: string | null;
  readonly title_values?: Readonly<Record<string, unknown>> | null;
  readonly assignee: string | null;
  readonly alert_count: number;
  readonly created_at: string;
  readonly updated_at?: string;
  readonly closed_at?: string | null;
}

export interface CaseAlert {
  readonly id: string;
  readonly source: string;
  readonly kind: string;
  readonly title: string;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly account_ids?: readonly string[];
  /** What the detector found, as data: lib/alerts.ts words the title and reasons from it for the kinds it knows. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly raised_at: string;
}

export interface CaseNote {
  readonly id: string;
  readonly author: string;
  readonly text: string;
  readonly created_at: string;
}

export interface CaseDetail extends Case {
  readonly alerts: readonly CaseAlert[];
  readonly notes: readonly CaseNote[];
  /** Payments (by UETR) are linked by servers that tell them from ledger transfers. */
  readonly links: { readonly transfers: readonly { id: string }[]; readonly payments?: readonly { id: string }[]; readonly accounts: readonly { id: string }[]; readonly parties: readonly { id: string }[] };
  readonly audit: readonly { readonly seq?: number | string; readonly action: string; readonly actor: string; readonly at: string; readonly detail?: unknown }[];
}

export interface GraphNode {
  readonly id: string;
  readonly label?: string;
  readonly party_id?: string | null;
  readonly kind?: string;
  readonly score?: number;
  readonly flagged?: boolean;
  readonly in_case?: boolean;
}

export interface GraphEdge {
  readonly id?: string;
  readonly source: string;
  readonly target: string;
  readonly amount?: string;
  readonly count?: number;
  readonly currency?: string;
}

export interface CaseGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

type Loose = Readonly<Record<string, unknown>>;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * The case graph as the console draws it, from the answer of GET /risk/cases/{id}/graph. Field
 * names vary a little between versions of the graph module (source/target or from/to, score or
 * mule_score), so each is read from whichever the answer has.
 */
export function normaliseGraph(raw: unknown): CaseGraph & { readonly caseAccounts: ReadonlySet<string> } {
  const body = (raw ?? {}) as Loose;
  const caseAccounts = new Set(Array.isArray(body.account_ids) ? (body.account_ids as unknown[]).map(String) : []);
  const nodes: GraphNode[] = [];
  for (const item of Array.isArray(body.nodes) ? (body.nodes as Loose[]) : []) {
    const id = text(item.id) ?? text(item.account_id);
    if (!id) continue;
    const score = number(item.score) ?? number(item.mule_score);
    nodes.push({
      id,
      label: text(item.label) ?? text(item.name) ?? text(item.party_name) ?? text(item.party_id),
      party_id: text(item.party_id) ?? null,
      ...(score === undefined ? {} : { score }),
      flagged: Boolean(item.flagged ?? item.in_ring ?? item.seed),
      in_case: caseAccounts.has(id) || Boolean(item.in_case ?? item.seed),
    });
  }
  const edges: GraphEdge[] = [];
  for (const item of Array.isArray(body.edges) ? (body.edges as Loose[]) : []) {
    const source = text(item.source) ?? text(item.from) ?? text(item.debit_account_id);
    const target = text(item.target) ?? text(item.to) ?? text(item.credit_account_id);
    if (!source || !target) continue;
    const count = number(item.count) ?? number(item.transfers);
    edges.push({ source, target, ...(text(item.amount) ? { amount: text(item.amount) } : {}), ...(count === undefined ? {} : { count }), ...(text(item.currency) ? { currency: text(item.currency) } : {}) });
  }
  return { nodes, edges, caseAccounts };
}
