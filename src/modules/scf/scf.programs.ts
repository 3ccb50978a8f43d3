import type { Database } from '../../db/index.ts';
import { AssertionError, createSerialRunner, err, msToNs, ok, type Clock } from '../../kernel/index.ts';
import type { JournalService } from '../journal/index.ts';
import { AccountFlags, type AccountRequest, type LedgerService } from '../ledger/index.ts';
import type { PartiesService } from '../parties/index.ts';
import type { ScfError } from './scf.errors.ts';
import { SCF_CODES, SCF_DEFAULTS, SCF_LIMITS } from './scf.limits.ts';
import { canonicalJson, memberAccountId } from './scf.operations.ts';
import { insertMembers, insertProgram, loadProgram, lockScf, type Member, type MemberRole, type ProgramRecord } from './scf.repository.ts';
import { checkProgramTerms, partyListedTwice } from './scf.rules.ts';

/**
 * Programs: a core enterprise, its funding banks and its supplier network in one ledger, with the
 * credit limit and the rules its vouchers follow. Every member gets a ledger account with a
 * deterministic id; the program's operator funds them through the ledger API, never through here.
 */
export interface ProgramInput {
  readonly id: string;
  readonly name: string;
  readonly coreEnterpriseId: string;
  readonly fundingBankIds: readonly string[];
  readonly supplierIds: readonly string[];
  readonly ledger: number;
  readonly creditLimit: bigint;
  readonly maxTermDays?: number;
  readonly minSplitAmount?: bigint;
  readonly maxSplitDepth?: number;
  readonly dayCountBasis?: 360 | 365;
}

export interface ProgramDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly ledger: Pick<LedgerService, 'createAccounts' | 'getLedger'>;
  readonly parties: Pick<PartiesService, 'get'>;
  readonly clock: Clock;
}

/** A program change's outcome; a refusal caused by one member names that party, so the answer can point at it. */
export type ProgramResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ScfError; readonly partyId?: string };

const memberRefusal = (error: ScfError, partyId: string) => ({ ok: false, error, partyId }) as const;

/** Advisory lock class of program claims on PostgreSQL; the second key is the hash of the program id. */
const PROGRAM_CLAIM_LOCK_CLASS = 7_316_024;

const ACCOUNT_CODE: Readonly<Record<MemberRole, number>> = { core: SCF_CODES.coreAccount, bank: SCF_CODES.bankAccount, supplier: SCF_CODES.supplierAccount };

function programEvent(kind: 'create_program' | 'add_suppliers', programId: string, members: readonly Member[], program?: ProgramRecord): string {
  const fields = program && {
    name: program.name, coreEnterpriseId: program.coreEnterpriseId, ledger: program.ledger, creditLimit: program.creditLimit,
    maxTermDays: program.maxTermDays, minSplitAmount: program.minSplitAmount, maxSplitDepth: program.maxSplitDepth, dayCountBasis: program.dayCountBasis,
  };
  return canonicalJson({ kind, programId, ...fields, members: members.map((m) => ({ partyId: m.partyId, role: m.role, accountId: m.accountId })) });
}

function sameProgram(existing: ProgramRecord, wanted: ProgramRecord): boolean {
  const same = (a: readonly string[], b: readonly string[]) => a.join(',') === [...b].sort().join(',');
  return existing.name === wanted.name && existing.coreEnterpriseId === wanted.coreEnterpriseId && existing.ledger === wanted.ledger &&
    existing.creditLimit === wanted.creditLimit && existing.maxTermDays === wanted.maxTermDays && existing.minSplitAmount === wanted.minSplitAmount &&
    existing.maxSplitDepth === wanted.maxSplitDepth && existing.dayCountBasis === wanted.dayCountBasis && same(existing.fundingBankIds, wanted.fundingBankIds) &&
    // Suppliers may have joined since: the ones asked for must all be there.
    wanted.supplierIds.every((id) => existing.members.get(id)?.role === 'supplier');
}

