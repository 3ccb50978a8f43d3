import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshPostgresUrl } from '../../../test/support/databases.ts';
import { describeWithPostgres } from '../../../test/process/postgres-server.ts';
import { openPostgres } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import type { ProgramInput } from './scf.programs.ts';

/** Two Sluice processes on one PostgreSQL database, as two platforms each with its own connection pool. */
describeWithPostgres('supply-chain finance programs created at once by two processes', () => {
  let first: Platform;
  let second: Platform;
  beforeAll(async () => {
    const url = await freshPostgresUrl();
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    first = await createPlatform({ db: openPostgres(url), clock, expiryIntervalMs: 0 });
    second = await createPlatform({ db: openPostgres(url), clock, expiryIntervalMs: 0 });
    expect((await first.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' })).ok).toBe(true);
    for (const [id, kind] of [['core', 'enterprise'], ['bank-a', 'bank'], ['bank-b', 'bank'], ['supplier-a', 'enterprise'], ['supplier-b', 'enterprise']] as const) {
      expect((await first.parties.create({ id, name: id, kind, jurisdiction: 'CN', metadata: null })).ok).toBe(true);
    }
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('lets one win and leaves none of the loser\'s member accounts behind', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `raced-${round}`;
      const base = { id, name: id, coreEnterpriseId: 'core', ledger: 1, creditLimit: 1_000n };
      const inputs: [ProgramInput, ProgramInput] = [
        { ...base, fundingBankIds: ['bank-a'], supplierIds: ['supplier-a'] },
        { ...base, fundingBankIds: ['bank-b'], supplierIds: ['supplier-b'] },
      ];
      const results = await Promise.all([first.scf.createProgram(inputs[0]), second.scf.createProgram(inputs[1])]);
      expect(results.filter((result) => result.ok && result.value.created)).toHaveLength(1);
      expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.error)).toEqual(['program_exists_with_different_fields']);
      const program = await second.scf.getProgram(id);
      const accounts = (await first.ledger.listAccounts({ order: 'desc', limit: 100 }))
        .filter((account) => (account.metadata ?? '').includes(`"scf_program":"${id}"`));
      expect(accounts.map((account) => account.id).sort(), id).toEqual([...(program?.members.values() ?? [])].map((member) => member.accountId).sort());
    }
    expect((await first.verify()).problems).toEqual([]);
  });
});
