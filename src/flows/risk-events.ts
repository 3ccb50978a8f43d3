import { coalesceLookups, createBoundedCache, isCanonicalUuid, type BoundedCache } from '../kernel/index.ts';
import { TransferFlags, type Account, type LedgerService, type TransferRequest } from '../modules/ledger/index.ts';
import type { PartiesService, Party } from '../modules/parties/index.ts';
import { RISK_LIMITS } from '../modules/risk/index.ts';
import type { RiskEvent } from '../modules/features/index.ts';

/**
 * What risk control knows of the accounts a transfer names: their owners and the owners'
 * countries, and the currency of the ledger. An account's owner, a party's jurisdiction and a
 * ledger's asset code never change once created, so they are remembered (in bounded maps) and a
 * decision on accounts seen before costs no database read. Accounts not found are not remembered:
 * they may be created a moment later.
 */
export interface AccountFacts {
  readonly partyId?: string;
  readonly country?: string;
}

export interface EventDirectory {
  account(id: string): Promise<AccountFacts>;
  /** The jurisdiction of a party, or undefined when there is no such party. */
  country(partyId: string): Promise<string | undefined>;
  currency(ledgerId: number | undefined): Promise<string>;
  /** The event a new transfer stands for, as seen now. */
  transferEvent(request: TransferRequest, channel: string, atMs: number): Promise<RiskEvent>;
  /**
   * The same event, when everything it needs is remembered already (the usual case), without a
   * promise; undefined when something must be read first (transferEvent reads it).
   */
  knownTransferEvent(request: TransferRequest, channel: string, atMs: number): RiskEvent | undefined;
  /**
   * Remembers accounts just created, so that their first transfer costs no read. On SQLite such a
   * read waits for the ledger's write transaction to commit, which under load is most of a request.
   */
  learn(accounts: readonly { readonly id: string; readonly partyId?: string | null }[]): Promise<void>;
}

function remember<K, V>(cache: BoundedCache<K, V>, key: K, value: V): V {
  // Oldest first out is enough for facts that never go stale; a forgotten one is read again.
  cache.set(key, value);
  return value;
}

/**
 * Optional fields are added one by one rather than spread in: a spread of a small object costs a
 * runtime call and an object of its own, ten times what adding the field does. A field that is not
 * known is left out (not set to undefined), and the order of fields is the same.
 */
function eventOf(request: TransferRequest, channel: string, atMs: number, debit: AccountFacts, credit: AccountFacts, currencyCode: string, amountMinor: bigint): RiskEvent {
  const event: { -readonly [K in keyof RiskEvent]: RiskEvent[K] } = {
    id: request.id, atMs, amountMinor, currency: currencyCode, debitAccountId: request.debitAccountId ?? '', creditAccountId: request.creditAccountId ?? '', channel,
  };
  if (request.code !== undefined) event.code = request.code;
  if (debit.partyId) event.debitPartyId = debit.partyId;
  if (credit.partyId) event.creditPartyId = credit.partyId;
  if (debit.country) event.debitCountry = debit.country;
  if (credit.country) event.creditCountry = credit.country;
  return event;
}

export function createEventDirectory(deps: {
  readonly ledger: Pick<LedgerService, 'getAccount' | 'getAccounts' | 'getLedger'>;
  readonly parties: Pick<PartiesService, 'list'>;
}): EventDirectory {
  // Accounts and parties not remembered (all of them after a restart, and on one process those
  // another opened) are read together with those other requests ask for in the same turn: one
  // statement, not one each.
  const readAccounts = coalesceLookups<Account>(
    async (ids) => new Map((await deps.ledger.getAccounts(ids)).map((found) => [found.id, found])),
    RISK_LIMITS.lookupChunk,
  );
  const readParties = coalesceLookups<Party>(
    async (ids) => new Map((await deps.parties.list({ ids, limit: ids.length })).map((found) => [found.id, found])),
    RISK_LIMITS.lookupChunk,
  );
  const readAccount = async (id: string): Promise<Account | undefined> =>
    isCanonicalUuid(id) ? (await readAccounts([id])).get(id) : deps.ledger.getAccount(id);
  const accounts = createBoundedCache<string, AccountFacts>(RISK_LIMITS.accountCacheMaxEntries);
  const countries = createBoundedCache<string, string>(RISK_LIMITS.partyCacheMaxEntries);
  const currencies = createBoundedCache<number, string>(RISK_LIMITS.partyCacheMaxEntries);

  async function country(partyId: string): Promise<string | undefined> {
    const known = countries.get(partyId);
    if (known !== undefined) return known;
    const party = (await readParties([partyId])).get(partyId);
    return party ? remember(countries, partyId, party.jurisdiction) : undefined;
  }

  async function account(id: string): Promise<AccountFacts> {
    const known = accounts.get(id);
    if (known) return known;
    const found = await readAccount(id);
    if (!found) return {};
    const partyId = found.partyId ?? undefined;
    const facts: AccountFacts = partyId ? { partyId, country: await country(partyId) } : {};
    return remember(accounts, id, facts);
  }

  async function currency(ledgerId: number | undefined): Promise<string> {
    if (ledgerId === undefined) return '';
    const known = currencies.get(ledgerId);
    if (known !== undefined) return known;
    const ledger = await deps.ledger.getLedger(ledgerId);
    return ledger ? remember(currencies, ledgerId, ledger.assetCode) : '';
  }

  /**
   * A balancing transfer moves at most its amount; one without an amount moves what the debit
   * account has, which is estimated from its balances now (it may be less when it books).
   */
  async function amountOf(request: TransferRequest): Promise<bigint> {
    if (request.amount !== undefined) return request.amount;
    if (!(request.flags & TransferFlags.balancing_debit) || !request.debitAccountId) return 0n;
    const debit = await deps.ledger.getAccount(request.debitAccountId);
    const available = debit ? debit.creditsPosted - debit.debitsPosted - debit.debitsPending : 0n;
    return available > 0n ? available : 0n;
  }

  function knownTransferEvent(request: TransferRequest, channel: string, atMs: number): RiskEvent | undefined {
    if (request.amount === undefined) return undefined;
    const knownDebit = accounts.get(request.debitAccountId ?? '');
    if (!knownDebit) return undefined;
    const knownCredit = accounts.get(request.creditAccountId ?? '');
    if (!knownCredit) return undefined;
    const knownCurrency = request.ledger === undefined ? '' : currencies.get(request.ledger);
    if (knownCurrency === undefined) return undefined;
    return eventOf(request, channel, atMs, knownDebit, knownCredit, knownCurrency, request.amount);
  }

  return {
    account,
    country,
    currency,
    async learn(created) {
      // The owners' countries are asked for all at once, so that a bulk opening reads them in a
      // few statements rather than one party after another.
      const fresh = created.filter(({ id }) => !accounts.has(id));
      const jurisdictions = await Promise.all(fresh.map(({ partyId }) => (partyId ? country(partyId) : undefined)));
      fresh.forEach(({ id, partyId }, index) => remember(accounts, id, partyId ? { partyId, country: jurisdictions[index] } : {}));
    },
    knownTransferEvent,
    async transferEvent(request, channel, atMs) {
      const known = knownTransferEvent(request, channel, atMs);
      if (known) return known;
      const [debit, credit, currencyCode, amountMinor] = await Promise.all([
        account(request.debitAccountId ?? ''), account(request.creditAccountId ?? ''), currency(request.ledger), amountOf(request),
      ]);
      return eventOf(request, channel, atMs, debit, credit, currencyCode, amountMinor);
    },
  };
}
