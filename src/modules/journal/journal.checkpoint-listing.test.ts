import { afterEach, expect, it, vi } from 'vitest';
import { verifyEnvelope } from '../../crypto/index.ts';
import type { Database } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi } from '../../../test/http/harness.ts';
import { acceptedSuitesFor, signatureProblem, storedRing, trustedKeys } from './journal.checkpoint-trust.ts';
import {
  CheckpointVerificationUnavailableError, createCheckpointService, createCheckpointVerifier,
  type Checkpoint, type CheckpointSignatureVerifier, type ListedCheckpoint,
} from './index.ts';

// Every signature check made on this thread goes through this spy; the worker thread loads its own,
// unmocked copy of the code. So the spy counts exactly the checks that ran on the event loop.
vi.mock('../../crypto/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../crypto/index.ts')>();
  return { ...original, verifyEnvelope: vi.fn(original.verifyEnvelope) };
});
const onEventLoop = vi.mocked(verifyEnvelope);

const KEY_SECRET = 'a-key-secret-for-these-tests';
const SUITE = 'hybrid-mldsa65-sm2';
const UNKNOWN_SUITE = 'rsa-pss-sha512';
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const answers = (listed: readonly ListedCheckpoint[]) => listed.map(({ treeSize, verifiable, problem }) => ({ treeSize, verifiable, problem }));

const verifiers: CheckpointSignatureVerifier[] = [];
function verifier(options?: Parameters<typeof createCheckpointVerifier>[0]): CheckpointSignatureVerifier {
  const made = createCheckpointVerifier(options);
  verifiers.push(made);
  return made;
}
afterEach(async () => {
  for (const made of verifiers.splice(0)) await made.stop();
});

/** Replaces the stored envelope of the checkpoint of `size` entries with `edit` of it. */
async function editEnvelope(db: Database, size: number, edit: (envelope: { suite: string; parts: { signature: string }[] }) => void): Promise<void> {
  const row = await db.get<{ envelope: string }>('SELECT envelope FROM journal_checkpoints WHERE tree_size = ?', [size]);
  const envelope = JSON.parse(row?.envelope ?? '{}') as { suite: string; parts: { signature: string }[] };
  edit(envelope);
  await db.run('UPDATE journal_checkpoints SET envelope = ? WHERE tree_size = ?', [JSON.stringify(envelope), size]);
}
/** A signature that does not verify: the last part's signature with its first character changed. */
const flipSignature = (envelope: { parts: { signature: string }[] }) => {
  const last = envelope.parts[envelope.parts.length - 1]!;
  last.signature = `${last.signature.startsWith('A') ? 'B' : 'A'}${last.signature.slice(1)}`;
};

/**
 * A platform that signed five checkpoints, one after each transfer; the second is then given a
 * signature that fails and the fourth a suite no version knows.
 */
async function signedFive(db: Database, checkpointVerifier: CheckpointSignatureVerifier): Promise<{ platform: Platform; sizes: number[] }> {
  const clock = createManualClock(Date.UTC(2026, 10, 27));
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, keySecret: KEY_SECRET, checkpointVerifier });
  await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  const [a, b] = [uuidv7(), uuidv7()];
  await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
  const sizes: number[] = [];
  for (let round = 0; round < 5; round++) {
    clock.advance(1000);
    await platform.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: 100n, ledger: 1, code: 1, flags: 0 }]);
    sizes.push(((await platform.checkpoints.checkpoint()) as Checkpoint).treeSize);
  }
  await editEnvelope(db, sizes[1]!, flipSignature);
  await editEnvelope(db, sizes[3]!, (envelope) => { envelope.suite = UNKNOWN_SUITE; });
  return { platform, sizes };
}

