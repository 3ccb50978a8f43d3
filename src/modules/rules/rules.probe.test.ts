import { afterAll, describe, expect, it } from 'vitest';
import { createRuleProbe, type RuleProbe } from './rules.probe.ts';
import { RULES_LIMITS } from './rules.limits.ts';

/**
 * The worst-case probe, in a real worker thread. Rules that loop or explode pass every static limit
 * here (two levels of macros, few nodes) and are caught only by running them on worst-case inputs.
 */
const device = 'event.device';
/** 257 × 257 iterations, each splitting four 256-character strings: seconds of work. */
const LOOPING = `${device}.split("").all(a, ${device}.split("").all(b, ${device}.split("").size() + event.ip.split("").size() + event.channel.split("").size() + event.currency.split("").size() > 0))`;
/** 257 × 257 iterations of building a string: some milliseconds, far over a rule's limit. */
const SLOW = `${device}.split("").map(a, ${device}.split("").map(b, ${device} + a + b)).size() > 0`;
/** 66,049 strings of about 2 KB kept in one list: more than the probe's heap. */
const EXPLODING = `${device}.split("").map(a, ${device}.split("").map(b, (${Array.from({ length: 8 }, () => device).join(' + ')} + a + b).upperAscii())).size() > 0`;

describe('worst-case probe', () => {
  const probes: RuleProbe[] = [];
  // Starting a worker costs a second or two; the tests that do not kill theirs share one.
  let shared: RuleProbe | undefined;
  const sharedProbe = () => (shared ??= probeWith({}));
  const probeWith = (options: Parameters<typeof createRuleProbe>[0]) => {
    const probe = createRuleProbe(options);
    probes.push(probe);
    return probe;
  };
  afterAll(async () => {
    await Promise.all(probes.map((probe) => probe.stop()));
  });

  it('accepts an ordinary rule and a catastrophic-looking pattern, which RE2 runs in linear time', async () => {
    const probe = sharedProbe();
    const ordinary = await probe.probe('event.amount > 100000 && event.currency in ["USD", "EUR"] && features.count_1h > 3');
    expect(ordinary).toMatchObject({ ok: true });
    expect(await probe.probe('event.device.matches("(a+)+$") || event.ip.matches("^(a|a?)+$")')).toMatchObject({ ok: true });
  });

  it('terminates a rule that loops past the hard timeout, without blocking the process meanwhile', async () => {
    const probe = probeWith({ timeoutMs: 1500 });
    // Warm the worker first, so the test measures the rule and not the start-up.
    expect(await probe.probe('true')).toMatchObject({ ok: true });
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 20);
    const verdict = await probe.probe(LOOPING);
    clearInterval(ticker);
    expect(verdict).toMatchObject({ ok: false, code: 'rule_timed_out' });
    // The main thread kept serving its timers while the worker spun.
    expect(ticks).toBeGreaterThan(5);
    // A new worker serves the next rule.
    expect(await probe.probe('event.amount > 1')).toMatchObject({ ok: true });
  });

  it('refuses a rule whose fastest run on a worst-case input is over the limit', async () => {
    const verdict = await sharedProbe().probe(SLOW);
    expect(verdict).toMatchObject({ ok: false, code: 'rule_too_slow' });
    expect(!verdict.ok && verdict.detail).toContain(`at most ${RULES_LIMITS.probeEvaluationMaxMs} ms`);
  });

  it('refuses a rule that builds more than the worker heap', async () => {
    const verdict = await probeWith({ timeoutMs: 30_000 }).probe(EXPLODING);
    expect(verdict).toMatchObject({ ok: false, code: 'rule_too_large' });
  });

  it('remembers verdicts, and turns probes away when too many wait', async () => {
    const probe = sharedProbe();
    const expressions = Array.from({ length: RULES_LIMITS.probeQueueMax + 8 }, (_, index) => `event.amount > ${index}`);
    const verdicts = await Promise.all(expressions.map((expression) => probe.probe(expression)));
    const busy = verdicts.filter((verdict) => !verdict.ok && verdict.code === 'probe_busy').length;
    expect(busy).toBeGreaterThan(0);
    expect(verdicts.filter((verdict) => verdict.ok).length).toBe(expressions.length - busy);
    const first = verdicts[0];
    expect(await probe.probe(expressions[0] as string)).toBe(first);
  });
});
