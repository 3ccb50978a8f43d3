/**
 * Bank-to-customer statement (camt.053.001.08): the booked movements of one account over a period,
 * between an opening and a closing balance. The builder refuses a statement that does not add up.
 */
import type { Money } from '../../kernel/index.ts';
import { problem, refuse, type Iso20022Problem, type Iso20022Result } from './iso20022.errors.ts';
import { assemble, checkHeader } from './iso20022.header.ts';
import { checkAccount, checkBic, checkDate, checkDateTime, checkExternalCode, checkId, checkUetr, sumWritable } from './iso20022.checks.ts';
import { checkMoney, checkText, currencyScale, ISO_AMOUNT_MAX_MINOR } from './iso20022.values.ts';
import { accountId, agent, amount, element, text } from './iso20022.writer.ts';
import {
  ISO20022_LIMITS,
  MESSAGE_DEFINITIONS,
  type BankTransactionCode,
  type HeaderInput,
  type OutboundMessage,
  type Statement,
  type StatementBalance,
  type StatementEntry,
} from './iso20022.ts';

/** Codes used when an entry states none: a received or an issued credit transfer, sub-family "other". */
const DEFAULT_CREDIT_CODE: BankTransactionCode = { domain: 'PMNT', family: 'RCDT', subFamily: 'OTHR' };
const DEFAULT_DEBIT_CODE: BankTransactionCode = { domain: 'PMNT', family: 'ICDT', subFamily: 'OTHR' };

function checkBalance(problems: Iso20022Problem[], path: string, balance: StatementBalance): void {
  checkDate(problems, `${path}.date`, balance.date);
  const magnitude = balance.amount < 0n ? -balance.amount : balance.amount;
  if (magnitude > ISO_AMOUNT_MAX_MINOR) {
    problems.push(problem('amount_out_of_range', `${path}.amount`, 'ISO 20022 amounts have at most 18 digits'));
  }
}

function checkEntry(problems: Iso20022Problem[], path: string, entry: StatementEntry, currency: string): void {
  if (checkMoney(problems, `${path}.amount`, entry.amount) && entry.amount.currency !== currency) {
    problems.push(problem('currency_mismatch', `${path}.amount.currency`, `the account is in ${currency}; this entry is in ${entry.amount.currency}`));
  }
  if (entry.creditDebit !== 'CRDT' && entry.creditDebit !== 'DBIT') {
    problems.push(problem('invalid_code', `${path}.creditDebit`, `'${String(entry.creditDebit)}' is neither CRDT nor DBIT`));
  }
  checkDate(problems, `${path}.bookingDate`, entry.bookingDate);
  checkDate(problems, `${path}.valueDate`, entry.valueDate);
  checkId(problems, `${path}.entryReference`, entry.entryReference);
  checkId(problems, `${path}.accountServicerReference`, entry.accountServicerReference);
  checkId(problems, `${path}.endToEndId`, entry.endToEndId);
  checkId(problems, `${path}.instructionId`, entry.instructionId);
  checkUetr(problems, `${path}.uetr`, entry.uetr);
  (entry.remittanceInformation ?? []).forEach((line, index) => checkText(problems, `${path}.remittanceInformation[${index}]`, line, 140));
  const code = entry.bankTransactionCode;
  if (code) {
    checkExternalCode(problems, `${path}.bankTransactionCode.domain`, code.domain);
    checkExternalCode(problems, `${path}.bankTransactionCode.family`, code.family);
    checkExternalCode(problems, `${path}.bankTransactionCode.subFamily`, code.subFamily);
  }
}

/** Opening balance plus credits minus debits must give the closing balance, to the minor unit. */
function checkReconciles(problems: Iso20022Problem[], statement: Statement): void {
  const movement = statement.entries.reduce((sum, entry) => sum + (entry.creditDebit === 'CRDT' ? entry.amount.amount : -entry.amount.amount), 0n);
  const expected = statement.openingBalance.amount + movement;
  if (expected !== statement.closingBalance.amount) {
    problems.push(problem('balances_do_not_reconcile', 'statement.closingBalance.amount', `opening ${statement.openingBalance.amount} plus entries ${movement} is ${expected}, not ${statement.closingBalance.amount}`));
  }
}

