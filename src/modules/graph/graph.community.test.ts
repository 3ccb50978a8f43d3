import { describe, expect, it } from 'vitest';
import { GRAPH_SCORING, isAlertable, scoreEdges } from './graph.scoring.ts';
import { COMMUNITY_RING, communityWorld, edge, HOUR_MS, T0 } from './graph.test-support.ts';

const isRingMember = (id: string) => (COMMUNITY_RING as readonly string[]).includes(id);

describe('mule-ring scoring of an ordinary community', () => {
  it('alerts the planted ring as one ring and no customer or shop of the community beside it', () => {
    const result = scoreEdges(communityWorld());
    const alerted = result.rings.filter((ring) => isAlertable(ring));
    expect(alerted.map((ring) => ring.accountIds)).toEqual([[...COMMUNITY_RING].sort()]);
    for (const score of result.scores.filter((entry) => !isRingMember(entry.accountId))) {
      expect(score.score, `${score.accountId}: ${JSON.stringify(score.signals)}`).toBeLessThan(GRAPH_SCORING.flagThreshold);
    }
  });

  it('does not call everyday spending of money received from a friend "passed through"', () => {
    // A friend's 1,000.00 arrives; over the next day the customer spends 4,000.00 of which the
    // 1,000.00 is a quarter at most.
    const edges = [edge('friend', 'me', 100_000n, T0), ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => edge('me', `shop${i}`, 50_000n, T0 + (i + 1) * HOUR_MS))];
    const me = scoreEdges(edges).scores.find((entry) => entry.accountId === 'me');
    const passThrough = me?.signals.find((reading) => reading.signal === 'pass_through');
    expect(passThrough === undefined || passThrough.strength <= 0.25).toBe(true);
  });

  it('counts several transfers to one payee within a day as a split only when their amounts are alike', () => {
    const alike = scoreEdges([9_900n, 9_500n, 9_800n].map((amount, i) => edge('smurf', 'collector', amount, T0 + i * HOUR_MS)));
    expect(alike.scores.find((entry) => entry.accountId === 'smurf')?.signals.find((reading) => reading.signal === 'split_transfers')?.values).toEqual({ most_in_window: 3 });
    const shopping = scoreEdges([1_200n, 34_000n, 5_600n].map((amount, i) => edge('shopper', 'grocer', amount, T0 + i * HOUR_MS)));
    expect(shopping.scores.find((entry) => entry.accountId === 'shopper')?.signals.map((reading) => reading.signal)).not.toContain('split_transfers');
  });
});
