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
