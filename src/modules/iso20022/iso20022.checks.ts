/**
 * Checks of builder input. A builder refuses data that would make an invalid message, naming the
 * input field at fault, so every message Sluice sends is valid by construction rather than by luck.
 */
import type { Money } from '../../kernel/index.ts';
import { problem, type Iso20022Problem } from './iso20022.errors.ts';
import {
  addDecimals,
  amountToXml,
  bicProblem,
  checkExchangeRate,
  checkMoney,
  checkText,
  currencyScale,
  decimalToText,
  ibanProblem,
  isIsoDate,
  isIsoDateTime,
  isUetr,
  ISO_AMOUNT_MAX_MINOR,
  parseDecimal,
} from './iso20022.values.ts';
import {
  CHARGE_BEARERS,
  TRANSACTION_STATUSES,
  type AccountIdentification,
  type Charge,
  type CreditTransfer,
  type Party,
  type StatusReason,
} from './iso20022.ts';

/** The most digits a DecimalNumber (CtrlSum) or an amount may have in all. */
const TOTAL_DIGITS_MAX = 18;

/** Checks a BIC a builder is about to write. */
export function checkBic(problems: Iso20022Problem[], path: string, bic: string | undefined): void {
  if (bic === undefined) return;
  const reason = bicProblem(bic);
  if (reason) problems.push(problem('invalid_bic', path, reason));
}

/** Checks an identifier (Max35Text) a builder is about to write. */
export function checkId(problems: Iso20022Problem[], path: string, id: string | undefined): void {
  checkText(problems, path, id, 35);
}

export function checkDateTime(problems: Iso20022Problem[], path: string, value: string | undefined): void {
  if (value !== undefined && !isIsoDateTime(value)) {
    problems.push(problem('invalid_date', path, `'${value}' is not an ISO 8601 date-time like 2024-05-01T09:30:00Z`));
  }
}

export function checkDate(problems: Iso20022Problem[], path: string, value: string | undefined): void {
  if (value !== undefined && !isIsoDate(value)) problems.push(problem('invalid_date', path, `'${value}' is not a date like 2024-05-01`));
}

/** A requested execution date may be a date or a date-time (DateAndDateTime2Choice). */
export function checkDateOrDateTime(problems: Iso20022Problem[], path: string, value: string | undefined): void {
  if (value === undefined || isIsoDate(value)) return;
  checkDateTime(problems, path, value);
}

export function checkUetr(problems: Iso20022Problem[], path: string, uetr: string | undefined): void {
  if (uetr !== undefined && !isUetr(uetr)) problems.push(problem('invalid_uetr', path, `'${uetr}' is not a lower-case UUID version 4`));
}

export function checkAccount(problems: Iso20022Problem[], path: string, identification: AccountIdentification): void {
  if (identification.kind === 'iban') {
    const reason = ibanProblem(identification.iban);
    if (reason) problems.push(problem('invalid_iban', `${path}.iban`, reason));
  } else {
    checkText(problems, `${path}.id`, identification.id, 34);
  }
}

/** A party: name (Max140Text), account, and agent BIC (required between banks). */
export function checkParty(problems: Iso20022Problem[], path: string, party: Party, agentRequired: boolean): void {
  checkText(problems, `${path}.name`, party.name, 140);
  checkAccount(problems, `${path}.account`, party.account);
  if (party.agentBic === undefined && agentRequired) {
    problems.push(problem('missing_element', `${path}.agentBic`, 'agents are identified by BIC between banks'));
  }
  checkBic(problems, `${path}.agentBic`, party.agentBic);
}

export function checkCharges(problems: Iso20022Problem[], path: string, charges: readonly Charge[] | undefined): void {
  (charges ?? []).forEach((charge, index) => {
    checkMoney(problems, `${path}[${index}].amount`, charge.amount, true);
    checkBic(problems, `${path}[${index}].agentBic`, charge.agentBic);
  });
}

