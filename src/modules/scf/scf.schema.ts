import { Type } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import { SCF_LIMITS } from './scf.limits.ts';

/**
 * Wire schemas of the supply-chain-finance API. Amounts are strings of integer minor units, ids of
 * operations and vouchers are UUIDs, parties and programs use the caller's own identifiers. The
 * schemas check shape and size; the rules (a term of at most a year, a rate within bounds, a date
 * that exists) are the service's, so that each broken rule is refused with its own code.
 */
export const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'A UUID.' });
export const OperationId = Type.String({ pattern: UUID_PATTERN, description: 'Your id for this operation: its idempotency key. Retry with the same id and body to get the first answer.' });
export const PartyId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'A party id (letters, digits, . _ : -).' });
export const ProgramId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: 'Your identifier for the program.' });
export const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Positive integer of minor units, as a string.' });
const Hash = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the document (or of the invoice\'s normalised identifiers), hex.' });
const DateText = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'A calendar date, YYYY-MM-DD (UTC).' });
const Ledger = Type.Integer({ minimum: 1, maximum: LIMITS.ledgerMaxId });
const Text = Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength });

export const ProgramInput = Type.Object(
  {
    id: ProgramId,
    name: Text,
    core_enterprise_id: PartyId,
    funding_bank_ids: Type.Array(PartyId, { minItems: 1, maxItems: SCF_LIMITS.membersPerRequestMax }),
    supplier_ids: Type.Array(PartyId, { maxItems: SCF_LIMITS.membersPerRequestMax }),
    ledger: Ledger,
    credit_limit: Amount,
    max_term_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: `Longest term from issue to maturity, in days; at most ${SCF_LIMITS.maxTermDaysCeiling}. Default 183.` })),
    min_split_amount: Type.Optional(Amount),
    max_split_depth: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: `How many times a piece may be split again; at most ${SCF_LIMITS.maxSplitDepthCeiling}. Default 8.` })),
    day_count_basis: Type.Optional(Type.Union([Type.Literal(360), Type.Literal(365)], { description: 'ACT/360 (default) or ACT/365 for discount interest.' })),
  },
  { additionalProperties: false },
);

export const SuppliersInput = Type.Object({ supplier_ids: Type.Array(PartyId, { minItems: 1, maxItems: SCF_LIMITS.membersPerRequestMax }) }, { additionalProperties: false });

export const IssueInput = Type.Object(
  {
    id: Type.String({ pattern: UUID_PATTERN, description: 'Your id for the voucher; it is also the operation\'s idempotency key.' }),
    program_id: ProgramId,
    acting_party_id: PartyId,
    supplier_id: PartyId,
    face_amount: Amount,
    maturity_date: DateText,
    contract_hash: Hash,
    invoice_hashes: Type.Array(Hash, { minItems: 1, maxItems: SCF_LIMITS.invoicesPerVoucherMax }),
  },
  { additionalProperties: false },
);

export const ActInput = Type.Object({ id: OperationId, acting_party_id: PartyId }, { additionalProperties: false });
export const SplitInput = Type.Object(
  { id: OperationId, acting_party_id: PartyId, amounts: Type.Array(Amount, { minItems: 2, maxItems: SCF_LIMITS.splitMaxParts }) },
  { additionalProperties: false },
);
export const TransferInput = Type.Object({ id: OperationId, acting_party_id: PartyId, to_party_id: PartyId }, { additionalProperties: false });
export const FinanceInput = Type.Object(
  {
    id: OperationId,
    acting_party_id: PartyId,
    bank_id: PartyId,
    annual_rate_bps: Type.Integer({ minimum: 0, maximum: 1_000_000, description: `Annual discount rate in basis points (1/100 %), at most ${SCF_LIMITS.annualRateMaxBps}.` }),
  },
  { additionalProperties: false },
);
export const FreezeInput = Type.Object({ id: OperationId, reason: Text }, { additionalProperties: false });
export const UnfreezeInput = Type.Object({ id: OperationId, reason: Type.Optional(Text) }, { additionalProperties: false });

export const ProgramParams = Type.Object({ program_id: ProgramId }, { additionalProperties: false });
export const VoucherParams = Type.Object({ voucher_id: Uuid }, { additionalProperties: false });
export const PieceParams = Type.Object({ piece_id: Uuid }, { additionalProperties: false });
export const PartyParams = Type.Object({ party_id: PartyId }, { additionalProperties: false });
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SCF_LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
    cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
