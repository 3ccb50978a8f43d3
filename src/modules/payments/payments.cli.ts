import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseRatesText } from '../fx/index.ts';
import { apiTarget, callApi, printAnswer, type ApiAnswer } from '../../http/api-client.ts';

/**
 * `sluice payments …` and `sluice statement …`: commands that talk to a running server over its
 * HTTP API (SLUICE_URL, key in SLUICE_API_KEY), so they respect its authorisation and its single
 * writer, whatever database it runs on.
 */
export const PAYMENTS_HELP = `Usage: sluice payments <action> [options]     (server at SLUICE_URL, key in SLUICE_API_KEY)

  payments pay --from ACCOUNT --to ACCOUNT --amount MINOR --currency CCY [--id UUID] [--e2e ID]
               [--charge-bearer DEBT|CRED|SHAR] [--purpose CODE] [--remittance TEXT] [--quote ID] [--hold]
                                                 submit a payment order (retry with the same --id to book it once)
  payments quote --sell CCY --buy CCY --amount MINOR
                                                 a firm FX quote for --quote
  payments import FILE.xml                       import a pain.001 or pacs.008; the same file twice books once
  payments export --uetr UETR [--kind pacs.008|pacs.002|pacs.004] [--out FILE]
                                                 the payment's ISO 20022 message (header and document)
  payments get UETR                              a payment with its status
  payments track UETR                            every hop and status change of a payment
  payments rates FILE                            load FX rates (CSV base,quote,mid,spread_bps or JSON)
  statement --account ID --date YYYY-MM-DD [--format xml|json] [--out FILE]
                                                 a day's statement of an account (camt.053)

  --url URL    server address (SLUICE_URL, default http://127.0.0.1:8080)
  --key KEY    API key (SLUICE_API_KEY)`;

async function emit(response: ApiAnswer, out: string | undefined): Promise<number> {
  if (!response.ok || !out) return printAnswer(response);
  await writeFile(out, response.text);
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}

const STRING_NAMES = [
  'url', 'key', 'uetr', 'kind', 'out', 'account', 'date', 'format', 'from', 'to', 'amount', 'currency', 'id', 'e2e', 'charge-bearer', 'purpose', 'remittance', 'quote', 'sell', 'buy',
] as const;
const STRING_OPTIONS = Object.fromEntries(STRING_NAMES.map((name) => [name, { type: 'string' }])) as Record<(typeof STRING_NAMES)[number], { type: 'string' }>;

export async function paymentsCommand(command: 'payments' | 'statement', args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { ...STRING_OPTIONS, hold: { type: 'boolean' } },
  });
  // The server and key are looked up only once a request is to be sent, so that a command missing
  // its arguments says so first, as `sluice scf` does, rather than asking for a key.
  const request = (method: string, path: string, body?: { type: string; text: string | Uint8Array }) => {
    const server = apiTarget(values);
    if (!server) throw new NoApiTarget();
    return callApi(server, method, path, body);
  };
  try {
    return await run(command, positionals, values, request);
  } catch (error) {
    if (error instanceof NoApiTarget) return 2;
    throw error;
  }
}

/** No key to send a request with: apiTarget has said so on stderr. */
class NoApiTarget extends Error {}

type Values = Partial<Record<(typeof STRING_NAMES)[number], string>> & { readonly hold?: boolean };
type Send = (method: string, path: string, body?: { type: string; text: string | Uint8Array }) => Promise<ApiAnswer>;

