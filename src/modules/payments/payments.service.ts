import type { Database } from '../../db/index.ts';
import { err, ok, type Clock, type Result } from '../../kernel/index.ts';
import type { FxService } from '../fx/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { PartiesService } from '../parties/index.ts';
import { loadXmlLibrary } from '../iso20022/index.ts';
import { createActions } from './payments.actions.ts';
import type { QuoteAccess } from './payments.checks.ts';
import { createDirectory, type Directory } from './payments.directory.ts';
import type { PaymentError } from './payments.errors.ts';
import type { PaymentGate } from './payments.gate.ts';
import { claimMessage, importerOf, pruneImportedMessages } from './payments.duplicates.ts';
import { duplicateRefusal, ordersFromXml, submitAll, withLegacyIds, type ImportedResult, type ImportRefusal, type ParsedFile } from './payments.import.ts';
import type { LedgerPort } from './payments.ledger.ts';
import { DEFAULT_OPERATOR_BIC, exportMessage, issueMessage, type MessageKind } from './payments.messages.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { recoverAll } from './payments.recovery.ts';
import { eventsAfter, listPayments, loadByUetr, loadPayment, type PaymentFilter } from './payments.repository.ts';
import { createSubmitter } from './payments.saga.ts';
import { buildStatement, type StatementView } from './payments.statement.ts';
import type { Outcome, SagaContext } from './payments.steps.ts';
import { trackPayment, type Tracking } from './payments.track.ts';
import type { PaymentEvent, PaymentOrder, PaymentRecord, PaymentStatus } from './payments.ts';
import type { WebhookResolver } from './payments.webhook-target.ts';
import { createWebhooks, type Webhooks } from './payments.webhooks.ts';
import { createPaymentsWriter } from './payments.writer.ts';

/**
 * Payments at home and across borders: participants and their customers' accounts, payment orders
 * through their ISO 20022 status machine with every leg booked atomically in the ledger, FX through
 * the desk, returns and cancellations, the tracker, imports and exports of ISO 20022 messages,
 * statements, and status notifications by webhook or polling.
 */
export interface PaymentsServiceDeps {
  readonly db: Database;
  /** The installation's key secret (SLUICE_KEY_SECRET): webhook signing secrets are sealed under a key derived from it. */
  readonly keySecret: string;
  readonly ledger: LedgerPort & Pick<LedgerService, 'createAccounts' | 'listTransfers' | 'balancesAt' | 'lookupTransfers'>;
  readonly fx: FxService;
  readonly parties: Pick<PartiesService, 'get'>;
  readonly clock: Clock;
  /** The platform's BIC as the clearing and settlement mechanism that reports statuses. */
  readonly operatorBic?: string;
  /**
   * How often held payments past their window are expired, webhooks dispatched and imported
   * messages past their retention pruned (at most hourly); 0 leaves it to explicit calls.
   */
  readonly backgroundIntervalMs?: number;
  /** Days an imported file's sender and MsgId are kept for the duplicate check (PAYMENT_LIMITS.importedMessageRetentionDays by default). */
  readonly importedMessageRetentionDays?: number;
  readonly report?: (message: string) => void;
  /** Replaceable for tests that make message building fail. */
  readonly issue?: typeof issueMessage;
  /** Lets webhooks reach loopback and private addresses: for local development only (see docs/operations.md). */
  readonly webhookPrivateAddresses?: boolean;
  /** Private ranges, addresses and host names webhooks may reach (SLUICE_WEBHOOK_ALLOWED_NETWORKS, checked by parseAllowedNetworks). */
  readonly webhookAllowedNetworks?: readonly string[];
  /** How webhook host names are resolved; the system's resolver unless a test fakes it. */
  readonly webhookResolver?: WebhookResolver;
  readonly onWriterBatch?: (items: number, seconds: number) => void;
  /** Risk control's decision before settlement (src/flows/risk-payments.ts); none settles every payment that passes its checks. */
  readonly gate?: PaymentGate;
}

export type ImportOutcome = { readonly ok: true; readonly value: ImportedResult } | { readonly ok: false; readonly refusal: ImportRefusal };

