import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { AssertionError, createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { reportHtml, reportMarkdown } from './cases.report.ts';
import { CASES_LIMITS } from './cases.limits.ts';
import { createCasesService } from './cases.service.ts';
import type { AlertInput } from './cases.ts';

const alert = (overrides: Partial<AlertInput> = {}): AlertInput => ({
  source: 'decision', kind: 'rule:large_new_beneficiary', title: 'Large payment to a new beneficiary', score: 0.4, reasons: ['amount 50,000 to a payee first seen today'], ...overrides,
});

describeEachDialect('cases', ({ open }) => {
  let platform: Platform;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = createManualClock(Date.UTC(2026, 2, 1));
    platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
  });
  afterAll(async () => platform?.close());

  it('opens a case for an alert, and joins alerts with the same dedupe key to the open case', async () => {
    const first = await platform.cases.raise(alert({ dedupeKey: 'acct:a', score: 0.3, accountIds: ['acct-a'], transferIds: ['t-1'] }));
    clock.advance(1000);
    const second = await platform.cases.raise(alert({ dedupeKey: 'acct:a', score: 0.9, accountIds: ['acct-a', 'acct-b'], partyIds: ['party-b'], source: 'screening', kind: 'screening:name_match' }));
    const other = await platform.cases.raise(alert({ dedupeKey: 'acct:z' }));
    expect(second.caseId).toBe(first.caseId);
    expect(other.caseId).not.toBe(first.caseId);
    const view = await platform.cases.get(first.caseId);
    // Priority is the highest score of the case's alerts; the source is the alert that opened it.
    expect(view?.case).toMatchObject({ status: 'open', priorityBp: 9000, source: 'decision', alertCount: 2, dedupeKey: 'acct:a' });
    expect(view?.alerts.map((item) => item.id)).toEqual([first.alertId, second.alertId]);
    expect(view?.links.map((link) => `${link.kind}:${link.refId}`).sort()).toEqual(['account:acct-a', 'account:acct-b', 'party:party-b', 'transfer:t-1']);
    expect(view?.audit.map((entry) => [entry.seq, entry.action, entry.actor])).toEqual([[1, 'created', 'detector:decision'], [2, 'alert_added', 'detector:screening']]);
  });

  it('opens one case when alerts with one key arrive at the same time', async () => {
    const raised = await Promise.all(Array.from({ length: 8 }, (_, i) => platform.cases.raise(alert({ dedupeKey: 'burst', score: i / 10 }))));
    expect(new Set(raised.map((item) => item.caseId)).size).toBe(1);
    const view = await platform.cases.get(raised[0]?.caseId as string);
    expect(view?.case.alertCount).toBe(8);
    expect(view?.audit.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stores an alert that repeats the latest of its kind on the open case once: the repeat writes nothing, a change is added', async () => {
    const first = await platform.cases.raise(alert({ dedupeKey: 'ring:a', fingerprint: 'members 3, 7 transfers', transferIds: ['t-a1'] }));
    expect(first.outcome).toBe('opened');
    clock.advance(1000);
    const repeat = await platform.cases.raise(alert({ dedupeKey: 'ring:a', fingerprint: 'members 3, 7 transfers', transferIds: ['t-a1', 't-a2'] }));
    expect(repeat).toEqual({ caseId: first.caseId, alertId: first.alertId, outcome: 'unchanged' });
    const unchanged = await platform.cases.get(first.caseId);
    expect(unchanged?.case).toMatchObject({ alertCount: 1, updatedAtMs: clock.nowMs() - 1000 });
    expect(unchanged?.alerts).toHaveLength(1);
    expect(unchanged?.audit.map((entry) => entry.action)).toEqual(['created']);
    expect(unchanged?.links.map((link) => link.refId)).toEqual(['t-a1']);
    // Another kind is compared with its own latest alert, and an alert without a fingerprint is always stored.
    const otherKind = await platform.cases.raise(alert({ dedupeKey: 'ring:a', kind: 'rule:other', fingerprint: 'members 3, 7 transfers' }));
    const unprinted = await platform.cases.raise(alert({ dedupeKey: 'ring:a' }));
    const changed = await platform.cases.raise(alert({ dedupeKey: 'ring:a', fingerprint: 'members 3, 8 transfers' }));
    expect([otherKind.outcome, unprinted.outcome, changed.outcome]).toEqual(['added', 'added', 'added']);
    // Compared with the latest alert of the kind, not any earlier one: going back is a change too.
    expect((await platform.cases.raise(alert({ dedupeKey: 'ring:a', fingerprint: 'members 3, 7 transfers' }))).outcome).toBe('added');
    expect((await platform.cases.get(first.caseId))?.case.alertCount).toBe(5);
  });

  it('stores one of equal alerts raised at once on a case, even when each says something new', async () => {
    const first = await platform.cases.raise(alert({ dedupeKey: 'ring:b', fingerprint: 'v1' }));
    const raised = await Promise.all(Array.from({ length: 6 }, () => platform.cases.raise(alert({ dedupeKey: 'ring:b', fingerprint: 'v2' }))));
    expect(raised.map((item) => item.caseId)).toEqual(Array(6).fill(first.caseId));
    expect(raised.filter((item) => item.outcome === 'added')).toHaveLength(1);
    const view = await platform.cases.get(first.caseId);
    expect(view?.case.alertCount).toBe(2);
    expect(view?.audit.map((entry) => entry.action)).toEqual(['created', 'alert_added']);
  });

  it('stores at most the named number of alerts per case; later ones only count and weigh into the priority', async () => {
    const first = await platform.cases.raise(alert({ dedupeKey: 'noisy', score: 0.2 }));
    // Filled to the limit directly: raising a thousand alerts one by one adds nothing to the test.
    await platform.db.run('UPDATE case_records SET alert_count = ? WHERE id = ?', [CASES_LIMITS.caseAlertsMax, first.caseId]);
    const over = await platform.cases.raise(alert({ dedupeKey: 'noisy', score: 0.95, accountIds: ['acct-over'] }));
    expect(over).toEqual({ caseId: first.caseId, alertId: first.alertId, outcome: 'capped' });
    const view = await platform.cases.get(first.caseId);
    expect(view?.case).toMatchObject({ alertCount: CASES_LIMITS.caseAlertsMax + 1, priorityBp: 9500 });
    expect(view?.alerts).toHaveLength(1);
    expect(view?.audit).toHaveLength(1);
    expect(view?.links).toEqual([]);
  });

  it('keeps the kind and title values of the alert that opened a case, for readers that word the title themselves', async () => {
    const raised = await platform.cases.raise(alert({ dedupeKey: 'titled', kind: 'graph:mule_ring', title: 'Possible mule ring of 5 accounts', titleValues: { members: 5, account: 'a1' } }));
    await platform.cases.raise(alert({ dedupeKey: 'titled', kind: 'rule:other', titleValues: { members: 9 } }));
    expect((await platform.cases.get(raised.caseId))?.case).toMatchObject({ kind: 'graph:mule_ring', titleValues: { members: 5, account: 'a1' } });
    const manual = await platform.cases.open({ title: 'Called by the branch', priority: 0.5 }, 'key:li');
    expect(manual).toMatchObject({ ok: true, value: { kind: 'manual', titleValues: null } });
  });

  it('opens a new case for a key once the earlier case is closed', async () => {
    const first = await platform.cases.raise(alert({ dedupeKey: 'closing' }));
    expect((await platform.cases.transition(first.caseId, { to: 'closed_false_positive', reason: 'known customer' }, 'key:analyst')).ok).toBe(true);
    const next = await platform.cases.raise(alert({ dedupeKey: 'closing' }));
    expect(next.caseId).not.toBe(first.caseId);
  });

  it('refuses an alert outside the limits as a bug in its detector', async () => {
    await expect(platform.cases.raise(alert({ score: 1.5 }))).rejects.toBeInstanceOf(AssertionError);
    await expect(platform.cases.raise(alert({ title: '' }))).rejects.toBeInstanceOf(AssertionError);
  });

  it('closes a confirmed case into the block list, as the case, with a reason', async () => {
    const raised = await platform.cases.raise(alert({ source: 'graph', kind: 'graph:mule_ring', accountIds: ['mule-1', 'mule-2'], partyIds: ['party-mule'] }));
    // An account already listed stays listed and counts as blocked.
    await platform.lists.add({ list: 'block', kind: 'account', value: 'mule-2', reason: 'earlier case', actor: 'key:someone' });
    expect(await platform.cases.transition(raised.caseId, { to: 'closed_confirmed', reason: 'skipped investigation', block: { accounts: true, parties: true } }, 'key:analyst'))
      .toEqual({ ok: false, error: 'transition_not_allowed' });
    expect((await platform.cases.transition(raised.caseId, { to: 'investigating', reason: 'looking' }, 'key:analyst')).ok).toBe(true);
    expect(await platform.cases.transition(raised.caseId, { to: 'escalated', reason: 'x', block: { accounts: true, parties: false } }, 'key:analyst'))
      .toEqual({ ok: false, error: 'block_needs_confirmed_close' });
    const closed = await platform.cases.transition(raised.caseId, { to: 'closed_confirmed', reason: 'mules confirmed by the bank', block: { accounts: true, parties: true } }, 'key:analyst');
    if (!closed.ok) throw new Error(closed.error);
    expect(closed.value.blocked).toEqual({ accounts: ['mule-1', 'mule-2'], parties: ['party-mule'], refused: [] });
    expect(closed.value.case).toMatchObject({ status: 'closed_confirmed', closedAtMs: clock.nowMs() });
    const match = platform.lists.match({ accountIds: ['mule-1'], partyIds: ['party-mule'] });
    expect(match.blocked.map((hit) => hit.value).sort()).toEqual(['mule-1', 'party-mule']);
    const entries = await platform.lists.entries({ list: 'block', kind: 'account', value: 'mule-1', limit: 10 });
    expect(entries[0]).toMatchObject({ actor: `case:${raised.caseId}`, reason: expect.stringContaining('mules confirmed by the bank') });
    const audit = (await platform.cases.get(raised.caseId))?.audit ?? [];
    expect(audit.at(-1)).toMatchObject({ action: 'block_list_fed', actor: `case:${raised.caseId}`, detail: { accounts: ['mule-1', 'mule-2'], parties: ['party-mule'] } });
  });

  it('cannot feed a block list it does not have, and changes nothing trying', async () => {
    const alone = createCasesService({ db: platform.db, clock });
    const raised = await alone.raise(alert({ accountIds: ['x'] }));
    await alone.transition(raised.caseId, { to: 'investigating', reason: 'r' }, 'key:a');
    expect(await alone.transition(raised.caseId, { to: 'closed_confirmed', reason: 'r', block: { accounts: true, parties: false } }, 'key:a')).toEqual({ ok: false, error: 'block_list_unavailable' });
    expect((await alone.get(raised.caseId))?.case.status).toBe('investigating');
  });

  it('assigns, takes notes, and refuses to assign or note a closed case', async () => {
    const raised = await platform.cases.raise(alert());
    const assigned = await platform.cases.assign(raised.caseId, 'li.wei', 'key:lead');
    expect(assigned.ok && assigned.value.assignee).toBe('li.wei');
    const note = await platform.cases.addNote(raised.caseId, 'Called the customer: the payee is their landlord.', 'key:li');
    expect(note.ok && note.value.author).toBe('key:li');
    await platform.cases.transition(raised.caseId, { to: 'closed_false_positive', reason: 'rent' }, 'key:li');
    expect(await platform.cases.assign(raised.caseId, 'someone', 'key:lead')).toEqual({ ok: false, error: 'case_closed' });
    expect(await platform.cases.assign('00000000-0000-7000-8000-000000000000', 'x', 'key:lead')).toEqual({ ok: false, error: 'case_not_found' });
    // A closed case is the record that was filed: later findings raise a new case.
    expect(await platform.cases.addNote(raised.caseId, 'Customer confirmed in writing.', 'key:li')).toEqual({ ok: false, error: 'case_closed' });
    expect(await platform.cases.addNote('00000000-0000-7000-8000-000000000000', 'x', 'key:li')).toEqual({ ok: false, error: 'case_not_found' });
    expect((await platform.cases.get(raised.caseId))?.notes.map((note) => note.text)).toEqual(['Called the customer: the payee is their landlord.']);
  });

  it('lists the queue by priority, then age, page by page', async () => {
    const queue = await platform.cases.list({ status: 'open', limit: 100 });
    const keys = queue.map((record) => [-record.priorityBp, record.createdAtMs, record.id] as const);
    expect(keys).toEqual([...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : 1)));
    const firstPage = await platform.cases.list({ status: 'open', limit: 2 });
    const last = firstPage.at(-1);
    if (!last) throw new Error('the queue is empty');
    const secondPage = await platform.cases.list({ status: 'open', limit: 2, after: { priorityBp: last.priorityBp, createdAtMs: last.createdAtMs, id: last.id } });
    expect([...firstPage, ...secondPage].map((record) => record.id)).toEqual(queue.slice(0, 4).map((record) => record.id));
    expect((await platform.cases.list({ source: 'graph', limit: 100 })).every((record) => record.source === 'graph')).toBe(true);
  });

  it('reports everything an investigator files, in JSON, Markdown and HTML', async () => {
    const raised = await platform.cases.raise(alert({ title: 'Ring <script>alert(1)</script>', accountIds: ['acct-r'], partyIds: ['party-r'], transferIds: ['t-9'], score: 0.8, reasons: ['money passed on | within 2 h'] }));
    await platform.cases.addNote(raised.caseId, 'Spoke to *the* bank; [link](http://x) _emphasis_', 'key:li');
    await platform.cases.transition(raised.caseId, { to: 'investigating', reason: 'started' }, 'key:li');
    const report = await platform.cases.report(raised.caseId, { generatedBy: 'key:li', accountScore: (id) => (id === 'acct-r' ? 0.77 : undefined) });
    if (!report) throw new Error('no report');
    expect(report).toMatchObject({
      report: 'sluice-case-report', case: { id: raised.caseId, status: 'investigating', priority: 0.8 },
      summary: { alerts: 1, by_source: { decision: 1 }, linked: { accounts: 1, parties: 1, transfers: 1 }, notes: 1, status_history: [{ from: 'open', to: 'investigating', reason: 'started' }] },
      links: { accounts: [{ id: 'acct-r', graph_score: 0.77 }], parties: [{ id: 'party-r' }], transfers: [{ id: 't-9' }] },
    });
    expect(report.alerts[0]?.reasons).toEqual(['money passed on | within 2 h']);
    expect(report.notes[0]?.text).toContain('Spoke to');
    expect(report.audit.map((entry) => entry.action)).toEqual(['created', 'note_added', 'status_changed']);
    const markdown = reportMarkdown(report);
    expect(markdown).toMatch(/^# Case report: Ring/);
    expect(markdown).toContain('## Audit trail');
    // Text from alerts and notes is escaped: it cannot open a table cell, a link or emphasis.
    expect(markdown).toContain('money passed on \\| within 2 h');
    expect(markdown).toContain('\\[link\\](http://x) \\_emphasis\\_');
    const html = reportHtml(report);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('<h2>Audit trail</h2>');
  });
});