describeEachDialect('listing stored checkpoints', ({ open }) => {
  it('lists checkpoints signed by another process with the answers of in-process verification, verified in the worker and not on the event loop', async () => {
    const { platform, sizes } = await signedFive(await open(), verifier());
    // Another process on the same database: its own key ring in memory, nothing known of these checkpoints.
    const inWorker = verifier();
    const other = createCheckpointService({ db: platform.db, journal: platform.journal, clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE, signatureVerifier: inWorker });
    await other.initialize();

    onEventLoop.mockClear();
    const listed = await other.list({ afterTreeSize: 0, limit: 100 });
    expect(onEventLoop).not.toHaveBeenCalled();
    expect(inWorker.verified()).toBe(5);
    expect(answers(listed)).toEqual([
      { treeSize: sizes[0], verifiable: true, problem: undefined },
      { treeSize: sizes[1], verifiable: false, problem: 'its signature does not verify (part_failed)' },
      { treeSize: sizes[2], verifiable: true, problem: undefined },
      { treeSize: sizes[3], verifiable: false, problem: expect.stringMatching(new RegExp(`^its signature does not verify \\(suite_not_accepted\\): it names signature suite "${UNKNOWN_SUITE}"`)) },
      { treeSize: sizes[4], verifiable: true, problem: undefined },
    ]);
    // The same answers, word for word, as the in-process check.
    const ring = await storedRing(platform.db, { clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE });
    const inProcess = listed.map((checkpoint) => signatureProblem(checkpoint, checkpoint.envelope, trustedKeys(ring), acceptedSuitesFor(SUITE)) ?? undefined);
    expect(inProcess).toEqual(listed.map((checkpoint) => checkpoint.problem));

    // Listed again, the page is known: nothing is verified anywhere.
    onEventLoop.mockClear();
    expect(answers(await other.list({ afterTreeSize: 0, limit: 100 }))).toEqual(answers(listed));
    expect(onEventLoop).not.toHaveBeenCalled();
    expect(inWorker.verified()).toBe(5);

    // Two listings of one page at once, by a process that knows none of it, verify it once.
    const third = verifier();
    const fresh = createCheckpointService({ db: platform.db, journal: platform.journal, clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE, signatureVerifier: third });
    await fresh.initialize();
    const [once, twice] = await Promise.all([fresh.list({ afterTreeSize: 0, limit: 100 }), fresh.list({ afterTreeSize: 0, limit: 100 })]);
    expect(answers(once)).toEqual(answers(listed));
    expect(answers(twice)).toEqual(answers(listed));
    expect(third.verified()).toBe(5);
    await platform.close();
  });

  it('verifies every checkpoint signature again in the worker when the whole journal is verified, with the same problems', async () => {
    const inWorker = verifier();
    const { platform, sizes } = await signedFive(await open(), inWorker);
    onEventLoop.mockClear();
    const report = await platform.verify();
    expect(onEventLoop).not.toHaveBeenCalled();
    // Its own checkpoints too: verification takes nothing remembered on trust.
    expect(inWorker.verified()).toBe(5);
    expect(report.problems.map((problem) => problem.problem)).toEqual([
      `checkpoint ${sizes[1]}: its signature does not verify (part_failed)`,
      expect.stringMatching(new RegExp(`^checkpoint ${sizes[3]}: its signature does not verify \\(suite_not_accepted\\)`)),
    ]);
    // A worker that cannot take them leaves the check to the event loop, with the same answers.
    const stopped = verifier();
    await stopped.stop();
    const other = createCheckpointService({ db: platform.db, journal: platform.journal, clock: platform.clock, keySecret: KEY_SECRET, suite: SUITE, signatureVerifier: stopped });
    await other.initialize();
    onEventLoop.mockClear();
    const checked = await platform.db.snapshot(async (q) => platform.journal.verify(() => [other.verifier(q)], undefined, q));
    expect(onEventLoop).toHaveBeenCalled();
    // (Entries of other kinds have no verifier in this run; only the checkpoints' problems are compared.)
    expect(checked.problems.map((problem) => problem.problem).filter((problem) => problem.startsWith('checkpoint '))).toEqual(report.problems.map((problem) => problem.problem));
    await platform.close();
  });

  it('knows the checkpoints it signed itself as verifiable without verifying them, and verifies only the edited ones, in the worker', async () => {
    const own = verifier();
    const { platform, sizes } = await signedFive(await open(), own);
    onEventLoop.mockClear();
    const listed = await platform.checkpoints.list({ afterTreeSize: 0, limit: 100 });
    expect(onEventLoop).not.toHaveBeenCalled();
    // The two rows edited after signing are not the checkpoints it signed: only they are verified.
    expect(own.verified()).toBe(2);
    expect(answers(listed).map(({ treeSize, verifiable }) => ({ treeSize, verifiable }))).toEqual([
      { treeSize: sizes[0], verifiable: true },
      { treeSize: sizes[1], verifiable: false },
      { treeSize: sizes[2], verifiable: true },
      { treeSize: sizes[3], verifiable: false },
      { treeSize: sizes[4], verifiable: true },
    ]);
    await platform.close();
  });

  it('answers 503 problem+json when the page does not fit in the verification queue, and lists a page that fits', async () => {
    const bounded = verifier({ queueMax: 2 });
    const api = await startApi(open, { checkpointVerifier: bounded });
    for (const [id, code] of [[1, 'CNY'], [2, 'HKD'], [3, 'USD']] as const) {
      await api.platform.ledger.createLedger({ id, assetCode: code, scale: 2, name: code });
      await api.platform.checkpoints.checkpoint();
    }
    const stored = await api.platform.db.all<{ tree_size: bigint }>('SELECT tree_size FROM journal_checkpoints ORDER BY tree_size');
    // Edited after signing, none of the three is known: each needs the worker.
    for (const row of stored) await editEnvelope(api.platform.db, Number(row.tree_size), flipSignature);

    const refused = await api.call('GET', '/v1/journal/checkpoints');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      status: 503, code: 'checkpoint_verification_unavailable', retryable: true,
      detail: '0 checkpoints are waiting for their signatures to be verified in this process; 3 more would pass the limit of 2: try again shortly',
    });
    expect(bounded.queued()).toBe(0);

    const page = (await api.ok('GET', '/v1/journal/checkpoints?limit=2')) as { data: ListedCheckpoint[] };
    expect(page.data.map(({ verifiable, problem }) => ({ verifiable, problem }))).toEqual([
      { verifiable: false, problem: 'its signature does not verify (part_failed)' },
      { verifiable: false, problem: 'its signature does not verify (part_failed)' },
    ]);
    await api.close();
  });

  it('answers 503 problem+json when the verification worker fails, instead of an answer it did not check', async () => {
    const broken = verifier({ entry: new URL('./no-such-checkpoint-worker.ts', import.meta.url).href });
    const api = await startApi(open, { checkpointVerifier: broken });
    await api.platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
    const checkpoint = (await api.platform.checkpoints.checkpoint()) as Checkpoint;
    // Its own checkpoint is known without the worker.
    expect(((await api.ok('GET', '/v1/journal/checkpoints')) as { data: ListedCheckpoint[] }).data.map((listed) => listed.verifiable)).toEqual([true]);
    await editEnvelope(api.platform.db, checkpoint.treeSize, flipSignature);
    const failed = await api.call('GET', '/v1/journal/checkpoints');
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.json()).toMatchObject({ code: 'checkpoint_verification_unavailable', retryable: true, detail: expect.stringMatching(/^the checkpoint verification worker (failed|exited)/) });
    expect(broken.queued()).toBe(0);
    await api.close();
  });
});

