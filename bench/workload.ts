import { join } from 'node:path';
import { openSqlite } from '../src/db/index.ts';
import { LIMITS, systemClock, uuidv7 } from '../src/kernel/index.ts';
import { createPlatform, type Platform } from '../src/platform.ts';
import type { AccountRequest, TransferRequest } from '../src/modules/ledger/index.ts';

/** TigerBeetle's batch size, the largest the engine takes in one call. */
export const BATCH_SIZE = LIMITS.batchMaxItems;
export const BENCH_LEDGER = 1;
export const ACCOUNT_CODE = 100;
/** Transfers spread over a few codes so that the code index sees realistic keys. */
const TRANSFER_CODES = 8;
const AMOUNT_MAX_MINOR = 100_000;

/** A platform on a durable SQLite file (WAL, synchronous=FULL), as `sluice start` would open it. */
export async function openBenchPlatform(dir: string): Promise<Platform> {
  const db = openSqlite(join(dir, 'sluice.db'));
  // Expiry is driven by the batches themselves; a timer would only add noise to the measurements.
  const platform = await createPlatform({ db, clock: systemClock, expiryIntervalMs: 0 });
  const created = await platform.ledger.createLedger({ id: BENCH_LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  if (!created.ok) throw new Error(`could not create the benchmark ledger: ${created.error}`);
  return platform;
}

export interface CreateAccountsOptions {
  readonly flags?: number;
  /** Called after every batch with the number of accounts created so far. */
  readonly onBatch?: (created: number) => void;
  /** False when the caller does not need the ids (the memory benchmark must not hold them). */
  readonly keepIds?: boolean;
}

/** Creates `count` accounts through the engine, a full batch per call, and returns their ids. */
export async function createAccounts(platform: Platform, count: number, options: CreateAccountsOptions = {}): Promise<string[]> {
  const ids: string[] = [];
  let created = 0;
  for (let start = 0; start < count; start += BATCH_SIZE) {
    const batch: AccountRequest[] = [];
    for (let index = start; index < Math.min(count, start + BATCH_SIZE); index++) {
      batch.push({ id: uuidv7(), ledger: BENCH_LEDGER, code: ACCOUNT_CODE, flags: options.flags ?? 0 });
    }
    const results = await platform.ledger.createAccounts(batch);
    for (const result of results) {
      if (result.result !== 'ok') throw new Error(`account ${result.id} was refused: ${result.result}`);
      if (options.keepIds !== false) ids.push(result.id);
    }
    created += results.length;
    options.onBatch?.(created);
  }
  return ids;
}

/**
 * One batch of valid plain transfers between random distinct accounts, with fresh time-ordered
 * ids. Both the engine and the baseline consume the same batches.
 */
export function transferBatch(accountIds: readonly string[], random: () => number, size = BATCH_SIZE): TransferRequest[] {
  const batch: TransferRequest[] = [];
  for (let index = 0; index < size; index++) {
    const debit = Math.floor(random() * accountIds.length);
    let credit = Math.floor(random() * (accountIds.length - 1));
    if (credit >= debit) credit += 1;
    batch.push({
      id: uuidv7(),
      debitAccountId: accountIds[debit] as string,
      creditAccountId: accountIds[credit] as string,
      amount: BigInt(1 + Math.floor(random() * AMOUNT_MAX_MINOR)),
      ledger: BENCH_LEDGER,
      code: 1 + Math.floor(random() * TRANSFER_CODES),
      flags: 0,
    });
  }
  return batch;
}

/** Fails loudly if any transfer was refused: a benchmark of rejected work would measure nothing. */
export function expectAllOk(results: readonly { result: string; id: string }[]): void {
  for (const result of results) {
    if (result.result !== 'ok') throw new Error(`transfer ${result.id} was refused: ${result.result}`);
  }
}
