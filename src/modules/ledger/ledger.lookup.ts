import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LIMITS, normalizeUuid } from '../../kernel/index.ts';
import { partyScope } from '../../http/auth.ts';
import type { LedgerService } from './ledger.service.ts';
import type { Account, Transfer } from './ledger.ts';
import { LookupBody } from './ledger.schema.ts';
import { renderAccount, renderTransfer } from './ledger.render.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

const LEFT_OUT = 'An id the ledger does not hold, or whose record the key may not see, is left out: the answer does not tell them apart.';

/** Whether a participant scope may see the account: it must belong to one of the scope's parties, as GET /v1/accounts/{id} decides. */
const owns = (scope: readonly string[], account: Account): boolean => Boolean(account.partyId && scope.includes(account.partyId));

/**
 * The transfers among `found` a participant scope may see: those touching an account of its
 * parties, as GET /v1/transfers/{id} decides, with the accounts of all of them read in one lookup.
 */
async function visibleTransfers(ledger: LedgerService, scope: readonly string[], found: readonly Transfer[]): Promise<Transfer[]> {
  if (found.length === 0) return [];
  const accountIds = [...new Set(found.flatMap((transfer) => [transfer.debitAccountId, transfer.creditAccountId]))];
  const owned = new Set((await ledger.getAccounts(accountIds)).filter((account) => owns(scope, account)).map((account) => account.id));
  return found.filter((transfer) => owned.has(transfer.debitAccountId) || owned.has(transfer.creditAccountId));
}

/**
 * POST /v1/transfers/lookup and /v1/accounts/lookup: many records by id in one request and a few
 * statements, rendered as the lists render them. Ids are read in lower case, as the single GET
 * routes read theirs.
 */
export function registerLookupRoutes(app: App, ledger: LedgerService): void {
  app.post('/transfers/lookup', {
    config: { permission: 'read' },
    schema: {
      tags: ['ledger'],
      summary: `Look up to ${LIMITS.batchMaxItems} transfers by id`,
      description: `Answers {"transfers": [...]} in the order of \`ids\`, each transfer once. ${LEFT_OUT}`,
      body: LookupBody,
    },
  }, async (request) => {
    const found = await ledger.lookupTransfers(request.body.ids.map(normalizeUuid));
    const scope = partyScope(request);
    const visible = scope ? await visibleTransfers(ledger, scope, found) : found;
    return { transfers: visible.map(renderTransfer) };
  });

  app.post('/accounts/lookup', {
    config: { permission: 'read' },
    schema: {
      tags: ['ledger'],
      summary: `Look up to ${LIMITS.batchMaxItems} accounts by id, with their balances`,
      description: `Answers {"accounts": [...]} in the order of \`ids\`, each account once. ${LEFT_OUT}`,
      body: LookupBody,
    },
  }, async (request) => {
    const found = await ledger.lookupAccounts(request.body.ids.map(normalizeUuid));
    const scope = partyScope(request);
    return { accounts: (scope ? found.filter((account) => owns(scope, account)) : found).map(renderAccount) };
  });
}
