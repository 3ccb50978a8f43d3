import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../test/http/harness.ts';

/**
 * A JSON body sent with the wrong media type is a 415 that says to send JSON. With text/plain it used
 * to be read as one string and refused with "/ must be object", though the client had sent an object.
 */
describeEachDialect('media types of request bodies', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => api?.close());

  const ledger = JSON.stringify({ id: 7, asset_code: 'CNY', name: 'Renminbi' });

  it('answers 415 unsupported_media_type for JSON sent as text/plain or another non-JSON type', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await api.call('POST', '/v1/ledgers', undefined, { raw: ledger, headers: { 'content-type': type } });
      expectProblem(response, 415, 'unsupported_media_type');
    }
    expect(await api.platform.ledger.listLedgers()).toEqual([]);
    await api.ok('POST', '/v1/ledgers', JSON.parse(ledger), 201);
  });

  it('still takes watch lists as plain text where the route accepts files', async () => {
    const entity = JSON.stringify({ id: 'e1', schema: 'Person', properties: { name: ['Ivan Testov'] } });
    const response = await api.call('POST', '/v1/risk/screening/lists?name=plain&format=ftm-jsonl', undefined, { raw: `${entity}\n`, headers: { 'content-type': 'text/plain' } });
    expect(response.statusCode, response.body).toBeLessThan(300);
  });
});
