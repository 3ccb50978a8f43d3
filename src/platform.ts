import { migrate, type Database } from './db/index.ts';
import { createRewindableClock, type Clock, type RewindableClock } from './kernel/index.ts';
import type { HashAlgorithm, SignatureSuite } from './crypto/index.ts';
import { createCheckpointService, createJournalService, journalMigrations, journalTables, type CheckpointService, type CheckpointSignatureVerifier, type JournalService } from './modules/journal/index.ts';
import { createLedgerService, ledgerMigrations, ledgerTables, type LedgerMetrics, type LedgerService } from './modules/ledger/index.ts';
import { createPartiesService, partiesMigrations, partiesTables, type PartiesService } from './modules/parties/index.ts';
import { authMigrations, authTables, createAuthService, type AuthService } from './modules/auth/index.ts';
import { createScfService, scfMigrations, scfTables, type ScfService } from './modules/scf/index.ts';
import { createFxService, fxMigrations, fxTables, type FxService } from './modules/fx/index.ts';
import { createPaymentsService, paymentsMigrations, paymentsTables, type PaymentsService, type WebhookResolver } from './modules/payments/index.ts';
import { createRulesService, rulesMigrations, rulesTables, type DecisionHistory, type RulesService } from './modules/rules/index.ts';
import { createRiskService, riskMigrations, riskTables, type RiskService, type RiskServiceDeps } from './modules/risk/index.ts';
import { createFeaturesService, featuresMigrations, featuresTables, type FeaturesService } from './modules/features/index.ts';
import { createListsService, listsMigrations, listsTables, type ListsService } from './modules/lists/index.ts';
import { createScreeningService, screeningMigrations, screeningTables, type ScreeningService } from './modules/screening/index.ts';
import { casesMigrations, casesTables, createCasesService, type AlertSink, type CasesService } from './modules/cases/index.ts';
import { createGraphService, GRAPH_LIMITS, graphMigrations, graphTables, type GraphService } from './modules/graph/index.ts';
import { auditMigrations, auditTables, createAuditService, type AuditService } from './modules/audit/index.ts';
import type { FeatureSource } from './modules/features/index.ts';
import { createTransferGate, type TransferGate } from './flows/risk-gate.ts';
import { createPaymentGate } from './flows/risk-payments.ts';

/**
 * The modules wired together by hand, without HTTP: what the server, the command line and the tests
 * all start from. Migrations run first; the journal's hash algorithm is fixed on first start.
 */
export interface Platform {
  readonly db: Database;
  readonly clock: Clock;
  /**
   * Sets the clock every module reads behind the injected one. Only the demo loader uses it, to book
   * its history at the times that history happened, before the platform serves anyone.
   */
  setClockBehindMs(ms: number): void;
  readonly journal: JournalService;
  readonly ledger: LedgerService;
  readonly parties: PartiesService;
  readonly auth: AuthService;
  readonly scf: ScfService;
  readonly fx: FxService;
  readonly payments: PaymentsService;
  readonly risk: RiskService;
  /** Velocity and behaviour features, computed in memory before rules run and persisted for restarts. */
  readonly features: FeaturesService;
  /** Block and allow lists of accounts, parties, countries, IP ranges and devices, with an audit trail. */
  readonly lists: ListsService;
  /** Versioned CEL rulesets: drafts, backtests, promotion, and the live and shadow evaluation. */
  readonly rules: RulesService;
  /** Watch lists (OpenSanctions entities, CSV) and name screening, in memory; parties are screened at registration. */
  readonly screening: ScreeningService;
  /** Cases for analysts, opened by alerts from decisions, screening and mule-ring detection. */
  readonly cases: CasesService;
  /** Mule-ring detection over the graph of booked money movements. */
  readonly graph: GraphService;
  /** Which API key did which control-plane action: a hash chain that verify checks. */
  readonly audit: AuditService;
  /** POST /v1/transfers books through this: risk control decides each new transfer first. */
  readonly transferGate: TransferGate;
  readonly checkpoints: CheckpointService;
  verify(onProgress?: (checked: number, total: number) => void): ReturnType<JournalService['verify']>;
  close(): Promise<void>;
}

