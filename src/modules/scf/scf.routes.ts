import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LIMITS, normalizeUuid, parseMinorUnits } from '../../kernel/index.ts';
import type { Platform } from '../../platform.ts';
import { partyScope, visibleKeyIds } from '../../http/auth.ts';
import { decodeBigintCursor, decodeTextCursor, page } from '../../http/pagination.ts';
import { fieldProblem, ProblemError, unknownId } from '../../http/problem.ts';
import { ScfContentionError, ScfOverloadedError, ScfStoppedError } from './scf.engine.ts';
import { SCF_ERROR_STATUS, type ScfError } from './scf.errors.ts';
import type { ProgramRecord } from './scf.repository.ts';
import { readsVoucher } from './scf.visibility.ts';
import type { OperationKind, ScfOperation } from './scf.operations.ts';
import { renderOperation, renderOutcome, renderOverview, renderPiece, renderProgram, renderVoucher, renderVoucherSummary } from './scf.render.ts';
import {
  ActInput, FinanceInput, FreezeInput, IssueInput, PageQuery, PartyParams, PieceParams, ProgramInput, ProgramParams, SplitInput,
  SuppliersInput, TransferInput, UnfreezeInput, VoucherParams,
} from './scf.schema.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;
const TAGS = ['supply-chain finance'];

function amount(text: string, pointer: string): bigint {
  const value = parseMinorUnits(text);
  if (value === undefined || value === 0n) throw fieldProblem(400, 'amount_out_of_range', pointer, 'must be between 1 and 9223372036854775807 minor units');
  return value;
}

/** The request field each refusal is about, so that a problem names the field at fault. */
function pointerOf(code: ScfError, kind: OperationKind | 'program'): string {
  switch (code) {
    case 'operation_exists_with_different_fields':
    case 'program_exists_with_different_fields':
      return '/id';
    case 'not_the_core_enterprise':
    case 'not_the_holder':
    case 'not_the_receiver':
      return '/acting_party_id';
    case 'party_not_in_program':
      return kind === 'transfer' ? '/to_party_id' : '/supplier_id';
    case 'transfer_to_current_holder':
      return '/to_party_id';
    case 'not_a_funding_bank':
      return kind === 'program' ? '/funding_bank_ids' : '/bank_id';
    case 'rate_out_of_range':
      return '/annual_rate_bps';
    case 'term_exceeds_maximum':
      return kind === 'program' ? '/max_term_days' : '/maturity_date';
    case 'maturity_not_after_issue':
    case 'invalid_date':
      return '/maturity_date';
    case 'credit_limit_exceeded':
      return '/face_amount';
    case 'invoice_already_used':
    case 'invoice_listed_twice':
      return '/invoice_hashes';
    case 'split_amounts_do_not_add_up':
    case 'too_many_pieces':
      return '/amounts';
    case 'split_below_minimum':
      return kind === 'program' ? '/min_split_amount' : '/amounts';
    case 'split_depth_exceeded':
      return kind === 'program' ? '/max_split_depth' : '/params/piece_id';
    case 'program_not_found':
      return kind === 'program' ? '/params/program_id' : '/program_id';
    case 'ledger_not_found':
      return '/ledger';
    case 'party_not_found':
    case 'party_listed_twice':
    case 'too_many_members':
      return '/supplier_ids';
    case 'insufficient_funds':
      return kind === 'finance' ? '/bank_id' : '/acting_party_id';
    // The amount of the piece (or voucher) is what the member account cannot take in.
    case 'account_overflow':
      return kind === 'settle' ? '/params/voucher_id' : '/params/piece_id';
    case 'voucher_not_found':
    case 'voucher_already_signed_off':
    case 'voucher_not_mature':
    case 'voucher_not_active':
      return '/params/voucher_id';
    default:
      return '/params/piece_id';
  }
}

