import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { SCF_ERROR_STATUS, type ScfError } from './scf.errors.ts';
import type { IssueOperation } from './scf.operations.ts';
import type { ProgramInput } from './scf.programs.ts';
import { createProgramFixture, DAY_MS, hash, LEDGER, openHarness, pendingHolds, snapshot, uuid, type Harness, type ProgramFixture } from './scf.test-support.ts';

type Act = () => Promise<ScfError | 'applied'>;
interface Scenario {
  readonly code: ScfError;
  readonly title: string;
  readonly program?: Partial<ProgramInput> & { fundCore?: bigint; fundBanks?: bigint };
  /** Builds the situation and returns the one call that must be refused. */
  arrange(context: { harness: Harness; program: ProgramFixture }): Promise<Act>;
}

const outcome = async (promise: Promise<{ ok: boolean; error?: ScfError }>) => {
  const result = await promise;
  return result.ok ? 'applied' : (result.error as ScfError);
};

function issue(harness: Harness, program: ProgramFixture, fields: Partial<IssueOperation> = {}): IssueOperation {
  return {
    kind: 'issue', id: uuid(), programId: program.id, actingPartyId: program.core, supplierId: program.suppliers[0]!, faceAmount: 10_000n,
    maturityDate: harness.inDays(90), contractHash: hash(), invoiceHashes: [hash()], ...fields,
  };
}

function programInput(program: ProgramFixture, fields: Partial<ProgramInput>): ProgramInput {
  return { id: `${program.id}-2`, name: 'Second', coreEnterpriseId: program.core, fundingBankIds: program.banks, supplierIds: program.suppliers, ledger: LEDGER, creditLimit: 1_000n, ...fields };
}