export function createPrograms(deps: ProgramDeps) {
  const { db } = deps;
  const serially = createSerialRunner();

  /**
   * A process changes programs one at a time. Two creations of one program id at once would both open
   * member accounts before one of them lost: the loser's accounts would be left behind, and a party
   * in a role the winner gives it another would be refused by the ledger.
   */
  function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    return serially(async () => {
      result = await work();
    }).then(() => result as T);
  }

  /** Parties must exist, banks must be banks; then their accounts are opened (idempotent by id). */
  async function admit(programId: string, ledger: number, members: readonly Member[]): Promise<ProgramResult<never> | null> {
    for (const member of members) {
      const party = await deps.parties.get(member.partyId);
      if (!party) return memberRefusal('party_not_found', member.partyId);
      if (member.role === 'bank' && party.kind !== 'bank') return memberRefusal('not_a_funding_bank', member.partyId);
    }
    const requests: AccountRequest[] = members.map((member) => ({
      id: member.accountId, ledger, code: ACCOUNT_CODE[member.role], flags: AccountFlags.debits_must_not_exceed_credits | AccountFlags.history,
      partyId: member.partyId, metadata: canonicalJson({ scf_program: programId, scf_role: member.role }),
    }));
    const results = requests.length > 0 ? await deps.ledger.createAccounts(requests) : [];
    const failed = results.find((result) => result.result !== 'ok');
    // Another process opened this program's account for the party in another role: it created the
    // program (or is creating it) with other members.
    if (failed?.result.startsWith('exists_with_different_')) return err('program_exists_with_different_fields');
    if (failed) throw new AssertionError(`the ledger refused program account ${failed.id}: ${failed.result}`);
    return null;
  }

  /**
   * Runs a program's creation under its claim. The serial runner keeps one process's creations apart;
   * processes sharing a PostgreSQL database also race, and both would open member accounts before one
   * lost at the insert, leaving the loser's accounts behind. So the creation first takes a lock on
   * the program id, held in a transaction of its own until the creation has committed: the second
   * creator waits, then finds the program and opens nothing. SQLite has one writer process, and its
   * writer cannot hold a transaction while the ledger opens the accounts.
   */
  function claimed<T>(programId: string, work: () => Promise<T>): Promise<T> {
    if (db.dialect !== 'postgres') return work();
    return db.transaction(async (claim) => {
      await claim.get('SELECT pg_advisory_xact_lock(?, hashtext(?))', [PROGRAM_CLAIM_LOCK_CLASS, programId]);
      return work();
    });
  }

  const membersOf = (programId: string, role: MemberRole, ids: readonly string[], addedAt: string): Member[] =>
    ids.map((partyId) => ({ partyId, role, accountId: memberAccountId(programId, partyId), addedAt }));

  return {
    create: (input: ProgramInput): Promise<ProgramResult<{ program: ProgramRecord; created: boolean }>> => oneAtATime(() => claimed(input.id, async () => {
      const now = deps.clock.nowMs();
      const createdAt = new Date(now).toISOString();
      const members = [
        ...membersOf(input.id, 'core', [input.coreEnterpriseId], createdAt),
        ...membersOf(input.id, 'bank', input.fundingBankIds, createdAt),
        ...membersOf(input.id, 'supplier', input.supplierIds, createdAt),
      ];
      const program: ProgramRecord = {
        id: input.id, name: input.name, coreEnterpriseId: input.coreEnterpriseId, fundingBankIds: [...input.fundingBankIds].sort(),
        supplierIds: [...input.supplierIds].sort(), ledger: input.ledger, creditLimit: input.creditLimit, outstanding: 0n,
        maxTermDays: input.maxTermDays ?? SCF_DEFAULTS.maxTermDays, minSplitAmount: input.minSplitAmount ?? SCF_DEFAULTS.minSplitAmount,
        maxSplitDepth: input.maxSplitDepth ?? SCF_DEFAULTS.maxSplitDepth, dayCountBasis: input.dayCountBasis ?? SCF_DEFAULTS.dayCountBasis,
        createdAt, members: new Map(members.map((member) => [member.partyId, member])),
      };
      const existing = await loadProgram(db, input.id);
      if (existing) return sameProgram(existing, program) ? ok({ program: existing, created: false }) : err('program_exists_with_different_fields');
      const terms = checkProgramTerms(program);
      if (terms) return err(terms);
      if (input.fundingBankIds.length === 0) return err('not_a_funding_bank');
      const twice = partyListedTwice(members.map((member) => member.partyId));
      if (twice !== undefined) return memberRefusal('party_listed_twice', twice);
      if (members.length > SCF_LIMITS.membersPerProgramMax + 1) return err('too_many_members');
      if (!(await deps.ledger.getLedger(input.ledger))) return err('ledger_not_found');
      const refusal = await admit(input.id, input.ledger, members);
      if (refusal) return refusal;
      return db.transaction(async (tx) => {
        await lockScf(tx);
        const raced = await loadProgram(tx, input.id);
        if (raced) return sameProgram(raced, program) ? ok({ program: raced, created: false }) : err('program_exists_with_different_fields');
        await insertProgram(tx, program);
        await deps.journal.append(tx, { kind: 'scf.event', payload: programEvent('create_program', program.id, members, program), digest: '', timestamp: msToNs(now) });
        return ok({ program, created: true });
      });
    })),

    /**
     * Adds suppliers to the network; naming a party that already supplies the program changes nothing.
     * A party named twice in one request is refused, as at creation.
     */
    addSuppliers: (programId: string, partyIds: readonly string[]): Promise<ProgramResult<ProgramRecord>> => oneAtATime(async () => {
      const now = deps.clock.nowMs();
      const program = await loadProgram(db, programId);
      if (!program) return err('program_not_found');
      const twice = partyListedTwice(partyIds);
      if (twice !== undefined) return memberRefusal('party_listed_twice', twice);
      const fresh = [...new Set(partyIds)].filter((id) => program.members.get(id)?.role !== 'supplier');
      if (fresh.length === 0) return ok(program);
      const otherRole = fresh.find((id) => program.members.has(id));
      if (otherRole !== undefined) return memberRefusal('party_listed_twice', otherRole);
      if (program.members.size - 1 + fresh.length > SCF_LIMITS.membersPerProgramMax) return err('too_many_members');
      const members = membersOf(programId, 'supplier', fresh, new Date(now).toISOString());
      const refusal = await admit(programId, program.ledger, members);
      if (refusal) return refusal;
      await db.transaction(async (tx) => {
        await lockScf(tx);
        const current = await loadProgram(tx, programId);
        const missing = members.filter((member) => !current?.members.has(member.partyId));
        if (missing.length === 0) return;
        await insertMembers(tx, programId, missing);
        await deps.journal.append(tx, { kind: 'scf.event', payload: programEvent('add_suppliers', programId, missing), digest: '', timestamp: msToNs(now) });
      });
      return ok((await loadProgram(db, programId)) as ProgramRecord);
    }),
  };
}
