/**
 * Routes the console relies on beyond the ledger's own: the dashboard overview, journal
 * verification as a background job with progress, and checking an uploaded proof file.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDemo } from '../../src/demo.ts';
import { describeEachDialect } from '../support/databases.ts';
import { OVERVIEW_CACHE_MS } from '../../src/http/overview.routes.ts';
import { expectProblem, startApi, uuid, type Api } from './harness.ts';

/** A background verification of the demo journal finishes well within this on a busy machine. */
const VERIFY_WAIT_MS = 30_000;

describeEachDialect('HTTP overview, verification jobs and proof checks', ({ open }) => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi(open);
    // The demo without its long payment history: a few payments of each kind are enough here.
    await loadDemo(api.platform, { payments: 40, history: false });
  });
  afterAll(async () => {
    await api.close();
  });

  it('sums what each ledger moved and counts payments by status and currency', async () => {
    const overview = await api.ok('GET', '/v1/overview');
    expect(overview.ledgers.map((ledger: { currency: string }) => ledger.currency)).toEqual(['CNY', 'HKD', 'SGD', 'THB', 'AED', 'USD']);
    // The value moved in a ledger is the debits posted over all of its accounts.
    for (const ledger of overview.ledgers) {
      let debits = 0n;
      let accounts = 0;
      let cursor: string | null = null;
      do {
        const page: { data: { debits_posted: string }[]; next_cursor: string | null } = await api.ok('GET', `/v1/accounts?ledger=${ledger.ledger}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        for (const account of page.data) debits += BigInt(account.debits_posted);
        accounts += page.data.length;
        cursor = page.next_cursor;
      } while (cursor);
      expect(ledger).toMatchObject({ posted: String(debits), accounts, scale: 2 });
    }
    const payments: { status: string; instructed_amount: { amount: string; currency: string } }[] = [];
    let after: string | null = null;
    do {
      const page: { data: typeof payments; next_cursor: string | null } = await api.ok('GET', `/v1/payments?limit=100${after ? `&cursor=${after}` : ''}`);
      payments.push(...page.data);
      after = page.next_cursor;
    } while (after);
    expect(payments.length).toBeGreaterThan(0);
    expect(overview.payments).toMatchObject({ counted: payments.length, complete: true });
    const byStatus = Object.fromEntries(overview.payments.by_status.map((row: { status: string; count: number }) => [row.status, row.count]));
    for (const status of new Set(payments.map((payment) => payment.status))) expect(byStatus[status]).toBe(payments.filter((payment) => payment.status === status).length);
    for (const row of overview.payments.by_currency) {
      const settled = payments.filter((payment) => payment.instructed_amount.currency === row.currency && payment.status === 'ACCC');
      expect(row.settled).toBe(settled.length);
      expect(row.settled_amount).toBe(String(settled.reduce((sum, payment) => sum + BigInt(payment.instructed_amount.amount), 0n)));
    }
  });

  it('counts a new payment and its settlement once the overview is older than its cache period', async () => {
    const before = await api.ok('GET', '/v1/overview');
    const accounts: { id: string; party_id: string }[] = (await api.ok('GET', '/v1/accounts?code=820&limit=100')).data;
    const debtor = accounts.find((account) => account.party_id === 'cust-wang-li');
    const creditor = accounts.find((account) => account.party_id === 'cust-chan-mei');
    const paid = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: debtor?.id, creditor_account: creditor?.id, amount: '12345', currency: 'CNY' }, 201);
    expect(paid.status).toBe('ACCC');
    // Within the cache period the same answer comes back; after it, the new payment is counted.
    expect(await api.ok('GET', '/v1/overview')).toEqual(before);
    api.clock.advance(OVERVIEW_CACHE_MS + 1);
    const after = await api.ok('GET', '/v1/overview');
    expect(after.payments.counted).toBe(before.payments.counted + 1);
    const settled = (overview: typeof before) => overview.payments.by_currency.find((row: { currency: string }) => row.currency === 'CNY');
    expect(settled(after).settled).toBe(settled(before).settled + 1);
    expect(BigInt(settled(after).settled_amount) - BigInt(settled(before).settled_amount)).toBe(12345n);
  });

  it('keeps the overview from participants, whose keys see only their own parties', async () => {
    const participant = await api.ok('POST', '/v1/api-keys', { name: 'wang', role: 'participant', party_ids: ['cust-wang-li'] }, 201);
    expectProblem(await api.call('GET', '/v1/overview', undefined, { key: participant.key }), 403, 'forbidden');
    expectProblem(await api.call('GET', '/v1/overview', undefined, { key: null }), 401, 'unauthenticated');
  });

  it('verifies the journal in the background and reports progress, then the same report as GET /journal/verify', async () => {
    const started = await api.call('POST', '/v1/journal/verify-jobs');
    expect([200, 202]).toContain(started.statusCode);
    const job = started.json();
    expect(started.headers.location).toBe(`/v1/journal/verify-jobs/${job.id}`);
    expect(job).toMatchObject({ status: 'running', report: null, error: null });
    let current = job;
    const deadline = Date.now() + VERIFY_WAIT_MS;
    while (current.status === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      current = await api.ok('GET', `/v1/journal/verify-jobs/${job.id}`);
      if (current.total !== null) expect(current.checked).toBeLessThanOrEqual(current.total);
    }
    expect(current).toMatchObject({ status: 'succeeded', checked: current.report.entries, total: current.report.entries, report: { ok: true, problems: [] } });
    // Starting the job is recorded in the audit trail, and that record's journal anchor may come
    // after the job read the journal: a verification now has that entry more, or none.
    const direct = await api.ok('GET', '/v1/journal/verify');
    expect(direct.entries - current.report.entries).toBeGreaterThanOrEqual(0);
    expect(direct.entries - current.report.entries).toBeLessThanOrEqual(1);
    const { entries: _entries, head_seq: _seq, head_hash: _hash, ...rest } = direct;
    expect(current.report).toMatchObject(rest);
    expect(Date.parse(current.finished_at)).toBeGreaterThanOrEqual(Date.parse(current.started_at));
    expectProblem(await api.call('GET', '/v1/journal/verify-jobs/0192c1a0-0000-7000-8000-000000000001'), 404, 'verify_job_not_found');
    expectProblem(await api.call('GET', '/v1/journal/verify-jobs/not-a-job'), 400, undefined, '/params/id');
  });

  it('checks an uploaded proof against the platform keys and finds any edit to it', async () => {
    await api.ok('POST', '/v1/journal/checkpoints', undefined, 201);
    const proof = await api.ok('GET', '/v1/journal/proof?seq=1,2');
    // Saved as it comes, the file is read a line at a time by sluice verify --proof: one entry per line.
    const lines = (await api.call('GET', '/v1/journal/proof?seq=1,2')).body.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[1]!.replace(/,$/, ''))).toEqual(proof.entries[0]);
    const good = await api.ok('POST', '/v1/journal/proofs/verify', { proof });
    expect(good).toMatchObject({ ok: true, entries: 2, problems: [] });

    const edited = structuredClone(proof);
    edited.entries[0].payload = `${edited.entries[0].payload} `;
    const bad = await api.ok('POST', '/v1/journal/proofs/verify', { proof: edited });
    expect(bad.ok).toBe(false);
    expect(bad.problems.length).toBeGreaterThan(0);

    expect(await api.ok('POST', '/v1/journal/proofs/verify', { proof: 'not a proof' })).toMatchObject({ ok: false });
    // A checkpoint naming a hash or signature algorithm this version does not know is an invalid proof, said so by name.
    const unknownHash = structuredClone(proof);
    unknownHash.checkpoint.algorithm = 'sha512';
    expect(await api.ok('POST', '/v1/journal/proofs/verify', { proof: unknownHash })).toMatchObject({
      ok: false, problems: ['the checkpoint names hash algorithm "sha512", which this version does not know (it knows sha256 and sm3): none of the file\'s entries can be checked'],
    });
    const unknownSuite = structuredClone(proof);
    unknownSuite.checkpoint.envelope.suite = 'rsa-pss';
    expect(await api.ok('POST', '/v1/journal/proofs/verify', { proof: unknownSuite })).toMatchObject({
      ok: false, problems: ['the checkpoint signature does not verify (suite_not_accepted): it names signature suite "rsa-pss", which this version does not know'],
    });
    expectProblem(await api.call('POST', '/v1/journal/proofs/verify', {}), 400, 'validation_failed', '/proof');
    expectProblem(await api.call('POST', '/v1/journal/proofs/verify', { proof, extra: 1 }), 400, 'validation_failed');
  });
});
