/** Every refusal of the lists, with the HTTP status it answers and the request field at fault. */
export const LISTS_ERROR_STATUS = Object.freeze({
  unknown_list: 400,
  unknown_kind: 400,
  invalid_value: 422,
  invalid_country: 422,
  invalid_ip_range: 422,
  reason_required: 400,
  reason_too_long: 400,
  actor_required: 400,
  invalid_instant: 400,
  expiry_not_in_future: 422,
  expiry_too_far: 422,
  entry_exists: 409,
  entry_not_found: 404,
  lists_full: 422,
  import_invalid: 422,
  import_too_large: 413,
});
export type ListsError = keyof typeof LISTS_ERROR_STATUS;

export const LISTS_ERROR_FIELD: Readonly<Partial<Record<ListsError, string>>> = Object.freeze({
  unknown_list: 'list', unknown_kind: 'kind', invalid_value: 'value', invalid_country: 'value', invalid_ip_range: 'value', entry_exists: 'value',
  reason_required: 'reason', reason_too_long: 'reason', invalid_instant: 'expires_at', expiry_not_in_future: 'expires_at', expiry_too_far: 'expires_at', import_invalid: 'csv', import_too_large: 'csv',
});

/**
 * Why one line of a CSV import is not an entry, when the fault is the line's shape rather than a
 * value (a value's fault carries the code above that adding it alone would get). The refusal
 * itself stays `import_invalid`; these are the codes of its `errors[]`, one per line.
 */
export const LIST_IMPORT_LINE_CODES = [
  /** Line 1: the file has no header line. */
  'header_missing',
  /** Line 1: a column the import does not know; `field` names it. */
  'unknown_column',
  /** Line 1: a required column (list, kind, value, reason) is not there; `field` names it. */
  'missing_column',
  /** Line 1: a column named twice; `field` names it. */
  'duplicate_column',
  /** A quoted field that is never closed; the lines after it are read on their own. */
  'unclosed_quote',
  /** A field longer than any value or reason could be; `field` names its column. */
  'cell_too_long',
  /** Not as many fields as the header names. */
  'cell_count_mismatch',
] as const;
export type ListImportLineCode = (typeof LIST_IMPORT_LINE_CODES)[number];
