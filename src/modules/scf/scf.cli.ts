import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { apiTarget, callApi, printAnswer, printPage, withQuery } from '../../http/api-client.ts';

/**
 * `sluice scf …`: the voucher lifecycle from the command line, through a running server's HTTP API,
 * so that it is authorised, validated and group-committed exactly like any other client's request.
 * Every operation takes --id (its idempotency key); without one a fresh UUID is used and printed
 * with the answer, so a retry can reuse it.
 */
export const SCF_HELP = `Usage: sluice scf <resource> <action> [ID] [options]   (server at SLUICE_URL, key in SLUICE_API_KEY)

  programs create --id ID --name TEXT --core PARTY --banks P,P --suppliers P,P --ledger N --credit-limit MINOR
                  [--max-term-days N] [--min-split MINOR] [--max-depth N] [--basis 360|365]
  programs add-suppliers PROGRAM --suppliers P,P
  programs get|overview PROGRAM
  programs vouchers PROGRAM [--limit N] [--cursor C]
  vouchers issue --program ID --as CORE --supplier PARTY --amount MINOR --maturity YYYY-MM-DD
                 --contract-hash HEX --invoices HEX,HEX [--id UUID]
  vouchers get VOUCHER
  vouchers operations VOUCHER [--limit N] [--cursor C]
  vouchers cancel|settle VOUCHER --as CORE [--id UUID]
  pieces get PIECE
  pieces sign-off|decline|repurchase PIECE --as PARTY [--id UUID]
  pieces split PIECE --as PARTY --amounts MINOR,MINOR[,…] [--id UUID]
  pieces transfer PIECE --as PARTY --to PARTY [--id UUID]
  pieces finance PIECE --as PARTY --bank PARTY --rate BPS [--id UUID]
  pieces freeze PIECE --reason TEXT [--id UUID]
  pieces unfreeze PIECE [--reason TEXT] [--id UUID]
  parties pieces PARTY [--limit N] [--cursor C]

  --limit N    items per page of a list (1 to 100, 20 by default)
  --cursor C   the page after the one that printed "next page: --cursor C" (on standard error)
  --url URL    server address (SLUICE_URL, default http://127.0.0.1:8080)
  --key KEY    API key (SLUICE_API_KEY)`;

const OPTIONS = [
  'url', 'key', 'id', 'name', 'core', 'banks', 'suppliers', 'ledger', 'credit-limit', 'max-term-days', 'min-split', 'max-depth', 'basis',
  'program', 'as', 'supplier', 'amount', 'maturity', 'contract-hash', 'invoices', 'amounts', 'to', 'bank', 'rate', 'reason', 'limit', 'cursor',
] as const;

type Values = Partial<Record<(typeof OPTIONS)[number], string>>;
interface Request {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** A list: its answer is one page, with the cursor of the next one. */
  readonly paged?: true;
}

const list = (text: string | undefined) => (text === undefined ? undefined : text.split(',').map((item) => item.trim()).filter((item) => item.length > 0));
const int = (text: string | undefined) => (text === undefined ? undefined : Number(text));

/** A list's path with the page asked for: the API's own `limit` and `cursor` query parameters. */
function listRequest(path: string, values: Values): Request {
  return { method: 'GET', path: withQuery(path, { limit: values.limit, cursor: values.cursor }), paged: true };
}

/** Maps a command line to one API request, or undefined when the command is unknown. */
export function scfRequest(resource: string, action: string, target: string, values: Values): Request | undefined {
  const id = values.id ?? randomUUID();
  const acting = { id, acting_party_id: values.as };
  const piece = `/v1/scf/pieces/${encodeURIComponent(target)}`;
  switch (`${resource} ${action}`) {
    case 'programs create':
      return {
        method: 'POST', path: '/v1/scf/programs',
        body: {
          id: values.id, name: values.name, core_enterprise_id: values.core, funding_bank_ids: list(values.banks) ?? [], supplier_ids: list(values.suppliers) ?? [],
          ledger: int(values.ledger), credit_limit: values['credit-limit'], max_term_days: int(values['max-term-days']), min_split_amount: values['min-split'],
          max_split_depth: int(values['max-depth']), day_count_basis: int(values.basis),
        },
      };
    case 'programs add-suppliers':
      return { method: 'POST', path: `/v1/scf/programs/${encodeURIComponent(target)}/suppliers`, body: { supplier_ids: list(values.suppliers) ?? [] } };
    case 'programs get':
      return { method: 'GET', path: `/v1/scf/programs/${encodeURIComponent(target)}` };
    case 'programs overview':
      return { method: 'GET', path: `/v1/scf/programs/${encodeURIComponent(target)}/overview` };
    case 'programs vouchers':
      return listRequest(`/v1/scf/programs/${encodeURIComponent(target)}/vouchers`, values);
    case 'vouchers issue':
      return {
        method: 'POST', path: '/v1/scf/vouchers',
        body: {
          id, program_id: values.program, acting_party_id: values.as, supplier_id: values.supplier, face_amount: values.amount,
          maturity_date: values.maturity, contract_hash: values['contract-hash'], invoice_hashes: list(values.invoices) ?? [],
        },
      };
    case 'vouchers get':
      return { method: 'GET', path: `/v1/scf/vouchers/${encodeURIComponent(target)}` };
    case 'vouchers operations':
      return listRequest(`/v1/scf/vouchers/${encodeURIComponent(target)}/operations`, values);
    case 'vouchers cancel':
    case 'vouchers settle':
      return { method: 'POST', path: `/v1/scf/vouchers/${encodeURIComponent(target)}/${action}`, body: acting };
    case 'pieces get':
      return { method: 'GET', path: piece };
    case 'pieces sign-off':
    case 'pieces decline':
    case 'pieces repurchase':
      return { method: 'POST', path: `${piece}/${action}`, body: acting };
    case 'pieces split':
      return { method: 'POST', path: `${piece}/split`, body: { ...acting, amounts: list(values.amounts) ?? [] } };
    case 'pieces transfer':
      return { method: 'POST', path: `${piece}/transfer`, body: { ...acting, to_party_id: values.to } };
    case 'pieces finance':
      return { method: 'POST', path: `${piece}/finance`, body: { ...acting, bank_id: values.bank, annual_rate_bps: int(values.rate) } };
    case 'pieces freeze':
    case 'pieces unfreeze':
      return { method: 'POST', path: `${piece}/${action}`, body: { id, reason: values.reason } };
    case 'parties pieces':
      return listRequest(`/v1/scf/parties/${encodeURIComponent(target)}/pieces`, values);
  }
  return undefined;
}

