/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against a real
 * server process with the demo data: signing in, every page loading without a console error and
 * with labelled controls, a payment made from the keyboard and followed to ACCC, a voucher split
 * and a piece financed, the switch to Chinese, and the case the planted mule ring raises. Page
 * load times are measured in the browser and written to test-results/e2e/page-load.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithChromium } from '../support/databases.ts';
import { TEST_ADMIN_KEY, killAllSluice, sluiceClient, startSluice, type Client, type SluiceProcess } from '../support/server-process.ts';
import { RESULTS_DIR, antClassesWithoutStyles, buildConsole, inChinese, launchBrowser, loadDemoInto, measureLoad, duplicateIds, unlabelledControls, type Browser, type PageLoad } from './browser.ts';

/** Long enough for a payment's legs to post on a busy machine; the tracker polls every second. */
const TRACKER_TIMEOUT_MS = 30_000;
const UI_TIMEOUT_MS = 30_000;
/** The demo and the server seal their signing keys under one secret, as one installation. */
const KEY_SECRET = 'sluice-console-e2e-key-secret-0123456789';

interface PieceNode { readonly id: string; readonly status: string; readonly amount: string; readonly children: readonly PieceNode[] }

describeWithChromium('web console', (chromiumPath) => {
  let server: SluiceProcess;
  let api: Client;
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  const loads: PageLoad[] = [];

  beforeAll(async () => {
    // The console build and the demo data are independent; on a fresh checkout both take a while.
    await Promise.all([buildConsole(), loadDemoInto(dataDir, KEY_SECRET)]);
    server = await startSluice({ dataDir, env: { SLUICE_KEY_SECRET: KEY_SECRET } });
    api = sluiceClient(server.url);
    browser = await launchBrowser(chromiumPath);
  }, 420_000);

  afterEach(async (context) => {
    const errors = browser?.takeErrors() ?? [];
    if (context.task.result?.state === 'fail' || errors.length > 0) await browser?.screenshot(`failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => {});
    expect(errors, 'console or page errors during the test').toEqual([]);
  });

  afterAll(async () => {
    if (loads.length > 0) writeFileSync(join(RESULTS_DIR, 'page-load.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), loads }, null, 2)}\n`);
    await browser?.close();
    await killAllSluice();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in with an API key, which the session keeps until sign-out', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.getByLabel('API key').fill('sk_not_a_key_at_all_0000000000000000000000000');
    // A wrong key is refused by the server (401); the browser logs the failed request, which is expected here.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('sign-in-error').isVisible(), { timeout: UI_TIMEOUT_MS }).toBe(true);
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles on the sign-in page').toEqual([]);
    browser.takeErrors();
    // The form's grey backdrop fills the window: Ant Design's App wrapper has no height of its own to fill.
    const backdrop = await page.locator('main').boundingBox();
    expect(backdrop?.height, 'height of the sign-in backdrop').toBeGreaterThanOrEqual(page.viewportSize()?.height ?? Infinity);

    await page.getByLabel('API key').fill(TEST_ADMIN_KEY);
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(() => sessionStorage.getItem('sluice.apiKey'))).toBe(TEST_ADMIN_KEY);
    await browser.screenshot('01-signed-in-dashboard');
  });

  it('loads every page without console errors, with labelled controls, and records load times', { timeout: 600_000 }, async () => {
    const { page } = browser;
    const accounts = await api.get('/v1/accounts?code=820&limit=1');
    const payments = await api.get('/v1/payments?limit=1');
    const vouchers = await api.get('/v1/scf/programs/prog-jianghe-2026/vouchers?limit=1');
    // An admin action, so that the audit trail has a row to draw.
    expect((await api.post('/v1/api-keys', { name: 'page walk auditor', role: 'auditor' })).status).toBe(201);
    const pages: [string, string][] = [
      ['/', '[data-testid="chart-value"] canvas'],
      ['/ledger', '.ant-table-row'],
      [`/ledger/accounts/${accounts.body.data[0].id}`, '[data-testid="balance-chart"] canvas'],
      ['/payments', '.ant-table-row'],
      ['/payments/new', '[data-testid="payment-form"]'],
      [`/payments/${payments.body.data[0].uetr}`, '[data-testid="tracker-hop"]'],
      ['/scf', 'a[href^="#/scf/programs/"]'],
      ['/scf/programs/prog-jianghe-2026', '[data-testid="maturity-ladder"] canvas'],
      [`/scf/vouchers/${vouchers.body.data[0].id}`, '[data-testid="piece"]'],
      ['/scf/proof', '.ant-upload-drag'],
      ['/journal', '[data-testid="journal-head-seq"]'],
      ['/audit', '.ant-table-row'],
      ['/risk', '.ant-table, [data-testid="feature-missing"]'],
      ['/risk/rules', '.ant-table, [data-testid="feature-missing"]'],
      ['/risk/lists', '.ant-tabs, [data-testid="feature-missing"]'],
      ['/risk/cases', '.ant-table, [data-testid="feature-missing"]'],
    ];
    const programVouchers = await api.get('/v1/scf/programs/prog-jianghe-2026/vouchers?limit=100');
    const laterContent = new Map<string, readonly string[]>([
      ['/', ['[data-testid="chart-volume"] canvas', '[data-testid="chart-status"] canvas']],
    ]);
    // Baselines measured in the same run: the least a navigation costs this browser on this machine
    // (a tiny JSON document), and the console's shell alone (an unknown page: no page chunk, no
    // API call). Then the dashboard as a first visit, with an empty cache.
    const targets = { browserProfile: browser.profile, serverPid: server.pid };
    loads.push(await measureLoad(page, server.url, '/healthz', 'body', targets, { document: true }));
    loads.push(await measureLoad(page, server.url, '/no-such-page', '[data-testid="no-such-page"]', targets));
    loads.push(await measureLoad(page, server.url, '/', '[data-testid="chart-value"] canvas', targets, { cold: true }));
    for (const [path, ready] of pages) {
      const load = await measureLoad(page, server.url, path, ready, targets);
      loads.push(load);
      expect(await unlabelledControls(page), `unlabelled controls on ${path}`).toEqual([]);
      expect(await duplicateIds(page), `ids used twice on ${path}`).toEqual([]);
      // The build keeps only the Ant Design rules of the components the console uses (web/antd-styles.ts).
      expect(await antClassesWithoutStyles(page), `Ant Design classes without their styles on ${path}`).toEqual([]);
      expect(browser.takeErrors(), `errors on ${path}`).toEqual([]);
      // What a page draws once its first view is painted (AfterPaint in web/src/components) must follow.
      for (const later of laterContent.get(path) ?? []) await page.locator(later).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      if (path === '/scf/programs/prog-jianghe-2026') {
        await expect.poll(() => page.locator('.ant-table-row').count(), { timeout: UI_TIMEOUT_MS }).toBe(Math.min(100, programVouchers.body.data.length));
      }
    }
    await browser.screenshot('02-journal');
    // Timings are reported, not asserted: they depend on the machine (see docs/benchmarks.md).
    const baseline = loads[0]?.readyMs ?? 1;
    console.log(loads.map((load) => `${load.path.padEnd(64)} ready ${String(load.readyMs).padStart(5)} ms (${(load.readyMs / baseline).toFixed(1)}× /healthz)  DOMContentLoaded ${load.domContentLoadedMs} ms  CPU browser ${load.browserCpuMs} ms server ${load.serverCpuMs} ms  ${Math.round(load.transferredBytes / 1024)} KiB`).join('\n'));
  });

  it('creates a cross-border payment from the keyboard, with a live quote, and follows its tracker to ACCC', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await startPaymentFrom(page, server.url, 'Wang Li');
    await expect.poll(() => isFocused(page, 'Creditor account'), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await chooseByKeyboard(page, 'Creditor account', 'Chan Mei Ling');
    await page.keyboard.press('Tab');
    await expect.poll(() => isFocused(page, 'Amount in CNY'), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await page.keyboard.type('100');
    // The two accounts are in CNY and HKD, so a firm quote is fetched and shown before sending.
    await page.getByTestId('fx-quote').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles in the payment form').toEqual([]);
    expect(await page.getByTestId('fx-quote').textContent()).toMatch(/HKD/);
    // Shared charges (the form's default): the creditor's bank takes its charge from the converted amount.
    expect(await page.getByTestId('fx-quote-credited').textContent()).toBe("the converted amount less the creditor's bank's charge");
    await page.keyboard.press('Enter');

    await page.waitForURL(/#\/payments\/[0-9a-f-]{36}$/, { timeout: UI_TIMEOUT_MS });
    const uetr = page.url().split('/').at(-1) as string;
    await expect.poll(() => page.getByTestId('payment-status').textContent(), { timeout: TRACKER_TIMEOUT_MS }).toBe('credited (ACCC)');
    // Debtor, debtor agent, FX desk, creditor agent, creditor: every hop settled.
    await expect.poll(() => page.getByTestId('tracker-hop').count(), { timeout: UI_TIMEOUT_MS }).toBe(5);
    expect(await page.getByTestId('tracker-hop').filter({ hasText: 'settled' }).count()).toBe(5);
    expect(await page.getByTestId('tracker-event').last().textContent()).toContain('ACCC');
    await browser.screenshot('03-payment-tracker');

    const payment = await api.get(`/v1/payments/${uetr}`);
    expect(payment.body).toMatchObject({ status: 'ACCC', instructed_amount: { amount: '10000', currency: 'CNY' }, debtor: { name: 'Wang Li' }, creditor: { name: 'Chan Mei Ling' } });
  });

  it('shows the server\'s refusal of a payment under the field it names', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await startPaymentFrom(page, server.url, 'Wang Li');
    await chooseByKeyboard(page, 'Creditor account', 'Ma Lan');
    await page.keyboard.press('Tab');
    // Far more than the account holds: the server refuses it with a problem whose pointer is /amount.
    await page.keyboard.type('99999999999');
    await page.keyboard.press('Enter');
    const amountField = page.locator('.ant-form-item', { has: page.getByText('Amount in CNY', { exact: true }) });
    await expect.poll(() => amountField.locator('.ant-form-item-explain-error').textContent(), { timeout: UI_TIMEOUT_MS }).toBe('Insufficient funds.');
    expect(page.url()).toMatch(/#\/payments\/new$/);
    // The browser logs the 422 answer, which is expected here.
    browser.takeErrors();
  });

  it('splits a voucher piece in two and finances one part with the funding bank', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const { voucherId, piece } = await findHeldPiece(api);
    await page.goto(`${server.url}/#/scf/vouchers/${voucherId}`);
    await page.getByTestId(`piece-split-${piece.id}`).click({ timeout: UI_TIMEOUT_MS });
    await modalSettled(page);
    expect(await unlabelledControls(page), 'unlabelled controls in the split form').toEqual([]);
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles in the split form').toEqual([]);
    await page.getByTestId('confirm-split').click();
    await page.locator(`[data-piece-id="${piece.id}"][data-status="split"]`).waitFor({ timeout: UI_TIMEOUT_MS });

    const children = (await pieceOf(api, voucherId, piece.id)).children;
    expect(children).toHaveLength(2);
    expect(children.reduce((sum, child) => sum + BigInt(child.amount), 0n)).toBe(BigInt(piece.amount));
    const part = children[0] as PieceNode;
    await page.getByTestId(`piece-finance-${part.id}`).click({ timeout: UI_TIMEOUT_MS });
    await modalSettled(page);
    expect(await unlabelledControls(page), 'unlabelled controls in the finance form').toEqual([]);
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles in the finance form').toEqual([]);
    await page.getByTestId('confirm-choice').click();
    await page.locator(`[data-piece-id="${part.id}"][data-status="financed"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    await browser.screenshot('04-voucher-split-and-financed');

    // The voucher's history names the key that split and financed from this page (the signed-in admin key).
    const operations = (await api.get(`/v1/scf/vouchers/${voucherId}/operations?limit=100`)).body.data as { kind: string; submitted_by: string | null; result: { piece_id?: string } }[];
    const split = operations.find((operation) => operation.kind === 'split' && operation.result.piece_id === piece.id);
    expect(split?.submitted_by).toMatch(/^[0-9a-f]{16}$/);
    const financeRow = page.getByTestId('voucher-history').locator('tr', { hasText: 'Finance' }).last();
    await expect.poll(() => financeRow.getByTestId('voucher-operation-submitted-by').count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await financeRow.getByTestId('voucher-operation-submitted-by').innerText()).toBe(`${split!.submitted_by!.slice(0, 8)}…`);
    expect(await page.getByTestId('voucher-history').locator('tr', { hasText: 'Split' }).last().getByTestId('voucher-operation-submitted-by').innerText()).toBe(`${split!.submitted_by!.slice(0, 8)}…`);

    const financed = await api.get(`/v1/scf/pieces/${part.id}`);
    expect(financed.body).toMatchObject({ status: 'financed', financing: { bank_id: 'bank-cn-icbk', annual_rate_bps: 400 } });
    expect(BigInt(financed.body.financing.proceeds)).toBeLessThan(BigInt(part.amount));
  });

  it('switches to Chinese, remembers the choice across a reload, and switches back', { timeout: 120_000 }, async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/`);
    // From the keyboard: the open menu takes the focus on the current language, the next is Chinese.
    await page.getByLabel('Language').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: '简体中文' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles in the open language menu').toEqual([]);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role')), { timeout: UI_TIMEOUT_MS }).toBe('menuitem');
    // Down moves the focus to the next language. The menu moves it when it has handled the key, which
    // on a busy machine may be a moment later: Enter waits until the focus is on Chinese, and a key
    // press the menu missed is pressed again.
    await expect
      .poll(async () => {
        const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
        if (!focused.includes('简体中文')) await page.keyboard.press('ArrowDown');
        return focused;
      }, { timeout: UI_TIMEOUT_MS, interval: 500 })
      .toContain('简体中文');
    await page.keyboard.press('Enter');
    const menu = page.getByRole('navigation', { name: '主菜单' });
    await menu.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await menu.textContent()).toContain('总览');
    expect(await menu.textContent()).toContain('供应链金融');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.reload();
    await page.getByRole('heading', { name: '总览' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.locator('[data-testid="chart-value"] canvas').waitFor({ timeout: UI_TIMEOUT_MS });
    await browser.screenshot('05-dashboard-zh-CN');

    await page.getByLabel('语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(() => localStorage.getItem('sluice.locale'))).toBe('en-US');
  });

  it('names statuses in Chinese on a Chinese page, with the ISO code beside a payment\'s, and Ant Design\'s own texts too', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const credited = await api.get('/v1/payments?status=ACCC&limit=1');
    const uetr = credited.body.data[0].uetr as string;
    await inChinese(page, `${server.url}/#/payments/${uetr}`, async () => {
      await expect.poll(() => page.getByTestId('payment-status').textContent(), { timeout: UI_TIMEOUT_MS }).toBe('已入账 (ACCC)');
      expect(await page.getByTestId('tracker-event').first().textContent()).toContain('已接收 (RCVD)');
      expect(await page.getByTestId('tracker-hop').first().locator('.ant-tag').textContent()).toBe('已结算');
      // The number input's step buttons are named by its own code, not by Ant Design's locale (web/src/components/NumberInput.tsx).
      await page.goto(`${server.url}/#/risk/rules`);
      const backtestDays = page.locator('.ant-input-number', { has: page.locator('#backtest-days') });
      await backtestDays.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await backtestDays.getByRole('button').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('aria-label')))).toEqual(['增加数值', '减少数值']);
      expect(await page.locator('.ant-tag[data-status="live"]').first().textContent()).toBe('生效中');
      // Ant Design's own texts follow the language: the confirmation of a payment's return.
      await page.goto(`${server.url}/#/payments/${uetr}`);
      await page.getByRole('button', { name: /^退\s?回$/ }).click({ timeout: UI_TIMEOUT_MS });
      const confirm = page.locator('.ant-popconfirm');
      await confirm.waitFor({ timeout: UI_TIMEOUT_MS });
      expect((await confirm.getByRole('button').allTextContents()).map((text) => text.replace(/\s/g, ''))).toEqual(['取消', '确定']);
      await confirm.getByRole('button').first().click();
    });
  });

  it('starts a new draft from the live ruleset with all its rules, though the list of versions holds only summaries', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const rulesets = await api.get('/v1/risk/rulesets?limit=100');
    const live = rulesets.body.data.find((ruleset: { stage: string }) => ruleset.stage === 'live');
    await page.goto(`${server.url}/#/risk/rules`);
    await page.getByRole('button', { name: 'New draft' }).click({ timeout: UI_TIMEOUT_MS });
    await expect.poll(() => page.getByRole('button', { name: 'Remove this rule' }).count(), { timeout: UI_TIMEOUT_MS }).toBe(live.rule_count);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(live.name);
  });

  it('opens the case raised by the planted mule ring and draws the accounts involved', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const queue = await api.get('/v1/risk/cases?limit=100');
    expect(queue.status).toBe(200);
    const ring = queue.body.data.find((item: { source: string; title: string }) => item.source === 'graph' || /ring/i.test(item.title));
    expect(ring, 'a case raised by ring detection in the demo data').toBeDefined();
    await page.goto(`${server.url}/#/risk/cases`);
    await page.locator(`a[href="#/risk/cases/${ring.id}"]`).click({ timeout: UI_TIMEOUT_MS });
    await page.locator('[data-testid="case-graph"] canvas').first().waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles on the case page').toEqual([]);
    const graph = await api.get(`/v1/risk/cases/${ring.id}/graph`);
    expect(graph.body.nodes.length).toBeGreaterThanOrEqual(3);
    await browser.screenshot('06-ring-case-graph');
  });

  it('signs out, which forgets the key', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('sign-out').click();
    await page.getByLabel('API key').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await antClassesWithoutStyles(page), 'Ant Design classes without their styles after signing out').toEqual([]);
    await page.getByLabel('API key').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(() => sessionStorage.getItem('sluice.apiKey'))).toBeNull();
  });
});