const SCENARIOS: Scenario[] = [
  { code: 'program_not_found', title: 'an issue in an unknown program', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { programId: 'no-such-program' }))) },
  {
    code: 'program_exists_with_different_fields', title: 'a program id reused with another credit limit',
    arrange: async ({ harness, program }) => async () => {
      const result = await harness.platform.scf.createProgram({ ...programInput(program, { id: program.id, creditLimit: 5n }), name: (await harness.platform.scf.getProgram(program.id))!.name });
      return result.ok ? 'applied' : result.error;
    },
  },
  { code: 'voucher_not_found', title: 'settling an unknown voucher', arrange: async ({ program }) => () => outcome(program.submit({ kind: 'settle', id: uuid(), voucherId: uuid(), actingPartyId: program.core })) },
  { code: 'piece_not_found', title: 'splitting an unknown piece', arrange: async ({ program }) => () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: uuid(), actingPartyId: program.suppliers[0]!, amounts: [1n, 1n] })) },
  {
    code: 'party_not_found', title: 'a program naming an unregistered supplier',
    arrange: async ({ harness, program }) => async () => {
      const result = await harness.platform.scf.createProgram(programInput(program, { supplierIds: ['no-such-party'] }));
      return result.ok ? 'applied' : result.error;
    },
  },
  { code: 'party_not_in_program', title: 'an issue to a party outside the supplier network', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { supplierId: program.outsider }))) },
  {
    code: 'party_not_in_program', title: 'a transfer to a party outside the supplier network',
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      return () => outcome(program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.outsider }));
    },
  },
  { code: 'not_the_core_enterprise', title: 'an issue by a supplier', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { actingPartyId: program.suppliers[1]! }))) },
  {
    code: 'not_a_funding_bank', title: 'financing with a party that is not a funding bank of the program',
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      return () => outcome(program.submit({ kind: 'finance', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, bankId: program.suppliers[1]!, annualRateBps: 500 }));
    },
  },
  {
    code: 'not_the_holder', title: 'a split by someone who does not hold the piece',
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      return () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[1]!, amounts: [5_000n, 5_000n] }));
    },
  },
  {
    code: 'not_the_receiver', title: 'a sign-off by someone other than the receiver',
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      await program.apply({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
      return () => outcome(program.submit({ kind: 'sign_off', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[2]! }));
    },
  },
  {
    code: 'ledger_not_found', title: 'a program in a ledger that does not exist',
    arrange: async ({ harness, program }) => async () => {
      const result = await harness.platform.scf.createProgram(programInput(program, { ledger: 99 }));
      return result.ok ? 'applied' : result.error;
    },
  },
  { code: 'term_exceeds_maximum', title: 'a term beyond the program\'s 183 days', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { maturityDate: harness.inDays(184) }))) },
  {
    code: 'term_exceeds_maximum', title: 'a program allowing more than a year',
    arrange: async ({ harness, program }) => async () => {
      const result = await harness.platform.scf.createProgram(programInput(program, { maxTermDays: 367 }));
      return result.ok ? 'applied' : result.error;
    },
  },
  { code: 'maturity_not_after_issue', title: 'a voucher maturing on its issue date', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { maturityDate: harness.today() }))) },
  { code: 'invalid_date', title: 'a maturity date that does not exist', arrange: async ({ harness, program }) => () => outcome(program.submit(issue(harness, program, { maturityDate: '2026-02-30' }))) },
  {
    code: 'credit_limit_exceeded', title: 'an issue beyond the core enterprise\'s credit limit', program: { creditLimit: 15_000n },
    arrange: async ({ harness, program }) => {
      await program.issued(10_000n);
      return () => outcome(program.submit(issue(harness, program, { faceAmount: 5_001n })));
    },
  },
  {
    code: 'invoice_already_used', title: 'an invoice that already backs another voucher (double financing)',
    arrange: async ({ harness, program }) => {
      const invoice = hash();
      await program.apply(issue(harness, program, { invoiceHashes: [invoice] }));
      return () => outcome(program.submit(issue(harness, program, { invoiceHashes: [hash(), invoice] })));
    },
  },
  {
    code: 'invoice_listed_twice', title: 'one invoice listed twice',
    arrange: async ({ harness, program }) => {
      const invoice = hash();
      return () => outcome(program.submit(issue(harness, program, { invoiceHashes: [invoice, invoice] })));
    },
  },
  {
    code: 'split_amounts_do_not_add_up', title: 'a split whose parts do not add up to the piece',
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      return () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [5_000n, 4_999n] }));
    },
  },
  {
    code: 'split_below_minimum', title: 'a part below the program\'s minimum split amount', program: { minSplitAmount: 1_000n },
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      return () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [999n, 9_001n] }));
    },
  },
  {
    code: 'split_depth_exceeded', title: 'a split deeper than the program allows', program: { maxSplitDepth: 1 },
    arrange: async ({ program }) => {
      const { rootId } = await program.issued(10_000n);
      const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [5_000n, 5_000n] });
      return () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: split.children[0].pieceId, actingPartyId: program.suppliers[0]!, amounts: [2_500n, 2_500n] }));
    },
  },
  ...statusScenarios(),
  ...lifecycleScenarios(),
];

/** No split, transfer or finance while a piece waits for a sign-off, is financed, frozen, split, settled, cancelled or overdue. */
function statusScenarios(): Scenario[] {
  const splitBy = (program: ProgramFixture, pieceId: string, party = program.suppliers[0]!) => outcome(program.submit({ kind: 'split', id: uuid(), pieceId, actingPartyId: party, amounts: [4_000n, 6_000n] }));
  return [
    {
      code: 'piece_awaiting_signoff', title: 'a split before the first supplier has signed off',
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(10_000n, { signOff: false });
        return () => splitBy(program, rootId);
      },
    },
    {
      code: 'piece_transfer_pending', title: 'a split while a transfer awaits the receiver',
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(10_000n);
        await program.apply({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! });
        return () => splitBy(program, rootId);
      },
    },
    {
      code: 'piece_financed', title: 'a transfer of a financed piece', program: { fundBanks: 1_000_000n },
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(10_000n);
        await program.apply({ kind: 'finance', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 400 });
        return () => outcome(program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! }));
      },
    },
    {
      code: 'piece_frozen', title: 'a split of a frozen piece',
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(10_000n);
        await program.apply({ kind: 'freeze', id: uuid(), pieceId: rootId, reason: 'court order' });
        return () => splitBy(program, rootId);
      },
    },
    {
      code: 'piece_overdue', title: 'a transfer on the maturity date of an unpaid voucher',
      arrange: async ({ harness, program }) => {
        const { rootId } = await program.issued(10_000n, { days: 10 });
        harness.clock.advance(10 * DAY_MS);
        return () => outcome(program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! }));
      },
    },
    {
      code: 'piece_already_split', title: 'a transfer of a piece that was split',
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(10_000n);
        await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [1n, 9_999n] });
        return () => outcome(program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[1]! }));
      },
    },
    {
      code: 'piece_settled', title: 'a split of a settled piece', program: { fundCore: 1_000_000n },
      arrange: async ({ harness, program }) => {
        const { voucherId, rootId } = await program.issued(10_000n, { days: 5 });
        harness.clock.advance(5 * DAY_MS);
        await program.apply({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core });
        return () => splitBy(program, rootId);
      },
    },
    {
      code: 'piece_cancelled', title: 'a split of the piece of a cancelled voucher',
      arrange: async ({ program }) => {
        const { voucherId, rootId } = await program.issued(10_000n, { signOff: false });
        await program.apply({ kind: 'cancel', id: uuid(), voucherId, actingPartyId: program.core });
        return () => splitBy(program, rootId);
      },
    },
  ];
}

