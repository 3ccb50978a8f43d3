import type { Database, Queryable } from '../../db/index.ts';
import { AccountFlags, type LedgerService } from '../ledger/index.ts';
import type { PartiesService } from '../parties/index.ts';
import type { FxService } from '../fx/index.ts';
import { AssertionError, createBoundedCache, err, isUuid, normalizeUuid, ok, type Clock, type Result } from '../../kernel/index.ts';
import type { PaymentError } from './payments.errors.ts';
import { participantAccountId } from './payments.ids.ts';
import { PAYMENT_CODES, PAYMENT_LIMITS } from './payments.limits.ts';

/**
 * Who takes part in payments: participants (banks and payment firms, known by a BIC, with a
 * settlement account and a fee account in each currency they clear) and the customer accounts they
 * hold. The directory keeps what it has read in memory, because every payment looks up four of
 * these entries; fee settings are read again after a few seconds, since another process may change them.
 */
export interface Participant {
  readonly bic: string;
  readonly partyId: string;
  readonly name: string;
  readonly jurisdiction: string;
  readonly createdAt: string;
}

export interface ParticipantCurrency {
  readonly bic: string;
  readonly currency: string;
  readonly ledger: number;
  readonly settlementAccountId: string;
  readonly feeAccountId: string;
  readonly feeFixed: bigint;
  readonly feeBps: number;
  readonly updatedAt: string;
}

export interface CustomerAccount {
  readonly accountId: string;
  /** The owner's name, as ISO 20022 messages name debtors and creditors. */
  readonly ownerName: string;
  readonly identifier: string;
  readonly bic: string;
  readonly partyId: string;
  readonly currency: string;
  readonly ledger: number;
  readonly createdAt: string;
}

export interface DirectoryDeps {
  readonly db: Database;
  readonly ledger: Pick<LedgerService, 'createAccounts'>;
  readonly parties: Pick<PartiesService, 'get'>;
  readonly fx: Pick<FxService, 'currency'>;
  readonly clock: Clock;
}

type Row = Record<string, unknown>;
const toParticipant = (row: Row): Participant => ({
  bic: row.bic as string, partyId: row.party_id as string, name: row.name as string, jurisdiction: row.jurisdiction as string, createdAt: row.created_at as string,
});
const toCurrency = (row: Row): ParticipantCurrency => ({
  bic: row.bic as string, currency: row.currency as string, ledger: Number(row.ledger), settlementAccountId: row.settlement_account_id as string,
  feeAccountId: row.fee_account_id as string, feeFixed: BigInt(row.fee_fixed as bigint), feeBps: Number(row.fee_bps), updatedAt: row.updated_at as string,
});
const ACCOUNT_COLUMNS = 'account_id, identifier, bic, party_id, currency, created_at';