/** Waits until a dialog has finished opening: a click during its zoom-in animation can be lost. */
async function modalSettled(page: Page): Promise<void> {
  await page.locator('.ant-modal-footer .ant-btn-primary').waitFor({ timeout: UI_TIMEOUT_MS });
  await page.waitForFunction(() => document.querySelector('.ant-modal[class*="-appear"], .ant-modal[class*="-enter"]') === null, undefined, { timeout: UI_TIMEOUT_MS });
}

/** Types into the focused select until the option is the active one, then takes it with Enter. */
/** Opens the new-payment form, picks the debtor account from the keyboard and tabs on to the creditor. */
async function startPaymentFrom(page: Page, url: string, debtor: string): Promise<void> {
  await page.goto(`${url}/#/payments/new`);
  await page.getByLabel('Debtor account').waitFor({ timeout: UI_TIMEOUT_MS });
  await page.getByLabel('Debtor account').focus();
  await chooseByKeyboard(page, 'Debtor account', debtor);
  await page.keyboard.press('Tab');
}

async function chooseByKeyboard(page: Page, label: string, option: string): Promise<void> {
  await page.keyboard.type(option);
  await page.locator(`.ant-select-item-option-active[title^="${option}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
  await page.keyboard.press('Enter');
  const field = page.locator('.ant-form-item', { has: page.getByText(label, { exact: true }) });
  await expect.poll(() => field.textContent(), { timeout: UI_TIMEOUT_MS }).toContain(option);
  // The next key goes where a person's would: once the list has closed, as they would see it do.
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.ant-select-dropdown')].every((list) => list.offsetParent === null || getComputedStyle(list).visibility === 'hidden' || list.classList.contains('ant-select-dropdown-hidden')), undefined, { timeout: UI_TIMEOUT_MS });
}

/** Whether the control labelled `label` has the focus; otherwise says which element has it, for the failure message. */
const isFocused = (page: Page, label: string) =>
  page.getByLabel(label).evaluate((element) => element === document.activeElement || `focus is on ${document.activeElement?.outerHTML.slice(0, 160) ?? 'nothing'}`);

async function pieceOf(api: Client, voucherId: string, pieceId: string): Promise<PieceNode> {
  const voucher = await api.get(`/v1/scf/vouchers/${voucherId}`);
  const find = (node: PieceNode): PieceNode | undefined => (node.id === pieceId ? node : node.children.map(find).find(Boolean));
  const found = find(voucher.body.tree);
  if (!found) throw new Error(`piece ${pieceId} is not in voucher ${voucherId}`);
  return found;
}

/** A held piece of the demo program large enough to split in two, and its voucher. */
async function findHeldPiece(api: Client): Promise<{ voucherId: string; piece: PieceNode }> {
  const program = await api.get('/v1/scf/programs/prog-jianghe-2026');
  const minimum = BigInt(program.body.min_split_amount);
  const vouchers = await api.get('/v1/scf/programs/prog-jianghe-2026/vouchers?limit=100');
  for (const voucher of vouchers.body.data) {
    const view = await api.get(`/v1/scf/vouchers/${voucher.id}`);
    const leaves = (node: PieceNode): PieceNode[] => (node.children.length ? node.children.flatMap(leaves) : [node]);
    const piece = leaves(view.body.tree).find((leaf) => leaf.status === 'held' && BigInt(leaf.amount) >= 4n * minimum);
    if (piece && !view.body.overdue) return { voucherId: voucher.id, piece };
  }
  throw new Error('the demo program has no held piece to split');
}