export interface PlatformOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly hashAlgorithm?: HashAlgorithm;
  readonly ledgerMetrics?: LedgerMetrics;
  /** How often the ledger looks for timed-out pending transfers; 0 leaves it to explicit calls. */
  readonly expiryIntervalMs?: number;
  /** Secret the signing key ring is sealed under; the command line always passes a real one. */
  readonly keySecret?: string;
  readonly signatureSuite?: SignatureSuite;
  /** Verifies checkpoints' signatures off the event loop (listings, verification, proofs, consistency files); the process's shared worker by default (tests give their own). */
  readonly checkpointVerifier?: CheckpointSignatureVerifier;
  /**
   * How often the mule-ring graph is scanned, by one of the processes sharing the database per
   * interval; 0 turns it off. Default every 10 minutes, and off when expiryIntervalMs is 0.
   */
  readonly graphScanIntervalMs?: number;
  /** Lets payment webhooks reach loopback and private addresses (local development); off by default. */
  readonly webhookPrivateAddresses?: boolean;
  /** Days an imported ISO 20022 file's sender and MsgId are kept for the duplicate check; 400 by default. */
  readonly importedMessageRetentionDays?: number;
  /** Private ranges, addresses and host names payment webhooks may reach (SLUICE_WEBHOOK_ALLOWED_NETWORKS); none by default. */
  readonly webhookAllowedNetworks?: readonly string[];
  /** How payment webhook host names are resolved; the system's resolver unless a test fakes it. */
  readonly webhookResolver?: WebhookResolver;
  /** Parts of risk control to use instead of the platform's own (tests, embedding applications). */
  readonly risk?: Partial<Pick<RiskServiceDeps, 'rules' | 'features' | 'lists' | 'screening' | 'graph' | 'alerts' | 'timer'>>;
}

/** For tests and library use only: sealing under a known secret protects nothing. */
const DEVELOPMENT_KEY_SECRET = 'sluice-development-key-secret-not-for-production';

export const ALL_MIGRATIONS = [...journalMigrations, ...partiesMigrations, ...ledgerMigrations, ...authMigrations, ...scfMigrations, ...fxMigrations, ...paymentsMigrations, ...featuresMigrations, ...listsMigrations, ...riskMigrations, ...rulesMigrations, ...screeningMigrations, ...casesMigrations, ...graphMigrations, ...auditMigrations];

/** Every table of an installation, in the order a dump writes and an import restores them. */
export const ALL_TABLES = [...journalTables, ...partiesTables, ...ledgerTables, ...authTables, ...scfTables, ...fxTables, ...paymentsTables, ...featuresTables, ...listsTables, ...riskTables, ...rulesTables, ...screeningTables, ...casesTables, ...graphTables, ...auditTables];

/** An installation is empty when nothing was ever journaled: no ledger, account or transfer exists. */
export async function isEmptyInstallation(platform: Platform): Promise<boolean> {
  return (await platform.journal.head()).seq === 0n;
}

