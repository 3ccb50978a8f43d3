import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, type Api } from '../../../test/http/harness.ts';
import { exportDump, importDump, migrate } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation } from '../../platform.ts';
import { buildPacs008, type HeaderInput, type InterbankCreditTransfer } from '../iso20022/index.ts';
import { claimMessage, importerOf, type MessageIdentity } from './payments.duplicates.ts';
import { startNetworkApi, pain001, type Network } from './payments.http.test-support.ts';
import { paymentsMigrations } from './payments.migrations.ts';
import { createPaymentsWriter } from './payments.writer.ts';

/**
 * A sender's ISO 20022 message id names one file: the same file again is a replay that books
 * nothing new, another file under that id is refused whole with 409 duplicate_message_id.
 */
describeEachDialect('duplicate ISO 20022 message ids', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const send = (file: string) => api.call('POST', '/v1/payments/import', undefined, { raw: file, headers: { 'content-type': 'application/xml' } });
  const transferCount = async () => (await api.platform.db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM ledger_transfers'))?.n;

  /** Two customers of the Chinese bank, the debtor funded, and a one-transaction pain.001 writer between them. */
  async function customers(tag: string) {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, `CNDUP${tag}01`);
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, `CNDUP${tag}02`);
    const file = (messageId: string, amount: string, initiator = `Initiator ${tag}`, endToEndId = `${tag}-A`) => pain001({
      messageId, debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: initiator,
      transactions: [{ endToEndId, amount, currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' }],
    });
    return { debtor, creditor, file };
  }

  it('replays the same pain.001, refuses another file under its MsgId before booking, and takes the id from another sender', async () => {
    const { creditor, file } = await customers('P1');
    const first = file('DUP-P1', '10.00');
    const booked = (await send(first)).json();
    expect(booked.results.map((result: Record<string, unknown>) => [result.status, result.replayed])).toEqual([['ACCC', false]]);
    expect(await network.balance(creditor.id)).toBe(1_000n);

    const replay = (await send(first)).json();
    expect(replay.results.map((result: Record<string, unknown>) => [result.status, result.replayed, result.uetr])).toEqual([['ACCC', true, booked.results[0].uetr]]);

    const transfers = await transferCount();
    // Another amount under the same id, and another transaction altogether: both are other files.
    for (const other of [file('DUP-P1', '20.00'), file('DUP-P1', '10.00', undefined, 'P1-B')]) {
      const problem = expectProblem(await send(other), 409, 'duplicate_message_id', '/Document/CstmrCdtTrfInitn/GrpHdr/MsgId');
      expect(problem.reason_code).toBe('DU01');
      expect(problem.detail).toMatch(/DUP-P1/);
    }
    expect(await transferCount()).toBe(transfers);
    expect(await network.balance(creditor.id)).toBe(1_000n);

    // Message ids are unique per sender: another initiating party may use the same one.
    const otherSender = (await send(file('DUP-P1', '20.00', 'Another initiator', 'P1-C'))).json();
    expect(otherSender.results.map((result: Record<string, unknown>) => [result.status, result.replayed])).toEqual([['ACCC', false]]);
    expect(await network.balance(creditor.id)).toBe(3_000n);
  });

  it('refuses a pacs.008 reusing its instructing bank\'s MsgId, in or out of the envelope, with the path of that file', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNDUPX0001');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNDUPX0002');
    const transfer = (amount: bigint): InterbankCreditTransfer => ({
      endToEndId: `X-${amount}`, uetr: randomUUID(), amount: { amount, currency: 'CNY' }, settlementAmount: { amount, currency: 'CNY' }, settlementDate: '2026-01-01',
      chargeBearer: 'SHAR', charges: [], remittanceInformation: ['Invoice X'],
      debtor: { name: 'Huaxin Trading', account: { kind: 'other', id: debtor.identifier }, agentBic: network.banks.cn },
      creditor: { name: 'Ningbo Axle', account: { kind: 'other', id: creditor.identifier }, agentBic: network.banks.cn },
    });
    const header: HeaderInput = { fromBic: network.banks.cn, toBic: network.banks.us, businessMessageId: 'DUP-PACS-1', createdAt: '2026-01-01T09:00:00Z' };
    const build = (amount: bigint, from = header) => {
      const built = buildPacs008(from, [transfer(amount)]);
      if (!built.ok) throw new Error(built.error);
      return built.value;
    };
    const first = build(500n);
    const booked = (await send(first.combined)).json();
    expect(booked.results.map((result: Record<string, unknown>) => [result.status, result.replayed])).toEqual([['ACCC', false]]);
    expect((await send(first.combined)).json().results.map((result: Record<string, unknown>) => result.replayed)).toEqual([true]);

    const transfers = await transferCount();
    expectProblem(await send(build(600n).combined), 409, 'duplicate_message_id', '/BusinessMessage/Document/FIToFICstmrCdtTrf/GrpHdr/MsgId');
    // The bare document names the same bank as instructing agent; an eight-character BIC is the same bank.
    expectProblem(await send(first.document), 409, 'duplicate_message_id', '/Document/FIToFICstmrCdtTrf/GrpHdr/MsgId');
    expectProblem(await send(build(600n, { ...header, fromBic: network.banks.cn.slice(0, 8) }).combined), 409, 'duplicate_message_id');
    expect(await transferCount()).toBe(transfers);
    expect(await network.balance(creditor.id)).toBe(500n);
  });

  it('answers a file flagged as a possible duplicate of an imported MsgId as that duplicate, books it when the MsgId is new, and replays the same bytes', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNDUPPD001');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNDUPPD002');
    const transfer: InterbankCreditTransfer = {
      endToEndId: 'PD-1', uetr: randomUUID(), amount: { amount: 700n, currency: 'CNY' }, settlementAmount: { amount: 700n, currency: 'CNY' }, settlementDate: '2026-01-01',
      chargeBearer: 'SHAR', charges: [], remittanceInformation: ['Invoice PD'],
      debtor: { name: 'Huaxin Trading', account: { kind: 'other', id: debtor.identifier }, agentBic: network.banks.cn },
      creditor: { name: 'Ningbo Axle', account: { kind: 'other', id: creditor.identifier }, agentBic: network.banks.cn },
    };
    const build = (messageId: string, possibleDuplicate?: boolean, changes: Partial<InterbankCreditTransfer> = {}) => {
      const header: HeaderInput = { fromBic: network.banks.cn, toBic: network.banks.us, businessMessageId: messageId, createdAt: '2026-01-01T09:00:00Z', ...(possibleDuplicate === undefined ? {} : { possibleDuplicate }) };
      const built = buildPacs008(header, [{ ...transfer, ...changes }]);
      if (!built.ok) throw new Error(built.error);
      return built.value.combined;
    };
    expect((await send(build('DUP-PD-1'))).json().results.map((result: Record<string, unknown>) => result.replayed)).toEqual([false]);
    const transfers = await transferCount();

    // The sender resends the message it is unsure arrived, flagged: the flag alone makes other bytes.
    const resent = build('DUP-PD-1', true);
    expect(resent).toContain('<PssblDplct>true</PssblDplct>');
    for (const file of [resent, resent, build('DUP-PD-1', true, { amount: { amount: 800n, currency: 'CNY' }, settlementAmount: { amount: 800n, currency: 'CNY' } })]) {
      const problem = expectProblem(await send(file), 409, 'possible_duplicate_conflict', '/BusinessMessage/Document/FIToFICstmrCdtTrf/GrpHdr/MsgId');
      expect(problem.errors.map((error: { pointer: string }) => error.pointer)).toContain('/BusinessMessage/AppHdr/PssblDplct');
      expect(problem.reason_code).toBe('DU01');
      expect(problem.detail).toMatch(/possible duplicate/);
    }
    // PssblDplct false is no flag: another file under the id is the usual conflict.
    expectProblem(await send(build('DUP-PD-1', false)), 409, 'duplicate_message_id');
    expect(await transferCount()).toBe(transfers);
    expect(await network.balance(creditor.id)).toBe(700n);

    // A flagged file whose MsgId never arrived is processed as the original; the same bytes again replay.
    const first = build('DUP-PD-2', true, { endToEndId: 'PD-2', uetr: randomUUID() });
    expect((await send(first)).json().results.map((result: Record<string, unknown>) => [result.status, result.replayed])).toEqual([['ACCC', false]]);
    expect((await send(first)).json().results.map((result: Record<string, unknown>) => [result.status, result.replayed])).toEqual([['ACCC', true]]);
    expect(await network.balance(creditor.id)).toBe(1_400n);
  });

  it('books exactly one of two different files sent at the same moment under one MsgId', async () => {
    const { creditor, file } = await customers('C1');
    const files = [file('DUP-C1', '1.00'), file('DUP-C1', '2.00')];
    const answers = await Promise.all([0, 1, 0, 1, 0, 1].map((index) => send(files[index]!)));
    const winner = answers.findIndex((answer) => answer.statusCode === 200) % 2;
    answers.forEach((answer, position) => {
      if (position % 2 === winner) expect(answer.statusCode, answer.body).toBe(200);
      else expectProblem(answer, 409, 'duplicate_message_id');
    });
    expect(await network.balance(creditor.id)).toBe(winner === 0 ? 100n : 200n);
  });

  it('keeps the message ids through an export and import of the installation', async () => {
    const { file } = await customers('D1');
    expect((await send(file('DUP-D1', '3.00'))).statusCode).toBe(200);
    const dump = join(mkdtempSync(join(tmpdir(), 'sluice-duplicates-')), 'dump.jsonl');
    await exportDump(api.platform.db, ALL_TABLES, dump);
    const moved = await createPlatform({ db: await open(), clock: createManualClock(api.clock.nowMs()), expiryIntervalMs: 0 });
    try {
      await importDump(moved.db, ALL_TABLES, dump, () => isEmptyInstallation(moved));
      const refused = await moved.payments.importXml(file('DUP-D1', '4.00'));
      expect(refused).toMatchObject({ ok: false, refusal: { code: 'duplicate_message_id', status: 409 } });
      const replayed = await moved.payments.importXml(file('DUP-D1', '3.00'));
      expect(replayed.ok && replayed.value.outcomes.map(({ outcome }) => outcome.replayed)).toEqual([true]);
    } finally {
      await moved.close();
    }
  });
});

