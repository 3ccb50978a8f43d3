import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem } from '../../../test/http/harness.ts';
import { startRiskApi, type RiskApi } from '../../flows/risk-gate.test-support.ts';
import { byAmount, recordingFeatures, type RecordingFeatures } from './risk.test-support.ts';

describeEachDialect('stand-alone decisions over HTTP', ({ open }) => {
  let api: RiskApi;
  let features: RecordingFeatures;
  beforeAll(async () => {
    features = recordingFeatures({ account_out_count_1h: 4 });
    api = await startRiskApi(open, { features });
    api.rules.script = byAmount(1_000n, 10_000n);
  });
  afterAll(async () => api?.close());

  const event = (amount: string, extra: Record<string, unknown> = {}) => ({
    amount, currency: 'CNY', debit_account_id: 'ext-payer-1', credit_account_id: 'ext-payee-9', debit_country: 'CN', ip: '203.0.113.7', device_id: 'dev-1', channel: 'mobile', ...extra,
  });

  it('decides an event described in JSON, explains it, and books and records nothing unless asked', async () => {
    const head = await api.platform.journal.head();
    const decision = await api.ok('POST', '/v1/risk/decisions', event('2500', { debit_name: 'Wang Wei', code: 12 }), 201);
    expect(decision).toMatchObject({
      outcome: 'review', source: 'api', score: 60, reasons: ['Force review: scripted review'], ruleset: { id: 'test', version: 1 }, fail_mode: null,
      event: { amount: '2500', currency: 'CNY', debit_account_id: 'ext-payer-1', ip: '203.0.113.7', channel: 'mobile', code: 12, debit_name: 'Wang Wei', credit_party_id: null },
      variables: { event: { amount: '2500', code: 12, device: 'dev-1', credit_country: '' }, features: { account_out_count_1h: 4 }, lists: { blocked: false, allowed: false, hits: [] } },
    });
    expect(await api.platform.journal.head()).toEqual(head);
    expect(features.recorded).toEqual([]);
    const recorded = await api.ok('POST', '/v1/risk/decisions', event('10', { record: true }), 201);
    expect(features.recorded.map((item) => item.id)).toEqual([recorded.event_id]);
    expect(await api.ok('GET', `/v1/risk/decisions/${decision.id}`)).toEqual(decision);
  });

  it('serves the decision feed filtered by outcome and time, page by page', async () => {
    api.clock.advance(60_000);
    const since = new Date(api.clock.nowMs()).toISOString();
    const made = [];
    for (const amount of ['20000', '5', '30000', '40000', '7']) made.push(await api.ok('POST', '/v1/risk/decisions', event(amount), 201));
    const first = await api.ok('GET', `/v1/risk/decisions?outcome=decline&since=${encodeURIComponent(since)}&limit=2`);
    expect(first.data.map((item: { event: { amount: string } }) => item.event.amount)).toEqual(['20000', '30000']);
    expect(first.data[0].variables).toBeUndefined();
    const second = await api.ok('GET', `/v1/risk/decisions?outcome=decline&since=${encodeURIComponent(since)}&limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((item: { event: { amount: string } }) => item.event.amount)).toEqual(['40000']);
    expect(second.next_cursor).toBeNull();
    const newest = await api.ok('GET', `/v1/risk/decisions?since=${api.clock.nowMs()}&order=desc&limit=1`);
    expect(newest.data[0].id).toBe(made[4].id);
  });

  it('answers bad input with a problem naming the field, and refuses participant keys', async () => {
    expectProblem(await api.call('POST', '/v1/risk/decisions', { ...event('1'), amount: 12 }), 400, 'validation_failed', '/amount');
    expectProblem(await api.call('POST', '/v1/risk/decisions', { ...event('1'), currency: 'cny' }), 400, 'validation_failed', '/currency');
    expectProblem(await api.call('POST', '/v1/risk/decisions', { ...event('1'), debit_country: 'China' }), 400, 'validation_failed', '/debit_country');
    expectProblem(await api.call('POST', '/v1/risk/decisions', { ...event('1'), surprise: true }), 400, 'validation_failed', '/surprise');
    expectProblem(await api.call('POST', '/v1/risk/decisions', { ...event('99999999999999999999') }), 400, 'validation_failed', '/amount');
    expectProblem(await api.call('GET', '/v1/risk/decisions?since=yesterday'), 400, 'invalid_instant', '/query/since');
    expectProblem(await api.call('GET', '/v1/risk/decisions?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor', '/query/cursor');
    expectProblem(await api.call('GET', '/v1/risk/holds?status=maybe'), 400, 'validation_failed', '/query/status');
    await api.ok('POST', '/v1/parties', { id: 'party-p', name: 'P', kind: 'bank', jurisdiction: 'CN' }, 201);
    const participant = await api.ok('POST', '/v1/api-keys', { name: 'p', role: 'participant', party_ids: ['party-p'] }, 201);
    expectProblem(await api.call('POST', '/v1/risk/decisions', event('1'), { key: participant.key }), 403, 'forbidden');
    expectProblem(await api.call('GET', '/v1/risk/holds', undefined, { key: participant.key }), 403, 'forbidden');
  });

  it('takes a release or a rejection with or without a note', async () => {
    expectProblem(await api.call('POST', '/v1/risk/holds/no-such-hold/release'), 404, 'hold_not_found');
    expectProblem(await api.call('POST', '/v1/risk/holds/no-such-hold/reject', { note: 'x'.repeat(501) }), 400, 'validation_failed', '/note');
  });
});