async function run(command: 'payments' | 'statement', positionals: readonly string[], values: Values, request: Send): Promise<number> {
  if (command === 'statement') {
    if (!values.account || !values.date) return usage('statement needs --account and --date');
    const query = new URLSearchParams({ account: values.account, date: values.date, format: values.format ?? 'xml' });
    return emit(await request('GET', `/v1/payments/statements?${query}`), values.out);
  }
  const [action, target] = positionals;
  const json = (value: unknown) => ({ type: 'application/json', text: JSON.stringify(value) });
  switch (action) {
    case 'pay': {
      if (!values.from || !values.to || !values.amount || !values.currency) return usage('payments pay needs --from, --to, --amount and --currency');
      return emit(await request('POST', '/v1/payments', json({
        id: values.id ?? crypto.randomUUID(), debtor_account: values.from, creditor_account: values.to, amount: values.amount, currency: values.currency,
        end_to_end_id: values.e2e, charge_bearer: values['charge-bearer'], purpose: values.purpose, remittance_information: values.remittance,
        quote_id: values.quote, settlement: values.hold ? 'on_acceptance' : undefined,
      })), values.out);
    }
    case 'quote':
      if (!values.sell || !values.buy || !values.amount) return usage('payments quote needs --sell, --buy and --amount');
      return emit(await request('POST', '/v1/fx/quotes', json({ sell_currency: values.sell, buy_currency: values.buy, sell_amount: values.amount })), values.out);
    case 'import': {
      if (!target) return usage('payments import needs a FILE');
      // The bytes go as they are: decoding them here would replace what is not UTF-8 and hide it from the server's check.
      return emit(await request('POST', '/v1/payments/import', { type: 'application/xml', text: await readFile(target) }), values.out);
    }
    case 'export': {
      const uetr = values.uetr ?? target;
      if (!uetr) return usage('payments export needs --uetr');
      return emit(await request('GET', `/v1/payments/${encodeURIComponent(uetr)}/messages/${encodeURIComponent(values.kind ?? 'pacs.008')}`), values.out);
    }
    case 'get':
    case 'track':
      if (!target) return usage(`payments ${action} needs a UETR`);
      return emit(await request('GET', `/v1/payments/${encodeURIComponent(target)}${action === 'track' ? '/track' : ''}`), values.out);
    case 'rates': {
      if (!target) return usage('payments rates needs a FILE');
      const parsed = parseRatesText(await readFile(target, 'utf8'));
      if (!parsed.ok) return badFile(`${target}${parsed.where ? ` ${parsed.where}` : ''}: ${parsed.reason}`, 2);
      const rates = parsed.value.map((rate) => ({ base: rate.base, quote: rate.quote, mid: rate.mid, spread_bps: rate.spreadBps }));
      const answer = await request('POST', '/v1/fx/rates', json({ rates }));
      // The desk names a refused rate by its place in the request; the operator needs its line in the file.
      const fault = answer.ok ? undefined : rateAtFault(answer.text);
      const rate = fault && parsed.value[fault.index];
      if (fault && rate) return badFile(`${target} ${rate.where}: ${fault.detail}`, 1);
      return emit(answer, values.out);
    }
  }
  return usage(`unknown action "${action ?? ''}"`);
}

/** The rate a problem answer of `POST /v1/fx/rates` points at (`/rates/3/mid`), and what is wrong with it. */
function rateAtFault(text: string): { index: number; detail: string } | undefined {
  let problem: { code?: unknown; errors?: { pointer?: unknown; detail?: unknown }[] };
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    return undefined;
  }
  const first = Array.isArray(problem.errors) ? problem.errors[0] : undefined;
  const match = typeof first?.pointer === 'string' ? /^\/rates\/(\d+)(?:\/([a-z_]+))?$/.exec(first.pointer) : null;
  if (!match) return undefined;
  return { index: Number(match[1]), detail: `${match[2] ? `${match[2]} ` : ''}${String(first?.detail ?? '')} (${String(problem.code ?? 'refused')})` };
}

/** A file the command cannot use: one line naming the file and the place in it; the help would not help. */
function badFile(problem: string, code: number): number {
  process.stderr.write(`sluice: ${problem}\n`);
  return code;
}

function usage(problem: string): number {
  process.stderr.write(`sluice: ${problem}\n\n${PAYMENTS_HELP}\n`);
  return 2;
}
