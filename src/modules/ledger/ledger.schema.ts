import { Type } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import { AccountFlags, TransferFlags } from './ledger.ts';

/** Wire schemas of the ledger API. Amounts are strings of integer minor units; ids are UUIDs. */
export const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'A UUID; Sluice generates UUIDv7, clients may send any non-nil UUID.' });
export const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Positive integer of minor units, at most 9223372036854775807, as a string.' });
export const LedgerId = Type.Integer({ minimum: 1, maximum: LIMITS.ledgerMaxId });
export const Code = Type.Integer({ minimum: 1, maximum: LIMITS.codeMax, description: 'What the account or transfer is, in your chart of accounts (1–65535).' });
export const Metadata = Type.Record(
  Type.String({ pattern: `^[A-Za-z0-9_.:-]{1,${LIMITS.metadataKeyMaxLength}}$` }),
  Type.String({ maxLength: LIMITS.metadataValueMaxLength }),
  { maxProperties: LIMITS.metadataMaxKeys, additionalProperties: false, description: 'Your own string keys and values.' },
);
const flagList = (table: Record<string, number>) =>
  Type.Array(Type.Union(Object.keys(table).map((name) => Type.Literal(name))), { maxItems: Object.keys(table).length, uniqueItems: true });

export const LedgerInput = Type.Object(
  {
    id: LedgerId,
    asset_code: Type.String({ pattern: '^[A-Z0-9][A-Z0-9._-]{0,15}$', description: 'ISO 4217 code or another asset code.' }),
    scale: Type.Optional(Type.Integer({ minimum: 0, maximum: 18, description: 'Digits of the minor unit; defaults to ISO 4217 for known currencies.' })),
    name: Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength }),
  },
  { additionalProperties: false },
);

export const AccountInput = Type.Object(
  {
    id: Uuid,
    ledger: LedgerId,
    code: Code,
    flags: Type.Optional(flagList(AccountFlags)),
    party_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export const AccountBatch = Type.Object({ accounts: Type.Array(AccountInput, { minItems: 1, maxItems: LIMITS.batchMaxItems }) }, { additionalProperties: false });

export const TransferInput = Type.Object(
  {
    id: Uuid,
    debit_account_id: Type.Optional(Uuid),
    credit_account_id: Type.Optional(Uuid),
    amount: Type.Optional(Amount),
    ledger: Type.Optional(LedgerId),
    code: Type.Optional(Code),
    flags: Type.Optional(flagList(TransferFlags)),
    pending_id: Type.Optional(Uuid),
    timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.timeoutMaxSeconds, description: 'Seconds until a pending transfer expires; 0 never.' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export const TransferBatch = Type.Object({ transfers: Type.Array(TransferInput, { minItems: 1, maxItems: LIMITS.batchMaxItems }) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const Instant = Type.String({ maxLength: 40, description: 'An ISO 8601 instant (up to nanoseconds) or integer nanoseconds since the epoch.' });
/** Ids to look up in one request (POST /v1/transfers/lookup, /v1/accounts/lookup), as TigerBeetle's lookups take a batch. */
export const LookupBody = Type.Object(
  { ids: Type.Array(Uuid, { minItems: 1, maxItems: LIMITS.batchMaxItems, description: `1 to ${LIMITS.batchMaxItems} ids; repeats are answered once.` }) },
  { additionalProperties: false },
);
