/**
 * The console as keys of other roles than admin see it, in a real browser: a participant (a bank
 * that sees only its own parties) and an auditor (read and verify) are shown only the pages their
 * role may use, a page opened by its address that the role may not use says so instead of showing
 * the server's 403, in either language, and the actions the role may not take are disabled. A payment
 * page names the key that submitted the payment and the key behind each status change, linked to
 * the audit trail for a key that may read it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium } from '../support/databases.ts';
import { killAllSluice, sluiceClient, startSluice, type Client, type SluiceProcess } from '../support/server-process.ts';
import { buildConsole, inChinese, launchBrowser, type Browser } from './browser.ts';

const UI_TIMEOUT_MS = 30_000;

/** Answers `expected`, or the test stops with what the server said instead. */
async function ok(client: Client, method: string, path: string, body: unknown, expected = 200): Promise<any> {
  const answer = await client.request(method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(expected);
  return answer.body;
}

/**
 * A small CNY payment network, set up through the API by an admin key: two banks with their
 * settlement accounts funded, and a funded customer of each. Returns the customers' accounts.
 */
async function setUpPayments(admin: Client): Promise<{ debtor: string; creditor: string }> {
  await ok(admin, 'POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'CNY' }, 201);
  const source = randomUUID();
  await ok(admin, 'POST', '/v1/accounts', { id: source, ledger: 1, code: 1 }, 201);
  const fund = (account: string) => ok(admin, 'POST', '/v1/transfers', { id: randomUUID(), debit_account_id: source, credit_account_id: account, amount: '100000000', ledger: 1, code: 1 }, 201);
  const accounts: string[] = [];
  for (const [bic, party] of [['HXCBCNSHXXX', 'bank-hxcb'], ['FNBKCNSHXXX', 'bank-fnbk']] as const) {
    await ok(admin, 'POST', '/v1/parties', { id: party, name: `Bank ${bic}`, kind: 'bank', jurisdiction: 'CN' }, 201);
    await ok(admin, 'POST', '/v1/payments/participants', { bic, party_id: party }, 201);
    const terms = await ok(admin, 'PUT', `/v1/payments/participants/${bic}/currencies/CNY`, { fee_fixed: '100', fee_bps: 10 });
    await fund(terms.settlement_account_id as string);
    const customer = `cust-${party}`;
    await ok(admin, 'POST', '/v1/parties', { id: customer, name: `Customer of ${bic}`, kind: 'individual', jurisdiction: 'CN' }, 201);
    const account = await ok(admin, 'POST', '/v1/payments/accounts', { bic, party_id: customer, currency: 'CNY' }, 201);
    await fund(account.account_id as string);
    accounts.push(account.account_id as string);
  }
  return { debtor: accounts[0]!, creditor: accounts[1]! };
}

describeWithChromium('web console for keys of each role', (chromiumPath) => {
  let server: SluiceProcess;
  let browser: Browser;
  const keys: Record<'participant' | 'auditor', string> = { participant: '', auditor: '' };
  /** Requests the console made for its key's identity, and any it made that the server refused with 403. */
  const identityRequests: string[] = [];
  const refused: string[] = [];
  let officerKeyId = '';
  let createdKeyId = '';
  /** A payment the officer's key made over the API, and one a key of the debtor's bank made. */
  let officerPayment = '';
  let bankPayment = '';
  let bankKey = { id: '', key: '' };

  beforeAll(async () => {
    await buildConsole();
    server = await startSluice({});
    const admin = sluiceClient(server.url);
    expect((await admin.post('/v1/parties', { id: 'bank-roles', name: 'Roles Bank', kind: 'enterprise', jurisdiction: 'CN' })).status).toBe(201);
    const participant = await admin.post('/v1/api-keys', { name: 'roles bank desk', role: 'participant', party_ids: ['bank-roles'] });
    const auditor = await admin.post('/v1/api-keys', { name: 'external audit', role: 'auditor' });
    expect([participant.status, auditor.status]).toEqual([201, 201]);
    keys.participant = participant.body.key as string;
    keys.auditor = auditor.body.key as string;
    // Set up before the officer acts, so that the officer's action stays the newest in the trail.
    const { debtor, creditor } = await setUpPayments(admin);
    const bank = await admin.post('/v1/api-keys', { name: 'hxcb payments', role: 'participant', party_ids: ['bank-hxcb'] });
    expect(bank.status).toBe(201);
    bankKey = { id: bank.body.id as string, key: bank.body.key as string };
    // An admin action for the auditor to find in the trail: a second admin key creates a key.
    const officer = await admin.post('/v1/api-keys', { name: 'security officer', role: 'admin' });
    expect(officer.status).toBe(201);
    officerKeyId = officer.body.id as string;
    const created = await sluiceClient(server.url, officer.body.key as string).post('/v1/api-keys', { name: 'nightly export', role: 'analyst' });
    expect(created.status).toBe(201);
    createdKeyId = created.body.id as string;
    // Payments are not control-plane actions: the trail does not record them.
    const pay = (client: Client) => ok(client, 'POST', '/v1/payments', { id: randomUUID(), amount: '10000', currency: 'CNY', debtor_account: debtor, creditor_account: creditor }, 201);
    const paidByOfficer = await pay(sluiceClient(server.url, officer.body.key as string));
    expect(paidByOfficer).toMatchObject({ status: 'ACCC', submitted_by: officerKeyId });
    officerPayment = paidByOfficer.uetr as string;
    bankPayment = (await pay(sluiceClient(server.url, bankKey.key))).uetr as string;
    browser = await launchBrowser(chromiumPath, { keepResults: true });
    browser.page.on('request', (request) => {
      if (request.url().includes('/v1/api-keys/current')) identityRequests.push(request.url());
    });
    browser.page.on('response', (response) => {
      if (response.status() === 403) refused.push(`${response.request().method()} ${response.url()}`);
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await killAllSluice();
  });

  /** Signs in through the form, as a user would, and waits for the console's menu. */
  async function signInWith(key: string): Promise<void> {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.getByLabel('API key').fill(key, { timeout: UI_TIMEOUT_MS });
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  async function signOut(): Promise<void> {
    await browser.page.getByTestId('sign-out').click();
    await browser.page.getByLabel('API key').waitFor({ timeout: UI_TIMEOUT_MS });
  }

  /** Opens every page of the menu in turn from its link, waiting for each page's title and its first answers. */
  async function openEveryMenuPage(): Promise<string[]> {
    const { page } = browser;
    const links = page.getByRole('navigation', { name: 'Main menu' }).getByRole('link');
    const names = await links.allInnerTexts();
    for (const name of names) {
      await links.getByText(name, { exact: true }).click();
      await page.locator('main .page-title').first().waitFor({ timeout: UI_TIMEOUT_MS });
      await page.waitForTimeout(500);
    }
    return names;
  }

  /** The texts of the side menu's entries, groups and pages, in order, once the key's role is known. */
  async function menuTexts(): Promise<string[]> {
    const { page } = browser;
    await page.getByTestId('key-identity').waitFor({ timeout: UI_TIMEOUT_MS });
    return (await page.getByRole('navigation', { name: 'Main menu' }).getByRole('menuitem').allInnerTexts()).map((text) => text.trim());
  }

  it('shows a participant only its pages, lands it on the ledger, and says a risk page is not for its role, in either language', { timeout: 120_000 }, async () => {
    const { page } = browser;
    identityRequests.length = 0;
    await signInWith(keys.participant);
    expect(await menuTexts()).toEqual(['Ledger', 'Payments', 'Supply-chain finance', 'Programs', 'Verify a proof', 'Journal']);
    expect(await page.getByTestId('key-identity').textContent()).toBe('roles bank desk · Participant');
    // The dashboard covers every party: a participant lands on its ledger instead.
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS }).toBe('#/ledger');
    // So does a fresh load of the console's address, which asks nothing of the overview first.
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS }).toBe('#/ledger');
    await page.locator('main .page-title').first().waitFor({ timeout: UI_TIMEOUT_MS });

    await page.goto(`${server.url}/#/risk/lists`);
    const forbidden = page.getByTestId('role-forbidden');
    await forbidden.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await forbidden.innerText()).toContain('Your key’s role cannot use this page');
    expect(await forbidden.innerText()).toContain('Participant');
    await browser.screenshot('roles-participant-lists');
    await page.goto(`${server.url}/#/risk/cases`);
    await forbidden.waitFor({ timeout: UI_TIMEOUT_MS });

    await inChinese(page, `${server.url}/#/risk/lists`, async () => {
      await forbidden.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await forbidden.innerText()).toContain('您的密钥角色无法使用此页面');
      expect(await forbidden.innerText()).toContain('参与机构');
      expect(await page.getByTestId('key-identity').textContent()).toBe('roles bank desk · 参与机构');
    });

    // Every page its menu offers opens without a request the server refuses (checked at the end).
    expect(await openEveryMenuPage()).toEqual(['Ledger', 'Payments', 'Programs', 'Verify a proof', 'Journal']);
    // The payment form is its to use.
    await page.goto(`${server.url}/#/payments`);
    await page.getByTestId('new-payment').waitFor({ timeout: UI_TIMEOUT_MS });
    await expect.poll(() => page.getByTestId('new-payment').isEnabled(), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await page.goto(`${server.url}/#/journal`);
    await page.getByTestId('verify-journal').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByTestId('verify-journal').isDisabled()).toBe(true);
    expect(await page.getByTestId('sign-checkpoint').isDisabled()).toBe(true);

    // Asked once in the session (the reloads take the answer the tab kept), and nothing it asked was refused.
    expect(identityRequests).toHaveLength(1);
    expect(refused).toEqual([]);
    expect(browser.takeErrors()).toEqual([]);
    await signOut();
  });

  it('shows an auditor the risk pages it may read but not decisions, and disables what it may not do', { timeout: 120_000 }, async () => {
    const { page } = browser;
    identityRequests.length = 0;
    await signInWith(keys.auditor);
    expect(await menuTexts()).toEqual(['Dashboard', 'Ledger', 'Payments', 'Supply-chain finance', 'Programs', 'Verify a proof', 'Journal', 'Audit trail', 'Risk', 'Rules', 'Lists', 'Cases']);
    expect(await page.getByTestId('key-identity').textContent()).toBe('external audit · Auditor');
    // The dashboard loads without asking for the decisions an auditor may not see.
    await page.getByText('Your key’s role may not see this.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await openEveryMenuPage()).toEqual(['Dashboard', 'Ledger', 'Payments', 'Programs', 'Verify a proof', 'Journal', 'Audit trail', 'Rules', 'Lists', 'Cases']);

    await page.goto(`${server.url}/#/risk`);
    await page.getByTestId('role-forbidden').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.goto(`${server.url}/#/payments/new`);
    await page.getByTestId('role-forbidden').waitFor({ timeout: UI_TIMEOUT_MS });

    await page.goto(`${server.url}/#/payments`);
    const newPayment = page.getByTestId('new-payment');
    await newPayment.waitFor({ timeout: UI_TIMEOUT_MS });
    await expect.poll(() => page.getByTestId('action-forbidden').count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    // A link drawn as a button: disabled, it leads nowhere.
    expect(await newPayment.getAttribute('aria-disabled')).toBe('true');
    expect(await newPayment.getAttribute('href')).toBeNull();
    await page.getByTestId('action-forbidden').hover();
    await expect.poll(() => page.getByRole('tooltip').innerText(), { timeout: UI_TIMEOUT_MS }).toBe('Your key’s role (Auditor) may not do this.');
    await browser.screenshot('roles-auditor-payments');

    // It may verify the journal, but not sign a checkpoint.
    await page.goto(`${server.url}/#/journal`);
    await expect.poll(() => page.getByTestId('verify-journal').isEnabled(), { timeout: UI_TIMEOUT_MS }).toBe(true);
    expect(await page.getByTestId('sign-checkpoint').isDisabled()).toBe(true);

    // It may read the lists, but not add to them.
    await page.goto(`${server.url}/#/risk/lists`);
    await page.getByTestId('add-list-entry').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByTestId('add-list-entry').isDisabled()).toBe(true);
    expect(await page.getByLabel('Value', { exact: true }).isDisabled()).toBe(true);

    expect(identityRequests).toHaveLength(1);
    expect(refused).toEqual([]);
    expect(browser.takeErrors()).toEqual([]);
    await signOut();
  });

  it('shows an auditor the admin action in the audit trail, with the acting key\'s name, in English and Chinese', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await signInWith(keys.auditor);
    await page.goto(`${server.url}/#/audit`);
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor({ timeout: UI_TIMEOUT_MS });
    // The row of the key the officer created: its target is that key's id (the whole id on hover).
    const row = page.locator('.ant-table-row', { has: page.locator(`[title="${createdKeyId}"]`) });
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.getByTestId('audit-key').innerText()).toBe('security officer');
    expect(await row.getByTestId('audit-key').getAttribute('title')).toContain(officerKeyId);
    expect(await row.getByTestId('audit-action-name').innerText()).toBe('Create API key');
    expect(await row.getByTestId('audit-route').innerText()).toBe('POST /v1/api-keys');
    expect(await row.innerText()).toContain('Administrator');
    expect(await row.innerText()).toContain('201');
    // Newest first: the officer's action is the last one done, so it is the first row.
    expect(await page.locator('.ant-table-row').first().getAttribute('data-row-key')).toBe(await row.getAttribute('data-row-key'));
    await browser.screenshot('roles-auditor-audit');

    // Choosing the key's name shows only its actions; a key id that cannot be one is refused before asking.
    await row.getByTestId('audit-key').click();
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS }).toBe(`#/audit?key_id=${officerKeyId}`);
    await expect.poll(() => page.locator('.ant-table-row').count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await page.getByLabel('Key id').inputValue()).toBe(officerKeyId);
    await page.getByLabel('Key id').fill('not-a-key');
    await page.getByLabel('Route starts with').fill('/v1/api-keys');
    await page.getByTestId('audit-apply').click();
    await page.getByText('A key id is 16 hexadecimal digits (0–9, a–f).').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(() => location.hash)).toBe(`#/audit?key_id=${officerKeyId}`);

    await inChinese(page, `${server.url}/#/audit?route=%2Fv1%2Fapi-keys`, async () => {
      await page.getByRole('heading', { name: '审计记录' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await row.getByTestId('audit-key').innerText()).toBe('security officer');
      expect(await row.getByTestId('audit-action-name').innerText()).toBe('创建 API 密钥');
      expect(await row.getByTestId('audit-route').innerText()).toBe('POST /v1/api-keys');
      expect(await row.innerText()).toContain('管理员');
      expect(await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '审计记录' }).count()).toBe(1);
      // Filtered by route: every row is an API key action.
      const routes = await page.getByTestId('audit-route').allInnerTexts();
      expect(routes.length).toBeGreaterThan(0);
      expect(routes.every((text) => / \/v1\/api-keys/.test(text))).toBe(true);
    });
    expect(refused).toEqual([]);
    expect(browser.takeErrors()).toEqual([]);
    await signOut();
  });

  it('shows an auditor which key submitted a payment and caused each status change, linked to the audit trail filtered by that key', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await signInWith(keys.auditor);
    await page.goto(`${server.url}/#/payments/${officerPayment}`);
    const submittedBy = page.getByTestId('payment-submitted-by');
    await submittedBy.waitFor({ timeout: UI_TIMEOUT_MS });
    // The id shown short, the whole id on hover and copied by the copy button, the link to its actions.
    expect(await submittedBy.innerText()).toBe(`${officerKeyId.slice(0, 8)}…`);
    expect(await submittedBy.getAttribute('href')).toBe(`#/audit?key_id=${officerKeyId}`);
    expect(await submittedBy.locator('[title]').getAttribute('title')).toContain(officerKeyId);
    expect(await page.locator('.ant-descriptions-item', { has: submittedBy }).innerText()).toContain('Submitted by');
    // Each status change of the submission was the officer's request.
    const eventKeys = page.getByTestId('tracker-event-key');
    await expect.poll(() => eventKeys.count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    expect(await page.getByTestId('tracker-event').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('by key')]));
    for (const link of await eventKeys.all()) expect(await link.getAttribute('href')).toBe(`#/audit?key_id=${officerKeyId}`);
    await browser.screenshot('roles-auditor-payment-keys');

    await submittedBy.click();
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS }).toBe(`#/audit?key_id=${officerKeyId}`);
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByLabel('Key id').inputValue()).toBe(officerKeyId);
    await expect.poll(() => page.locator('.ant-table-row').count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await page.locator('.ant-table-row').getByTestId('audit-key').innerText()).toBe('security officer');

    await inChinese(page, `${server.url}/#/payments/${officerPayment}`, async () => {
      await submittedBy.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.locator('.ant-descriptions-item', { has: submittedBy }).innerText()).toContain('提交密钥');
      await expect.poll(() => eventKeys.count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
      expect(await page.getByTestId('tracker-event').first().innerText()).toContain('操作密钥');
    });
    expect(refused).toEqual([]);
    expect(browser.takeErrors()).toEqual([]);
    await signOut();
  });

  it('shows a participant key its own key id on its payment, without a link to the audit trail it may not read, and no other key\'s', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await signInWith(bankKey.key);
    await page.goto(`${server.url}/#/payments/${bankPayment}`);
    const submittedBy = page.getByTestId('payment-submitted-by');
    await submittedBy.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await submittedBy.innerText()).toBe(`${bankKey.id.slice(0, 8)}…`);
    expect(await submittedBy.evaluate((element) => element.tagName)).toBe('SPAN');
    await expect.poll(() => page.getByTestId('tracker-event-key').count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    expect(await page.locator('a[href^="#/audit"]').count()).toBe(0);
    // The officer's payment, between the same banks: the server names no other key, so the page shows none.
    await page.goto(`${server.url}/#/payments/${officerPayment}`);
    await expect.poll(() => page.getByTestId('tracker-event').count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    expect(await submittedBy.count()).toBe(0);
    expect(await page.getByTestId('tracker-event-key').count()).toBe(0);
    expect(await page.getByText('Submitted by').count()).toBe(0);
    expect(refused).toEqual([]);
    expect(browser.takeErrors()).toEqual([]);
    await signOut();
  });
});
