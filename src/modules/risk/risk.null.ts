import type { FeatureSource } from '../features/index.ts';
import type { ListChecker } from '../lists/index.ts';
import type { RulesEngine } from '../rules/index.ts';

/**
 * Stand-ins for the parts of risk control an installation may run without: no live ruleset (every
 * decision approves unless a list says otherwise), no feature windows, empty lists. Decisions are
 * still taken, logged and explained, so switching the real parts on changes outcomes, not plumbing.
 */
export const NO_RULES: RulesEngine = Object.freeze({ evaluate: () => ({ live: null, shadow: [] }) });

export const NO_FEATURES: FeatureSource = Object.freeze({
  compute: () => ({}),
  record: async () => {},
  describe: () => [],
});

export const NO_LISTS: ListChecker = Object.freeze({ match: () => ({ blocked: [], allowed: [] }) });