function checkStatement(problems: Iso20022Problem[], statement: Statement): void {
  const { account: statementAccount } = statement;
  checkId(problems, 'statement.statementId', statement.statementId);
  checkAccount(problems, 'statement.account.identification', statementAccount.identification);
  if (currencyScale(statementAccount.currency) === undefined) {
    problems.push(problem('unknown_currency', 'statement.account.currency', `currency ${statementAccount.currency} is not an ISO 4217 currency Sluice supports`));
    return;
  }
  checkText(problems, 'statement.account.ownerName', statementAccount.ownerName, 140);
  checkBic(problems, 'statement.account.servicerBic', statementAccount.servicerBic);
  if (statement.electronicSequenceNumber !== undefined && (statement.electronicSequenceNumber < 0n || statement.electronicSequenceNumber >= 10n ** 18n)) {
    problems.push(problem('amount_out_of_range', 'statement.electronicSequenceNumber', 'the sequence number has at most 18 digits'));
  }
  checkDateTime(problems, 'statement.period.from', statement.period?.from);
  checkDateTime(problems, 'statement.period.to', statement.period?.to);
  checkBalance(problems, 'statement.openingBalance', statement.openingBalance);
  checkBalance(problems, 'statement.closingBalance', statement.closingBalance);
  if (statement.entries.length > ISO20022_LIMITS.transactionsMaxPerMessage) {
    problems.push(problem('too_many_transactions', 'statement.entries', `at most ${ISO20022_LIMITS.transactionsMaxPerMessage} entries fit in one statement; split the period`));
    return;
  }
  statement.entries.forEach((entry, index) => checkEntry(problems, `statement.entries[${index}]`, entry, statementAccount.currency));
  if (problems.length === 0) checkReconciles(problems, statement);
}

/** Builds a camt.053.001.08 statement with its header. */
export function buildCamt053(header: HeaderInput, statement: Omit<Statement, 'messageId' | 'createdAt'>): Iso20022Result<OutboundMessage> {
  const full: Statement = { ...statement, messageId: header.businessMessageId, createdAt: header.createdAt };
  const problems: Iso20022Problem[] = [];
  checkHeader(problems, header);
  checkStatement(problems, full);
  if (problems.length > 0) return refuse(problems.slice(0, ISO20022_LIMITS.problemsMaxPerMessage));
  const currency = full.account.currency;
  const body = element(
    'BkToCstmrStmt',
    element('GrpHdr', text('MsgId', full.messageId), text('CreDtTm', full.createdAt)),
    element(
      'Stmt',
      text('Id', full.statementId),
      text('ElctrncSeqNb', full.electronicSequenceNumber?.toString()),
      text('CreDtTm', full.createdAt),
      full.period && element('FrToDt', text('FrDtTm', full.period.from), text('ToDtTm', full.period.to)),
      writeAccount(full),
      writeBalance('OPBD', full.openingBalance, currency),
      writeBalance(full.interim ? 'ITBD' : 'CLBD', full.closingBalance, currency),
      writeSummary(full.entries),
      ...full.entries.map(writeEntry),
    ),
  );
  return { ok: true, value: assemble(header, MESSAGE_DEFINITIONS.bankToCustomerStatement, body) };
}

function writeAccount(statement: Statement): string {
  const { account: statementAccount } = statement;
  return element(
    'Acct',
    accountId(statementAccount.identification),
    text('Ccy', statementAccount.currency),
    element('Ownr', text('Nm', statementAccount.ownerName)),
    agent('Svcr', statementAccount.servicerBic),
  );
}

/** A balance is written as a magnitude with a credit or debit indicator; zero counts as credit. */
function writeBalance(code: 'OPBD' | 'CLBD' | 'ITBD', balance: StatementBalance, currency: string): string {
  const debit = balance.amount < 0n;
  return element(
    'Bal',
    element('Tp', element('CdOrPrtry', text('Cd', code))),
    amount('Amt', { amount: debit ? -balance.amount : balance.amount, currency }),
    text('CdtDbtInd', debit ? 'DBIT' : 'CRDT'),
    element('Dt', text('Dt', balance.date)),
  );
}

/** Counts and sums of credit and debit entries, which let a reader check the statement at a glance. */
function writeSummary(entries: readonly StatementEntry[]): string {
  const side = (name: string, indicator: 'CRDT' | 'DBIT'): string => {
    const amounts: Money[] = entries.filter((entry) => entry.creditDebit === indicator).map((entry) => entry.amount);
    if (amounts.length === 0) return '';
    return element(name, text('NbOfNtries', String(amounts.length)), text('Sum', sumWritable(amounts).controlSum));
  };
  return element('TxsSummry', side('TtlCdtNtries', 'CRDT'), side('TtlDbtNtries', 'DBIT'));
}

function writeEntry(entry: StatementEntry): string {
  const code = entry.bankTransactionCode ?? (entry.creditDebit === 'CRDT' ? DEFAULT_CREDIT_CODE : DEFAULT_DEBIT_CODE);
  const references = element('Refs', text('InstrId', entry.instructionId), text('EndToEndId', entry.endToEndId), text('UETR', entry.uetr));
  const remittance = element('RmtInf', ...(entry.remittanceInformation ?? []).map((line) => text('Ustrd', line)));
  return element(
    'Ntry',
    text('NtryRef', entry.entryReference),
    amount('Amt', entry.amount),
    text('CdtDbtInd', entry.creditDebit),
    element('Sts', text('Cd', 'BOOK')),
    element('BookgDt', text('Dt', entry.bookingDate)),
    entry.valueDate !== undefined && element('ValDt', text('Dt', entry.valueDate)),
    text('AcctSvcrRef', entry.accountServicerReference),
    element('BkTxCd', element('Domn', text('Cd', code.domain), element('Fmly', text('Cd', code.family), text('SubFmlyCd', code.subFamily)))),
    element('NtryDtls', element('TxDtls', references, remittance)),
  );
}