export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  const { db } = options;
  const clock: RewindableClock = createRewindableClock(options.clock);
  await migrate(db, ALL_MIGRATIONS);
  const journal = createJournalService({ db });
  const hashAlgorithm = await journal.initialize(options.hashAlgorithm ?? 'sha256');
  // Screening comes before parties: a party registered from now on is screened against the lists.
  // Screening hits open cases; the cases service is made further down (it needs the lists), and no
  // party is registered, so no alert raised, before it exists.
  const caseAlerts: AlertSink = { raise: (alert) => cases.raise(alert) };
  const screening = createScreeningService({
    db, clock, refreshIntervalMs: options.expiryIntervalMs === 0 ? 0 : undefined, alerts: options.risk?.alerts ?? caseAlerts,
  });
  await screening.start();
  const parties = createPartiesService({ db, clock, onRegistered: (party) => screening.screenParty(party) });
  const ledger = createLedgerService({
    db,
    journal,
    clock,
    hashAlgorithm,
    knownParties: (ids) => parties.existing(ids),
    metrics: options.ledgerMetrics,
    expiryIntervalMs: options.expiryIntervalMs ?? 1000,
  });
  const auth = createAuthService({ db, clock });
  const audit = createAuditService({ db, clock, journal });
  const scf = createScfService({ db, journal, ledger, parties, clock, hashAlgorithm });
  const checkpoints = createCheckpointService({
    db, journal, clock, keySecret: options.keySecret ?? DEVELOPMENT_KEY_SECRET, suite: options.signatureSuite ?? 'hybrid-mldsa65-sm2',
    ...(options.checkpointVerifier ? { signatureVerifier: options.checkpointVerifier } : {}),
  });
  const fx = createFxService({ db, ledger, clock });
  // Backtests replay the decisions the risk module records; the risk service is made below, after
  // the rules it evaluates, and the history is read only once both exist.
  const decisionHistory: DecisionHistory = { since: (fromMs, limit) => risk.history.since(fromMs, limit) };
  const rules = createRulesService({ db, clock, history: decisionHistory });
  await rules.refresh();
  // Features and lists poll for other processes' changes; with background work off (tests) they are read on request.
  const riskPollIntervalMs = options.expiryIntervalMs === 0 ? 0 : undefined;
  const features = createFeaturesService({ db, clock, pollIntervalMs: riskPollIntervalMs });
  await features.start();
  const lists = createListsService({ db, clock, pollIntervalMs: riskPollIntervalMs });
  await lists.start();
  // Alerts from decisions, screening and mule-ring detection open cases; a confirmed case can feed the block list.
  // Payments are made further down; an analyst links a payment to a case only once it exists. Transfers
  // and parties an analyst links are looked up in the ledger and the party register the same way.
  const cases = createCasesService({
    db, clock, lists, payments: { get: (uetr) => payments.get(uetr) }, transfers: { lookup: (ids) => ledger.lookupTransfers(ids) }, parties: { existing: (ids) => parties.existing(ids) },
  });
  // Mule-ring scores reach the rules as the mule_score feature of each account (and its counterparty's).
  features.declareScore('mule_score', 'Mule-ring score of the account from the latest graph scan, 0..1');
  const graph = createGraphService({
    db, clock, alerts: cases,
    scanIntervalMs: options.graphScanIntervalMs ?? (options.expiryIntervalMs === 0 ? 0 : GRAPH_LIMITS.scanIntervalDefaultMs),
    onScores: (scores) => {
      for (const [accountId, score] of scores) features.setAccountScore('mule_score', accountId, score);
    },
  });
  await graph.start();
  // Booked events reach the graph's edge store beside the feature windows. The graph's write is not
  // awaited on the money path; a failure is counted in graph.stats() rather than slowing a transfer.
  const recordedFeatures: FeatureSource = {
    compute: (event) => features.compute(event),
    describe: () => features.describe(),
    record: (event) => {
      graph.observe(event).catch(() => {});
      return features.record(event);
    },
  };
  const risk = createRiskService({ db, clock, rules, features: recordedFeatures, lists, screening, graph, alerts: cases, ...options.risk });
  await risk.start();
  const transferGate = createTransferGate({ risk, ledger, parties, clock });
  const paymentGate = createPaymentGate({ risk, directory: transferGate.directory, clock });
  const payments = createPaymentsService({
    db, keySecret: options.keySecret ?? DEVELOPMENT_KEY_SECRET, ledger, fx, parties, clock, backgroundIntervalMs: options.expiryIntervalMs ?? 1000, gate: paymentGate,
    webhookPrivateAddresses: options.webhookPrivateAddresses ?? false, webhookAllowedNetworks: options.webhookAllowedNetworks ?? [],
    ...(options.webhookResolver ? { webhookResolver: options.webhookResolver } : {}),
    ...(options.importedMessageRetentionDays ? { importedMessageRetentionDays: options.importedMessageRetentionDays } : {}),
  });
  paymentGate.attach(payments);
  // Ledger work a crash left half done (reserved, posted or voided cash) is finished before anything new.
  await scf.recover();
  await payments.recover();
  await risk.holds.recover();
  return {
    db,
    clock: options.clock,
    setClockBehindMs: (ms) => clock.setBehindMs(ms),
    journal,
    ledger,
    parties,
    auth,
    scf,
    fx,
    payments,
    risk,
    features,
    lists,
    rules,
    screening,
    cases,
    graph,
    audit,
    transferGate,
    checkpoints,
    // One snapshot for the whole run: a batch committing meanwhile is either wholly seen or not at all.
    verify: (onProgress) => db.snapshot((q) => journal.verify((algorithm) => [...ledger.verifiers(q, algorithm), ...scf.verifiers(q, algorithm), checkpoints.verifier(q), audit.verifier(q)], onProgress, q)),
    async close() {
      await scf.stop();
      await payments.stop();
      await risk.stop();
      await graph.stop();
      await features.stop();
      await lists.stop();
      await screening.stop();
      await rules.stop();
      await fx.stop();
      await ledger.stop();
      await db.close();
    },
  };
}
