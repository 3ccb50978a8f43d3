/**
 * Driving Debian's Chromium for the console tests: a headless browser with its own fresh profile,
 * every console error and page error collected (a test fails on any), screenshots kept under
 * test-results/, and the checks the tests share (labelled controls, page-load timing).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = join(REPO_ROOT, 'test-results', 'e2e');
/** A page on a machine shared with other test runs can take many times its usual second. */
const PAGE_READY_TIMEOUT_MS = 60_000;
/** Building the console on a busy two-core machine takes up to a minute. */
const BUILD_TIMEOUT_MS = 180_000;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Loading the demo (a few thousand payments) on a busy two-core machine takes up to a minute or two. */
const DEMO_TIMEOUT_MS = 240_000;

/** Runs a Node script of the repository to its end; rejects with its output if it fails or overruns. */
function runScript(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number, what: string): Promise<void> {
  // Settings of the test run itself (SLUICE_*, Vitest's variables) must not leak into the script.
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^(SLUICE_|VITEST|NODE_OPTIONS$|NODE_ENV$)/.test(name)) clean[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${code ?? signal}):\n${output.slice(-8000)}`));
    });
  });
}

/** Builds web/dist unless it is already newer than its sources (scripts/build-web.mjs decides). */
export function buildConsole(): Promise<void> {
  return runScript(['scripts/build-web.mjs'], {}, BUILD_TIMEOUT_MS, 'building the console');
}

/** `sluice demo` into a data folder, as an operator would before the first start. */
export function loadDemoInto(dataDir: string, keySecret: string): Promise<void> {
  return runScript(['--import', 'tsx', 'src/cli.ts', 'demo'], { SLUICE_DATA_DIR: dataDir, SLUICE_KEY_SECRET: keySecret, SLUICE_LOG_LEVEL: 'warn' }, DEMO_TIMEOUT_MS, 'sluice demo');
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught page errors since the last call, which empties the list. */
  takeErrors(): string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  // A fresh profile per run: no cache, storage or settings carried over from an earlier run.
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  // Screenshots of an earlier run would be mistaken for this one's.
  rmSync(RESULTS_DIR, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    locale: 'en-US',
    timezoneId: 'Asia/Shanghai',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return {
    context,
    page,
    takeErrors: () => errors.splice(0, errors.length),
    screenshot: async (name) => {
      await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Visible form controls without an accessible name: neither a <label> with text, nor aria-label,
 * nor aria-labelledby. Returned as short descriptions for the failure message.
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = [...document.querySelectorAll<HTMLElement>('input, select, textarea, [role="combobox"]')];
    const named = (element: HTMLElement): boolean => {
      if (element.getAttribute('aria-label')?.trim()) return true;
      const labelledBy = element.getAttribute('aria-labelledby');
      if (labelledBy && labelledBy.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      const labels = (element as HTMLInputElement).labels;
      if (labels && [...labels].some((label) => label.textContent?.trim())) return true;
      return Boolean(element.closest('label')?.textContent?.trim());
    };
    const visible = (element: HTMLElement) => {
      if ((element as HTMLInputElement).type === 'hidden' || element.hidden) return false;
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none' && style.opacity !== '0';
    };
    return controls.filter((element) => visible(element) && !named(element)).map((element) => `${element.tagName.toLowerCase()}#${element.id || '?'}.${element.className}`.slice(0, 120));
  });
}

export interface PageLoad {
  readonly path: string;
  /** From navigation start until the page's own content is on screen (data loaded and drawn). */
  readonly readyMs: number;
  readonly domContentLoadedMs: number;
  readonly loadEventMs: number;
  /** Bytes fetched for this load (0 for responses served from the browser cache). */
  readonly transferredBytes: number;
}

/**
 * Loads the console afresh at `path` (a full document load, not a hash change) and waits for
 * `ready` to be visible. Times come from the browser's own clock: the navigation timing entry and
 * performance.now() at the moment the content appeared.
 */
export async function measureLoad(page: Page, baseUrl: string, path: string, ready: string, options: { readonly cold?: boolean } = {}): Promise<PageLoad> {
  await page.goto('about:blank');
  if (options.cold) {
    // An empty HTTP cache, as on a first visit: every asset is fetched again.
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('Network.clearBrowserCache');
    await devtools.detach();
  }
  await page.goto(`${baseUrl}/#${path}`, { waitUntil: 'commit' });
  await page.locator(ready).first().waitFor({ state: 'visible', timeout: PAGE_READY_TIMEOUT_MS });
  const label = options.cold ? `${path} (empty cache)` : path;
  return page.evaluate((pathName) => {
    const readyMs = performance.now();
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return {
      path: pathName,
      readyMs: Math.round(readyMs),
      domContentLoadedMs: Math.round(navigation?.domContentLoadedEventEnd ?? 0),
      loadEventMs: Math.round(navigation?.loadEventEnd ?? 0),
      transferredBytes: (navigation?.transferSize ?? 0) + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
    };
  }, label);
}
