import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { allocate } from '../../kernel/index.ts';
import type { ScfOperation } from './scf.operations.ts';
import { partitionsFace } from './scf.rules.ts';
import { createProgramFixture, DAY_MS, openHarness, pendingHolds, uuid, type Harness, type ProgramFixture } from './scf.test-support.ts';
import { amountOf, isLive, type Piece } from './scf.ts';

/**
 * Conservation, for any generated history: whatever splits, transfers, sign-offs, declines,
 * financings and repurchases are asked for (in concurrent groups that share batches, many of them
 * refused), the live pieces partition [0, face) with no gap and no overlap, the settlement at
 * maturity pays exactly the face value to exactly the parties owed it, every member's balance is
 * its funding plus what its applied operations moved, and the ledger stays balanced.
 */
const TERM_DAYS = 120;
const FUNDING = 1_000_000_000n;

const command = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('split' as const), piece: fc.nat(), weights: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 4 }), skew: fc.constantFrom(0n, 0n, 0n, 0n, 1n, -1n) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('transfer' as const), piece: fc.nat(), to: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('sign_off' as const), piece: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('decline' as const), piece: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('finance' as const), piece: fc.nat(), bank: fc.nat(), rate: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('repurchase' as const), piece: fc.nat() }) },
  // Someone who does not hold the piece tries to move it.
  { weight: 1, arbitrary: fc.record({ type: fc.constant('intruder' as const), piece: fc.nat(), who: fc.nat() }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;
const history = fc.record({
  face: fc.bigInt({ min: 2n, max: 50_000_000n }),
  groups: fc.array(fc.record({ commands: fc.array(command, { minLength: 1, maxLength: 6 }), advanceDays: fc.integer({ min: 0, max: 8 }) }), { minLength: 1, maxLength: 12 }),
});

/** Commands pick among the pieces in the status they need, so most are applied; the rest are refused. */
const WANTED: Record<Command['type'], readonly string[]> = {
  split: ['held'], transfer: ['held'], finance: ['held'], sign_off: ['transfer_pending'], decline: ['transfer_pending'], repurchase: ['financed'], intruder: ['held'],
};

function toOperation(program: ProgramFixture, pieces: readonly Piece[], step: Command): ScfOperation | undefined {
  const live = pieces.filter(isLive);
  const wanted = live.filter((piece) => WANTED[step.type].includes(piece.status));
  const choice = wanted.length > 0 ? wanted : live;
  const piece = choice[step.piece % choice.length];
  if (!piece) return undefined;
  const holder = piece.holderId;
  switch (step.type) {
    case 'split': {
      const parts = allocate(amountOf(piece), step.weights.map(BigInt).some((weight) => weight > 0n) ? step.weights.map(BigInt) : [1n, 1n]);
      parts[0] = (parts[0] ?? 0n) + step.skew;
      return { kind: 'split', id: uuid(), pieceId: piece.id, actingPartyId: holder, amounts: parts };
    }
    case 'transfer':
      return { kind: 'transfer', id: uuid(), pieceId: piece.id, actingPartyId: holder, toPartyId: program.suppliers[step.to % program.suppliers.length]! };
    case 'sign_off':
    case 'decline':
      return { kind: step.type, id: uuid(), pieceId: piece.id, actingPartyId: piece.pendingHolderId ?? holder };
    case 'finance':
      return { kind: 'finance', id: uuid(), pieceId: piece.id, actingPartyId: holder, bankId: program.banks[step.bank % program.banks.length]!, annualRateBps: step.rate };
    case 'repurchase':
      return { kind: 'repurchase', id: uuid(), pieceId: piece.id, actingPartyId: holder };
    case 'intruder':
      return { kind: 'transfer', id: uuid(), pieceId: piece.id, actingPartyId: program.suppliers[step.who % program.suppliers.length]!, toPartyId: program.outsider };
  }
}

describeEachDialect('supply-chain finance conservation', ({ dialect, open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  it('keeps pieces a partition of the face value and pays exactly the face value at maturity, for any history', async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ face, groups }) => {
        const program = await createProgramFixture(harness, { creditLimit: 100_000_000n, fundCore: FUNDING, fundBanks: FUNDING });
        for (const supplier of program.suppliers) await program.fund(supplier, FUNDING);
        const expected = new Map<string, bigint>([program.core, ...program.banks, ...program.suppliers].map((party) => [party, FUNDING]));
        const move = (from: string, to: string, amount: bigint) => {
          expected.set(from, (expected.get(from) ?? 0n) - amount);
          expected.set(to, (expected.get(to) ?? 0n) + amount);
        };
        const { voucherId } = await program.issued(face, { days: TERM_DAYS });
        const piecesNow = async () => (await harness.platform.scf.getVoucher(voucherId))!.pieces;

        for (const group of groups) {
          const pieces = await piecesNow();
          const operations = group.commands.map((step) => toOperation(program, pieces, step)).filter((op): op is ScfOperation => op !== undefined);
          // Submitted together, so that they share batches and each sees the changes of the ones before it.
          const outcomes = await Promise.all(operations.map((operation) => program.submit(operation)));
          for (const outcome of outcomes) {
            if (!outcome.ok) continue;
            const result = outcome.result as Record<string, string>;
            if (outcome.kind === 'finance') move(result.bankId!, result.sellerId!, BigInt(result.proceeds!));
            if (outcome.kind === 'repurchase') move(result.sellerId!, result.bankId!, BigInt(result.price!));
          }
          const after = await piecesNow();
          const cancelled = after.some((piece) => piece.status === 'cancelled');
          expect(partitionsFace(cancelled ? after : after.filter(isLive), face)).toBe(true);
          harness.clock.advance(group.advanceDays * DAY_MS);
        }

        // At maturity every live piece is paid to whoever is owed it, and nothing else is paid.
        const view = await harness.platform.scf.getVoucher(voucherId);
        harness.clock.advance(Math.max(0, Date.parse(view!.voucher.maturityDate) - harness.clock.nowMs()));
        const settled = await program.submit({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core });
        if (view!.voucher.status === 'cancelled') {
          // The first supplier declined the voucher: it never circulated and nobody is owed anything.
          expect(settled).toMatchObject({ ok: false, error: 'voucher_not_active' });
          expect(partitionsFace(view!.pieces.filter((piece) => piece.status === 'cancelled'), face)).toBe(true);
        } else {
          const owed = view!.pieces.filter(isLive).map((piece) => [piece.id, piece.status === 'financed' ? piece.financing!.bankId : piece.holderId, String(amountOf(piece))]);
          expect(settled.ok, JSON.stringify(settled)).toBe(true);
          const payouts = (settled.ok ? settled.result.payouts : []) as { pieceId: string; payeeId: string; amount: string }[];
          expect(payouts.map((payout) => [payout.pieceId, payout.payeeId, payout.amount]).sort()).toEqual(owed.sort());
          expect(payouts.reduce((sum, payout) => sum + BigInt(payout.amount), 0n)).toBe(face);
          for (const payout of payouts) move(program.core, payout.payeeId, BigInt(payout.amount));
        }
        expect((await harness.platform.scf.getProgram(program.id))?.outstanding).toBe(0n);

        for (const [party, balance] of expected) expect(await program.balance(party), party).toBe(balance);
        const totals = await harness.platform.db.get<{ debits: unknown; credits: unknown }>('SELECT SUM(debits_posted) AS debits, SUM(credits_posted) AS credits FROM ledger_accounts');
        expect(String(totals?.debits)).toBe(String(totals?.credits));
        expect(await pendingHolds(harness.platform)).toBe(0);
      }),
      { numRuns: dialect === 'sqlite' ? 25 : 12 },
    );
    const report = await harness.platform.verify();
    expect(report.problems).toEqual([]);
  }, 240_000);
});
