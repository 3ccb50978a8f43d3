/**
 * Reading pieces common to pain.001 and pacs.008 out of a schema-valid tree: amounts, parties,
 * remittance, and the file-level checks (counts, control sums, duplicates). Readers collect
 * problems rather than stopping at the first, so one refusal lists everything wrong with a file.
 */
import type { Money } from '../../kernel/index.ts';
import { problem, type Iso20022Problem } from './iso20022.errors.ts';
import {
  addDecimals,
  amountFromXml,
  bicProblem,
  checkExchangeRate,
  compareDecimals,
  decimalToText,
  ibanProblem,
  isIsoDate,
  isIsoDateTime,
  isUetr,
  parseDecimal,
  type Decimal,
} from './iso20022.values.ts';
import { child, childrenNamed, descend, missing, textAt, type XmlNode } from './iso20022.xml.ts';
import { CHARGE_BEARERS, type AccountIdentification, type ChargeBearer, type Charge, type Party } from './iso20022.ts';

/** Reads an amount element (`<InstdAmt Ccy="EUR">12.50</InstdAmt>`) into minor units. */
export function readMoney(node: XmlNode, problems: Iso20022Problem[], allowZero = false): Money | undefined {
  const result = amountFromXml(node.text, node.attributes.Ccy ?? '', node, allowZero);
  if ('code' in result) {
    problems.push(result);
    return undefined;
  }
  return result;
}

/**
 * Checks a date or date-time of a file against what Sluice can write back. The schemas take any
 * year of xs:date, negative or of five digits, which no builder writes; such a file used to be
 * accepted and then fail with a 500 when the payment's status report quoted its creation time.
 */
export function checkReadDate(node: XmlNode | undefined, problems: Iso20022Problem[]): void {
  const text = node?.text.trim();
  if (node === undefined || text === undefined || isIsoDate(text) || isIsoDateTime(text)) return;
  problems.push(problem('invalid_date', node.path, `'${text}' is outside the years Sluice writes in messages (0100 to 9999)`));
}

/** Reads a BIC from an agent element (…Agt/FinInstnId/BICFI); `required` makes its absence a problem. */
export function readAgentBic(agent: XmlNode | undefined, owner: XmlNode, agentName: string, required: boolean, problems: Iso20022Problem[]): string | undefined {
  const bicNode = descend(agent, 'FinInstnId', 'BICFI');
  if (!bicNode) {
    if (required) problems.push(missing(owner, `${agentName}/FinInstnId/BICFI`, 'Sluice identifies agents between banks by BIC'));
    return undefined;
  }
  const reason = bicProblem(bicNode.text);
  if (reason) problems.push(problem('invalid_bic', bicNode.path, reason));
  return bicNode.text;
}

/** Reads a cash account: an IBAN (checked) or another identifier. */
export function readAccount(owner: XmlNode, accountName: string, problems: Iso20022Problem[]): AccountIdentification | undefined {
  const accountNode = child(owner, accountName);
  if (!accountNode) {
    problems.push(missing(owner, accountName, 'Sluice needs the account to book the payment'));
    return undefined;
  }
  const ibanNode = descend(accountNode, 'Id', 'IBAN');
  if (ibanNode) {
    const reason = ibanProblem(ibanNode.text);
    if (reason) problems.push(problem('invalid_iban', ibanNode.path, reason));
    return { kind: 'iban', iban: ibanNode.text };
  }
  const other = textAt(accountNode, 'Id', 'Othr', 'Id');
  return other === undefined ? undefined : { kind: 'other', id: other };
}

/**
 * Reads a debtor or creditor: the party element (for its name), its account and its agent, which
 * are siblings in both pain.001 and pacs.008 (Cdtr, CdtrAcct, CdtrAgt).
 */
export function readParty(
  owner: XmlNode,
  names: { party: string; account: string; agent: string },
  agentRequired: boolean,
  problems: Iso20022Problem[],
): Party | undefined {
  const partyNode = child(owner, names.party);
  const name = textAt(partyNode, 'Nm');
  if (name === undefined) problems.push(missing(owner, `${names.party}/Nm`, 'Sluice needs the name of every debtor and creditor'));
  const account = readAccount(owner, names.account, problems);
  const agentBic = readAgentBic(child(owner, names.agent), owner, names.agent, agentRequired, problems);
  if (name === undefined || account === undefined) return undefined;
  return { name, account, ...(agentBic !== undefined ? { agentBic } : {}) };
}

