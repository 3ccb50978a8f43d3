import { seededRandom } from '../../kernel/index.ts';
import type { GraphEdge } from './graph.ts';

/** Test worlds for mule-ring detection: ordinary traffic with a planted ring and a busy merchant. */
export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const T0 = Date.UTC(2026, 0, 5);

/** Deterministic pseudo-random numbers, so the background traffic is the same every run. */
export const seeded = seededRandom;

export const edge = (source: string, target: string, amountMinor: bigint, atMs: number): GraphEdge => ({ source, target, amountMinor, atMs, currency: 'CNY' });

/**
 * Thirty days of ordinary traffic among 300 people who each pay the same three others (rent, family,
 * a shop), a merchant paid once by each of 80 customers (who pays a supplier now and then, other
 * amounts), and a ring: victims pay r1, and the money goes round r1 → r2 → r3 → r4 → r1 within hours
 * each time, less a small cut, with r4 cashing out half of it.
 */
export function plantedWorld(): GraphEdge[] {
  const random = seeded(42);
  const edges: GraphEdge[] = [];
  const people = 300;
  const person = (i: number) => `p${i}`;
  const usual = Array.from({ length: people }, (_, i) => [1, 2, 3].map((step) => (i + step * 37) % people));
  for (let day = 0; day < 30; day++) {
    for (let k = 0; k < 40; k++) {
      const from = Math.floor(random() * people);
      const to = (usual[from] as number[])[Math.floor(random() * 3)] as number;
      edges.push(edge(person(from), person(to), BigInt(1_000 + Math.floor(random() * 50_000)), T0 + day * DAY_MS + Math.floor(random() * DAY_MS)));
    }
  }
  for (let customer = 0; customer < 80; customer++) {
    edges.push(edge(person(customer), 'merchant', BigInt(2_000 + Math.floor(random() * 8_000)), T0 + Math.floor(random() * 30 * DAY_MS)));
  }
  for (let week = 0; week < 4; week++) edges.push(edge('merchant', 'supplier', BigInt(150_000 + week * 7_000), T0 + (week * 7 + 6) * DAY_MS));
  for (let round = 0; round < 5; round++) {
    const start = T0 + (round * 5 + 2) * DAY_MS;
    const amount = 100_000n + BigInt(round) * 1_000n;
    edges.push(edge(`victim${round}`, 'r1', amount, start));
    edges.push(edge('r1', 'r2', (amount * 98n) / 100n, start + 1 * HOUR_MS));
    edges.push(edge('r2', 'r3', (amount * 96n) / 100n, start + 2 * HOUR_MS));
    edges.push(edge('r3', 'r4', (amount * 94n) / 100n, start + 3 * HOUR_MS));
    edges.push(edge('r4', 'r1', (amount * 46n) / 100n, start + 4 * HOUR_MS));
    edges.push(edge('r4', `cash-out${round}`, (amount * 46n) / 100n, start + 4 * HOUR_MS));
  }
  return edges.sort((x, y) => x.atMs - y.atMs);
}


/**
 * Thirty days of a small community as the demo has it: 12 customers who each pay two fixed contacts
 * among them (so that money goes back and forth, and round in short cycles), and spend most of their
 * money at the same six merchants, several times a day at one shop now and then, at everyday amounts
 * (mostly small, a long tail of larger ones); plus a planted ring: every customer pays a collector
 * twice, and the collector's takings go round four more accounts within hours, each keeping a
 * 2 % cut, back to the collector; three rounds in the last week.
 */
export const COMMUNITY_RING = ['mule1', 'mule2', 'mule3', 'mule4', 'mule5'] as const;

export function communityWorld(): GraphEdge[] {
  const random = seeded(20_261_127);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const everyday = (base: number) => BigInt(Math.round(base * Math.exp(random() * 4.2)));
  const customers = Array.from({ length: 12 }, (_, i) => `c${i + 1}`);
  const merchants = Array.from({ length: 6 }, (_, i) => `shop${i + 1}`);
  const end = T0 + 30 * DAY_MS;
  const edges: GraphEdge[] = [];
  for (const payer of customers) {
    const peers = customers.filter((other) => other !== payer);
    const contacts = [pick(peers), pick(peers)];
    const count = Math.round(52 * (0.6 + random() * 0.8));
    for (let i = 0; i < count; i++) {
      const toShop = random() < 0.85;
      edges.push(edge(payer, toShop ? pick(merchants) : pick(contacts), everyday(toShop ? 2_000 : 10_000), end - Math.floor(random() * 30 * DAY_MS)));
    }
  }
  for (let round = 0; round < 3; round++) {
    const start = end - (7 - round * 2) * DAY_MS;
    let collected = 0n;
    for (const victim of customers) {
      for (let deposit = 0; deposit < 2; deposit++) {
        const amount = BigInt(480_000 + Math.floor(random() * 500_000));
        collected += amount;
        edges.push(edge(victim, 'mule1', amount, start - Math.floor(random() * 6 * HOUR_MS)));
      }
    }
    let carried = collected;
    COMMUNITY_RING.forEach((from, hop) => {
      carried -= (carried * 200n) / 10_000n;
      edges.push(edge(from, COMMUNITY_RING[(hop + 1) % COMMUNITY_RING.length] as string, carried, start + 7 * HOUR_MS + hop * (HOUR_MS / 2)));
    });
  }
  return edges.sort((x, y) => x.atMs - y.atMs);
}
