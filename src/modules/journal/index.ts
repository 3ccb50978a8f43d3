export { createJournalService, type JournalService } from './journal.service.ts';
export { journalMigrations, journalTables } from './journal.migrations.ts';
export { GENESIS_HASH, entryHash, verifyReportJson, type ContentVerifier, type JournalEntry, type VerifyProblem, type VerifyReport } from './journal.ts';
export { createCheckpointService, type CheckpointService, type CheckpointDeps, type ListedCheckpoint } from './journal.checkpoints.ts';
export { createCheckpointVerifier, CheckpointVerificationUnavailableError, CHECKPOINT_VERIFY_QUEUE_MAX, type CheckpointSignatureVerifier, type CheckpointVerifierOptions } from './journal.checkpoint-verifier.ts';
export { verifyProofFile, checkpointMessage, JournalAlgorithmError, UnverifiableCheckpointError, MAX_PROOF_RECORDS, CHECKPOINT_CONTEXT, PROOF_FILE_FORMAT, MAX_PROOF_ENTRIES, type Checkpoint, type ProofFile, type ProofVerification, type ProvenEntry, type SignatureCheck } from './journal.proof.ts';
export { verifyConsistencyFiles, verifyProofFiles, verifyProofStream, proofFileText, MAX_PROOF_LINE_BYTES, MAX_KEYS_FILE_BYTES, type ProofStreamOptions } from './journal.proof-stream.ts';
export { verifyConsistencyFile, CONSISTENCY_FILE_FORMAT, type ConsistencyFile, type ConsistencyVerification } from './journal.consistency.ts';
