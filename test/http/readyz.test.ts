/**
 * /readyz against the in-process queues that refuse new work once full: a process whose ledger
 * engine, supply-chain finance engine, payments writer, risk decision log or FX quote writer turns
 * requests away must not report ready,
 * and must name the queue that is full.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { LIMITS } from '../../src/kernel/index.ts';
import { FX_LIMITS } from '../../src/modules/fx/index.ts';
import { PAYMENT_LIMITS } from '../../src/modules/payments/index.ts';
import { RISK_LIMITS } from '../../src/modules/risk/index.ts';
import { SCF_LIMITS } from '../../src/modules/scf/index.ts';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, startApi, type Api } from './harness.ts';

describeEachDialect('/readyz and full queues', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await api.close();
  });

  const fill = {
    ledger: (queued: number) => vi.spyOn(api.platform.ledger, 'queuedItems').mockReturnValue(queued),
    scf: (queued: number) => vi.spyOn(api.platform.scf, 'queuedOperations').mockReturnValue(queued),
    payments: (queued: number) => {
      const stats = api.platform.payments.stats();
      return vi.spyOn(api.platform.payments, 'stats').mockReturnValue({ ...stats, writerQueued: queued });
    },
    risk: (queued: number) => {
      const stats = api.platform.risk.stats();
      return vi.spyOn(api.platform.risk, 'stats').mockReturnValue({ ...stats, logQueued: queued });
    },
    fx: (queued: number) => vi.spyOn(api.platform.fx, 'queuedQuotes').mockReturnValue(queued),
  };
  const limits = { ledger: LIMITS.engineQueueMaxItems, scf: SCF_LIMITS.queueMaxOperations, payments: PAYMENT_LIMITS.writerQueueMax, risk: RISK_LIMITS.logQueueHardMax, fx: FX_LIMITS.writerQueueMax };
  const labels = { ledger: 'ledger engine', scf: 'supply-chain finance engine', payments: 'payments writer', risk: 'risk decision log', fx: 'FX quote writer' };

  for (const name of ['ledger', 'scf', 'payments', 'risk', 'fx'] as const) {
    it(`answers 503 naming the ${name} queue while it is full, and 200 once it has room`, async () => {
      const stub = fill[name](limits[name] - 1);
      const roomy = await api.ok('GET', '/readyz', undefined, 200, { key: null });
      expect(roomy).toMatchObject({ status: 'ready', queues: { [name]: limits[name] - 1 } });

      stub.mockRestore();
      const full = fill[name](limits[name]);
      const problem = expectProblem(await api.call('GET', '/readyz', undefined, { key: null }), 503, 'not_ready');
      expect(problem.full_queues).toEqual([name]);
      expect(problem.detail).toBe(`the ${labels[name]} queue (${name}) is full (${limits[name]} waiting, limit ${limits[name]})`);

      full.mockRestore();
      expect(await api.ok('GET', '/readyz', undefined, 200, { key: null })).toMatchObject({ status: 'ready', queues: { ledger: 0, scf: 0, payments: 0, risk: 0, fx: 0 } });
    });
  }

  it('names every full queue at once', async () => {
    const stubs = [fill.scf(limits.scf + 5), fill.payments(limits.payments)];
    const problem = expectProblem(await api.call('GET', '/readyz', undefined, { key: null }), 503, 'not_ready');
    expect(problem.full_queues).toEqual(['scf', 'payments']);
    for (const stub of stubs) stub.mockRestore();
    expect((await api.call('GET', '/readyz', undefined, { key: null })).statusCode).toBe(200);
  });
});
