import type { ImportRefusal } from './screening.import.ts';

/** Every refusal of the screening module, with the HTTP status it answers. */
export const SCREENING_ERROR_STATUS = Object.freeze({
  list_file_too_large: 413,
  too_many_entities: 422,
  too_many_names: 422,
  too_many_malformed_lines: 422,
  list_file_empty: 422,
  csv_header_missing_name: 422,
  invalid_list_name: 422,
  too_many_lists: 422,
  list_not_found: 404,
} satisfies Record<ImportRefusal | 'invalid_list_name' | 'too_many_lists' | 'list_not_found', number>);

export type ScreeningError = keyof typeof SCREENING_ERROR_STATUS;
