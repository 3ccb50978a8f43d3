import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Supply-chain-finance tables. Money never lives here: balances are the ledger's. Every decided
 * operation (applied or refused) is appended to scf_operations, numbered (`seq`) in commit order;
 * each journal batch entry covers a range of them and scf_head holds the last number used. Money
 * operations keep their ledger reservation and what is still owed to the ledger in
 * scf_ledger_work, which recovery reads after a crash. Amounts and
 * ranges are minor units (BIGINT on PostgreSQL so both dialects read bigint); dates are
 * YYYY-MM-DD and instants ISO 8601 text, which sort as they compare.
 */
const body = (int: string) => `
CREATE TABLE scf_programs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  core_enterprise_id TEXT NOT NULL,
  ledger ${int} NOT NULL,
  credit_limit ${int} NOT NULL,
  outstanding ${int} NOT NULL,
  max_term_days ${int} NOT NULL,
  min_split_amount ${int} NOT NULL,
  max_split_depth ${int} NOT NULL,
  day_count_basis ${int} NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE scf_program_members (
  program_id TEXT NOT NULL,
  party_id TEXT NOT NULL,
  role TEXT NOT NULL,
  account_id TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (program_id, party_id)
);
CREATE INDEX scf_program_members_party ON scf_program_members (party_id);
CREATE TABLE scf_vouchers (
  id TEXT PRIMARY KEY,
  program_id TEXT NOT NULL,
  issuer_id TEXT NOT NULL,
  supplier_id TEXT NOT NULL,
  face_amount ${int} NOT NULL,
  issue_date TEXT NOT NULL,
  maturity_date TEXT NOT NULL,
  contract_hash TEXT NOT NULL,
  invoice_hashes TEXT NOT NULL,
  status TEXT NOT NULL,
  piece_count ${int} NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX scf_vouchers_program ON scf_vouchers (program_id, id);
CREATE TABLE scf_pieces (
  id TEXT PRIMARY KEY,
  voucher_id TEXT NOT NULL,
  range_start ${int} NOT NULL,
  range_end ${int} NOT NULL,
  parent_id TEXT,
  depth ${int} NOT NULL,
  tier ${int} NOT NULL,
  holder_id TEXT NOT NULL,
  pending_holder_id TEXT,
  status TEXT NOT NULL,
  frozen_from TEXT,
  financing TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX scf_pieces_voucher ON scf_pieces (voucher_id, range_start);
CREATE INDEX scf_pieces_holder ON scf_pieces (holder_id, id);
CREATE INDEX scf_pieces_pending_holder ON scf_pieces (pending_holder_id, id) WHERE pending_holder_id IS NOT NULL;
CREATE TABLE scf_holdings (
  piece_id TEXT NOT NULL,
  tier ${int} NOT NULL,
  holder_id TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  since TEXT NOT NULL,
  PRIMARY KEY (piece_id, tier)
);
CREATE TABLE scf_invoices (
  hash TEXT PRIMARY KEY,
  voucher_id TEXT NOT NULL
);
CREATE TABLE scf_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  last_seq ${int} NOT NULL
);
INSERT INTO scf_head (id, last_seq) VALUES (1, 0);
CREATE TABLE scf_operations (
  seq ${int} PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  outcome TEXT NOT NULL,
  result TEXT NOT NULL,
  attempt ${int} NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE scf_ledger_work (
  operation_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  attempt ${int} NOT NULL,
  state TEXT NOT NULL,
  transfers TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX scf_ledger_work_unresolved ON scf_ledger_work (updated_at) WHERE state IN ('reserved', 'post', 'void');
`;

/**
 * Every financing of a piece, kept after a repurchase clears the piece's own financing: a bank that
 * financed a piece was a party to its history and keeps reading its voucher (scf.visibility.ts).
 * Filled from the applied finance operations already decided, whose results name piece, voucher and bank.
 */
const financings = (field: (name: string) => string) => `
CREATE TABLE scf_financings (
  operation_id TEXT PRIMARY KEY,
  piece_id TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  bank_id TEXT NOT NULL,
  financed_on TEXT NOT NULL
);
CREATE INDEX scf_financings_voucher ON scf_financings (voucher_id, bank_id);
INSERT INTO scf_financings (operation_id, piece_id, voucher_id, bank_id, financed_on)
  SELECT id, ${field('pieceId')}, ${field('voucherId')}, ${field('bankId')}, substr(created_at, 1, 10)
  FROM scf_operations WHERE kind = 'finance' AND outcome = 'applied';
`;

/**
 * Which API key submitted each decided operation (docs/security.md): its id, or NULL for one made
 * inside the process (the demo) or decided before this column. A key is part of its operation's
 * journal line (eventLine), so an edited key breaks the batch digest; a NULL key leaves the line as
 * it was before, so older entries verify unchanged. A dump of an earlier version imports so (`addedColumns`).
 */
