export { createLedgerService, type LedgerService, type LedgerServiceDeps, type BalancesAt } from './ledger.service.ts';
export { ledgerMigrations, ledgerTables } from './ledger.migrations.ts';
export { LedgerOverloadedError, LedgerStoppedError, type LedgerMetrics, type CloseResult } from './ledger.engine.ts';
export { createBatchApplier, type LedgerSnapshot, type ItemResult, type BatchEffects } from './ledger.apply.ts';
export {
  AccountFlags, TransferFlags, bitsToFlags, flagsToBits, canonicalMetadata,
  type Account, type AccountFlagName, type AccountRequest, type Ledger, type Metadata, type PendingState, type Transfer, type TransferFlagName, type TransferRequest,
} from './ledger.ts';
export { TRANSFER_RESULT_CODES, ACCOUNT_RESULT_CODES, LEDGER_ERROR_STATUS, type TransferError, type AccountError, type LedgerError } from './ledger.errors.ts';
export { ledgerRoutes } from './ledger.routes.ts';
export { Metadata as MetadataSchema } from './ledger.schema.ts';
