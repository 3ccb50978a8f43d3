import { Type } from 'typebox';
import { LIMITS, UUID_PATTERN } from '../../kernel/index.ts';
import { OUTCOMES } from '../rules/index.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import { FAIL_MODES, HOLD_KINDS, HOLD_STATUSES } from './risk.ts';

/** Wire schemas of the decision path: snake_case, amounts as strings of minor units. */
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

const Channel = Type.String({ minLength: 1, maxLength: RISK_LIMITS.channelMaxLength, pattern: '^[a-z0-9_.:-]+$', description: 'api, batch, payments, iso20022, or a name of your own.' });
const CodeValue = Type.Integer({ minimum: 1, maximum: LIMITS.codeMax });
const list = <T extends ReturnType<typeof Type.Integer> | typeof Channel>(item: T) => Type.Array(item, { maxItems: RISK_LIMITS.settingsListMax, uniqueItems: true });

export const SettingsInput = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Off: no transfer or payment is evaluated (open holds stay guarded).' })),
    fail_mode: Type.Optional(literals(FAIL_MODES)),
    budget_ms: Type.Optional(Type.Integer({ minimum: RISK_LIMITS.decisionBudgetMinMs, maximum: RISK_LIMITS.decisionBudgetMaxMs, description: 'Time one decision may take before the fail mode applies.' })),
    codes: Type.Optional(list(CodeValue)),
    exempt_codes: Type.Optional(list(CodeValue)),
    channels: Type.Optional(list(Channel)),
    exempt_channels: Type.Optional(list(Channel)),
  },
  { additionalProperties: false, description: 'Fields left out keep their value.' },
);

const AccountRef = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'A Sluice account id, or any account identifier of yours.' });
const PartyRef = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2.' });
const Name = Type.String({ minLength: 1, maxLength: LIMITS.textMaxLength });

export const DecisionInput = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: 'The event id (a transfer id or a UETR); a fresh one when left out.' })),
    amount: Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$', description: 'Minor units, as a string.' }),
    currency: Type.String({ pattern: '^[A-Z0-9][A-Z0-9._-]{0,15}$' }),
    debit_account_id: AccountRef,
    credit_account_id: AccountRef,
    debit_party_id: Type.Optional(PartyRef),
    credit_party_id: Type.Optional(PartyRef),
    device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' })),
    ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$', description: 'IPv4 or IPv6 address.' })),
    debit_country: Type.Optional(Country),
    credit_country: Type.Optional(Country),
    channel: Type.Optional(Channel),
    code: Type.Optional(CodeValue),
    debit_name: Type.Optional(Name),
    credit_name: Type.Optional(Name),
    record: Type.Optional(Type.Boolean({ description: 'Also add the event to the feature windows, as if it were booked (default false).' })),
  },
  { additionalProperties: false },
);

export const DecisionsQuery = Type.Object(
  {
    outcome: Type.Optional(literals(OUTCOMES)),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'Decisions at or after this ISO 8601 instant (or epoch milliseconds).' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
    cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
    order: Type.Optional(literals(['asc', 'desc'] as const)),
  },
  { additionalProperties: false },
);

export const HoldsQuery = Type.Object(
  {
    status: Type.Optional(literals([...HOLD_STATUSES, 'all'] as const)),
    kind: Type.Optional(literals(HOLD_KINDS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems })),
    cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }) }, { additionalProperties: false });

export const ResolveInput = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: RISK_LIMITS.noteMaxLength, description: 'Why, for the audit trail.' })) },
  { additionalProperties: false },
);
