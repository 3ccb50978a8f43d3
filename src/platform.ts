import { migrate, type Database } from './db/index.ts';
import type { Clock } from './kernel/index.ts';
import type { HashAlgorithm } from './crypto/index.ts';
import { createJournalService, journalMigrations, journalTables, type JournalService } from './modules/journal/index.ts';
import { createLedgerService, ledgerMigrations, ledgerTables, type LedgerMetrics, type LedgerService } from './modules/ledger/index.ts';
import { createPartiesService, partiesMigrations, partiesTables, type PartiesService } from './modules/parties/index.ts';
import { authMigrations, authTables, createAuthService, type AuthService } from './modules/auth/index.ts';

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
}

export const ALL_MIGRATIONS = [...journalMigrations, ...partiesMigrations, ...ledgerMigrations, ...authMigrations];

/** Every table of an installation, in the order a dump writes and an import restores them. */
export const ALL_TABLES = [...journalTables, ...partiesTables, ...ledgerTables, ...authTables];

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
  return {
    db,
    clock,
    journal,
    ledger,
    parties,
    auth,
    verify: (onProgress) => journal.verify(ledger.verifiers(), onProgress),
    async close() {
      await ledger.stop();
      await db.close();
    },
  };
}