export function createDirectory(deps: DirectoryDeps) {
  const { db } = deps;
  // Both are read again from the database when forgotten.
  const participants = createBoundedCache<string, { participant: Participant | undefined; currencies: Map<string, ParticipantCurrency>; loadedAt: number }>(
    PAYMENT_LIMITS.directoryCacheMaxEntries,
  );
  const accounts = createBoundedCache<string, CustomerAccount>(PAYMENT_LIMITS.directoryCacheMaxEntries);

  async function entry(bic: string) {
    const cached = participants.get(bic);
    if (cached && Date.now() - cached.loadedAt < PAYMENT_LIMITS.directoryTtlMs) return cached;
    const row = await db.get('SELECT bic, party_id, name, jurisdiction, created_at FROM payment_participants WHERE bic = ?', [bic]);
    const rows = row ? await db.all('SELECT * FROM payment_participant_currencies WHERE bic = ?', [bic]) : [];
    const fresh = { participant: row ? toParticipant(row) : undefined, currencies: new Map(rows.map((r) => [r.currency as string, toCurrency(r)])), loadedAt: Date.now() };
    participants.set(bic, fresh);
    return fresh;
  }

  async function toAccount(row: Row): Promise<CustomerAccount> {
    const currency = await deps.fx.currency(row.currency as string);
    if (!currency) throw new AssertionError(`customer account ${row.account_id as string} is in ${row.currency as string}, which has no ledger`);
    const owner = await deps.parties.get(row.party_id as string);
    return {
      accountId: row.account_id as string, ownerName: owner?.name ?? (row.party_id as string), identifier: row.identifier as string, bic: row.bic as string, partyId: row.party_id as string,
      currency: row.currency as string, ledger: currency.ledger, createdAt: row.created_at as string,
    };
  }

  /** `submittedBy`: the API key whose request opens them, which the ledger journals with them (null: made inside the process). */
  async function openLedgerAccounts(requests: Parameters<DirectoryDeps['ledger']['createAccounts']>[0], submittedBy: string | null): Promise<void> {
    const results = await deps.ledger.createAccounts(requests, submittedBy);
    const failed = results.find((result) => result.result !== 'ok');
    if (failed) throw new AssertionError(`the ledger refused payments account ${failed.id}: ${failed.result}`);
  }

  const directory = {
    participant: async (bic: string) => (await entry(bic)).participant,
    async terms(bic: string, currency: string): Promise<ParticipantCurrency | undefined> {
      return (await entry(bic)).currencies.get(currency);
    },
    async currenciesOf(bic: string): Promise<ParticipantCurrency[]> {
      return [...(await entry(bic)).currencies.values()];
    },
    async listParticipants(after: string | undefined, limit: number): Promise<Participant[]> {
      const rows = await db.all(`SELECT bic, party_id, name, jurisdiction, created_at FROM payment_participants ${after ? 'WHERE bic > ?' : ''} ORDER BY bic LIMIT ?`, after ? [after, limit] : [limit]);
      return rows.map(toParticipant);
    },

    /** Registers a bank or payment firm under a BIC; the same BIC and party again changes nothing. */
    async register(input: { bic: string; partyId: string; name?: string }): Promise<Result<{ participant: Participant; created: boolean }, PaymentError>> {
      const party = await deps.parties.get(input.partyId);
      if (!party) return err('party_not_found');
      if (party.kind !== 'bank' && party.kind !== 'payment_firm') return err('party_not_a_payment_institution');
      const participant: Participant = { bic: input.bic, partyId: party.id, name: input.name ?? party.name, jurisdiction: party.jurisdiction, createdAt: new Date(deps.clock.nowMs()).toISOString() };
      return db.transaction(async (tx) => {
        const existing = await tx.get('SELECT bic, party_id, name, jurisdiction, created_at FROM payment_participants WHERE bic = ?', [input.bic]);
        if (existing) {
          const found = toParticipant(existing);
          return found.partyId === participant.partyId && found.name === participant.name ? ok({ participant: found, created: false }) : err('participant_exists_with_different_fields');
        }
        await tx.run('INSERT INTO payment_participants (bic, party_id, name, jurisdiction, created_at) VALUES (?, ?, ?, ?, ?)', [
          participant.bic, participant.partyId, participant.name, participant.jurisdiction, participant.createdAt,
        ]);
        participants.delete(input.bic);
        return ok({ participant, created: true });
      });
    },

    /**
     * Lets a participant clear a currency: opens its settlement and fee accounts, sets (or changes) its
     * fees. `submittedBy`: the API key that asked, named by the ledger as the accounts' opener.
     */
    async enableCurrency(bic: string, code: string, fees: { feeFixed: bigint; feeBps: number }, submittedBy: string | null = null): Promise<Result<ParticipantCurrency, PaymentError>> {
      const found = await entry(bic);
      if (!found.participant) return err('participant_not_found');
      const currency = await deps.fx.currency(code);
      if (!currency) return err('unsupported_currency');
      const terms: ParticipantCurrency = {
        bic, currency: code, ledger: currency.ledger, settlementAccountId: participantAccountId(bic, code, 'settlement'),
        feeAccountId: participantAccountId(bic, code, 'fee'), feeFixed: fees.feeFixed, feeBps: fees.feeBps, updatedAt: new Date(deps.clock.nowMs()).toISOString(),
      };
      // A participant's accounts may not be overdrawn: it pays out of liquidity it holds on the platform.
      const flags = AccountFlags.debits_must_not_exceed_credits;
      const metadata = (role: string) => JSON.stringify({ payments_participant: bic, role });
      await openLedgerAccounts([
        { id: terms.settlementAccountId, ledger: currency.ledger, code: PAYMENT_CODES.participantSettlement, flags, partyId: found.participant.partyId, metadata: metadata('settlement') },
        { id: terms.feeAccountId, ledger: currency.ledger, code: PAYMENT_CODES.participantFee, flags, partyId: found.participant.partyId, metadata: metadata('fee') },
      ], submittedBy);
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM payment_participant_currencies WHERE bic = ? AND currency = ?', [bic, code]);
        await tx.run(
          'INSERT INTO payment_participant_currencies (bic, currency, ledger, settlement_account_id, fee_account_id, fee_fixed, fee_bps, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [bic, code, terms.ledger, terms.settlementAccountId, terms.feeAccountId, terms.feeFixed, terms.feeBps, terms.updatedAt],
        );
      });
      participants.delete(bic);
      return ok(terms);
    },

    /**
     * A customer account (a ledger account owned by the customer) held at a participant.
     * `submittedBy`: the API key that asked, which GET /v1/accounts/{id} names as the account's opener.
     */
    async openAccount(
      input: { id: string; identifier?: string; bic: string; partyId: string; currency: string },
      submittedBy: string | null = null,
    ): Promise<Result<{ account: CustomerAccount; created: boolean }, PaymentError>> {
      const found = await entry(input.bic);
      if (!found.participant) return err('participant_not_found');
      if (!found.currencies.has(input.currency)) return err('unsupported_currency');
      if (!(await deps.parties.get(input.partyId))) return err('party_not_found');
      const currency = (await deps.fx.currency(input.currency))!;
      // ISO 20022 account identifiers are at most 34 characters: a UUID without its dashes fits.
      const identifier = input.identifier ?? input.id.replace(/-/g, '');
      const existing = (await directory.account(input.id)) ?? (await directory.account(identifier));
      if (existing) {
        const same = existing.accountId === input.id && existing.identifier === identifier && existing.bic === input.bic && existing.partyId === input.partyId && existing.currency === input.currency;
        if (same) return ok({ account: existing, created: false });
        return err(existing.accountId === input.id ? 'account_exists_with_different_fields' : 'identifier_already_used');
      }
      await openLedgerAccounts([{
        id: input.id, ledger: currency.ledger, code: PAYMENT_CODES.customerAccount, flags: AccountFlags.debits_must_not_exceed_credits,
        partyId: input.partyId, metadata: JSON.stringify({ payments_agent: input.bic }),
      }], submittedBy);
      const owner = (await deps.parties.get(input.partyId))!;
      const account: CustomerAccount = { accountId: input.id, ownerName: owner.name, identifier, bic: input.bic, partyId: input.partyId, currency: input.currency, ledger: currency.ledger, createdAt: new Date(deps.clock.nowMs()).toISOString() };
      const inserted = await db.transaction(async (tx: Queryable) => {
        const verb = tx.dialect === 'postgres' ? 'INSERT' : 'INSERT OR IGNORE';
        const tail = tx.dialect === 'postgres' ? ' ON CONFLICT DO NOTHING' : '';
        return (await tx.run(`${verb} INTO payment_accounts (${ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)${tail}`, [
          account.accountId, account.identifier, account.bic, account.partyId, account.currency, account.createdAt,
        ])).changes > 0;
      });
      if (!inserted) return directory.openAccount(input, submittedBy);
      return ok({ account, created: true });
    },

    /** An account by its id or by its identifier. */
    async account(reference: string): Promise<CustomerAccount | undefined> {
      const key = isUuid(reference) ? normalizeUuid(reference) : reference;
      const cached = accounts.get(key);
      if (cached) return cached;
      const row = (await db.get(`SELECT ${ACCOUNT_COLUMNS} FROM payment_accounts WHERE account_id = ?`, [key])) ??
        (await db.get(`SELECT ${ACCOUNT_COLUMNS} FROM payment_accounts WHERE identifier = ?`, [reference]));
      if (!row) return undefined;
      const account = await toAccount(row);
      accounts.set(key, account);
      return account;
    },
  };
  return directory;
}

export type Directory = ReturnType<typeof createDirectory>;