export function refusalProblem(code: ScfError, kind: OperationKind | 'program', replayed = false, pointer = pointerOf(code, kind)): ProblemError {
  const words = code.replace(/_/g, ' ');
  return new ProblemError(SCF_ERROR_STATUS[code], code, `refused: ${words}`, [{ pointer, code, detail: words }], replayed ? { replayed: true } : {});
}

/**
 * A program refusal caused by one member points at where the request names that party (`named`:
 * pointer and party, in request order): a party named twice at its second mention, any other at its first.
 */
function programRefusal(result: { readonly error: ScfError; readonly partyId?: string }, named: readonly (readonly [pointer: string, partyId: string])[]): ProblemError {
  const mentions = named.filter(([, partyId]) => partyId === result.partyId);
  const at = mentions[result.error === 'party_listed_twice' ? mentions.length - 1 : 0];
  return refusalProblem(result.error, 'program', false, at?.[0]);
}

const listed = (field: string, partyIds: readonly string[]) => partyIds.map((partyId, index) => [`/${field}/${index}`, partyId] as const);

function engineProblem(error: unknown): unknown {
  if (error instanceof ScfOverloadedError) return new ProblemError(503, 'scf_overloaded', error.message, [], { retryable: true });
  if (error instanceof ScfContentionError) return new ProblemError(503, 'scf_contention', error.message, [], { retryable: true });
  if (error instanceof ScfStoppedError) return new ProblemError(503, 'shutting_down', error.message, [], { retryable: true });
  return error;
}

/** A participant key acts only for its own parties: the acting party, and any party whose money moves. */
function requireOwn(request: FastifyRequest, parties: readonly (readonly [pointer: string, partyId: string])[]): void {
  const scope = partyScope(request);
  if (!scope) return;
  for (const [pointer, partyId] of parties) if (!scope.includes(partyId)) throw fieldProblem(403, 'party_not_owned', pointer, 'must be one of your parties');
}

