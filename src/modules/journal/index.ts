export { createJournalService, type JournalService } from './journal.service.ts';
export { journalMigrations, journalTables } from './journal.migrations.ts';
export { GENESIS_HASH, entryHash, type ContentVerifier, type JournalEntry, type VerifyProblem, type VerifyReport } from './journal.ts';
