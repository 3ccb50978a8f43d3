import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Clock } from '../../kernel/index.ts';
import { FEATURES_LIMITS } from './features.limits.ts';
import type { FeaturesService } from './features.service.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['risk'];

const AccountId = Type.String({ minLength: 1, maxLength: FEATURES_LIMITS.idMaxLength, pattern: '^[A-Za-z0-9._:-]+$', description: 'The account id as the ledger knows it.' });

export function featuresRoutes(platform: { readonly features: FeaturesService; readonly clock: Clock }) {
  const { features, clock } = platform;
  return async function register(app: App) {
    app.get('/risk/features', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'Every feature rules can use: name, type and what it measures' },
    }, async () => ({ data: features.describe() }));

    app.get('/risk/features/accounts/:id', {
      config: { permission: 'oversee' },
      schema: {
        tags: TAGS,
        summary: 'Current feature values of an account as payer (those that need no counterparty or amount)',
        params: Type.Object({ id: AccountId }, { additionalProperties: false }),
      },
    }, async (request) => {
      const atMs = clock.nowMs();
      return { account_id: request.params.id, at: new Date(atMs).toISOString(), features: features.accountFeatures(request.params.id, atMs) };
    });
  };
}
