import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { apiTarget, callApi, printAnswer, printPage, withQuery } from './http/api-client.ts';
import { LIMITS } from './kernel/index.ts';

/**
 * Command-line helpers that talk to a running server over its HTTP API, so they respect its
 * authorisation and its single writer, whatever database it runs on.
 */
export const API_HELP = `Usage: sluice <resource> <action> [options]     (server at SLUICE_URL, key in SLUICE_API_KEY)

  ledgers create --id N --asset-code CNY [--scale 2] --name TEXT
  ledgers list
  parties create --id ID --name TEXT --kind individual|enterprise|bank|payment_firm --jurisdiction CN
  accounts create --ledger N --code N [--id UUID] [--flags a,b] [--party ID]
  accounts get ID
  accounts lookup ID...                       up to ${LIMITS.batchMaxItems} accounts, in the order given (ids not found left out)
  accounts balances ID [--at INSTANT]
  accounts list [--ledger N] [--party ID] [--limit N] [--cursor C]
  transfers create --debit UUID --credit UUID --amount MINOR --ledger N --code N [--id UUID] [--flags a,b] [--pending-id UUID] [--timeout S]
  transfers get ID
  transfers lookup ID...                      up to ${LIMITS.batchMaxItems} transfers, in the order given (ids not found left out)
  transfers list [--account UUID] [--code N] [--limit N] [--cursor C]
  cases report ID [--format json|md|html]     the case report for filing (JSON by default)
  rules backtest ID [--days N]                 replay the last N days of decisions through a ruleset version
  rules promote ID --stage shadow|live|retired
  lists import FILE                            add block/allow list entries from a CSV file, all or nothing

  --limit N    items per page of a list (1 to 100, 20 by default)
  --cursor C   the page after the one that printed "next page: --cursor C" (on standard error)
  --url URL    server address (SLUICE_URL, default http://127.0.0.1:8080)
  --key KEY    API key (SLUICE_API_KEY)`;

/**
 * The argument each command cannot do without, named as the usage above names it. Checked before
 * the server is asked, so a forgotten id is a usage error (exit 2) rather than a request whose
 * refusal reads as if the server had failed.
 */
const REQUIRED_ARGUMENT: Readonly<Record<string, string>> = {
  'accounts get': 'an account ID',
  'accounts lookup': 'one or more account IDs',
  'accounts balances': 'an account ID',
  'transfers get': 'a transfer ID',
  'transfers lookup': 'one or more transfer IDs',
  'cases report': 'a case ID',
  'rules backtest': 'a ruleset ID',
  'rules promote': 'a ruleset ID',
  'lists import': 'a FILE',
};

export async function apiCommand(resource: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: Object.fromEntries(
      ['url', 'key', 'id', 'asset-code', 'scale', 'name', 'kind', 'jurisdiction', 'ledger', 'code', 'flags', 'party', 'at', 'debit', 'credit', 'amount', 'pending-id', 'timeout', 'account', 'format', 'days', 'stage', 'limit', 'cursor']
        .map((name) => [name, { type: 'string' as const }]),
    ),
  });
  const [action, target] = positionals;
  const route = `${resource} ${action ?? ''}`;
  const required = REQUIRED_ARGUMENT[route];
  if (required && !target) {
    process.stderr.write(`sluice: ${route} needs ${required}\n\n${API_HELP}\n`);
    return 2;
  }
  // Sent as it is, a page size that is not a whole number would come back as the server's refusal,
  // which reads as if the server had failed.
  if (values.limit !== undefined && !(/^\d{1,6}$/.test(values.limit) && Number(values.limit) >= 1 && Number(values.limit) <= LIMITS.pageMaxItems)) {
    process.stderr.write(`sluice: --limit must be a whole number of items per page, from 1 to ${LIMITS.pageMaxItems}, not "${values.limit}"\n`);
    return 2;
  }
  const server = apiTarget(values);
  if (!server) return 2;
  const int = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const flags = values.flags ? values.flags.split(',').map((flag) => flag.trim()) : undefined;
  const request = async (method: string, path: string, body?: unknown) =>
    printAnswer(await callApi(server, method, path, body === undefined ? undefined : { json: body }));
  const page = async (path: string, parameters: Record<string, string | undefined>) =>
    printPage(await callApi(server, 'GET', withQuery(path, { ...parameters, limit: values.limit, cursor: values.cursor })));
  // Encoded, an id such as ../ledgers stays one path segment that the server refuses, instead of leading to another resource.
  const segment = encodeURIComponent(target ?? '');
  switch (route) {
    case 'ledgers create':
      return request('POST', '/v1/ledgers', { id: int(values.id), asset_code: values['asset-code'], scale: int(values.scale), name: values.name });
    case 'ledgers list':
      return request('GET', '/v1/ledgers');
    case 'parties create':
      return request('POST', '/v1/parties', { id: values.id, name: values.name, kind: values.kind, jurisdiction: values.jurisdiction });
    case 'accounts create':
      return request('POST', '/v1/accounts', { id: values.id ?? crypto.randomUUID(), ledger: int(values.ledger), code: int(values.code), flags, party_id: values.party });
    case 'accounts get':
      return request('GET', `/v1/accounts/${segment}`);
    case 'accounts lookup':
      return request('POST', '/v1/accounts/lookup', { ids: positionals.slice(1) });
    case 'accounts balances':
      return request('GET', withQuery(`/v1/accounts/${segment}/balances`, { at: values.at }));
    case 'accounts list':
      return page('/v1/accounts', { ledger: values.ledger, party_id: values.party });
    case 'transfers create':
      return request('POST', '/v1/transfers', {
        id: values.id ?? crypto.randomUUID(), debit_account_id: values.debit, credit_account_id: values.credit, amount: values.amount,
        ledger: int(values.ledger), code: int(values.code), flags, pending_id: values['pending-id'], timeout: int(values.timeout),
      });
    case 'transfers get':
      return request('GET', `/v1/transfers/${segment}`);
    case 'transfers lookup':
      return request('POST', '/v1/transfers/lookup', { ids: positionals.slice(1) });
    case 'transfers list':
      return page('/v1/transfers', { account_id: values.account, code: values.code });
    case 'rules backtest':
      return request('POST', `/v1/risk/rulesets/${segment}/backtest`, { days: int(values.days) ?? 30 });
    case 'rules promote':
      return request('POST', `/v1/risk/rulesets/${segment}/promote`, { stage: values.stage });
    case 'lists import':
      return request('POST', '/v1/risk/lists/import', { csv: readFileSync(target ?? '', 'utf8') });
    case 'cases report':
      return request('GET', withQuery(`/v1/risk/cases/${segment}/report`, { format: values.format }));
  }
  process.stderr.write(`sluice: unknown action "${route.trim()}"\n\n${API_HELP}\n`);
  return 2;
}