export function readChargeBearer(node: XmlNode | undefined): ChargeBearer | undefined {
  const text = node?.text;
  return CHARGE_BEARERS.find((bearer) => bearer === text);
}

/** Charges taken by agents (ChrgsInf), each an amount and the agent's BIC. */
export function readCharges(transaction: XmlNode, problems: Iso20022Problem[]): Charge[] {
  const charges: Charge[] = [];
  for (const chargeNode of childrenNamed(transaction, 'ChrgsInf')) {
    const amountNode = child(chargeNode, 'Amt');
    const amount = amountNode ? readMoney(amountNode, problems, true) : undefined;
    const agentBic = readAgentBic(child(chargeNode, 'Agt'), chargeNode, 'Agt', true, problems);
    if (amount && agentBic !== undefined) charges.push({ amount, agentBic });
  }
  return charges;
}

/** Unstructured remittance lines and the purpose code, which both messages place alike. */
export function readRemittanceAndPurpose(transaction: XmlNode): { remittanceInformation: string[]; purposeCode?: string } {
  const remittanceInformation = childrenNamed(child(transaction, 'RmtInf'), 'Ustrd').map((line) => line.text);
  const purposeCode = textAt(transaction, 'Purp', 'Cd');
  return { remittanceInformation, ...(purposeCode !== undefined ? { purposeCode } : {}) };
}

/** Reads and checks an exchange rate element (BaseOneRate). */
export function readExchangeRate(node: XmlNode | undefined, problems: Iso20022Problem[]): string | undefined {
  if (!node) return undefined;
  const rate = node.text.trim();
  const reason = checkExchangeRate(rate);
  if (reason) problems.push(problem('invalid_exchange_rate', node.path, reason));
  return rate;
}

/** Reads a UETR given in the message; the schema has checked its shape already. */
export function readUetr(paymentId: XmlNode | undefined, problems: Iso20022Problem[]): string | undefined {
  const node = child(paymentId, 'UETR');
  if (!node) return undefined;
  if (!isUetr(node.text)) problems.push(problem('invalid_uetr', node.path, `'${node.text}' is not a lower-case UUID version 4`));
  return node.text;
}

/** Remembers identifiers seen in one file and reports the second use of any of them. */
export function createDuplicateGuard(code: Iso20022Problem['code'], what: string, problems: Iso20022Problem[]) {
  const seen = new Map<string, string>();
  return (value: string | undefined, path: string): void => {
    if (value === undefined) return;
    const first = seen.get(value);
    if (first !== undefined) problems.push(problem(code, path, `${what} '${value}' was already used at ${first}`));
    else seen.set(value, path);
  };
}

/** NbOfTxs must state the number of transactions actually present. */
export function checkNumberOfTransactions(node: XmlNode | undefined, actual: number, problems: Iso20022Problem[]): void {
  if (!node) return;
  if (Number(node.text) !== actual) {
    problems.push(problem('number_of_transactions_mismatch', node.path, `NbOfTxs says ${node.text} but there are ${actual} transactions`));
  }
}

/** CtrlSum must equal the exact sum of the amounts as written, irrespective of currency (ISO's definition). */
export function checkControlSum(node: XmlNode | undefined, amounts: readonly Decimal[], problems: Iso20022Problem[]): void {
  if (!node) return;
  const stated = parseDecimal(node.text);
  const actual = amounts.reduce(addDecimals, { units: 0n, scale: 0 });
  if (!stated || compareDecimals(stated, actual) !== 0) {
    problems.push(problem('control_sum_mismatch', node.path, `CtrlSum says ${node.text.trim()} but the amounts add up to ${decimalToText(actual)}`));
  }
}

/** The decimal value of an amount element as written, for control sums. */
export function writtenAmount(node: XmlNode | undefined): Decimal {
  return (node && parseDecimal(node.text)) || { units: 0n, scale: 0 };
}