const operationKeys = 'ALTER TABLE scf_operations ADD COLUMN submitted_by TEXT;';

/**
 * Which vouchers each applied operation concerns, so that a voucher's history and its proof are an
 * index range rather than a scan of every operation. Every applied result names its voucher at the
 * top level (`voucherId`: a split's parent and children, a settlement's payouts are pieces of that
 * one voucher); refusals and program operations name none. The engine adds the rows in the
 * transaction that stores the operation (persist); this statement fills the table from the
 * operations already decided, and an import rebuilds it the same way (it is not dumped).
 */
const operationVouchersTable = (int: string, options: string) => `
CREATE TABLE scf_operation_vouchers (
  voucher_id TEXT NOT NULL,
  seq ${int} NOT NULL,
  PRIMARY KEY (voucher_id, seq)
)${options};
`;
const fillOperationVouchers = (voucherId: string) => `
INSERT INTO scf_operation_vouchers (voucher_id, seq)
  SELECT ${voucherId}, seq FROM scf_operations WHERE outcome = 'applied' AND ${voucherId} IS NOT NULL;
`;
const fillOperationVouchersSql = {
  sqlite: fillOperationVouchers("json_extract(result, '$.voucherId')"),
  postgres: fillOperationVouchers("(result::jsonb ->> 'voucherId')"),
};

export const scfMigrations: readonly Migration[] = [
  { id: 'scf/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  {
    id: 'scf/002_financings',
    sql: { sqlite: financings((name) => `json_extract(result, '$.${name}')`), postgres: financings((name) => `(result::jsonb ->> '${name}')`) },
  },
  { id: 'scf/003_operation_keys', sql: { sqlite: operationKeys, postgres: operationKeys } },
  {
    id: 'scf/004_operation_vouchers',
    sql: {
      // On SQLite the primary key is the table: one b-tree to write per row, not a table and an index.
      sqlite: operationVouchersTable('INTEGER', ' WITHOUT ROWID') + fillOperationVouchersSql.sqlite,
      postgres: operationVouchersTable('BIGINT', '') + fillOperationVouchersSql.postgres,
    },
  },
];

export const scfTables: readonly TableSpec[] = [
  {
    name: 'scf_programs',
    columns: ['id', 'name', 'core_enterprise_id', 'ledger', 'credit_limit', 'outstanding', 'max_term_days', 'min_split_amount', 'max_split_depth', 'day_count_basis', 'created_at'],
    orderBy: 'id',
  },
  { name: 'scf_program_members', columns: ['program_id', 'party_id', 'role', 'account_id', 'added_at'], orderBy: 'program_id, party_id' },
  {
    name: 'scf_vouchers',
    columns: ['id', 'program_id', 'issuer_id', 'supplier_id', 'face_amount', 'issue_date', 'maturity_date', 'contract_hash', 'invoice_hashes', 'status', 'piece_count', 'created_at', 'updated_at'],
    orderBy: 'id',
  },
  {
    name: 'scf_pieces',
    columns: ['id', 'voucher_id', 'range_start', 'range_end', 'parent_id', 'depth', 'tier', 'holder_id', 'pending_holder_id', 'status', 'frozen_from', 'financing', 'updated_at'],
    orderBy: 'id',
  },
  { name: 'scf_holdings', columns: ['piece_id', 'tier', 'holder_id', 'operation_id', 'since'], orderBy: 'piece_id, tier' },
  { name: 'scf_invoices', columns: ['hash', 'voucher_id'], orderBy: 'hash' },
  { name: 'scf_financings', columns: ['operation_id', 'piece_id', 'voucher_id', 'bank_id', 'financed_on'], orderBy: 'operation_id' },
  { name: 'scf_head', columns: ['id', 'last_seq'], orderBy: 'id', replaceOnImport: true },
  // Dumps of versions before scf/003 lack submitted_by: their operations import as submitted by no key.
  { name: 'scf_operations', columns: ['seq', 'id', 'kind', 'fingerprint', 'outcome', 'result', 'attempt', 'created_at', 'submitted_by'], orderBy: 'seq', addedColumns: ['submitted_by'] },
  { name: 'scf_ledger_work', columns: ['operation_id', 'kind', 'fingerprint', 'attempt', 'state', 'transfers', 'updated_at'], orderBy: 'operation_id' },
  // Derived from scf_operations: not dumped, rebuilt on import (so dumps written before it import whole).
  { name: 'scf_operation_vouchers', columns: ['voucher_id', 'seq'], orderBy: 'voucher_id, seq', derived: fillOperationVouchersSql },
];
