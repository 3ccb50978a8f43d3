/** Block and allow lists: what they hold and how a lookup answers. */
export const LIST_NAMES = ['block', 'allow'] as const;
export type ListName = (typeof LIST_NAMES)[number];

export const ENTRY_KINDS = ['account', 'party', 'country', 'ip', 'device'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** What a lookup asks about: every value of every kind the event carries. */
export interface ListSubject {
  readonly accountIds?: readonly string[];
  readonly partyIds?: readonly string[];
  readonly countries?: readonly string[];
  readonly ips?: readonly string[];
  readonly devices?: readonly string[];
}

export interface ListHit {
  readonly entryId: string;
  readonly list: ListName;
  readonly kind: EntryKind;
  /** The listed value: an id, a country code, a CIDR range or a device id. */
  readonly value: string;
  /** What in the subject matched it (the ip inside a CIDR range, say). */
  readonly matched: string;
  readonly reason: string;
}

export interface ListMatch {
  readonly blocked: readonly ListHit[];
  readonly allowed: readonly ListHit[];
}

/** Adding an entry; cases use it to feed the block list from a confirmed case. */
export interface ListEntryInput {
  readonly list: ListName;
  readonly kind: EntryKind;
  readonly value: string;
  readonly reason: string;
  /** Who asked: an API key id, or a system actor such as "case:<id>". */
  readonly actor: string;
  readonly expiresAtMs?: number;
}

/** What the decision path needs of the lists module: an in-memory lookup. */
export interface ListChecker {
  match(subject: ListSubject): ListMatch;
}

/** An entry as stored. `value` is normalised: CIDR ranges canonical with their prefix, countries upper-case. */
export interface ListEntry {
  readonly id: string;
  readonly list: ListName;
  readonly kind: EntryKind;
  readonly value: string;
  readonly reason: string;
  readonly actor: string;
  readonly createdAtMs: number;
  /** After this instant the entry never matches; null when it does not expire. */
  readonly expiresAtMs: number | null;
}

export const AUDIT_ACTIONS = ['add', 'remove'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One change to the lists: who did what, when and why. */
export interface ListAuditRecord {
  readonly seq: bigint;
  readonly atMs: number;
  readonly actor: string;
  readonly action: AuditAction;
  readonly entryId: string;
  readonly list: ListName;
  readonly kind: EntryKind;
  readonly value: string;
  readonly reason: string;
  readonly expiresAtMs: number | null;
}
