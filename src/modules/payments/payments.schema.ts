import { Type } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import { CURRENCY_PATTERN, SPREAD_BPS_MAX } from '../fx/index.ts';
import { CANCELLATION_REASONS, REJECTION_REASONS, RETURN_REASONS } from './payments.errors.ts';
import { PAYMENT_LIMITS, WEBHOOK_LIMITS } from './payments.limits.ts';
import { BIC_PATTERN, CHARGE_BEARERS, MAX35_PATTERN, PAYMENT_STATUSES, PURPOSE_PATTERN, SETTLEMENT_MODES } from './payments.ts';

/**
 * Wire schemas of the payments API. Amounts are strings of integer minor units; accounts are named
 * by their id (a UUID) or their identifier (an IBAN or other number); agents by BIC. The schemas
 * check shape and size; the rules (a participant that exists, a quote still firm) are the
 * service's, so that each broken rule is refused with its own code.
 */
const literals = <T extends string>(values: readonly T[], options: { readonly description?: string } = {}) => Type.Union(values.map((value) => Type.Literal(value)), options);

export const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'A UUID.' });
export const Bic = Type.String({ pattern: BIC_PATTERN, description: 'A BIC (ISO 9362): 8 or 11 characters.' });
export const Currency = Type.String({ pattern: CURRENCY_PATTERN, description: 'ISO 4217 currency code.' });
const AccountReference = Type.String({ minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$', description: 'An account id (UUID) or its identifier (IBAN or other number).' });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Positive integer of minor units, as a string.' });
const MinorOrZero = Type.String({ pattern: '^(0|[1-9][0-9]{0,17})$', description: 'Integer of minor units, as a string.' });
const Max35 = Type.String({ pattern: MAX35_PATTERN, description: 'ISO 20022 Max35Text.' });
/**
 * Remittance text is copied into the pacs.008 and the camt.053, and XML 1.0 cannot carry C0 control
 * characters other than tab and line breaks, lone surrogates or U+FFFE and U+FFFF; readers also drop a
 * leading byte order mark. Such text is refused here, before anything is booked, rather than failing
 * while the message is built. Ajv compiles patterns with the `u` flag, so the surrogate range matches
 * only surrogates that are not part of a pair.
 */
const XML_TEXT_PATTERN = '^(?!\\uFEFF)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uD800-\\uDFFF\\uFFFE\\uFFFF]*$';

export const PaymentInput = Type.Object(
  {
    id: Type.String({ pattern: UUID_PATTERN, description: 'Your id for this payment: its idempotency key. The same id and body again answers the first result. Any UUID but version 8, which is kept for the ids Sluice derives (422 payment_id_reserved).' }),
    uetr: Type.Optional(Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', description: 'A UUID version 4 in lower case; derived from the id when left out.' })),
    end_to_end_id: Type.Optional(Max35),
    instruction_id: Type.Optional(Max35),
    debtor_account: AccountReference,
    creditor_account: AccountReference,
    debtor_agent: Type.Optional(Bic),
    creditor_agent: Type.Optional(Bic),
    amount: Amount,
    currency: Currency,
    charge_bearer: Type.Optional(literals(CHARGE_BEARERS)),
    purpose: Type.Optional(Type.String({ pattern: PURPOSE_PATTERN, description: 'ISO ExternalPurpose1Code, e.g. SUPP, SALA, GDDS.' })),
    remittance_information: Type.Optional(Type.String({ minLength: 1, maxLength: PAYMENT_LIMITS.remittanceMaxLength, pattern: XML_TEXT_PATTERN, description: 'Free text for the creditor; no control characters other than tab and line breaks.' })),
    quote_id: Type.Optional(Uuid),
    settlement: Type.Optional(literals(SETTLEMENT_MODES)),
    acceptance_timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: PAYMENT_LIMITS.acceptanceMaxSeconds })),
  },
  { additionalProperties: false },
);

export const ParticipantInput = Type.Object(
  { bic: Bic, party_id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }), name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength })) },
  { additionalProperties: false },
);

export const CurrencyInput = Type.Object(
  { fee_fixed: Type.Optional(MinorOrZero), fee_bps: Type.Optional(Type.Integer({ minimum: 0, maximum: SPREAD_BPS_MAX, description: 'Charge in basis points of the amount.' })) },
  { additionalProperties: false },
);

export const AccountInput = Type.Object(
  {
    id: Type.Optional(Uuid),
    identifier: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,34}$', description: 'The account number in messages: an IBAN or another identifier (at most 34 letters and digits).' })),
    bic: Bic,
    party_id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }),
    currency: Currency,
  },
  { additionalProperties: false },
);

export const CancelInput = Type.Object({ reason: Type.Optional(literals(CANCELLATION_REASONS)) }, { additionalProperties: false });
export const RejectInput = Type.Object({ reason: literals(REJECTION_REASONS) }, { additionalProperties: false });
export const ReturnInput = Type.Object({ reason: literals(RETURN_REASONS) }, { additionalProperties: false });

export const WebhookInput = Type.Object(
  {
    url: Type.String({ minLength: 8, maxLength: WEBHOOK_LIMITS.urlMaxLength, description: 'Where notifications are posted (http or https).' }),
    secret: Type.Optional(Type.String({ minLength: WEBHOOK_LIMITS.secretMinLength, maxLength: 256, description: 'Signing secret; generated (and shown once) when left out.' })),
  },
  { additionalProperties: false },
);

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: PAYMENT_LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems }));
const Cursor = Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The next_cursor of the previous page.' }));

export const UetrParams = Type.Object({ uetr: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false });
export const BicParams = Type.Object({ bic: Bic }, { additionalProperties: false });
export const ListQuery = Type.Object(
  {
    status: Type.Optional(literals(PAYMENT_STATUSES)),
    order: Type.Optional(literals(['asc', 'desc'] as const, { description: 'By the time each payment was received: `asc` (the default) oldest first, `desc` newest first. A cursor continues in the order of the request that gave it out.' })),
    limit: Limit,
    cursor: Cursor,
  },
  { additionalProperties: false },
);
export const EventsQuery = Type.Object({ after: Cursor, limit: Limit }, { additionalProperties: false });
export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });
export const StatementQuery = Type.Object(
  { account: AccountReference, date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), format: Type.Optional(literals(['xml', 'json'] as const)) },
  { additionalProperties: false },
);
export const MessageParams = Type.Object({ uetr: Type.String({ pattern: UUID_PATTERN }), kind: literals(['pacs.008', 'pacs.002', 'pacs.004'] as const) }, { additionalProperties: false });
export const WebhookParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false });
export const CurrencyParams = Type.Object({ bic: Bic, currency: Currency }, { additionalProperties: false });
