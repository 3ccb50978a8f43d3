/**
 * Roles, from most to least powerful. A participant key sees only the accounts of its own parties.
 */
export const ROLES = ['admin', 'operator', 'analyst', 'auditor', 'participant'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do. Routes name the permission they need; the check is one lookup. */
export const PERMISSIONS = {
  read: ['admin', 'operator', 'analyst', 'auditor', 'participant'],
  write: ['admin', 'operator', 'participant'],
  verify: ['admin', 'operator', 'auditor'],
  /**
   * Reading risk work that spans every party (cases, block and allow lists, rulesets, mule scores,
   * an account's behaviour features). A participant is a customer of the platform: it must not see
   * who else is under suspicion, nor the rules and lists that would let it steer around detection.
   */
  oversee: ['admin', 'operator', 'analyst', 'auditor'],
  manage: ['admin', 'operator'],
  /** Risk work: rules, lists, screening, cases, releasing or rejecting held transfers. */
  risk: ['admin', 'operator', 'analyst'],
  admin: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function allows(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Parties a participant key acts for; empty for other roles. */
  readonly partyIds: readonly string[];
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** Generated keys read `sk_<43 base64url characters>`; only a hash of the key is stored. */
export const KEY_PREFIX = 'sk_';

/**
 * Characters a key name may not hold. A name is shown in key listings, audit trails and logs, where
 * a control character (C0, DEL, C1) can break a line or a terminal, and a bidirectional control
 * (U+202E above all) can make one key's name read as another's. Line and paragraph separators,
 * invisible spaces and lone surrogates are refused for the same reasons; letters of every script,
 * and the joiners some scripts need (U+200C, U+200D), are kept.
 */
const NOT_NAME_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\p{Cs}/u;

/** Why a name cannot name a new API key, or undefined when it can. Existing keys keep theirs. */
export function apiKeyNameProblem(name: string): string | undefined {
  if (name.trim().length === 0) return 'a key name must have a character other than spaces';
  const found = NOT_NAME_CHARACTER.exec(name);
  if (!found) return undefined;
  const code = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `a key name may not hold control, invisible or bidirectional formatting characters (U+${code} at index ${found.index})`;
}
