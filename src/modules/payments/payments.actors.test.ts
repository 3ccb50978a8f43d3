import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, testDialects } from '../../../test/support/databases.ts';
import { expectProblem, uuid, type Api } from '../../../test/http/harness.ts';
import { exportDump, importDump, type Database } from '../../db/index.ts';
import { createManualClock } from '../../kernel/index.ts';
import { ALL_TABLES, createPlatform, isEmptyInstallation } from '../../platform.ts';
import { importTools, pain001, startNetworkApi, type Network } from './payments.http.test-support.ts';
import { canonicalMetadata } from '../ledger/index.ts';

/**
 * Which key did what (docs/security.md): a payment records the API key that submitted it, and each
 * status change the key whose request caused it (a submission's steps its submitter's; an accept,
 * reject, cancel or return the acting key's; what the process does on its own, none). Staff keys
 * see every key id on payments, trackers and the events feed; a participant key sees its own key's
 * id and null for any other, so it learns no other key's id. The ids survive a dump's move.
 */
describeEachDialect('which key submitted, accepted, rejected, cancelled or returned a payment', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  const keyFor = async (name: string, role: string, partyIds?: string[]) => {
    const created = await api.ok('POST', '/v1/api-keys', { name, role, ...(partyIds ? { party_ids: partyIds } : {}) }, 201);
    return { id: created.id as string, key: created.key as string };
  };
  /** A payment as one key sees it: who submitted it, and each status change with its key. */
  const seenBy = async (key: string, uetr: string) => {
    const [payment, track] = [await api.ok('GET', `/v1/payments/${uetr}`, undefined, 200, { key }), await api.ok('GET', `/v1/payments/${uetr}/track`, undefined, 200, { key })];
    return { submittedBy: payment.submitted_by, events: track.events.map((event: { status: string; key_id: string | null }) => [event.status, event.key_id]) };
  };
  const stored = async (uetr: string) => ({
    submittedBy: (await api.platform.db.get<{ submitted_by: string | null }>('SELECT submitted_by FROM payments WHERE uetr = ?', [uetr]))?.submitted_by,
    events: (await api.platform.db.all<{ status: string; key_id: string | null }>('SELECT status, key_id FROM payment_events WHERE uetr = ? ORDER BY seq', [uetr])).map((row) => [row.status, row.key_id]),
  });
  const pay = (key: string, body: Record<string, unknown>) => api.ok('POST', '/v1/payments', { id: uuid(), amount: '10000', currency: 'CNY', ...body }, 201, { key });

  it('names the submitting key and the returning key to staff, and to each participant key only its own', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.us, 'CNY')];
    const [debtorBank, creditorBank, otherDebtorKey] = [
      await keyFor('hxcb payments', 'participant', ['bank-hxcb']), await keyFor('fnbk payments', 'participant', ['bank-fnbk']),
      await keyFor('hxcb branch', 'participant', ['bank-hxcb']),
    ];
    const [auditor, analyst] = [await keyFor('audit', 'auditor'), await keyFor('analysis', 'analyst')];
    const stranger = await keyFor('stranger', 'participant', [(await network.customer(network.banks.cn, 'CNY')).partyId]);

    const paid = await pay(debtorBank.key, { debtor_account: from.id, creditor_account: to.id });
    expect(paid).toMatchObject({ status: 'ACCC', submitted_by: debtorBank.id });
    // Its legs are journaled as submitted by the same key.
    const legs = await api.platform.db.all<{ id: string }>('SELECT id FROM ledger_transfers WHERE metadata = ?', [canonicalMetadata({ payment_uetr: paid.uetr })]);
    expect(legs.length).toBeGreaterThan(0);
    for (const leg of legs) expect((await api.ok('GET', `/v1/transfers/${leg.id}`, undefined, 200, { key: auditor.key })).submitted_by).toBe(debtorBank.id);
    const returned = await api.ok('POST', `/v1/payments/${paid.uetr}/return`, { reason: 'CUST' }, 200, { key: creditorBank.key });
    // The creditor's bank is answered with its own return, not with the id of the key that paid.
    expect(returned).toMatchObject({ status: 'RTND', submitted_by: null });

    const [d, c] = [debtorBank.id, creditorBank.id];
    const everything = { submittedBy: d, events: [['RCVD', d], ['ACTC', d], ['ACSP', d], ['ACCC', d], ['RTND', c]] };
    expect(await stored(paid.uetr)).toEqual(everything);
    for (const staff of [auditor.key, analyst.key, api.adminKey]) expect(await seenBy(staff, paid.uetr)).toEqual(everything);
    expect(await seenBy(debtorBank.key, paid.uetr)).toEqual({ submittedBy: d, events: [['RCVD', d], ['ACTC', d], ['ACSP', d], ['ACCC', d], ['RTND', null]] });
    expect(await seenBy(creditorBank.key, paid.uetr)).toEqual({ submittedBy: null, events: [['RCVD', null], ['ACTC', null], ['ACSP', null], ['ACCC', null], ['RTND', c]] });
    // Another key of the same bank is another key: it learns neither id.
    expect(await seenBy(otherDebtorKey.key, paid.uetr)).toEqual({ submittedBy: null, events: [['RCVD', null], ['ACTC', null], ['ACSP', null], ['ACCC', null], ['RTND', null]] });
    // A participant of a bank the payment does not involve does not see the payment at all.
    expectProblem(await api.call('GET', `/v1/payments/${paid.uetr}`, undefined, { key: stranger.key }), 404, 'payment_not_found');
    expectProblem(await api.call('GET', `/v1/payments/${paid.uetr}/track`, undefined, { key: stranger.key }), 404, 'payment_not_found');

    // The polling feed follows the same rule, and so do lists.
    const feed = async (key: string) => (await api.ok('GET', '/v1/payments/events?limit=100', undefined, 200, { key })).data
      .filter((event: { uetr: string }) => event.uetr === paid.uetr).map((event: { status: string; key_id: string | null }) => [event.status, event.key_id]);
    expect(await feed(auditor.key)).toEqual(everything.events);
    expect(await feed(creditorBank.key)).toEqual([['RCVD', null], ['ACTC', null], ['ACSP', null], ['ACCC', null], ['RTND', c]]);
    const listed = async (key: string) => (await api.ok('GET', '/v1/payments?order=desc&limit=100', undefined, 200, { key })).data.find((payment: { uetr: string }) => payment.uetr === paid.uetr)?.submitted_by;
    expect([await listed(auditor.key), await listed(debtorBank.key), await listed(creditorBank.key)]).toEqual([d, d, null]);
  });

  it('names the keys that cancel, accept and reject held payments, and none for a window that closed or a payment made inside the process', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.us, 'CNY')];
    const [operator, debtorBank, creditorBank, auditor] = [
      await keyFor('desk', 'operator'), await keyFor('hxcb', 'participant', ['bank-hxcb']), await keyFor('fnbk', 'participant', ['bank-fnbk']), await keyFor('audit', 'auditor'),
    ];
    const hold = (extra: Record<string, unknown> = {}) => pay(operator.key, { debtor_account: from.id, creditor_account: to.id, settlement: 'on_acceptance', ...extra });
    const [cancelled, accepted, rejected, expired] = [await hold(), await hold(), await hold(), await hold({ acceptance_timeout_seconds: 5 })];
    await api.ok('POST', `/v1/payments/${cancelled.uetr}/cancel`, { reason: 'DUPL' }, 200, { key: debtorBank.key });
    await api.ok('POST', `/v1/payments/${accepted.uetr}/accept`, undefined, 200, { key: creditorBank.key });
    await api.ok('POST', `/v1/payments/${rejected.uetr}/reject`, { reason: 'AC04' }, 200, { key: creditorBank.key });
    api.clock.advance(60_000);
    expect(await api.platform.payments.expireDue()).toBeGreaterThanOrEqual(1);

    const o = operator.id;
    const submitted = [['RCVD', o], ['ACTC', o], ['ACSP', o]];
    expect(await seenBy(auditor.key, cancelled.uetr)).toEqual({ submittedBy: o, events: [...submitted, ['CANC', debtorBank.id]] });
    expect(await seenBy(auditor.key, accepted.uetr)).toEqual({ submittedBy: o, events: [...submitted, ['ACCC', creditorBank.id]] });
    expect(await seenBy(auditor.key, rejected.uetr)).toEqual({ submittedBy: o, events: [...submitted, ['RJCT', creditorBank.id]] });
    expect(await seenBy(auditor.key, expired.uetr)).toEqual({ submittedBy: o, events: [...submitted, ['RJCT', null]] });
    expect(await stored(rejected.uetr)).toEqual({ submittedBy: o, events: [...submitted, ['RJCT', creditorBank.id]] });
    // The creditor's bank sees its own acceptance, not the operator's submission.
    expect(await seenBy(creditorBank.key, accepted.uetr)).toEqual({ submittedBy: null, events: [['RCVD', null], ['ACTC', null], ['ACSP', null], ['ACCC', creditorBank.id]] });

    const inside = await api.platform.payments.submit({
      id: uuid(), endToEndId: 'INSIDE-1', debtorAccount: from.id, creditorAccount: to.id, amount: 10_000n, currency: 'CNY', chargeBearer: 'SHAR', remittance: [], settlement: 'immediate', source: 'api',
    });
    expect(inside.payment?.status).toBe('ACCC');
    expect(await seenBy(auditor.key, inside.payment!.uetr)).toEqual({ submittedBy: null, events: [['RCVD', null], ['ACTC', null], ['ACSP', null], ['ACCC', null]] });
  });

  it('names the key that opened a customer account or a participant\'s accounts on GET /v1/accounts/{id}: to staff, not to the customer\'s key', async () => {
    const [operator, auditor] = [await keyFor('accounts desk', 'operator'), await keyFor('account audit', 'auditor')];
    const adminKeyId = (await api.platform.auth.authenticate(api.adminKey))!.id;
    const partyId = `cust_${uuid().slice(0, 8)}`;
    await api.ok('POST', '/v1/parties', { id: partyId, name: partyId, kind: 'individual', jurisdiction: 'CN' }, 201);
    const customerKey = await keyFor('customer', 'participant', [partyId]);
    const opened = await api.ok('POST', '/v1/payments/accounts', { bic: network.banks.cn, party_id: partyId, currency: 'CNY' }, 201, { key: operator.key });
    const openedBy = async (accountId: string, key: string) => (await api.ok('GET', `/v1/accounts/${accountId}`, undefined, 200, { key })).submitted_by;
    expect(await openedBy(opened.account_id, auditor.key)).toBe(operator.id);
    // The customer's own key reads its account, but not which other key opened it.
    expect(await openedBy(opened.account_id, customerKey.key)).toBeNull();
    // The ledger batch's journal entry names the key, as for accounts opened through /v1/accounts.
    const account = await api.platform.ledger.getAccount(opened.account_id);
    const entry = await api.platform.journal.entryAt('ledger.batch', account!.timestamp);
    expect((JSON.parse(entry!.payload) as { keys: [string, string, string][] }).keys).toContainEqual([operator.id, String(account!.timestamp), String(account!.timestamp)]);
    // A participant's settlement account, opened when the set-up enabled its currency with the bootstrap key.
    const terms = await api.ok('GET', `/v1/payments/participants/${network.banks.cn}`);
    const settlement = terms.currencies.find((currency: { currency: string }) => currency.currency === 'CNY').settlement_account_id as string;
    expect(await openedBy(settlement, auditor.key)).toBe(adminKeyId);
    // One opened inside the process names no key.
    const inside = await api.platform.payments.directory.openAccount({ id: uuid(), bic: network.banks.cn, partyId, currency: 'USD' });
    expect(inside.ok).toBe(true);
    expect(await openedBy(inside.ok ? inside.value.account.accountId : '', auditor.key)).toBeNull();
    expect((await api.platform.verify()).ok).toBe(true);
  });

  it('names the deciding key when recovery carries out a decision that a crash interrupted', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.us, 'CNY')];
    const [debtorBank, auditor] = [await keyFor('hxcb recovery', 'participant', ['bank-hxcb']), await keyFor('audit recovery', 'auditor')];
    const held = await pay(debtorBank.key, { debtor_account: from.id, creditor_account: to.id, settlement: 'on_acceptance' });
    // The state a crash leaves once a cancellation is decided (what cancel writes first).
    const decision = JSON.stringify({ status: 'CANC', reasonCode: 'DUPL', error: null, by: debtorBank.id });
    await api.platform.db.run("UPDATE payments SET ledger_state = 'voiding', decision_json = ?, updated_at = '2000-01-01T00:00:00.000Z' WHERE uetr = ?", [decision, held.uetr]);
    await api.platform.payments.recover();
    const d = debtorBank.id;
    expect(await seenBy(auditor.key, held.uetr)).toEqual({ submittedBy: d, events: [['RCVD', d], ['ACTC', d], ['ACSP', d], ['CANC', d]] });
  });

  it('names the key that imported a pain.001 as the submitter of every payment it books', async () => {
    const debtor = await network.customer(network.banks.cn, 'CNY', 1_000_000n, 'CNACCACT0001');
    const creditor = await network.customer(network.banks.cn, 'CNY', 0n, 'CNACCACT0002');
    const [customer, auditor] = [await keyFor('customer', 'participant', [debtor.partyId]), await keyFor('audit', 'auditor')];
    const file = pain001({
      messageId: 'ACT-IMPORT-1', debtorAccount: debtor.identifier, debtorAgent: network.banks.cn, debtorName: 'Actor Trading',
      transactions: ['1', '2'].map((n) => ({ endToEndId: `ACT-${n}`, amount: `${n}.00`, currency: 'CNY', creditorAgent: network.banks.cn, creditorAccount: creditor.identifier, creditorName: 'Ningbo Axle' })),
    });
    const imported = await importTools(() => api).send(file, customer.key);
    expect(imported.statusCode, imported.body).toBe(200);
    const uetrs = imported.json().results.map((result: { uetr: string }) => result.uetr) as string[];
    expect(uetrs).toHaveLength(2);
    const k = customer.id;
    for (const uetr of uetrs) {
      expect(await seenBy(auditor.key, uetr)).toEqual({ submittedBy: k, events: [['RCVD', k], ['ACTC', k], ['ACSP', k], ['ACCC', k]] });
      expect((await seenBy(customer.key, uetr)).submittedBy).toBe(k);
    }
  });

  it('carries the keys through a dump, and imports a dump of a version without them as made by no key', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.us, 'CNY')];
    const [debtorBank, creditorBank] = [await keyFor('hxcb dump', 'participant', ['bank-hxcb']), await keyFor('fnbk dump', 'participant', ['bank-fnbk'])];
    const paid = await pay(debtorBank.key, { debtor_account: from.id, creditor_account: to.id });
    await api.ok('POST', `/v1/payments/${paid.uetr}/return`, { reason: 'CUST' }, 200, { key: creditorBank.key });

    const rows = async (db: Database) => ({
      payments: (await db.all<{ id: string; submitted_by: string | null; events_json: string }>('SELECT id, submitted_by, events_json FROM payments ORDER BY id')).map((row) => ({ ...row })),
      events: (await db.all<{ seq: bigint; key_id: string | null }>('SELECT seq, key_id FROM payment_events ORDER BY seq')).map((row) => [String(row.seq), row.key_id]),
    });
    const before = await rows(api.platform.db);
    expect(before.payments.find((row) => row.submitted_by === debtorBank.id)).toBeDefined();
    expect(before.events.filter(([, key]) => key === creditorBank.id)).toHaveLength(1);

    const folder = mkdtempSync(join(tmpdir(), 'sluice-actors-'));
    const file = join(folder, 'dump.jsonl');
    await exportDump(api.platform.db, ALL_TABLES, file);
    const moved = async (dump: string, into: () => Promise<Database> = open) => {
      const target = await createPlatform({ db: await into(), clock: createManualClock(), expiryIntervalMs: 0 });
      try {
        await importDump(target.db, ALL_TABLES, dump, () => isEmptyInstallation(target));
        const tracked = await target.payments.track(paid.uetr);
        return { rows: await rows(target.db), submittedBy: tracked?.payment.submittedBy, events: tracked?.events.map((event) => [event.status, event.keyId]) };
      } finally {
        await target.close();
      }
    };
    // Into each dialect this run has, so from SQLite to PostgreSQL and back as well.
    for (const { dialect, open: into } of testDialects()) {
      const after = await moved(file, into);
      expect(after.rows, `moved into ${dialect}`).toEqual(before);
      expect(after.submittedBy).toBe(debtorBank.id);
      expect(after.events).toEqual([['RCVD', debtorBank.id], ['ACTC', debtorBank.id], ['ACSP', debtorBank.id], ['ACCC', debtorBank.id], ['RTND', creditorBank.id]]);
    }

    // A dump written before the columns existed: the header and rows of both tables without them.
    const added: Record<string, string> = { payments: 'submitted_by', payment_events: 'key_id' };
    const older = join(folder, 'older.jsonl');
    writeFileSync(older, `${readFileSync(file, 'utf8').trimEnd().split('\n').map((line, index) => {
      const parsed = JSON.parse(line) as { tables?: { name: string; columns: string[] }[]; t?: string; r?: unknown[] };
      if (index === 0) {
        for (const [name, column] of Object.entries(added)) expect(parsed.tables!.find((table) => table.name === name)?.columns.at(-1)).toBe(column);
        return JSON.stringify({ ...parsed, tables: parsed.tables!.map((table) => (added[table.name] ? { ...table, columns: table.columns.slice(0, -1) } : table)) });
      }
      return parsed.t && added[parsed.t] ? JSON.stringify({ t: parsed.t, r: parsed.r!.slice(0, -1) }) : line;
    }).join('\n')}\n`);
    const fromOlder = await moved(older);
    expect(fromOlder.rows.payments.map((row) => row.id)).toEqual(before.payments.map((row) => row.id));
    expect(fromOlder.rows.payments.every((row) => row.submitted_by === null)).toBe(true);
    expect(fromOlder.rows.events.map(([seq, key]) => [seq, key])).toEqual(before.events.map(([seq]) => [seq, null]));
    expect(fromOlder.submittedBy).toBeNull();
  });
});
