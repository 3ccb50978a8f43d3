/**
 * The console at its edges, in a real browser against a server with no demo data: an installation
 * with nothing in it yet, and addresses that name something the server does not have. The main
 * walk through the console with the demo data is console.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect, it, afterAll, beforeAll } from 'vitest';
import { describeWithChromium } from '../support/databases.ts';
import { TEST_ADMIN_KEY, killAllSluice, sluiceClient, startSluice, type SluiceProcess } from '../support/server-process.ts';
import { buildConsole, duplicateIds, inChinese, launchBrowser, type Browser } from './browser.ts';

const UI_TIMEOUT_MS = 30_000;
/** Long enough for a page that polls every second to have asked several times. */
const WATCH_MS = 4_000;

describeWithChromium('web console at its edges', (chromiumPath) => {
  let server: SluiceProcess;
  let browser: Browser;
  /** The server's data folder, for a test that changes a row behind its back. */
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-edges-'));

  beforeAll(async () => {
    await buildConsole();
    server = await startSluice({ dataDir });
    browser = await launchBrowser(chromiumPath, { keepResults: true });
    await browser.page.goto(`${server.url}/`);
    // Signed in as the console would leave it; the reload starts the console with the key in place.
    await browser.page.evaluate((key) => sessionStorage.setItem('sluice.apiKey', key), TEST_ADMIN_KEY);
    await browser.page.reload();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await killAllSluice();
  });

  /**
   * Runs `steps` on the Lists page (or the page at `route`) with the console in Chinese, then puts
   * the console back in English and reloads, since the tests after it do not reload the page themselves.
   */
  function onChineseListsPage(page: Browser['page'], steps: () => Promise<void>, route = '/risk/lists'): Promise<void> {
    return inChinese(page, `${server.url}/#${route}`, steps);
  }

  it('says there are no customer accounts on the payment form of an empty installation instead of loading forever', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/payments/new`);
    await page.getByTestId('no-customer-accounts').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator('.ant-spin-spinning').count()).toBe(0);
    expect(browser.takeErrors()).toEqual([]);
  });

  it('shows the server\'s refusal of a list entry under the field it names', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/risk/lists`);
    // A value longer than the server accepts (128 characters), as a pasted device fingerprint might be.
    await page.getByLabel('Value', { exact: true }).fill('f'.repeat(200), { timeout: UI_TIMEOUT_MS });
    await page.getByLabel('Reason', { exact: true }).fill('seen with a mule ring');
    await page.getByLabel('Reason', { exact: true }).press('Enter');
    const valueField = page.locator('.ant-form-item', { has: page.getByLabel('Value', { exact: true }) });
    await expect.poll(() => valueField.locator('.ant-form-item-explain-error').textContent(), { timeout: UI_TIMEOUT_MS }).toMatch(/128 characters/);
    // The browser logs the 400 answer, which is expected here.
    browser.takeErrors();
  });

  it('says refusals of a Chinese page in Chinese, under the field or in the message bar, not in the server\'s English', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await onChineseListsPage(page, async () => {
      await page.getByLabel('值', { exact: true }).fill('f'.repeat(200), { timeout: UI_TIMEOUT_MS });
      await page.getByLabel('原因', { exact: true }).fill('seen with a mule ring');
      await page.getByLabel('原因', { exact: true }).press('Enter');
      const valueField = page.locator('.ant-form-item', { has: page.getByLabel('值', { exact: true }) });
      await expect.poll(() => valueField.locator('.ant-form-item-explain-error').textContent(), { timeout: UI_TIMEOUT_MS }).toBe('最多 128 个字符');
      // A file of entries with a line that is not one is refused whole; the message bar says so.
      await page.locator('input[type=file]').first().setInputFiles({ name: 'entries.csv', mimeType: 'text/csv', buffer: Buffer.from('list,kind,value,reason\nblock,country,XX1,bad\n') });
      const notice = page.locator('.ant-message-notice');
      await expect.poll(() => notice.allTextContents(), { timeout: UI_TIMEOUT_MS }).toEqual(['CSV 文件中有无效条目，未导入任何内容。第 2 行：值：不是 ISO 3166-1 二字母国家代码。']);
      // The browser logs the refusals, which are expected here.
      browser.takeErrors();
    });
  });

  it('says where and why a rule expression does not parse as it is typed on a Chinese page, in Chinese', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await onChineseListsPage(page, async () => {
      await page.getByRole('button', { name: '新建草稿' }).click({ timeout: UI_TIMEOUT_MS });
      const expression = page.getByLabel('CEL 表达式', { exact: true });
      await expression.fill('event.amount > 5000000 &&\n  (event.currency == "CNY"', { timeout: UI_TIMEOUT_MS });
      const verdict = page.getByTestId('expression-verdict');
      await expect.poll(() => verdict.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('第 2 行第 27 列');
      expect((await verdict.textContent())?.trim()).toBe('语法错误（第 2 行第 27 列）：此处应为“)”，实际为表达式结尾。');
      // Mended, the same field says the expression is valid.
      await expression.fill('event.amount > 5000000');
      await expect.poll(() => verdict.textContent(), { timeout: UI_TIMEOUT_MS }).not.toContain('语法错误');
      // The browser logs the 422 answer, which is expected here.
      browser.takeErrors();
    }, '/risk/rules');
  });

  it('names the field of a refused action by its label, in Chinese, not by the request\'s JSON pointer', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await onChineseListsPage(page, async () => {
      await page.getByRole('tab', { name: '制裁名单筛查' }).click({ timeout: UI_TIMEOUT_MS });
      // Both forms of this tab have a field called name; each label must lead to its own.
      await page.getByLabel('姓名', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await duplicateIds(page), 'ids used twice on the screening tab').toEqual([]);
      // Longer than the 300 characters the server screens; the form itself sets no limit.
      await page.getByLabel('姓名', { exact: true }).fill('王'.repeat(301), { timeout: UI_TIMEOUT_MS });
      await page.locator('.ant-card', { hasText: '筛查姓名' }).locator('button[type=submit]').click();
      const notice = page.locator('.ant-message-notice');
      await expect.poll(() => notice.allTextContents(), { timeout: UI_TIMEOUT_MS }).toEqual(['姓名：最多 300 个字符']);
      // The browser logs the 400 answer, which is expected here.
      browser.takeErrors();
    });
  });

  it('names the field of a rule a draft is refused for by its label and the rule\'s number', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/risk/rules`);
    await page.getByRole('button', { name: 'New draft' }).click({ timeout: UI_TIMEOUT_MS });
    // Longer than the 200 characters the server takes for a rule's name; the form itself sets no limit.
    await page.getByLabel('Rule name', { exact: true }).fill('n'.repeat(201), { timeout: UI_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Save draft' }).click();
    const alert = page.getByTestId('rule-editor').locator('.ant-alert-description');
    await expect.poll(() => alert.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('Rule name (item 1): at most 200 characters');
    browser.takeErrors();
  });

  it('names the bad lines of a refused CSV import on a Chinese page, their column and reason in Chinese, then how many more', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await onChineseListsPage(page, async () => {
      const csv = [
        'list,kind,value,reason,expires_at',
        'block,account,csv-good-1,fine,',
        'block,ip,10.0.0.1/8,bits past the prefix,',
        'block,account,csv-good-2,fine,',
        'block,account,csv-late-1,bad expiry,tomorrow',
        'block,phone,13800000000,no such kind,',
        'block,country,XX1,not a country,',
        'grey,account,csv-grey-1,no such list,',
      ].join('\n');
      await page.locator('input[type=file]').first().setInputFiles({ name: 'entries.csv', mimeType: 'text/csv', buffer: Buffer.from(`${csv}\n`) });
      const notice = page.locator('.ant-message-notice').first();
      await expect.poll(() => notice.innerText().catch(() => ''), { timeout: UI_TIMEOUT_MS }).toBe([
        'CSV 文件中有无效条目，未导入任何内容。',
        '第 3 行：值：不是 IP 地址或 CIDR 网段。',
        '第 5 行：到期时间：时间不是有效的时刻。',
        '第 6 行：类型：条目类型不存在。',
        '另有 2 行',
      ].join('\n'));
      // All or nothing: the good lines of the file were not imported either.
      expect((await sluiceClient(server.url).get('/v1/risk/lists/entries?kind=account&value=csv-good-1')).body.data).toEqual([]);
      browser.takeErrors();
    });
  });

  it('names the lines a watch-list import skipped on a Chinese page, with their reason in Chinese', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await onChineseListsPage(page, async () => {
      await page.getByRole('tab', { name: '制裁名单筛查' }).click({ timeout: UI_TIMEOUT_MS });
      await page.getByLabel('名单名称', { exact: true }).fill('edge_watch', { timeout: UI_TIMEOUT_MS });
      const csv = 'name,country\nAlice One,us\nBob Two,us,extra\nCarol Three,us\n"Dan Four,us\n';
      await page.locator('form', { has: page.getByLabel('名单名称', { exact: true }) }).locator('input[type=file]').setInputFiles({ name: 'watch.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const notice = page.locator('.ant-message-notice').first();
      await expect.poll(() => notice.innerText().catch(() => ''), { timeout: UI_TIMEOUT_MS }).toBe(
        ['名单已导入：2 个实体，跳过 0 个，2 行无法读取', '第 3 行：单元格数与表头不符', '第 5 行：引号内的单元格未闭合'].join('\n'),
      );
      browser.takeErrors();
    });
  });

  it('marks a stored checkpoint this server cannot verify, and says why, in either language', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const client = sluiceClient(server.url);
    expect((await client.post('/v1/ledgers', { id: 901, asset_code: 'XAU', scale: 3, name: 'Gold' })).status).toBe(201);
    // Signed now, or already by the server's own signer (which then answers with it).
    const answer = await client.request('POST', '/v1/journal/checkpoints');
    expect([200, 201]).toContain(answer.status);
    const signed = answer.body as { treeSize: number };
    // As a checkpoint signed under a suite this version does not know would be stored.
    const db = new BetterSqlite3(join(dataDir, 'sluice.db'));
    try {
      const row = db.prepare('SELECT envelope FROM journal_checkpoints WHERE tree_size = ?').get(signed.treeSize) as { envelope: string };
      db.prepare('UPDATE journal_checkpoints SET envelope = ? WHERE tree_size = ?').run(JSON.stringify({ ...JSON.parse(row.envelope), suite: 'rsa-pss-sha512' }), signed.treeSize);
    } finally {
      db.close();
    }
    await page.goto(`${server.url}/#/journal`);
    const tag = page.getByTestId(`checkpoint-unverifiable-${signed.treeSize}`);
    await expect.poll(() => tag.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('cannot be verified');
    await tag.locator('xpath=ancestor::tr').locator('.ant-table-row-expand-icon').click();
    await page.getByText(/its signature does not verify \(suite_not_accepted\)/).waitFor({ timeout: UI_TIMEOUT_MS });
    await inChinese(page, `${server.url}/#/journal`, async () => {
      await expect.poll(() => page.getByTestId(`checkpoint-unverifiable-${signed.treeSize}`).textContent(), { timeout: UI_TIMEOUT_MS }).toBe('无法验证');
    });
    expect(browser.takeErrors()).toEqual([]);
  });

  it('names the key that submitted a transfer, and the one that opened an account, on their pages', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const client = sluiceClient(server.url);
    expect((await client.post('/v1/ledgers', { id: 902, asset_code: 'XAG', scale: 3, name: 'Silver' })).status).toBe(201);
    const [from, to] = ['00000000-0000-7000-8000-000000000a01', '00000000-0000-7000-8000-000000000a02'];
    expect((await client.post('/v1/accounts', { accounts: [{ id: from, ledger: 902, code: 1 }, { id: to, ledger: 902, code: 1 }] })).status).toBe(200);
    const id = '00000000-0000-7000-8000-000000000a03';
    expect((await client.post('/v1/transfers', { id, debit_account_id: from, credit_account_id: to, amount: '5', ledger: 902, code: 1 })).status).toBe(201);
    const keyId = ((await client.get('/v1/api-keys/current')).body as { id: string }).id;
    await page.goto(`${server.url}/#/ledger/transfers/${id}`);
    // Shown short, as every id is, with the whole of it to copy.
    await expect.poll(() => page.getByTestId('transfer-submitted-by').textContent(), { timeout: UI_TIMEOUT_MS }).toBe(`${keyId.slice(0, 8)}…`);
    await page.goto(`${server.url}/#/ledger/accounts/${from}`);
    await expect.poll(() => page.getByTestId('account-opened-by').textContent(), { timeout: UI_TIMEOUT_MS }).toBe(`${keyId.slice(0, 8)}…`);
    expect(browser.takeErrors()).toEqual([]);
  });

  it('says there are no programs on the supply-chain finance page of an empty installation instead of showing only its title', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/scf`);
    await page.getByTestId('no-programs').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(browser.takeErrors()).toEqual([]);
  });

  it('stops asking for a payment the server says does not exist', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const uetr = '00000000-0000-4000-8000-000000000000';
    const asked: string[] = [];
    const listener = (request: { url(): string }) => {
      if (request.url().includes(`/v1/payments/${uetr}`)) asked.push(request.url());
    };
    page.on('request', listener);
    try {
      await page.goto(`${server.url}/#/payments/${uetr}`);
      await page.getByText('Not found.').first().waitFor({ timeout: UI_TIMEOUT_MS });
      await page.waitForTimeout(WATCH_MS);
    } finally {
      page.off('request', listener);
    }
    // The payment and its tracker once each; polling them every second would have asked about ten times.
    expect(asked.length).toBeLessThanOrEqual(2);
    // The browser logs each 404 answer; those are expected here.
    browser.takeErrors();
  });

  it('links a party to a case from its page, and names the field of a refused UETR or party by its label', { timeout: 90_000 }, async () => {
    const { page } = browser;
    // Parties linked to a case must be registered.
    for (const id of ['party-linked-1', 'party-linked-2']) {
      expect((await sluiceClient(server.url).post('/v1/parties', { id, name: `Party ${id}`, kind: 'individual', jurisdiction: 'CN' })).status).toBe(201);
    }
    const opened = await sluiceClient(server.url).post('/v1/risk/cases', { title: 'Linked from the console' });
    expect(opened.status).toBe(201);
    const caseId = (opened.body as { id: string }).id;
    await page.goto(`${server.url}/#/risk/cases/${caseId}`);
    // The kind starts at payments: a UETR no payment has is refused under the payments label.
    await page.getByTestId('link-ids').fill('00000000-0000-4000-8000-00000000abcd', { timeout: UI_TIMEOUT_MS });
    await page.getByTestId('link-case').click();
    const notice = page.locator('.ant-message-notice');
    await expect.poll(() => notice.allTextContents(), { timeout: UI_TIMEOUT_MS }).toContain('Payments to link (UETR) (item 1): No such payment.');
    browser.takeErrors();
    await page.getByLabel('Kind', { exact: true }).click();
    await page.locator('.ant-select-item-option', { hasText: 'Parties' }).click();
    await page.getByTestId('link-ids').fill('party-linked-1, party-unregistered');
    await page.getByTestId('link-case').click();
    await expect.poll(() => notice.allTextContents(), { timeout: UI_TIMEOUT_MS }).toContain('Parties to link (item 2): No such party.');
    browser.takeErrors();
    await page.getByTestId('link-ids').fill('party-linked-1, party-linked-2');
    await page.getByTestId('link-case').click();
    await page.getByText('2 new link(s) added').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText('party-linked-1, party-linked-2').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText(/links added/).first().waitFor({ timeout: UI_TIMEOUT_MS });
    const links = (await sluiceClient(server.url).get(`/v1/risk/cases/${caseId}`)).body as { links: { parties: { id: string }[] } };
    expect(links.links.parties.map((party) => party.id)).toEqual(['party-linked-1', 'party-linked-2']);
    expect(browser.takeErrors()).toEqual([]);
  });

  it('offers no note, assignment or link on a closed case, which takes none', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const client = sluiceClient(server.url);
    const opened = await client.post('/v1/risk/cases', { title: 'Closed before the analyst looks' });
    expect(opened.status).toBe(201);
    const caseId = (opened.body as { id: string }).id;
    await page.goto(`${server.url}/#/risk/cases/${caseId}`);
    await page.getByTestId('note-text').waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await client.post(`/v1/risk/cases/${caseId}/transition`, { to: 'closed_false_positive', reason: 'known customer' })).status).toBe(200);
    await page.reload();
    await page.getByTestId('case-status').getByText(/false positive/i).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByTestId('note-text').count()).toBe(0);
    expect(await page.getByTestId('link-ids').count()).toBe(0);
    expect(await page.getByTestId('move-case').count()).toBe(0);
    expect(browser.takeErrors()).toEqual([]);
  });

  it('says "not found" for a link whose id cannot be one, instead of the server\'s validation message', { timeout: 90_000 }, async () => {
    const { page } = browser;
    for (const path of ['/ledger/transfers/not-an-id', '/ledger/accounts/8c5baaa', '/scf/vouchers/x', '/risk/cases/123']) {
      await page.goto(`${server.url}/#${path}`);
      await page.getByText('Not found.').first().waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.locator('main').innerText(), path).not.toMatch(/validation_failed|must match pattern/);
    }
    // The browser logs each 400 answer; those are expected here.
    browser.takeErrors();
  });

  it('names lists and kinds in Chinese in the tables of a Chinese page, as its selects do', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const added = await sluiceClient(server.url).post('/v1/risk/lists/entries', { list: 'block', kind: 'device', value: 'device-edge-1', reason: 'stolen phone' });
    expect(added.status).toBe(201);
    await onChineseListsPage(page, async () => {
      const row = page.locator('.ant-table-row', { hasText: 'device-edge-1' });
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      const cells = await row.locator('td').allTextContents();
      expect(cells.slice(0, 2)).toEqual(['黑名单', '设备']);
    });
  });

  it('shows Ant Design\'s own texts in the console\'s language, following the switch', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/payments`);
    // A fresh load, in the language the browser asks for (English) since no choice is remembered.
    await page.reload();
    const empty = page.locator('.ant-table-placeholder .ant-empty-description');
    await expect.poll(() => empty.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('No data');
    await page.getByLabel('Language').click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    await expect.poll(() => empty.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('暂无数据');
    await page.getByLabel('语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await expect.poll(() => empty.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('No data');
  });

  it('says a revoked key ended the session, in either language, and returns to the sign-in form', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const admin = sluiceClient(server.url);
    const created = await admin.post('/v1/api-keys', { name: 'revoked in the console', role: 'analyst' });
    expect(created.status).toBe(201);
    await page.evaluate((key: string) => (sessionStorage.setItem('sluice.apiKey', key), localStorage.setItem('sluice.locale', 'zh-CN')), created.body.key as string);
    try {
      await page.goto(`${server.url}/#/ledger`);
      await page.reload();
      await page.getByRole('navigation', { name: '主菜单' }).waitFor({ timeout: UI_TIMEOUT_MS });
      expect((await admin.request('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);
      // The next request with the revoked key is refused (401), which ends the session.
      await page.goto(`${server.url}/#/payments`);
      const note = page.getByTestId('session-ended');
      await note.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await note.textContent()).toBe('您的密钥已被吊销或已过期，请重新登录。');
      expect(await page.getByLabel('API 密钥').isVisible()).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('sluice.apiKey'))).toBeNull();
      await page.getByLabel('语言').click();
      await page.getByRole('menuitem', { name: 'English' }).click();
      await expect.poll(() => note.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('Your key was revoked or expired — sign in again.');
      // Signing in again clears the note along with the ended session.
      await page.getByLabel('API key').fill(TEST_ADMIN_KEY);
      await page.getByLabel('API key').press('Enter');
      await page.getByRole('navigation', { name: 'Main menu' }).waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.getByTestId('session-ended').count()).toBe(0);
      // The browser logs the 401 answers, which are expected here.
      browser.takeErrors();
    } finally {
      await page.evaluate((key) => (sessionStorage.setItem('sluice.apiKey', key), localStorage.removeItem('sluice.locale')), TEST_ADMIN_KEY);
    }
  });

  it('leads a key revoked while a form is open only to the sign-in note, with no error message beside it, in either language', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const admin = sluiceClient(server.url);
    const labels = { 'zh-CN': { value: '值', reason: '原因' }, 'en-US': { value: 'Value', reason: 'Reason' } } as const;
    try {
      for (const locale of ['zh-CN', 'en-US'] as const) {
        const created = await admin.post('/v1/api-keys', { name: `revoked on a form (${locale})`, role: 'admin' });
        expect(created.status).toBe(201);
        await page.evaluate(([key, chosen]) => (sessionStorage.setItem('sluice.apiKey', key), localStorage.setItem('sluice.locale', chosen)), [created.body.key as string, locale] as const);
        await page.goto(`${server.url}/#/risk/lists`);
        await page.reload();
        await page.getByLabel(labels[locale].value, { exact: true }).fill('device-revoked-1', { timeout: UI_TIMEOUT_MS });
        await page.getByLabel(labels[locale].reason, { exact: true }).fill('seen with a mule ring');
        expect((await admin.request('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);
        // Adding the entry is refused (401): the session ends, and that is all the user is told.
        await page.getByLabel(labels[locale].reason, { exact: true }).press('Enter');
        await page.getByTestId('session-ended').waitFor({ timeout: UI_TIMEOUT_MS });
        await page.waitForTimeout(1_000);
        expect(await page.locator('.ant-message-notice').allTextContents(), locale).toEqual([]);
      }
      // The browser logs the 401 answers, which are expected here.
      browser.takeErrors();
    } finally {
      await page.evaluate((key) => (sessionStorage.setItem('sluice.apiKey', key), localStorage.removeItem('sluice.locale')), TEST_ADMIN_KEY);
    }
  });
});
