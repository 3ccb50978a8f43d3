import type { HashAlgorithm } from '../../crypto/index.ts';
import type { Database } from '../../db/index.ts';
import { createManualClock, uuidv7 } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';

/**
 * A platform on `db` with a journal of `transfers` + 2 entries: a ledger, two accounts, then one
 * transfer a second, chained with `hashAlgorithm` (SHA-256 by default). The clock is a manual one
 * starting on 27 November 2026.
 */
export async function journaledPlatform(db: Database, transfers: number, hashAlgorithm?: HashAlgorithm): Promise<Platform> {
  const clock = createManualClock(Date.UTC(2026, 10, 27));
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, hashAlgorithm });
  await platform.ledger.createLedger({ id: 1, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  const [a, b] = [uuidv7(), uuidv7()];
  await platform.ledger.createAccounts([{ id: a, ledger: 1, code: 1, flags: 0 }, { id: b, ledger: 1, code: 1, flags: 0 }]);
  for (let round = 0; round < transfers; round++) {
    clock.advance(1000);
    await platform.ledger.createTransfers([{ id: uuidv7(), debitAccountId: a, creditAccountId: b, amount: BigInt(100 + round), ledger: 1, code: 1, flags: 0 }]);
  }
  return platform;
}