it('refuses a batch that would take the queued checkpoints past the bound, while earlier ones are verified', async () => {
  const bounded = verifier({ queueMax: 2 });
  const checkpoint = (treeSize: number) => clone({
    treeSize, root: 'a'.repeat(64), headHash: 'b'.repeat(64), algorithm: 'sha256', createdAt: '2026-11-27T00:00:00.000Z',
    envelope: { suite: SUITE, context: 'journal.checkpoint', parts: [] },
  }) as unknown as Checkpoint;
  const first = bounded.verify([checkpoint(1), checkpoint(2)], [], [SUITE]);
  expect(bounded.queued()).toBe(2);
  expect(() => bounded.verify([checkpoint(3)], [], [SUITE])).toThrow(CheckpointVerificationUnavailableError);
  expect(() => bounded.verify([checkpoint(3)], [], [SUITE])).toThrow('2 checkpoints are waiting for their signatures to be verified in this process; 1 more would pass the limit of 2: try again shortly');
  const problems = await first;
  expect(problems).toHaveLength(2);
  expect(problems.every((problem) => typeof problem === 'string')).toBe(true);
  // Once answered, the queue takes more.
  expect(bounded.queued()).toBe(0);
  expect(await bounded.verify([checkpoint(3)], [], [SUITE])).toHaveLength(1);
  expect(bounded.verified()).toBe(3);
});