describeEachDialect('message ids recorded before they were counted per importer', ({ open }) => {
  it('keeps them in the admin and operator namespace, still refusing other files there, and counts participant keys apart', async () => {
    const db = await open();
    await migrate(db, paymentsMigrations.filter((migration) => migration.id < 'payments/004'));
    await db.transaction((tx) => tx.run(
      'INSERT INTO payment_imported_messages (message_definition, sender, message_id, fingerprint, imported_at) VALUES (?, ?, ?, ?, ?)',
      ['pain.001.001.09', 'Old Initiator', 'OLD-1', 'a'.repeat(64), '2026-01-01T00:00:00.000Z'],
    ));
    await migrate(db, paymentsMigrations);
    const writer = createPaymentsWriter(db);
    try {
      const identity = (fingerprint: string, scope: readonly string[] | null): MessageIdentity => ({
        definition: 'pain.001.001.09', importer: importerOf('pain.001.001.09', scope), sender: 'Old Initiator', messageId: 'OLD-1', fingerprint, path: '/',
      });
      const at = '2026-02-01T00:00:00.000Z';
      expect(await claimMessage(writer, identity('a'.repeat(64), null), at)).toEqual({ kind: 'same_file' });
      expect(await claimMessage(writer, identity('b'.repeat(64), null), at)).toEqual({ kind: 'other_file', importedAt: '2026-01-01T00:00:00.000Z' });
      expect(await claimMessage(writer, identity('b'.repeat(64), ['cust_b', 'cust_a']), at)).toEqual({ kind: 'first' });
      expect(await claimMessage(writer, identity('b'.repeat(64), ['cust_a', 'cust_b']), at)).toEqual({ kind: 'same_file' });
      expect(importerOf('pacs.008.001.08', ['bank'])).toBe('');
    } finally {
      await writer.stop();
      await db.close();
    }
  });
});
