import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createManualClock } from '../../kernel/index.ts';
import { createCasesService, type CasesService } from './cases.service.ts';
import { casesMigrations } from './cases.migrations.ts';
import { migrate, type Database } from '../../db/index.ts';
import { CASE_STATUSES, CASE_TRANSITIONS, canTransition, isClosed, type CaseStatus } from './cases.ts';

describe('the case lifecycle table', () => {
  it('names only known statuses, never a move to the same status, and lets closed cases go nowhere', () => {
    for (const from of CASE_STATUSES) {
      for (const to of CASE_TRANSITIONS[from]) expect(CASE_STATUSES).toContain(to);
      expect(CASE_TRANSITIONS[from]).not.toContain(from);
      if (isClosed(from)) expect(CASE_TRANSITIONS[from]).toEqual([]);
    }
  });

  it('reaches both closed statuses from open, and closing as confirmed needs an investigation first', () => {
    const reachable = new Set<CaseStatus>(['open']);
    for (let round = 0; round < CASE_STATUSES.length; round++) for (const from of [...reachable]) for (const to of CASE_TRANSITIONS[from]) reachable.add(to);
    expect([...reachable].sort()).toEqual([...CASE_STATUSES].sort());
    expect(canTransition('open', 'closed_confirmed')).toBe(false);
    expect(canTransition('investigating', 'closed_confirmed')).toBe(true);
  });
});

type Command = { readonly kind: 'move'; readonly to: CaseStatus } | { readonly kind: 'assign'; readonly assignee: string | null } | { readonly kind: 'note'; readonly text: string };

const commands = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...CASE_STATUSES).map((to): Command => ({ kind: 'move', to })) },
    { weight: 1, arbitrary: fc.option(fc.constantFrom('li.wei', 'chen.jing', 'ana'), { nil: null }).map((assignee): Command => ({ kind: 'assign', assignee })) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map((text): Command => ({ kind: 'note', text })) },
  ),
  { maxLength: 12 },
);

describeEachDialect('the case lifecycle', ({ open }) => {
  let db: Database;
  let cases: CasesService;
  beforeAll(async () => {
    db = await open();
    await migrate(db, casesMigrations);
    cases = createCasesService({ db, clock: createManualClock() });
  });
  afterAll(async () => db?.close());

  it('keeps every case in a status the table allows, with one audit entry per change', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (steps) => {
        const { caseId } = await cases.raise({ source: 'manual', kind: 'manual', title: 'property', score: 0.5, reasons: [] });
        let status: CaseStatus = 'open';
        let changes = 1;
        for (const step of steps) {
          if (step.kind === 'move') {
            const moved = await cases.transition(caseId, { to: step.to, reason: 'because' }, 'key:p');
            expect(moved.ok).toBe(canTransition(status, step.to));
            if (!moved.ok) expect(moved.error).toBe('transition_not_allowed');
            if (moved.ok) {
              status = step.to;
              changes += 1;
            }
          } else if (step.kind === 'assign') {
            const assigned = await cases.assign(caseId, step.assignee, 'key:p');
            expect(assigned.ok).toBe(!isClosed(status));
            if (assigned.ok) changes += 1;
          } else {
            // A closed case takes no notes, as it takes no assignee.
            const noted = await cases.addNote(caseId, step.text, 'key:p');
            expect(noted.ok).toBe(!isClosed(status));
            if (!noted.ok) expect(noted.error).toBe('case_closed');
            if (noted.ok) changes += 1;
          }
        }
        const view = await cases.get(caseId);
        expect(view?.case.status).toBe(status);
        expect(view?.case.closedAtMs !== null).toBe(isClosed(status));
        expect(view?.audit.map((entry) => entry.seq)).toEqual(Array.from({ length: changes }, (_, i) => i + 1));
        // Replaying the trail's status changes from open arrives at the case's status, each step allowed.
        let replayed: CaseStatus = 'open';
        for (const entry of view?.audit ?? []) {
          if (entry.action !== 'status_changed') continue;
          expect(entry.detail.from).toBe(replayed);
          expect(canTransition(replayed, entry.detail.to as CaseStatus)).toBe(true);
          replayed = entry.detail.to as CaseStatus;
        }
        expect(replayed).toBe(status);
      }),
      { numRuns: 40 },
    );
  });
});