function lifecycleScenarios(): Scenario[] {
  const held = async (program: ProgramFixture) => (await program.issued(10_000n)).rootId;
  return [
    { code: 'piece_not_financed', title: 'a repurchase of a piece that is not financed', arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'repurchase', id: uuid(), pieceId, actingPartyId: program.suppliers[0]! })); } },
    { code: 'piece_not_frozen', title: 'lifting a freeze that is not there', arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'unfreeze', id: uuid(), pieceId, reason: '' })); } },
    { code: 'piece_not_awaiting_signoff', title: 'a sign-off of a piece nobody is asked to accept', arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'sign_off', id: uuid(), pieceId, actingPartyId: program.suppliers[0]! })); } },
    {
      code: 'voucher_already_signed_off', title: 'a cancellation after the first sign-off',
      arrange: async ({ program }) => {
        const { voucherId } = await program.issued(10_000n);
        return () => outcome(program.submit({ kind: 'cancel', id: uuid(), voucherId, actingPartyId: program.core }));
      },
    },
    {
      code: 'voucher_not_mature', title: 'a settlement before maturity', program: { fundCore: 1_000_000n },
      arrange: async ({ program }) => {
        const { voucherId } = await program.issued(10_000n);
        return () => outcome(program.submit({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core }));
      },
    },
    {
      code: 'voucher_not_active', title: 'a settlement of a cancelled voucher',
      arrange: async ({ program }) => {
        const { voucherId } = await program.issued(10_000n, { signOff: false });
        await program.apply({ kind: 'cancel', id: uuid(), voucherId, actingPartyId: program.core });
        return () => outcome(program.submit({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core }));
      },
    },
    { code: 'transfer_to_current_holder', title: 'a transfer to the holder itself', arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'transfer', id: uuid(), pieceId, actingPartyId: program.suppliers[0]!, toPartyId: program.suppliers[0]! })); } },
    {
      code: 'rate_out_of_range', title: 'a discount rate above 100 % a year', program: { fundBanks: 1_000_000n },
      arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'finance', id: uuid(), pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 10_001 })); },
    },
    {
      code: 'insufficient_funds', title: 'financing by a bank without the cash',
      arrange: async ({ program }) => { const pieceId = await held(program); return () => outcome(program.submit({ kind: 'finance', id: uuid(), pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 500 })); },
    },
    {
      code: 'insufficient_funds', title: 'a settlement the core enterprise cannot pay', program: { fundCore: 9_999n },
      arrange: async ({ harness, program }) => {
        const { voucherId, rootId } = await program.issued(10_000n, { days: 5 });
        await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [5_000n, 5_000n] });
        harness.clock.advance(5 * DAY_MS);
        return () => outcome(program.submit({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core }));
      },
    },
    {
      code: 'account_closed', title: 'financing from a bank whose account is closed', program: { fundBanks: 1_000_000n },
      arrange: async ({ harness, program }) => {
        const pieceId = await held(program);
        expect(await harness.platform.ledger.setAccountClosed(program.account(program.banks[0]!), true)).toBe('ok');
        return () => outcome(program.submit({ kind: 'finance', id: uuid(), pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 500 }));
      },
    },
    {
      code: 'account_overflow', title: 'financing whose proceeds would take the seller\'s credits past the ledger\'s limit', program: { fundBanks: 1_000_000n },
      arrange: async ({ harness, program }) => {
        const pieceId = await held(program);
        // A source of its own: the shared settlement account could not give up this much.
        const source = uuid();
        expect((await harness.platform.ledger.createAccounts([{ id: source, ledger: LEDGER, code: 100, flags: 0 }]))[0]?.result).toBe('ok');
        const [funded] = await harness.platform.ledger.createTransfers([{ id: uuid(), debitAccountId: source, creditAccountId: program.account(program.suppliers[0]!), amount: 2n ** 63n - 1n, ledger: LEDGER, code: 1, flags: 0 }]);
        expect(funded?.result).toBe('ok');
        return () => outcome(program.submit({ kind: 'finance', id: uuid(), pieceId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 500 }));
      },
    },
    {
      code: 'too_many_pieces', title: 'a split into more parts than one operation may make',
      arrange: async ({ program }) => {
        const { rootId } = await program.issued(101n);
        return () => outcome(program.submit({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: Array.from({ length: 101 }, () => 1n) }));
      },
    },
    {
      code: 'party_listed_twice', title: 'a program naming one party as bank and supplier',
      arrange: async ({ harness, program }) => async () => {
        const result = await harness.platform.scf.createProgram(programInput(program, { supplierIds: [program.banks[0]!] }));
        return result.ok ? 'applied' : result.error;
      },
    },
    {
      code: 'too_many_members', title: 'a program with more members than the limit',
      arrange: async ({ harness, program }) => async () => {
        const result = await harness.platform.scf.createProgram(programInput(program, { supplierIds: Array.from({ length: 1001 }, (_, index) => `many-${index}`) }));
        return result.ok ? 'applied' : result.error;
      },
    },
    {
      code: 'operation_exists_with_different_fields', title: 'an operation id reused with other fields',
      arrange: async ({ program }) => {
        const pieceId = await held(program);
        const id = uuid();
        await program.apply({ kind: 'split', id, pieceId, actingPartyId: program.suppliers[0]!, amounts: [4_000n, 6_000n] });
        return () => outcome(program.submit({ kind: 'split', id, pieceId, actingPartyId: program.suppliers[0]!, amounts: [5_000n, 5_000n] }));
      },
    },
  ];
}

