export { createPaymentsService, type PaymentsService, type PaymentsServiceDeps, type PaymentsStats, type ImportOutcome } from './payments.service.ts';
export { paymentsMigrations, paymentsTables } from './payments.migrations.ts';
export { PAYMENT_ERRORS, RETURN_REASONS, CANCELLATION_REASONS, REJECTION_REASONS, type PaymentError } from './payments.errors.ts';
export { PAYMENT_CODES, PAYMENT_LIMITS, WEBHOOK_LIMITS } from './payments.limits.ts';
export { PaymentsOverloadedError, PaymentsStoppedError } from './payments.writer.ts';
export { signBody, SIGNATURE_HEADER, backoffMs } from './payments.webhooks.ts';
export { parseAllowedNetworks as parseWebhookAllowedNetworks } from './payments.webhook-networks.ts';
export type { WebhookResolver } from './payments.webhook-target.ts';
export { participantAccountId } from './payments.ids.ts';
export type { Outcome } from './payments.steps.ts';
export type { PaymentGate, GateVerdict } from './payments.gate.ts';
export type { Tracking, Hop } from './payments.track.ts';
export type { CustomerAccount, Participant, ParticipantCurrency } from './payments.directory.ts';
export {
  PAYMENT_STATUSES, CHARGE_BEARERS, SETTLEMENT_MODES, canTransition,
  type PaymentOrder, type PaymentRecord, type PaymentStatus, type PaymentEvent, type Plan, type Leg, type ChargeBearer, type SettlementMode,
} from './payments.ts';
export { paymentsRoutes } from './payments.routes.ts';
export { paymentsCommand, PAYMENTS_HELP } from './payments.cli.ts';
export { loadPaymentsDemo } from './payments.demo.ts';
