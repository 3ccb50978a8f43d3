/**
 * `sluice payments …` against a running server: what reaches the server and the exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDialects } from '../../../test/support/databases.ts';
import { startApi, type Api } from '../../../test/http/harness.ts';
import { paymentsCommand } from './payments.cli.ts';
import { pain001, setUpNetwork, type Network } from './payments.http.test-support.ts';

describe('sluice payments (command line)', () => {
  let api: Api;
  let network: Network;
  let url: string;
  let scratch: string;
  beforeAll(async () => {
    api = await startApi(testDialects()[0]!.open);
    network = await setUpNetwork(api);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    scratch = mkdtempSync(join(tmpdir(), 'sluice-cli-payments-'));
  });
  afterAll(async () => {
    await api?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs one command against the server and returns its exit code and what it printed. */
  async function run(...args: string[]): Promise<{ code: number; printed: string }> {
    let printed = '';
    const capture = (chunk: string | Uint8Array) => ((printed += String(chunk)), true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      return { code: await paymentsCommand('payments', [...args, '--url', url, '--key', api.adminKey]), printed };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('sends an import file as its bytes, so a file that is not UTF-8 is refused and books nothing', async () => {
    const from = await network.customer(network.banks.cn, 'CNY', 100_000n, 'CNCLILATIN01');
    const to = await network.customer(network.banks.cn, 'CNY', 0n, 'CNCLILATIN02');
    const file = join(scratch, 'latin1.xml');
    writeFileSync(file, Buffer.from(pain001({
      messageId: 'CLI-LATIN-1', debtorAccount: from.identifier, debtorAgent: network.banks.cn, debtorName: 'Café Zürich',
      transactions: [{ endToEndId: 'CLI-LATIN-1-A', amount: '10.00', currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: to.identifier, creditorName: 'Société Générale' }],
    }), 'latin1'));
    const answer = await run('import', file);
    expect(answer.code).toBe(1);
    expect(JSON.parse(answer.printed)).toMatchObject({ status: 400, code: 'xml_malformed' });
    expect(await network.balance(to.id)).toBe(0n);
  });
});
