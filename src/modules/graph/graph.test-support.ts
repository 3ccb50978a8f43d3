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

