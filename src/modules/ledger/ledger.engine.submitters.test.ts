import { describe, expect, it } from 'vitest';
import { submitters, type SubmittedCommand } from './ledger.engine.submitters.ts';

const transfers = (submittedBy: string | null): SubmittedCommand => ({ kind: 'transfers', submittedBy });
const ok = (timestamp: number, replayed = false) => ({ result: 'ok', id: `t${timestamp}`, timestamp: BigInt(timestamp), replayed });
const failed = (timestamp: number) => ({ result: 'exceeds_credits', id: `t${timestamp}`, timestamp: BigInt(timestamp) });

describe('which keys a ledger batch journals', () => {
  it('gives each key the run of timestamps its new transfers took, one run for requests of one key in a row', () => {
    expect(submitters([transfers('a'), transfers('a'), transfers('b')], [[ok(1), ok(2)], [ok(3)], [ok(4)]])).toEqual([['a', '1', '3'], ['b', '4', '4']]);
  });

  it('counts the accounts a key opened with its transfers', () => {
    const accounts = (submittedBy: string | null): SubmittedCommand => ({ kind: 'accounts', submittedBy });
    expect(submitters([accounts('a'), transfers('a'), accounts(null), accounts('b')], [[ok(1), ok(2)], [ok(3)], [ok(4)], [ok(5)]])).toEqual([['a', '1', '3'], ['b', '5', '5']]);
  });

  it('never stretches a key\'s run over transfers made inside the process', () => {
    expect(submitters([transfers('a'), transfers(null), transfers('a')], [[ok(1)], [ok(2)], [ok(3)]])).toEqual([['a', '1', '1'], ['a', '3', '3']]);
  });

  it('leaves out replays and refusals, and requests that stored nothing', () => {
    expect(submitters([transfers('a'), transfers('b'), transfers('a')], [[ok(1), failed(2)], [failed(3), ok(4, true)], [ok(5)]])).toEqual([['a', '1', '5']]);
    expect(submitters([transfers(null), { kind: 'close' }], [[ok(1)], 'ok'])).toEqual([]);
  });
});