/** What this process has done since it started, for /metrics. */
export interface PaymentsStats {
  /** Status changes recorded (on disk), by status. */
  readonly statusChanges: Readonly<Record<PaymentStatus, number>>;
  /** Writes waiting for the payments writer or its flush. */
  readonly writerQueued: number;
  /** Webhook delivery attempts, by how they ended. */
  readonly webhookAttempts: { readonly delivered: number; readonly failed: number; readonly retried: number; readonly withheld: number };
}

export interface PaymentsService {
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  /**
   * `quoteAccess`: whether the submitter may spend the order's FX quote (payments.checks.ts); by
   * default it may. `by`, here and in the actions below, is the id of the API key that asked, which
   * the payment and its status changes record; null (the default) for callers inside the process.
   */
  submit(order: PaymentOrder, quoteAccess?: QuoteAccess, by?: string | null): Promise<Outcome>;
  get(uetr: string): Promise<PaymentRecord | undefined>;
  getById(id: string): Promise<PaymentRecord | undefined>;
  list(filter: PaymentFilter): Promise<PaymentRecord[]>;
  track(uetr: string): Promise<Tracking | undefined>;
  events(after: bigint, limit: number, partyIds?: readonly string[]): Promise<PaymentEvent[]>;
  accept(uetr: string, by?: string | null): Promise<Result<PaymentRecord, PaymentError>>;
  /** Rejects a held payment; `error` says who rejected it (the creditor agent unless told otherwise). */
  reject(uetr: string, reasonCode: string, error?: PaymentError, by?: string | null): Promise<Result<PaymentRecord, PaymentError>>;
  cancel(uetr: string, reasonCode: string, by?: string | null): Promise<Result<PaymentRecord, PaymentError>>;
  returnPayment(uetr: string, reasonCode: string, by?: string | null): Promise<Result<PaymentRecord, PaymentError>>;
  /** Closes held payments whose acceptance window has passed; returns how many. */
  expireDue(): Promise<number>;
  /** Forgets imported messages past their retention, a bounded number per call; returns how many. */
  pruneImportedMessages(): Promise<number>;
  /**
   * Imports a pain.001 or pacs.008; `authorize` may refuse the file (a participant's key) before its
   * MsgId is claimed or any order submitted. `partyScope` is the importing key's parties (null for
   * an admin or operator key): a participant key's pain.001 ids are counted apart (importerOf).
   * `by` is the importing key's id, recorded as the submitter of every payment the file books.
   */
  importXml(xml: string | Uint8Array, authorize?: (file: ParsedFile) => Promise<void>, partyScope?: readonly string[] | null, by?: string | null): Promise<ImportOutcome>;
  /** The stored messages of a payment, rebuilt and checked against their digests. */
  exportMessage(uetr: string, kind: MessageKind): Promise<Result<{ xml: string; messageId: string }, PaymentError>>;
  statement(account: string, date: string): Promise<Result<StatementView, PaymentError>>;
  /** Finishes payments a crash left half done; run once at start. Returns how many are still unfinished. */
  recover(): Promise<number>;
  stats(): PaymentsStats;
  stop(): Promise<void>;
}

