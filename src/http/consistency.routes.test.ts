/**
 * GET /v1/journal/consistency over HTTP, checked by POST /v1/journal/proofs/verify and offline by
 * `sluice verify --consistency`, which needs no database.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/databases.ts';
import { expectProblem, startSeededApi, uuid, type Api, type Fixture } from '../../test/http/harness.ts';

describeEachDialect('journal consistency over HTTP', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let kept: { treeSize: number; root: string };
  let later: { treeSize: number };
  beforeAll(async () => {
    ({ api, fixture } = await startSeededApi(open));
    kept = await api.ok('POST', '/v1/journal/checkpoints', undefined, 201);
    for (const amount of ['1', '2', '3']) await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount, ledger: 1, code: 1 }, 201);
    later = await api.ok('POST', '/v1/journal/checkpoints', undefined, 201);
  });
  afterAll(async () => api?.close());

  it('serves a consistency file from a kept checkpoint to the latest, which the verify route accepts', async () => {
    const file = await api.ok('GET', `/v1/journal/consistency?from=${kept.treeSize}`);
    expect(file).toMatchObject({ format: 'sluice-consistency/v1', from: { treeSize: kept.treeSize, root: kept.root }, to: { treeSize: later.treeSize } });
    expect(await api.ok('POST', '/v1/journal/proofs/verify', { proof: file })).toMatchObject({ ok: true, problems: [] });
    const forged = { ...file, proof: file.proof.map(() => '0'.repeat(64)) };
    expect(await api.ok('POST', '/v1/journal/proofs/verify', { proof: forged })).toMatchObject({ ok: false });
    expect(await api.ok('GET', `/v1/journal/consistency?from=${kept.treeSize}&to=${later.treeSize}`)).toEqual(file);
  });

  it('names the parameter that is wrong', async () => {
    expectProblem(await api.call('GET', `/v1/journal/consistency?from=${kept.treeSize + 1}`), 404, 'checkpoint_not_found', '/query/from');
    expectProblem(await api.call('GET', `/v1/journal/consistency?from=${kept.treeSize}&to=${later.treeSize + 1}`), 404, 'checkpoint_not_found', '/query/to');
    expectProblem(await api.call('GET', `/v1/journal/consistency?from=${later.treeSize}&to=${kept.treeSize}`), 400, 'checkpoint_range_reversed', '/query/to');
    expectProblem(await api.call('GET', '/v1/journal/consistency?from=0'), 400, 'validation_failed', '/query/from');
    expectProblem(await api.call('GET', '/v1/journal/consistency'), 400, 'validation_failed', '/query/from');
  });

  it('is checked offline by sluice verify --consistency, against the checkpoint kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-consistency-'));
    try {
      const write = (name: string, value: unknown) => (writeFileSync(join(dir, name), JSON.stringify(value)), join(dir, name));
      const file = await api.ok('GET', `/v1/journal/consistency?from=${kept.treeSize}`);
      const paths = {
        file: write('consistency.json', file), keys: write('keys.json', await api.ok('GET', '/v1/journal/keys')), kept: write('kept.json', kept),
        other: write('other.json', { ...kept, root: 'f'.repeat(64) }),
      };
      const sluice = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify', ...args], { encoding: 'utf8', timeout: 60_000 });
      const passed = sluice('--consistency', paths.file, '--keys', paths.keys, '--checkpoint', paths.kept);
      expect(passed.status, passed.stderr).toBe(0);
      expect(passed.stdout).toContain(`OK: checkpoint ${later.treeSize} of`);
      const failed = sluice('--consistency', paths.file, '--keys', paths.keys, '--checkpoint', paths.other);
      expect(failed.status).toBe(1);
      expect(failed.stdout).toContain('the from checkpoint is not the kept checkpoint');
      expect(sluice('--consistency', paths.file).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
