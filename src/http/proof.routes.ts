import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { UUID_PATTERN, normalizeUuid } from '../kernel/index.ts';
import { buildVoucherProof } from '../flows/voucher-proof.ts';
import { proofFileText } from '../modules/journal/index.ts';
import { readsVoucher } from '../modules/scf/index.ts';
import type { Platform } from '../platform.ts';
import { partyScope } from './auth.ts';
import { fieldProblem, unknownId } from './problem.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

/** Proofs that cross modules: a voucher's operations, proven against a signed journal checkpoint. */
export function proofRoutes(platform: Platform) {
  return async function register(app: App) {
    app.get('/scf/vouchers/:voucher_id/proof', {
      config: { permission: 'read' },
      schema: {
        tags: ['supply-chain finance', 'journal'],
        summary: "Proof of every operation on a voucher, checkable offline with sluice verify --proof FILE --keys FILE",
        params: Type.Object({ voucher_id: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false }),
      },
    }, async (request, reply) => {
      const id = normalizeUuid(request.params.voucher_id);
      const view = await platform.scf.getVoucher(id);
      const scope = partyScope(request);
      // A participant may prove only the vouchers it may read: issued, held or financed by its
      // parties, or offered to one of them and not yet accepted or declined.
      const involved = view && (!scope || readsVoucher(view, scope));
      if (!view || !involved) throw unknownId('voucher_not_found', '/params/voucher_id', `no voucher ${id}`);
      const proof = await buildVoucherProof(platform, id);
      if (proof === 'voucher_has_no_events') throw fieldProblem(404, 'voucher_has_no_events', '/params/voucher_id', `voucher ${id} has no journaled operations yet`);
      // One entry per line, so that sluice verify --proof reads the saved file a line at a time.
      return reply.type('application/json; charset=utf-8').send(proofFileText(proof));
    });
  };
}