export function scfRoutes(platform: Platform) {
  const { scf } = platform;

  async function execute(request: FastifyRequest, reply: FastifyReply, operation: ScfOperation) {
    await requireVisibleTarget(request, operation);
    let outcome;
    try {
      outcome = await scf.submit(operation, request.principal?.id ?? null);
    } catch (error) {
      throw engineProblem(error);
    }
    if (!outcome.ok) throw refusalProblem(outcome.error, operation.kind, outcome.replayed);
    return reply.status(outcome.replayed ? 200 : 201).send(renderOutcome(outcome));
  }

  /** Participants see programs they take part in, and nothing of the others (not even that they exist). */
  const sees = (request: FastifyRequest, program: ProgramRecord | undefined): program is ProgramRecord => {
    const scope = partyScope(request);
    return program !== undefined && (!scope || scope.some((id) => program.members.has(id)));
  };

  async function visibleProgram(request: FastifyRequest, programId: string) {
    const program = await scf.getProgram(programId);
    if (!sees(request, program)) throw unknownId('program_not_found', '/params/program_id', `no program ${programId}`);
    return program;
  }

  /**
   * A participant acting on a piece, voucher or program it cannot see is answered exactly as for an
   * unknown id, before the engine decides anything: otherwise the refusal (not the holder, not
   * awaiting sign-off …) would tell it that the id exists and what state it is in.
   */
  async function requireVisibleTarget(request: FastifyRequest, operation: ScfOperation): Promise<void> {
    if (!partyScope(request)) return;
    if ('pieceId' in operation) {
      if (!(await readable(request, (await scf.getPiece(operation.pieceId))?.voucherId))) throw refusalProblem('piece_not_found', operation.kind);
    } else if ('voucherId' in operation) {
      if (!(await readable(request, operation.voucherId))) throw refusalProblem('voucher_not_found', operation.kind);
    } else if (!sees(request, await scf.getProgram(operation.programId))) {
      throw refusalProblem('program_not_found', operation.kind);
    }
  }

  /**
   * Whether the key may read a voucher: a participant key only one its parties are party to
   * (readsVoucher), not every voucher of its programs; other keys every voucher that exists.
   */
  async function readable(request: FastifyRequest, voucherId: string | undefined): Promise<boolean> {
    const view = voucherId === undefined ? undefined : await scf.getVoucher(voucherId);
    const scope = partyScope(request);
    return view !== undefined && (!scope || readsVoucher(view, scope));
  }

  /** A program as the key may see it: a participant's figures cover only the vouchers it may read. */
  async function renderSeenProgram(request: FastifyRequest, program: ProgramRecord) {
    return renderProgram(program, (await scf.creditSeen([program], partyScope(request) ?? undefined)).get(program.id));
  }

  async function visiblePiece(request: FastifyRequest, pieceId: string) {
    const piece = await scf.getPiece(normalizeUuid(pieceId));
    if (!piece || !(await readable(request, piece.voucherId))) throw unknownId('piece_not_found', '/params/piece_id', `no piece ${pieceId}`);
    return piece;
  }

  return async function register(app: App) {
    app.post('/scf/programs', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Create a program: core enterprise, funding banks, suppliers, credit limit and rules', body: ProgramInput } }, async (request, reply) => {
      const body = request.body;
      const result = await scf.createProgram({
        id: body.id, name: body.name, coreEnterpriseId: body.core_enterprise_id, fundingBankIds: body.funding_bank_ids, supplierIds: body.supplier_ids,
        ledger: body.ledger, creditLimit: amount(body.credit_limit, '/credit_limit'), maxTermDays: body.max_term_days,
        minSplitAmount: body.min_split_amount === undefined ? undefined : amount(body.min_split_amount, '/min_split_amount'),
        maxSplitDepth: body.max_split_depth, dayCountBasis: body.day_count_basis,
      });
      if (!result.ok) throw programRefusal(result, [['/core_enterprise_id', body.core_enterprise_id], ...listed('funding_bank_ids', body.funding_bank_ids), ...listed('supplier_ids', body.supplier_ids)]);
      return reply.status(result.value.created ? 201 : 200).send(renderProgram(result.value.program));
    });

    app.get('/scf/programs', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'List programs by id', querystring: PageQuery } }, async (request) => {
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const programs = await scf.listPrograms({ after: decodeTextCursor(request.query.cursor), limit, partyIds: partyScope(request) ?? undefined });
      const seen = await scf.creditSeen(programs, partyScope(request) ?? undefined);
      return page(programs, limit, (program) => program.id, (program) => renderProgram(program, seen.get(program.id)));
    });

    app.get('/scf/programs/:program_id', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Get a program with its members\' ledger accounts', params: ProgramParams } }, async (request) =>
      renderSeenProgram(request, await visibleProgram(request, request.params.program_id)));

    app.post('/scf/programs/:program_id/suppliers', {
      config: { permission: 'manage' },
      schema: { tags: TAGS, summary: 'Add suppliers to the program\'s network', params: ProgramParams, body: SuppliersInput },
    }, async (request) => {
      const result = await scf.addSuppliers(request.params.program_id, request.body.supplier_ids);
      if (!result.ok) throw programRefusal(result, listed('supplier_ids', request.body.supplier_ids));
      return renderProgram(result.value);
    });

    app.get('/scf/programs/:program_id/overview', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'Outstanding by tier, financed share, overdue amount and maturity ladder', params: ProgramParams },
    }, async (request) => {
      await visibleProgram(request, request.params.program_id);
      // A participant key's totals cover only the vouchers it may read, as its voucher list does.
      const overview = await scf.overview(request.params.program_id, partyScope(request) ?? undefined);
      if (!overview) throw unknownId('program_not_found', '/params/program_id', `no program ${request.params.program_id}`);
      return renderOverview(overview);
    });

    app.get('/scf/programs/:program_id/vouchers', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'List the vouchers of a program by id', params: ProgramParams, querystring: PageQuery },
    }, async (request) => {
      await visibleProgram(request, request.params.program_id);
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      // A participant key lists only the vouchers it may read, so every one listed also opens.
      const vouchers = await scf.listVouchers(request.params.program_id, { after: decodeTextCursor(request.query.cursor), limit, partyIds: partyScope(request) ?? undefined });
      return page(vouchers, limit, (voucher) => voucher.id, renderVoucherSummary);
    });

    app.post('/scf/vouchers', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Issue a voucher to a first-tier supplier (by the core enterprise)', body: IssueInput } }, async (request, reply) => {
      const body = request.body;
      requireOwn(request, [['/acting_party_id', body.acting_party_id]]);
      return execute(request, reply, {
        kind: 'issue', id: normalizeUuid(body.id), programId: body.program_id, actingPartyId: body.acting_party_id, supplierId: body.supplier_id,
        faceAmount: amount(body.face_amount, '/face_amount'), maturityDate: body.maturity_date, contractHash: body.contract_hash.toLowerCase(),
        invoiceHashes: body.invoice_hashes.map((hash) => hash.toLowerCase()),
      });
    });

    app.get('/scf/vouchers/:voucher_id', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'A voucher with its tree, from issue to every current holder', params: VoucherParams },
    }, async (request) => {
      const view = await scf.getVoucher(normalizeUuid(request.params.voucher_id));
      const scope = partyScope(request);
      if (!view || (scope && !readsVoucher(view, scope))) throw unknownId('voucher_not_found', '/params/voucher_id', `no voucher ${request.params.voucher_id}`);
      return renderVoucher(view);
    });

    app.get('/scf/vouchers/:voucher_id/operations', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'The applied operations of a voucher, oldest first, each with the API key that submitted it (as the key may see it)', params: VoucherParams, querystring: PageQuery },
    }, async (request) => {
      const voucherId = normalizeUuid(request.params.voucher_id);
      if (!(await readable(request, voucherId))) throw unknownId('voucher_not_found', '/params/voucher_id', `no voucher ${request.params.voucher_id}`);
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const operations = await scf.voucherHistory(voucherId, { after: decodeBigintCursor(request.query.cursor), limit });
      const keys = visibleKeyIds(request);
      return page(operations, limit, (operation) => operation.seq, (operation) => renderOperation(operation, keys));
    });

    for (const kind of ['cancel', 'settle'] as const) {
      app.post(`/scf/vouchers/:voucher_id/${kind}`, {
        config: { permission: 'write' },
        schema: { tags: TAGS, summary: kind === 'cancel' ? 'Cancel a voucher before its first sign-off (core enterprise)' : 'Pay every current holder at maturity (core enterprise)', params: VoucherParams, body: ActInput },
      }, async (request, reply) => {
        requireOwn(request, [['/acting_party_id', request.body.acting_party_id]]);
        return execute(request, reply, { kind, id: normalizeUuid(request.body.id), voucherId: normalizeUuid(request.params.voucher_id), actingPartyId: request.body.acting_party_id });
      });
    }

    app.get('/scf/pieces/:piece_id', { config: { permission: 'read' }, schema: { tags: TAGS, summary: 'Get a piece', params: PieceParams } }, async (request) =>
      renderPiece(await visiblePiece(request, request.params.piece_id)));

    const pieceRoute = (path: string, summary: string) => ({ path: `/scf/pieces/:piece_id/${path}`, summary });
    for (const [kind, route] of [
      ['sign_off', pieceRoute('sign-off', 'Accept a piece: the first supplier, or the receiver of a transfer')],
      ['decline', pieceRoute('decline', 'Turn a piece down: a transfer returns to its sender, an issued voucher is cancelled')],
      ['repurchase', pieceRoute('repurchase', 'Buy a financed piece back from the bank (the seller)')],
    ] as const) {
      app.post(route.path, { config: { permission: 'write' }, schema: { tags: TAGS, summary: route.summary, params: PieceParams, body: ActInput } }, async (request, reply) => {
        requireOwn(request, [['/acting_party_id', request.body.acting_party_id]]);
        return execute(request, reply, { kind, id: normalizeUuid(request.body.id), pieceId: normalizeUuid(request.params.piece_id), actingPartyId: request.body.acting_party_id });
      });
    }

    app.post('/scf/pieces/:piece_id/split', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Split a piece into parts that add up to it exactly', params: PieceParams, body: SplitInput } }, async (request, reply) => {
      const body = request.body;
      requireOwn(request, [['/acting_party_id', body.acting_party_id]]);
      const amounts = body.amounts.map((text, index) => amount(text, `/amounts/${index}`));
      return execute(request, reply, { kind: 'split', id: normalizeUuid(body.id), pieceId: normalizeUuid(request.params.piece_id), actingPartyId: body.acting_party_id, amounts });
    });

    app.post('/scf/pieces/:piece_id/transfer', { config: { permission: 'write' }, schema: { tags: TAGS, summary: 'Pass a piece to another supplier, who signs off to accept it', params: PieceParams, body: TransferInput } }, async (request, reply) => {
      const body = request.body;
      requireOwn(request, [['/acting_party_id', body.acting_party_id]]);
      return execute(request, reply, { kind: 'transfer', id: normalizeUuid(body.id), pieceId: normalizeUuid(request.params.piece_id), actingPartyId: body.acting_party_id, toPartyId: body.to_party_id });
    });

    app.post('/scf/pieces/:piece_id/finance', {
      config: { permission: 'write' },
      schema: { tags: TAGS, summary: 'Discount a piece with a funding bank: the bank pays the amount less interest to maturity', params: PieceParams, body: FinanceInput },
    }, async (request, reply) => {
      const body = request.body;
      // The bank's cash moves, so a participant key must act for the bank as well as for the holder.
      requireOwn(request, [['/acting_party_id', body.acting_party_id], ['/bank_id', body.bank_id]]);
      return execute(request, reply, {
        kind: 'finance', id: normalizeUuid(body.id), pieceId: normalizeUuid(request.params.piece_id), actingPartyId: body.acting_party_id,
        bankId: body.bank_id, annualRateBps: body.annual_rate_bps,
      });
    });

    app.post('/scf/pieces/:piece_id/freeze', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Freeze a piece (dispute, court order): it cannot move or be paid', params: PieceParams, body: FreezeInput } }, async (request, reply) =>
      execute(request, reply, { kind: 'freeze', id: normalizeUuid(request.body.id), pieceId: normalizeUuid(request.params.piece_id), reason: request.body.reason }));

    app.post('/scf/pieces/:piece_id/unfreeze', { config: { permission: 'manage' }, schema: { tags: TAGS, summary: 'Lift a freeze: the piece returns to its earlier status', params: PieceParams, body: UnfreezeInput } }, async (request, reply) =>
      execute(request, reply, { kind: 'unfreeze', id: normalizeUuid(request.body.id), pieceId: normalizeUuid(request.params.piece_id), reason: request.body.reason ?? '' }));

    app.get('/scf/parties/:party_id/pieces', {
      config: { permission: 'read' },
      schema: { tags: TAGS, summary: 'Live pieces a party holds or is asked to accept', params: PartyParams, querystring: PageQuery },
    }, async (request) => {
      const scope = partyScope(request);
      if (scope && !scope.includes(request.params.party_id)) throw unknownId('party_not_found', '/params/party_id', `no party ${request.params.party_id}`);
      const limit = request.query.limit ?? LIMITS.pageDefaultItems;
      const pieces = await scf.piecesOfParty(request.params.party_id, { after: decodeTextCursor(request.query.cursor), limit });
      return page(pieces, limit, (piece) => piece.id, renderPiece);
    });
  };
}
