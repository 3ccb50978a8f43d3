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

  it('names a missing argument before asking for a key, and asks for the key when the arguments are there', async () => {
    vi.stubEnv('SLUICE_API_KEY', '');
    let printed = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true));
    try {
      expect(await paymentsCommand('payments', ['export', '--url', url])).toBe(2);
      expect(printed).toMatch(/^sluice: payments export needs --uetr\n/);
      printed = '';
      expect(await paymentsCommand('statement', ['--url', url])).toBe(2);
      expect(printed).toMatch(/^sluice: statement needs --account and --date\n/);
      printed = '';
      expect(await paymentsCommand('payments', ['track', crypto.randomUUID(), '--url', url])).toBe(2);
      expect(printed).toBe('sluice: set SLUICE_API_KEY or pass --key\n');
    } finally {
      err.mockRestore();
      vi.unstubAllEnvs();
    }
  });

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

  it('names the line of a rates file at fault, whether the file or the desk refuses it, and sets no rate', async () => {
    const before = await api.ok('GET', '/v1/fx/rates');
    const file = (name: string, text: string) => {
      const path = join(scratch, name);
      writeFileSync(path, text);
      return path;
    };
    const malformed = file('malformed.csv', 'base,quote,mid,spread_bps\nUSD,CNY,7.12,25\nUSD,JPY;151\n');
    expect(await run('rates', malformed)).toEqual({ code: 2, printed: `sluice: ${malformed} line 3: expected base,quote,mid[,spread_bps], found 2 fields\n` });
    const badMid = file('mid.csv', 'USD,CNY,7.12,25\nUSD,JPY,1.5e2,20\n');
    expect(await run('rates', badMid)).toEqual({ code: 2, printed: `sluice: ${badMid} line 2: mid "1.5e2" is not a positive decimal rate\n` });
    // Only the desk knows which currencies it trades: its refusal of the second rate names line 3.
    const unknown = file('unknown.csv', '# desk\nUSD,CNY,7.12,25\nUSD,XAU,0.0004,10\n');
    expect(await run('rates', unknown)).toEqual({ code: 1, printed: `sluice: ${unknown} line 3: quote unsupported currency (unsupported_currency)\n` });
    expect(await api.ok('GET', '/v1/fx/rates')).toEqual(before);
  });
});
