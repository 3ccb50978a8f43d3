import { afterAll, beforeAll, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, seed, startApi, type Api } from '../../../test/http/harness.ts';

/**
 * Refusals of the FX routes point at the field at fault. They used to name fields of another request
 * (/buy_currency for a pair set through the path), the sell currency when the buy currency was the
 * unknown one, and the whole /rates array when one rate of a batch was wrong.
 */
describeEachDialect('FX refusals name the field at fault', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
    await seed(api); // ledgers in CNY and HKD
  });
  afterAll(async () => api?.close());

  it('points into the path when a pair is set through PUT /fx/rates/{base}/{quote}', async () => {
    expectProblem(await api.call('PUT', '/v1/fx/rates/CNY/CNY', { mid: '1' }), 422, 'same_currency', '/params/quote');
    expectProblem(await api.call('PUT', '/v1/fx/rates/EUR/CNY', { mid: '7.8' }), 422, 'unsupported_currency', '/params/base');
    expectProblem(await api.call('PUT', '/v1/fx/rates/CNY/EUR', { mid: '0.13' }), 422, 'unsupported_currency', '/params/quote');
    expectProblem(await api.call('PUT', '/v1/fx/rates/CNY/HKD', { mid: '0' }), 422, 'invalid_rate', '/mid');
  });

  it('points at the rate and field of a batch that broke the rule', async () => {
    const good = { base: 'CNY', quote: 'HKD', mid: '1.09' };
    expectProblem(await api.call('POST', '/v1/fx/rates', { rates: [good, { base: 'HKD', quote: 'HKD', mid: '1' }] }), 422, 'same_currency', '/rates/1/quote');
    expectProblem(await api.call('POST', '/v1/fx/rates', { rates: [good, good, { base: 'HKD', quote: 'EUR', mid: '1' }] }), 422, 'unsupported_currency', '/rates/2/quote');
    expectProblem(await api.call('POST', '/v1/fx/rates', { rates: [{ base: 'EUR', quote: 'CNY', mid: '1' }] }), 422, 'unsupported_currency', '/rates/0/base');
    expectProblem(await api.call('POST', '/v1/fx/rates', { rates: [good, { base: 'HKD', quote: 'CNY', mid: '0.0' }] }), 422, 'invalid_rate', '/rates/1/mid');
  });

  it('refuses a quote that would buy more than an amount can hold as amount_out_of_range, not a 500', async () => {
    await api.ok('PUT', '/v1/fx/rates/CNY/HKD', { mid: '1.09' });
    expectProblem(await api.call('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'HKD', sell_amount: '9223372036854775807' }), 422, 'amount_out_of_range', '/sell_amount');
    await api.ok('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'HKD', sell_amount: '8000000000000000000' }, 201);
  });

  it('names the buy currency of a quote when that is the one without a ledger', async () => {
    expectProblem(await api.call('POST', '/v1/fx/quotes', { sell_currency: 'CNY', buy_currency: 'EUR', sell_amount: '100' }), 422, 'unsupported_currency', '/buy_currency');
    expectProblem(await api.call('POST', '/v1/fx/quotes', { sell_currency: 'EUR', buy_currency: 'CNY', sell_amount: '100' }), 422, 'unsupported_currency', '/sell_currency');
  });
});