/** What the ID of each resource's commands names, in the usage's words; creating and issuing take none. */
const TARGET_OF: Readonly<Record<string, string>> = { programs: 'a PROGRAM id', vouchers: 'a VOUCHER id', pieces: 'a PIECE id', parties: 'a PARTY id' };
const WITHOUT_TARGET = new Set(['programs create', 'vouchers issue']);

/** The options each command cannot do without, as the usage lists them. */
const REQUIRED: Readonly<Record<string, readonly (keyof Values)[]>> = {
  'programs create': ['id', 'name', 'core', 'banks', 'ledger', 'credit-limit'],
  'programs add-suppliers': ['suppliers'],
  'vouchers issue': ['program', 'as', 'supplier', 'amount', 'maturity', 'contract-hash', 'invoices'],
  'vouchers cancel': ['as'],
  'vouchers settle': ['as'],
  'pieces sign-off': ['as'],
  'pieces decline': ['as'],
  'pieces repurchase': ['as'],
  'pieces split': ['as', 'amounts'],
  'pieces transfer': ['as', 'to'],
  'pieces finance': ['as', 'bank', 'rate'],
  'pieces freeze': ['reason'],
};
/** Options sent as JSON numbers: anything but digits would reach the server as null or as another number. */
const INTEGER_OPTIONS = ['ledger', 'max-term-days', 'max-depth', 'basis', 'rate', 'limit'] as const;

/** Why the options cannot make a request (a missing option, a number that is not one), or undefined. */
function optionProblem(command: string, values: Values): string | undefined {
  const missing = (REQUIRED[command] ?? []).filter((name) => !values[name]?.trim());
  if (missing.length > 0) {
    const names = missing.map((name) => `--${name}`);
    return `scf ${command} needs ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`}`;
  }
  const notNumber = INTEGER_OPTIONS.find((name) => values[name] !== undefined && !/^[0-9]{1,15}$/.test(values[name] as string));
  return notNumber && `--${notNumber} must be a whole number, not "${values[notNumber]}"`;
}

/** Runs `sluice scf …`; prints the answer (problems on stderr) and returns the exit code. */
export async function scfCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: Object.fromEntries(OPTIONS.map((name) => [name, { type: 'string' as const }])),
  });
  const [resource = '', action = '', target = ''] = positionals;
  const request = scfRequest(resource, action, target, values as Values);
  if (!request) {
    process.stderr.write(`sluice: unknown scf command "${`${resource} ${action}`.trim()}"\n\n${SCF_HELP}\n`);
    return 2;
  }
  // Without its ID a command would ask for the collection or a path the server does not serve;
  // a forgotten argument is the operator's to fix, said before the server is asked.
  if (!target && !WITHOUT_TARGET.has(`${resource} ${action}`)) {
    process.stderr.write(`sluice: scf ${resource} ${action} needs ${TARGET_OF[resource] ?? 'an ID'}\n\n${SCF_HELP}\n`);
    return 2;
  }
  // A forgotten option, or an empty or mistyped number (which would be sent as 0 or null), is said
  // here too: `--rate ""` must not finance at 0 %.
  const problem = optionProblem(`${resource} ${action}`, values as Values);
  if (problem) {
    process.stderr.write(`sluice: ${problem}\n\n${SCF_HELP}\n`);
    return 2;
  }
  const server = apiTarget(values as { url?: string; key?: string });
  if (!server) return 2;
  const answer = await callApi(server, request.method, request.path, request.body ? { json: request.body } : undefined);
  return request.paged ? printPage(answer) : printAnswer(answer);
}
