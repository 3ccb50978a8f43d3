/**
 * The audit trail anchored in the journal: a trail written before anchoring began verifies as a
 * chain, the next event anchors it whole, and from then on a rewrite of any event, hashes and head
 * recomputed, is found by the anchor.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { appendEvent } from './audit.repository.ts';
import { auditEventHash, type AuditAction, type AuditEvent } from './audit.ts';

const action = (n: number): AuditAction => ({
  keyId: '0123456789abcdef', keyName: 'ops', role: 'admin', method: 'POST', route: '/v1/api-keys', params: '{}', targetId: `target-${n}`, status: 201, requestId: `request-${n}`,
});

describeEachDialect('audit trail anchored in the journal', ({ open }) => {
  it('anchors a trail written before anchoring with its next event, and then finds any event rewritten', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    // Three events as an earlier version appended them: into the chain, with no journal entry.
    for (let n = 1; n <= 3; n++) await platform.db.transaction((tx) => appendEvent(tx, uuidv7(), clock.nowMs(), action(n)));
    expect((await platform.verify()).problems).toEqual([]);
    const anchors = () => platform.db.all<{ payload: string }>("SELECT payload FROM journal_entries WHERE kind = 'audit.anchor' ORDER BY seq");
    expect(await anchors()).toEqual([]);

    const fourth = await platform.audit.append(action(4));
    expect((await anchors()).map((row) => JSON.parse(row.payload))).toEqual([{ seq: '4', hash: fourth.hash }]);
    expect((await platform.verify()).problems).toEqual([]);

    // The first event rewritten, and every hash after it and the head with it: the chain holds, the anchor does not.
    const chain: AuditEvent[] = await platform.audit.list({ order: 'asc', limit: 10 });
    let prevHash = chain[0]!.prevHash;
    for (const event of chain) {
      const { hash: _hash, prevHash: _prev, ...fields } = event.seq === 1n ? { ...event, targetId: 'someone-else' } : event;
      const hash = auditEventHash(prevHash, fields);
      await platform.db.run('UPDATE audit_events SET target_id = ?, prev_hash = ?, hash = ? WHERE seq = ?', [fields.targetId, prevHash, hash, event.seq]);
      await platform.db.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [event.seq, hash]);
      prevHash = hash;
    }
    expect((await platform.verify()).problems.map((problem) => problem.problem)).toEqual([
      'anchors audit event #4 with another hash than the trail now has: the trail was rewritten',
    ]);
    await platform.close();
  });
});
