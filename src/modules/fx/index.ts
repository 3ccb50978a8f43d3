export { createFxService, deskAccountIds, FxOverloadedError, type Currency, type DeskAccounts, type FxService, type FxServiceDeps, type Price, type QuoteInput, type ClaimResult } from './fx.service.ts';
export { fxMigrations, fxTables } from './fx.migrations.ts';
export { FX_ERROR_STATUS, type FxError } from './fx.errors.ts';
export { FX_CODES, FX_LIMITS } from './fx.limits.ts';
export { parseRatesText, type RateFromFile, type RateInput, type RatesFileError, type RatesFileResult } from './fx.rates-file.ts';
export type { Quote, RateRecord } from './fx.repository.ts';
export {
  applySpread, convert, formatRate, invert, minorUnitRate, multiply, parseRate, rate, sameRate, sellAmountFor, isCurrencyCode,
  CURRENCY_PATTERN, SPREAD_BPS_MAX, type Conversion, type Rate,
} from './fx.ts';
export { fxRoutes, fxProblem, renderQuote } from './fx.routes.ts';
export { mayUseQuote, type QuoteAccessDeps } from './fx.access.ts';
