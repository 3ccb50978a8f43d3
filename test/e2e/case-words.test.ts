/**
 * The demo's cases in a real browser, as a Chinese-speaking analyst meets them: the planted mule
 * ring's case links the payments among its members and keeps one alert however often the ring is
 * scanned again unchanged, and the queue and the case page word the ring's and the name match's
 * titles and reasons in Chinese rather than the server's English sentences.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium } from '../support/databases.ts';
import { TEST_ADMIN_KEY, killAllSluice, sluiceClient, startSluice, type Client, type SluiceProcess } from '../support/server-process.ts';
import { buildConsole, launchBrowser, loadDemoInto, type Browser } from './browser.ts';

const UI_TIMEOUT_MS = 30_000;
const KEY_SECRET = 'sluice-case-words-e2e-key-secret-0123456789';

interface CaseRow { readonly id: string; readonly source: string; readonly title: string; readonly alert_count: number }

describeWithChromium('cases of the demo in the console', (chromiumPath) => {
  let server: SluiceProcess;
  let api: Client;
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-case-words-'));

  beforeAll(async () => {
    await Promise.all([buildConsole(), loadDemoInto(dataDir, KEY_SECRET)]);
    server = await startSluice({ dataDir, env: { SLUICE_KEY_SECRET: KEY_SECRET } });
    api = sluiceClient(server.url);
    browser = await launchBrowser(chromiumPath, { keepResults: true });
    await browser.page.goto(`${server.url}/`);
    await browser.page.evaluate((key) => {
      sessionStorage.setItem('sluice.apiKey', key);
      localStorage.setItem('sluice.locale', 'zh-CN');
    }, TEST_ADMIN_KEY);
    await browser.page.reload();
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await killAllSluice();
  });

  const casesOf = async (source: string): Promise<CaseRow[]> => (await api.get(`/v1/risk/cases?source=${source}&limit=100`)).body.data as CaseRow[];

  it('links the ring\'s payments to its case, and rescans of the unchanged ring add nothing', async () => {
    const [ring] = await casesOf('graph');
    expect(ring, 'a case raised by ring detection in the demo data').toBeDefined();
    const before = (await api.get(`/v1/risk/cases/${ring!.id}`)).body;
    const edges = before.alerts[0].details.edge_count as number;
    expect(edges).toBeGreaterThan(0);
    // The demo's ring moves its money as payments: each is linked as the payment it is, by its UETR.
    expect(before.links.transfers.length + before.links.payments.length).toBe(Math.min(edges, 200));
    expect(before.links.payments.length).toBeGreaterThan(0);
    expect((await api.get(`/v1/payments/${before.links.payments[0].id}`)).status).toBe(200);
    for (let scan = 0; scan < 2; scan++) expect((await api.post('/v1/risk/graph/scan', {})).status).toBe(200);
    const after = (await api.get(`/v1/risk/cases/${ring!.id}`)).body;
    expect(after.alert_count).toBe(before.alert_count);
    expect(after.audit).toEqual(before.audit);
  });

  it('words the ring\'s and the name match\'s case titles and reasons in Chinese', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const [ring] = await casesOf('graph');
    const [screened] = await casesOf('screening');
    expect(screened, 'a case raised by onboarding screening in the demo data').toBeDefined();
    await page.goto(`${server.url}/#/risk/cases`);
    const ringLink = page.locator(`a[href="#/risk/cases/${ring!.id}"]`);
    await ringLink.waitFor({ timeout: UI_TIMEOUT_MS });
    const ringTitle = await ringLink.textContent();
    expect(ringTitle).toMatch(/^疑似“钱骡”团伙：\d+ 个账户$/);
    expect(await page.locator(`a[href="#/risk/cases/${screened!.id}"]`).textContent()).toMatch(/^参与方 .+（.+）与名单 demo_sanctions 上的 .+ 相似$/);
    await ringLink.click();
    const reasons = page.getByTestId('alert-reasons').first();
    await reasons.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator('h2.page-title').textContent()).toBe(ringTitle);
    await page.getByTestId('case-payments').locator('a[href^="#/payments/"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    const text = await reasons.textContent();
    expect(text).toMatch(/个账户的评分不低于 0\.6/);
    expect(text).not.toMatch(/scored|scoring|transfer\(s\)|pass_through/);
  });
});