describeEachDialect('supply-chain finance refusals', ({ open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  it('has a scenario for every refusal code', () => {
    const covered = new Set(SCENARIOS.map((scenario) => scenario.code));
    expect(Object.keys(SCF_ERROR_STATUS).filter((code) => !covered.has(code as ScfError))).toEqual([]);
  });

  for (const scenario of SCENARIOS) {
    it(`refuses ${scenario.title} with ${scenario.code}, changing nothing`, async () => {
      const program = await createProgramFixture(harness, scenario.program);
      const act = await scenario.arrange({ harness, program });
      const before = await snapshot(harness, program);
      const { seq } = await harness.platform.journal.head();
      expect(await act()).toBe(scenario.code);
      expect(await snapshot(harness, program)).toEqual(before);
      expect(await pendingHolds(harness.platform)).toBe(0);
      // A refused operation is recorded (and covered by the journal) but changes nothing; a refused
      // program change records nothing.
      const added = await harness.platform.journal.list({ afterSeq: seq, limit: 10 });
      expect(added.map((entry) => [entry.kind, JSON.parse(entry.payload).operations])).toEqual(added.length === 0 ? [] : [['scf.batch', 1]]);
    });
  }

  it('still verifies after all these refusals', async () => {
    expect((await harness.platform.verify()).problems).toEqual([]);
  });

  it('answers a retried refusal with the same code, even after the cause went away', async () => {
    const program = await createProgramFixture(harness);
    const { rootId } = await program.issued(10_000n);
    const finance = { kind: 'finance' as const, id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 500 };
    expect(await program.submit(finance)).toMatchObject({ ok: false, error: 'insufficient_funds', replayed: false });
    await program.fund(program.banks[0]!, 1_000_000n);
    expect(await program.submit(finance)).toMatchObject({ ok: false, error: 'insufficient_funds', replayed: true });
    expect(await program.submit({ ...finance, id: uuid() })).toMatchObject({ ok: true });
  });
});
