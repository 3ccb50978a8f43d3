import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { TransferFlags, type TransferRequest } from '../ledger/index.ts';
import { pendingTransferId, resolvingTransferId } from './scf.operations.ts';
import { createScfService, type ScfService } from './scf.service.ts';
import { createProgramFixture, openHarness, pendingHolds, uuid, type Harness } from './scf.test-support.ts';
import { discountInterest } from './scf.ts';

/** Longer than the grace period in which recovery leaves another process's young reservations alone. */
const PAST_RECOVERY_GRACE_MS = 61_000;

describeEachDialect('supply-chain finance saga and recovery', ({ open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  /** A second service on the same database whose ledger calls fail at one chosen step, like a crash there. */
  async function crashingService(crashWhen: (requests: readonly TransferRequest[]) => 'before' | 'after' | null): Promise<ScfService> {
    const { platform } = harness;
    return createScfService({
      db: platform.db, journal: platform.journal, parties: platform.parties, clock: harness.clock, onProblem: () => {},
      hashAlgorithm: (await platform.journal.head()).algorithm,
      ledger: {
        getLedger: (id) => platform.ledger.getLedger(id),
        createAccounts: (requests) => platform.ledger.createAccounts(requests),
        async createTransfers(requests, submittedBy) {
          const crash = crashWhen(requests);
          if (crash === 'before') throw new Error('crashed before the ledger call');
          const results = await platform.ledger.createTransfers(requests, submittedBy);
          if (crash === 'after') throw new Error('crashed after the ledger committed');
          return results;
        },
      },
    });
  }

  it('lets later operations of a batch go ahead when the ledger refuses an earlier one', async () => {
    const program = await createProgramFixture(harness);
    const { rootId } = await program.issued(10_000n);
    const [s1, s2] = program.suppliers as [string, string];
    const [finance, transfer] = await Promise.all([
      program.submit({ kind: 'finance', id: uuid(), pieceId: rootId, actingPartyId: s1, bankId: program.banks[0]!, annualRateBps: 500 }),
      program.submit({ kind: 'transfer', id: uuid(), pieceId: rootId, actingPartyId: s1, toPartyId: s2 }),
    ]);
    expect(finance).toMatchObject({ ok: false, error: 'insufficient_funds' });
    expect(transfer).toMatchObject({ ok: true });
    expect(await pendingHolds(harness.platform)).toBe(0);
  });

  it('prices an operation again when an earlier operation of its batch fell through', async () => {
    const program = await createProgramFixture(harness);
    const [bankA, bankB] = program.banks as [string, string];
    await program.fund(bankB, 1_000_000n);
    const { rootId } = await program.issued(10_000n, { days: 90 });
    const s1 = program.suppliers[0]!;
    // Priced together, the second looks refused (the piece is financed by the first); once the first
    // fails for lack of cash, the second is priced afresh and goes through.
    const [first, second] = await Promise.all([
      program.submit({ kind: 'finance', id: uuid(), pieceId: rootId, actingPartyId: s1, bankId: bankA, annualRateBps: 500 }),
      program.submit({ kind: 'finance', id: uuid(), pieceId: rootId, actingPartyId: s1, bankId: bankB, annualRateBps: 600 }),
    ]);
    expect(first).toMatchObject({ ok: false, error: 'insufficient_funds' });
    expect(second).toMatchObject({ ok: true, result: { bankId: bankB } });
    const proceeds = 10_000n - discountInterest(10_000n, 600, 90, 360).interest;
    expect(await program.balance(s1)).toBe(proceeds);
    expect(await program.balance(bankB)).toBe(1_000_000n - proceeds);
    expect(await pendingHolds(harness.platform)).toBe(0);
  });

  it('posts on restart the cash of a committed operation whose posting a crash interrupted', async () => {
    const program = await createProgramFixture(harness, { fundBanks: 1_000_000n });
    const { rootId } = await program.issued(10_000n);
    const crashing = await crashingService((requests) => (requests.some((request) => request.flags & TransferFlags.post_pending) ? 'before' : null));
    const s1 = program.suppliers[0]!;
    const operationId = uuid();
    const outcome = await crashing.submit({ kind: 'finance', id: operationId, pieceId: rootId, actingPartyId: s1, bankId: program.banks[0]!, annualRateBps: 500 }, 'a-submitting-key');
    await crashing.stop();
    expect(outcome).toMatchObject({ ok: true });
    // The piece is financed but the cash is still only reserved.
    expect((await harness.platform.scf.getPiece(rootId))?.status).toBe('financed');
    expect(await program.balance(s1)).toBe(0n);
    expect(await pendingHolds(harness.platform)).toBe(1);

    harness.clock.advance(PAST_RECOVERY_GRACE_MS);
    await harness.platform.scf.recover();
    expect(await program.balance(s1)).toBe(BigInt((outcome.ok ? outcome.result.proceeds : '') as string));
    expect(await pendingHolds(harness.platform)).toBe(0);
    expect((await harness.platform.verify()).problems).toEqual([]);
    // The reservation and the post that recovery made both name the key that submitted the financing.
    const pending = pendingTransferId(operationId, 0, 0);
    for (const id of [pending, resolvingTransferId(pending, 'post')]) {
      expect(await harness.platform.ledger.submitterOf((await harness.platform.ledger.getTransfer(id))!), id).toBe('a-submitting-key');
    }
  });

  it('releases on restart the cash reserved for an operation that never committed, and runs its retry as a new attempt', async () => {
    const program = await createProgramFixture(harness, { fundBanks: 1_000_000n });
    const { rootId } = await program.issued(10_000n);
    const crashing = await crashingService((requests) => (requests.some((request) => request.flags & TransferFlags.pending) ? 'after' : null));
    const s1 = program.suppliers[0]!;
    const bank = program.banks[0]!;
    const operation = { kind: 'finance' as const, id: uuid(), pieceId: rootId, actingPartyId: s1, bankId: bank, annualRateBps: 500 };
    await expect(crashing.submit(operation)).rejects.toThrow(/crashed after the ledger committed/);
    await crashing.stop();
    expect((await harness.platform.scf.getPiece(rootId))?.status).toBe('held');
    expect((await harness.platform.ledger.getAccount(program.account(bank)))?.debitsPending).toBeGreaterThan(0n);

    harness.clock.advance(PAST_RECOVERY_GRACE_MS);
    await harness.platform.scf.recover();
    expect((await harness.platform.ledger.getAccount(program.account(bank)))?.debitsPending).toBe(0n);
    expect(await program.balance(bank)).toBe(1_000_000n);
    expect(await pendingHolds(harness.platform)).toBe(0);

    const retried = await program.submit(operation);
    expect(retried).toMatchObject({ ok: true, replayed: false });
    const transferIds = retried.ok ? retried.result.transferIds : null;
    expect(transferIds).toEqual([pendingTransferId(operation.id, 1, 0)]);
    expect(await program.balance(s1)).toBeGreaterThan(0n);
    expect((await harness.platform.verify()).problems).toEqual([]);
  });

  it('finds tampering with pieces and operation records when the journal is verified', async () => {
    const program = await createProgramFixture(harness);
    const { rootId } = await program.issued(10_000n);
    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [3_000n, 7_000n] });
    const child = split.children[0].pieceId as string;
    expect((await harness.platform.verify()).problems).toEqual([]);

    const { db } = harness.platform;
    await db.run('UPDATE scf_pieces SET holder_id = ? WHERE id = ?', [program.suppliers[1]!, child]);
    await db.run('UPDATE scf_pieces SET range_end = range_end + 1 WHERE id = ?', [split.children[1].pieceId]);
    const problems = (await harness.platform.verify()).problems.map((problem) => problem.problem);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`piece ${child}: holder is`)),
      expect.stringMatching(/do not partition its face value/),
    ]));
    await db.run('UPDATE scf_pieces SET holder_id = ? WHERE id = ?', [program.suppliers[0]!, child]);
    await db.run('UPDATE scf_pieces SET range_end = range_end - 1 WHERE id = ?', [split.children[1].pieceId]);
    expect((await harness.platform.verify()).problems).toEqual([]);
  });
});