export function checkChargeBearer(problems: Iso20022Problem[], path: string, bearer: string | undefined): void {
  if (bearer !== undefined && !(CHARGE_BEARERS as readonly string[]).includes(bearer)) {
    problems.push(problem('invalid_code', path, `'${bearer}' is not a charge bearer (${CHARGE_BEARERS.join(', ')})`));
  }
}

/** External codes (purpose, reasons) are one to four upper-case letters or digits. */
export function checkExternalCode(problems: Iso20022Problem[], path: string, code: string | undefined): void {
  if (code !== undefined && !/^[A-Z0-9]{1,4}$/.test(code)) {
    problems.push(problem('invalid_code', path, `'${code}' is not an ISO external code (one to four upper-case letters or digits)`));
  }
}

export function checkStatus(problems: Iso20022Problem[], path: string, status: string | undefined): void {
  if (status !== undefined && !Object.hasOwn(TRANSACTION_STATUSES, status)) {
    problems.push(problem('invalid_code', path, `'${status}' is not a status Sluice reports (${Object.keys(TRANSACTION_STATUSES).join(', ')})`));
  }
}

export function checkReason(problems: Iso20022Problem[], path: string, reason: StatusReason | undefined): void {
  if (!reason) return;
  checkExternalCode(problems, `${path}.code`, reason.code);
  (reason.additionalInformation ?? []).forEach((line, index) => checkText(problems, `${path}.additionalInformation[${index}]`, line, 105));
}

/** What every credit transfer must satisfy before it is written, whatever the message. */
export function checkTransferCommon(problems: Iso20022Problem[], path: string, transfer: CreditTransfer): void {
  checkId(problems, `${path}.endToEndId`, transfer.endToEndId);
  checkId(problems, `${path}.instructionId`, transfer.instructionId);
  checkUetr(problems, `${path}.uetr`, transfer.uetr);
  checkMoney(problems, `${path}.amount`, transfer.amount);
  if (transfer.settlementAmount) checkMoney(problems, `${path}.settlementAmount`, transfer.settlementAmount);
  checkDate(problems, `${path}.settlementDate`, transfer.settlementDate);
  checkDateOrDateTime(problems, `${path}.requestedExecutionDate`, transfer.requestedExecutionDate);
  if (transfer.exchangeRate !== undefined) {
    const reason = checkExchangeRate(transfer.exchangeRate);
    if (reason) problems.push(problem('invalid_exchange_rate', `${path}.exchangeRate`, reason));
  }
  checkChargeBearer(problems, `${path}.chargeBearer`, transfer.chargeBearer);
  checkCharges(problems, `${path}.charges`, transfer.charges);
  checkExternalCode(problems, `${path}.purposeCode`, transfer.purposeCode);
  transfer.remittanceInformation.forEach((line, index) => checkText(problems, `${path}.remittanceInformation[${index}]`, line, 140));
}

/**
 * The control sum (all amounts, whatever their currency) and, when every amount has the same
 * currency, the total. Either is left out when it would not fit in 18 digits: both are optional
 * in the schemas, and a total that cannot be written is better absent than wrong.
 */
export function sumWritable(amounts: readonly Money[]): { controlSum?: string; total?: Money } {
  const sum = amounts.reduce((total, money) => addDecimals(total, parseDecimal(amountToXml(money)) ?? { units: 0n, scale: 0 }), { units: 0n, scale: 0 });
  const controlSum = sum.units.toString().length <= TOTAL_DIGITS_MAX ? decimalToText(sum) : undefined;
  const currency = amounts[0]?.currency;
  const sameCurrency = currency !== undefined && currencyScale(currency) !== undefined && amounts.every((money) => money.currency === currency);
  const totalMinor = amounts.reduce((total, money) => total + money.amount, 0n);
  const total = sameCurrency && totalMinor <= ISO_AMOUNT_MAX_MINOR ? { amount: totalMinor, currency } : undefined;
  return { ...(controlSum !== undefined ? { controlSum } : {}), ...(total !== undefined ? { total } : {}) };
}
