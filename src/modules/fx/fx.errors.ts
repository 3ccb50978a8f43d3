/** Every refusal of the FX desk, with the HTTP status it answers. */
export const FX_ERROR_STATUS = Object.freeze({
  unsupported_currency: 422,
  same_currency: 422,
  invalid_rate: 422,
  spread_out_of_range: 422,
  fx_rate_not_available: 422,
  amount_too_small_to_convert: 422,
  amount_out_of_range: 422,
  quote_not_found: 404,
  ttl_out_of_range: 422,
  rates_file_malformed: 400,
  too_many_rates: 422,
});
export type FxError = keyof typeof FX_ERROR_STATUS;
