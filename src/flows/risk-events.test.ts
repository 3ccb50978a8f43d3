import { describe, expect, it } from 'vitest';
import type { Account } from '../modules/ledger/index.ts';
import { createEventDirectory } from './risk-events.ts';

const id = (index: number) => `0190b0c4-0000-7000-8000-${String(index).padStart(12, '0')}`;
const account = (accountId: string, partyId: string | null): Account =>
  ({ id: accountId, ledger: 1, code: 1, flags: 0, debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n, partyId, metadata: null, timestamp: 1n }) as Account;

/** A directory over a ledger of `stored` accounts that records how it was asked. */
function directoryOver(stored: readonly Account[]) {
  const batches: string[][] = [];
  const singles: string[] = [];
  const partyBatches: string[][] = [];
  const byId = new Map(stored.map((entry) => [entry.id, entry]));
  const directory = createEventDirectory({
    ledger: {
      getAccount: async (accountId) => (singles.push(accountId), byId.get(accountId)),
      getAccounts: async (ids) => (batches.push([...ids]), ids.flatMap((accountId) => byId.get(accountId) ?? [])),
      getLedger: async () => undefined,
    },
    parties: {
      list: async ({ ids = [] }) => (partyBatches.push([...ids]), ids.map((partyId) => ({ id: partyId, name: partyId, kind: 'individual', jurisdiction: partyId === 'p-1' ? 'CN' : 'HK', metadata: null, createdAt: '' }))),
    },
  });
  return { directory, batches, singles, partyBatches };
}

describe('the event directory', () => {
  it('reads the accounts asked for in one turn with one look-up, their owners with another, and remembers those it found', async () => {
    const { directory, batches, singles, partyBatches } = directoryOver([account(id(1), 'p-1'), account(id(2), 'p-2'), account(id(3), null)]);
    const facts = await Promise.all([directory.account(id(1)), directory.account(id(2)), directory.account(id(3)), directory.account(id(4)), directory.account(id(1))]);
    expect(facts).toEqual([{ partyId: 'p-1', country: 'CN' }, { partyId: 'p-2', country: 'HK' }, {}, {}, { partyId: 'p-1', country: 'CN' }]);
    expect(batches).toEqual([[id(1), id(2), id(3), id(4)]]);
    expect(partyBatches).toEqual([['p-1', 'p-2']]);
    expect(singles).toEqual([]);
    // Found ones are remembered; one not found is asked for again (it may have been opened since).
    expect(await directory.account(id(2))).toEqual({ partyId: 'p-2', country: 'HK' });
    expect(await directory.account(id(4))).toEqual({});
    expect(batches).toEqual([[id(1), id(2), id(3), id(4)], [id(4)]]);
    expect(partyBatches).toEqual([['p-1', 'p-2']]);
  });

  it('learns the accounts just opened with their owners read together, and reads none of them again', async () => {
    const { directory, batches, partyBatches } = directoryOver([]);
    await directory.learn([{ id: id(1), partyId: 'p-1' }, { id: id(2), partyId: 'p-2' }, { id: id(3), partyId: 'p-1' }, { id: id(4) }]);
    expect(partyBatches).toEqual([['p-1', 'p-2']]);
    expect(await Promise.all([1, 2, 3, 4].map((index) => directory.account(id(index))))).toEqual([
      { partyId: 'p-1', country: 'CN' }, { partyId: 'p-2', country: 'HK' }, { partyId: 'p-1', country: 'CN' }, {},
    ]);
    expect(batches).toEqual([]);
  });

  it('asks for an id in another spelling on its own, as the ledger reads it', async () => {
    const upper = id(7).toUpperCase();
    const { directory, batches, singles } = directoryOver([account(upper, 'p-1')]);
    expect(await directory.account(upper)).toEqual({ partyId: 'p-1', country: 'CN' });
    expect(singles).toEqual([upper]);
    expect(batches).toEqual([]);
  });
});