export function createPaymentsService(deps: PaymentsServiceDeps): PaymentsService {
  const { db, clock } = deps;
  const report = deps.report ?? ((message: string) => process.stderr.write(`sluice payments: ${message}\n`));
  const operatorBic = deps.operatorBic ?? DEFAULT_OPERATOR_BIC;
  const directory = createDirectory({ db, ledger: deps.ledger, parties: deps.parties, fx: deps.fx, clock });
  const writer = createPaymentsWriter(db, deps.onWriterBatch);
  const context: SagaContext = {
    db, writer, ledger: deps.ledger, fx: deps.fx, directory, clock, operatorBic, issue: deps.issue ?? issueMessage, report, inFlight: new Map(),
    ...(deps.gate ? { gate: deps.gate } : {}),
  };
  const submitter = createSubmitter(context);
  const actions = createActions(context, submitter);
  const webhooks = createWebhooks({
    db, clock, report, keySecret: deps.keySecret, allowPrivateAddresses: deps.webhookPrivateAddresses ?? false, allowedNetworks: deps.webhookAllowedNetworks ?? [],
    ...(deps.webhookResolver ? { resolve: deps.webhookResolver } : {}),
  });
  let stopped = false;
  let background: Promise<unknown> = Promise.resolve();
  const retentionMs = (deps.importedMessageRetentionDays ?? PAYMENT_LIMITS.importedMessageRetentionDays) * 86_400_000;
  const pruneImported = () => pruneImportedMessages(writer, new Date(clock.nowMs() - retentionMs).toISOString(), {
    batch: PAYMENT_LIMITS.importedMessagePruneBatch, batches: PAYMENT_LIMITS.importedMessagePruneBatchesPerPass,
  });
  let nextPruneMs = Number.NEGATIVE_INFINITY;

  const timer = deps.backgroundIntervalMs && deps.backgroundIntervalMs > 0
    ? setInterval(() => {
        background = background.then(async () => {
          if (stopped) return;
          // Payments a failed step left half done are finished without waiting for a restart.
          await recoverAll(context);
          await actions.expireDue();
          await webhooks.dispatch();
          if (clock.nowMs() >= nextPruneMs) {
            nextPruneMs = clock.nowMs() + PAYMENT_LIMITS.importedMessagePruneIntervalMs;
            await pruneImported();
          }
        }).catch((error: unknown) => report(`background pass failed: ${(error as Error).message}`));
      }, deps.backgroundIntervalMs)
    : undefined;
  timer?.unref();

  return {
    directory,
    webhooks,
    submit: (order, quoteAccess, by = null) => submitter.submit(order, quoteAccess, by),
    get: (uetr) => loadByUetr(db, uetr),
    getById: (id) => loadPayment(db, id),
    list: (filter) => listPayments(db, filter),
    async track(uetr) {
      const payment = await loadByUetr(db, uetr);
      return payment ? trackPayment(deps.ledger, payment, payment.events) : undefined;
    },
    events: (after, limit, partyIds) => eventsAfter(db, after, limit, partyIds),
    accept: (uetr, by = null) => actions.accept(uetr, by),
    reject: (uetr, reasonCode, error, by = null) => actions.reject(uetr, reasonCode, error, by),
    cancel: (uetr, reasonCode, by = null) => actions.cancel(uetr, reasonCode, by),
    returnPayment: (uetr, reasonCode, by = null) => actions.returnPayment(uetr, reasonCode, by),
    expireDue: () => actions.expireDue(),
    pruneImportedMessages: () => pruneImported(),
    async importXml(xml, authorize, partyScope = null, by = null) {
      // libxml2 is loaded on the first import, not at start (see iso20022.libxml.ts).
      await loadXmlLibrary();
      const parsed = ordersFromXml(xml);
      if (!parsed.ok) return parsed;
      await authorize?.(parsed);
      // Claimed after authorisation, so a caller refused the orders can neither take a sender's
      // message id nor learn which ids are taken; and before any order, so a duplicate books nothing.
      const identity = { ...parsed.identity, importer: importerOf(parsed.identity.definition, partyScope) };
      const claim = await claimMessage(writer, identity, new Date(clock.nowMs()).toISOString());
      if (claim.kind === 'other_file') return { ok: false, refusal: duplicateRefusal(identity, claim.importedAt) };
      // A transaction imported before its id took in the debtor account, or before its derived UETR
      // was bound to the file, keeps its older id and UETR.
      const orders = await withLegacyIds(parsed.orders, (id) => loadPayment(db, id), parsed.earlierUetrs);
      const outcomes = await submitAll(orders, (order) => submitter.submit(order, undefined, by));
      return ok({ kind: parsed.kind, messageId: parsed.messageId, outcomes });
    },
    async exportMessage(uetr, kind) {
      const payment = await loadByUetr(db, uetr);
      if (!payment) return err('payment_not_found');
      const ref = payment.messages.filter((message) => message.kind === kind).at(-1);
      if (!ref) return err('message_not_found');
      return ok({ xml: exportMessage(payment, ref, operatorBic), messageId: ref.messageId });
    },
    statement: (account, date) => buildStatement({ db, ledger: deps.ledger, directory, operatorBic, clock }, account, date),
    recover: () => recoverAll(context),
    stats: () => ({ statusChanges: writer.statusChanges(), writerQueued: writer.queued(), webhookAttempts: webhooks.attempts() }),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await background;
      // Sagas under way finish (the ledger is still running) before the writer stops taking work.
      await Promise.allSettled([...context.inFlight.values()]);
      await writer.stop();
    },
  };
}
