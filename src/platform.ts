import { migrate, type Database } from './db/index.ts';
import type { Clock } from './kernel/index.ts';
import type { HashAlgorithm, SignatureSuite } from './crypto/index.ts';
import { createCheckpointService, createJournalService, journalMigrations, journalTables, type CheckpointService, type JournalService } from './modules/journal/index.ts';
import { createLedgerService, ledgerMigrations, ledgerTables, type LedgerMetrics, type LedgerService } from './modules/ledger/index.ts';
import { createPartiesService, partiesMigrations, partiesTables, type PartiesService } from './modules/parties/index.ts';
import { authMigrations, authTables, createAuthService, type AuthService } from './modules/auth/index.ts';
import { createScfService, scfMigrations, scfTables, type ScfService } from './modules/scf/index.ts';
import { createFxService, fxMigrations, fxTables, type FxService } from './modules/fx/index.ts';
import { createPaymentsService, paymentsMigrations, paymentsTables, type PaymentsService } from './modules/payments/index.ts';

/**
 * The modules wired together by hand, without HTTP: what the server, the command line and the tests
 * all start from. Migrations run first; the journal's hash algorithm is fixed on first start.
 */
export interface Platform {
  readonly db: Database;
  readonly clock: Clock;
  readonly journal: JournalService;
  readonly ledger: LedgerService;
  readonly parties: PartiesService;
  readonly auth: AuthService;
  readonly scf: ScfService;
  readonly fx: FxService;
  readonly payments: PaymentsService;
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
}

/** For tests and library use only: sealing under a known secret protects nothing. */
const DEVELOPMENT_KEY_SECRET = 'sluice-development-key-secret-not-for-production';

export const ALL_MIGRATIONS = [...journalMigrations, ...partiesMigrations, ...ledgerMigrations, ...authMigrations, ...scfMigrations, ...fxMigrations, ...paymentsMigrations];

/** Every table of an installation, in the order a dump writes and an import restores them. */
export const ALL_TABLES = [...journalTables, ...partiesTables, ...ledgerTables, ...authTables, ...scfTables, ...fxTables, ...paymentsTables];

/** An installation is empty when nothing was ever journaled: no ledger, account or transfer exists. */
export async function isEmptyInstallation(platform: Platform): Promise<boolean> {
  return (await platform.journal.head()).seq === 0n;
}

export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  const { db, clock } = options;
  await migrate(db, ALL_MIGRATIONS);
  const journal = createJournalService({ db });
  const hashAlgorithm = await journal.initialize(options.hashAlgorithm ?? 'sha256');
  const parties = createPartiesService({ db, clock });
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
  const scf = createScfService({ db, journal, ledger, parties, clock, hashAlgorithm });
  const checkpoints = createCheckpointService({
    db, journal, clock, keySecret: options.keySecret ?? DEVELOPMENT_KEY_SECRET, suite: options.signatureSuite ?? 'hybrid-mldsa65-sm2',
  });
  const fx = createFxService({ db, ledger, clock });
  const payments = createPaymentsService({ db, ledger, fx, parties, clock, backgroundIntervalMs: options.expiryIntervalMs ?? 1000 });
  // Ledger work a crash left half done (reserved, posted or voided cash) is finished before anything new.
  await scf.recover();
  await payments.recover();
  return {
    db,
    clock,
    journal,
    ledger,
    parties,
    auth,
    scf,
    fx,
    payments,
    checkpoints,
    // One snapshot for the whole run: a batch committing meanwhile is either wholly seen or not at all.
    verify: (onProgress) => db.snapshot((q) => journal.verify([...ledger.verifiers(q), ...scf.verifiers(q), checkpoints.verifier(q)], onProgress, q)),
    async close() {
      await scf.stop();
      await payments.stop();
      await fx.stop();
      await ledger.stop();
      await db.close();
    },
  };
}
