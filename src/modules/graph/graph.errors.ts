/** Every refusal of mule-ring detection, with the HTTP status it answers. */
export const GRAPH_ERROR_STATUS = Object.freeze({
  window_too_long: 422,
  window_empty: 422,
  scan_in_progress: 409,
  account_not_scored: 404,
});
export type GraphError = keyof typeof GRAPH_ERROR_STATUS;
