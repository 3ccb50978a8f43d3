/**
 * Driving Debian's Chromium for the console tests: a headless browser with its own fresh profile,
 * every console error and page error collected (a test fails on any), screenshots kept under
 * test-results/, and the checks the tests share (labelled controls, page-load timing).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

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
  /** The browser's profile folder; its processes name it on their command lines. */
  readonly profile: string;
  /** Console errors and uncaught page errors since the last call, which empties the list. */
  takeErrors(): string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string, options: { /** Another test file running beside this one may be writing there. */ readonly keepResults?: boolean } = {}): Promise<Browser> {
  // A fresh profile per run: no cache, storage or settings carried over from an earlier run.
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  // Screenshots of an earlier run would be mistaken for this one's.
  if (!options.keepResults) rmSync(RESULTS_DIR, { recursive: true, force: true });
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
    profile,
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

/**
 * Runs `steps` with the console in Chinese, opened at `url`, then puts it back in the browser's
 * language (English) and reloads, since the tests after it do not reload the page themselves.
 */
export async function inChinese(page: Page, url: string, steps: () => Promise<void>): Promise<void> {
  await page.evaluate(() => localStorage.setItem('sluice.locale', 'zh-CN'));
  try {
    await page.goto(url);
    await page.reload();
    await steps();
  } finally {
    await page.evaluate(() => localStorage.removeItem('sluice.locale'));
    await page.reload();
  }
}

/**
 * Ids that more than one element of the page carries. A label's `for` and a control's
 * `aria-labelledby` find the first element with the id, so a second one is named by the wrong label.
 */
export function duplicateIds(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const seen = new Map<string, number>();
    for (const element of document.querySelectorAll('[id]')) seen.set(element.id, (seen.get(element.id) ?? 0) + 1);
    return [...seen].filter(([, count]) => count > 1).map(([id, count]) => `${id} (${count} times)`);
  });
}

/** A class name of Ant Design's: `ant-` at the start of a name (not inside another, such as `x-ant-y`). */
const ANT_CLASS_SOURCE = '(?<![\\w-])ant-[\\w-]+';
let antdStyledClasses: string[] | undefined;

/** Every Ant Design class the package's complete prebuilt stylesheet gives a rule to. */
function classesAntdStyles(): string[] {
  antdStyledClasses ??= [...new Set(readFileSync(join(REPO_ROOT, 'node_modules', 'antd', 'dist', 'antd.css'), 'utf8').match(new RegExp(ANT_CLASS_SOURCE, 'g')))];
  return antdStyledClasses;
}

/**
 * The Ant Design classes on elements of the current document that the complete `antd.css` styles
 * but none of the page's own stylesheets names: rules the build left out (web/antd-styles.ts) that
 * this page needs. Classes Ant Design sets without styling them (hooks for tests and themes) are
 * not counted, as they have no rule to lose.
 */
export function antClassesWithoutStyles(page: Page): Promise<string[]> {
  return page.evaluate(({ known, pattern }) => {
    const antClass = new RegExp(pattern, 'g');
    const named = new Set<string>();
    const collect = (rules: CSSRuleList) => {
      for (const rule of rules) {
        if (rule instanceof CSSStyleRule) for (const name of rule.selectorText.match(antClass) ?? []) named.add(name);
        if ('cssRules' in rule && rule.cssRules) collect(rule.cssRules as CSSRuleList);
      }
    };
    for (const sheet of document.styleSheets) collect(sheet.cssRules);
    const styledByAntd = new Set(known);
    const missing = new Set<string>();
    for (const element of document.querySelectorAll('[class]')) {
      for (const name of element.classList) if (name.startsWith('ant-') && styledByAntd.has(name) && !named.has(name)) missing.add(name);
    }
    return [...missing].sort();
  }, { known: classesAntdStyles(), pattern: ANT_CLASS_SOURCE });
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ), 100 on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, milliseconds) used so far by process `pid`, or by the processes whose
 * command line contains `marker` together with all their descendants (Chromium's renderers and
 * helpers do not repeat the profile folder on their command lines). Children that have exited and
 * been waited for are included through their parent's cumulative fields. On a machine shared with
 * other work, waiting for the CPU stretches wall-clock times; the CPU time a page costs is closer
 * to what it takes on a machine of its own. Returns null where there is no /proc.
 */
export function cpuTimeMs(target: { readonly marker?: string; readonly pid?: number }): number | null {
  let names: string[];
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const processes = new Map<number, { parent: number; ticks: number }>();
  const roots = new Set<number>();
  for (const name of names) {
    try {
      // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const [parent, user, system, childUser, childSystem] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number);
      processes.set(Number(name), { parent: parent ?? 0, ticks: (user ?? 0) + (system ?? 0) + (childUser ?? 0) + (childSystem ?? 0) });
      if (target.pid === Number(name)) roots.add(Number(name));
      else if (target.marker !== undefined && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(target.marker)) roots.add(Number(name));
    } catch {
      // The process ended meanwhile.
    }
  }
  const included = (pid: number): boolean => {
    // Bounded by the depth of the process tree, which has no cycles.
    for (let current = pid, depth = 0; current > 1 && depth < 64; depth++) {
      if (roots.has(current)) return true;
      current = processes.get(current)?.parent ?? 0;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, process] of processes) if (included(pid)) ticks += process.ticks;
  return Math.round((ticks * 1000) / TICKS_PER_SECOND);
}

export interface PageLoad {
  readonly path: string;
  /**
   * From navigation start until the page's own content is on screen: the browser's own
   * performance.now(), read inside the page (see readyProbe) in a task queued from the first
   * animation frame in which the ready element is visible, that is once the frame that draws it
   * has been styled, laid out and painted. No test-driver polling or round trip is included.
   */
  readonly readyMs: number;
  /** When the probe first found the ready element in the document (before styling and painting it). */
  readonly inDocumentMs: number;
  readonly domContentLoadedMs: number;
  readonly loadEventMs: number;
  /** Bytes fetched for this load (0 for responses served from the browser cache). */
  readonly transferredBytes: number;
  /** CPU time the browser's processes, and the server, spent from navigation until ready. */
  readonly browserCpuMs: number | null;
  readonly serverCpuMs: number | null;
}

export interface LoadTargets {
  readonly browserProfile: string;
  readonly serverPid: number;
}

/** The prefix of the console message the probe writes when the page is ready. */
const READY_MESSAGE = 'sluice-page-ready';

/**
 * Runs in the page before any of its own scripts (an init script): watches the document until the
 * first element matching `selector` is in it and visible (a box larger than zero, not
 * visibility:hidden, as the driver's own check), then writes `READY_MESSAGE <ready> <in document>`
 * (both performance.now()) to the console from a task queued in that animation frame, which runs
 * after the frame is painted.
 * Visibility is checked only inside animation frames, where the browser lays the page out anyway,
 * so the probe forces no extra layout. It must not close over anything: it is sent to the browser
 * as source text.
 */
function readyProbe({ selector, message }: { readonly selector: string; readonly message: string }): void {
  let frameRequested = false;
  let reported = false;
  let inDocumentMs = 0;
  const visible = (element: Element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
  };
  const report = () => {
    reported = true;
    observer.disconnect();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => console.debug(`${message} ${performance.now()} ${inDocumentMs}`);
    channel.port2.postMessage(null);
  };
  const onFrame = () => {
    frameRequested = false;
    const element = reported ? null : document.querySelector(selector);
    if (!element) return;
    if (visible(element)) report();
    // Present but not yet visible (an entering animation): look again at the next frame.
    else requestFrame();
  };
  const requestFrame = () => {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(onFrame);
  };
  const observer = new MutationObserver(() => {
    if (reported || !document.querySelector(selector)) return;
    inDocumentMs ||= performance.now();
    requestFrame();
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
}

/**
 * Loads the console afresh at `path` (a full document load, not a hash change) and waits for
 * `ready` to be visible. Times come from the browser's own clock: the navigation timing entry and
 * the in-page ready probe (see PageLoad.readyMs). CPU time is read when the probe's message
 * arrives, before the driver itself touches the new document.
 */
export async function measureLoad(
  page: Page, baseUrl: string, path: string, ready: string, targets: LoadTargets,
  options: { readonly cold?: boolean; /** A server path to load instead of a console route. */ readonly document?: boolean } = {},
): Promise<PageLoad> {
  await page.goto('about:blank');
  if (options.cold) {
    // An empty HTTP cache, as on a first visit: every asset is fetched again.
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('Network.clearBrowserCache');
    await devtools.detach();
  }
  // Sent as source text. A transpiler that keeps function names (tsx does) wraps inner functions
  // in calls to its `__name` helper, which the page does not have; an identity stands in for it.
  const probeSource = `(() => { const __name = (target) => target; (${readyProbe.toString()})(${JSON.stringify({ selector: ready, message: READY_MESSAGE })}); })()`;
  const probe = await page.addInitScript({ content: probeSource });
  let readyMs = 0;
  let inDocumentMs = 0;
  let browserAfter: number | null = null;
  let serverAfter: number | null = null;
  let onReady = () => {};
  const readySignal = new Promise<void>((resolve) => (onReady = resolve));
  const listener = (message: ConsoleMessage) => {
    const text = message.text();
    if (!text.startsWith(`${READY_MESSAGE} `) || readyMs > 0) return;
    browserAfter = cpuTimeMs({ marker: targets.browserProfile });
    serverAfter = cpuTimeMs({ pid: targets.serverPid });
    const [painted = 0, inDocument = 0] = text.slice(READY_MESSAGE.length + 1).split(' ').map(Number);
    readyMs = Math.round(painted);
    inDocumentMs = Math.round(inDocument);
    onReady();
  };
  page.on('console', listener);
  try {
    const browserBefore = cpuTimeMs({ marker: targets.browserProfile });
    const serverBefore = cpuTimeMs({ pid: targets.serverPid });
    await page.goto(options.document ? `${baseUrl}${path}` : `${baseUrl}/#${path}`, { waitUntil: 'commit' });
    // The driver stays out of the new document until the probe has reported: its own visibility
    // check compiles and runs its injected script in the page, CPU time the page itself does not cost.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${path}: ${ready} not visible within ${PAGE_READY_TIMEOUT_MS} ms`)), PAGE_READY_TIMEOUT_MS)));
    await Promise.race([readySignal, timeout]).finally(() => clearTimeout(timer));
    // The driver's own check that the element is there and visible.
    await page.locator(ready).first().waitFor({ state: 'visible', timeout: PAGE_READY_TIMEOUT_MS });
    const label = options.cold ? `${path} (empty cache)` : path;
    const timing = await page.evaluate((pathName) => {
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return {
        path: pathName,
        domContentLoadedMs: Math.round(navigation?.domContentLoadedEventEnd ?? 0),
        loadEventMs: Math.round(navigation?.loadEventEnd ?? 0),
        transferredBytes: (navigation?.transferSize ?? 0) + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
      };
    }, label);
    const difference = (before: number | null, after: number | null) => (before === null || after === null ? null : after - before);
    return { ...timing, readyMs, inDocumentMs, browserCpuMs: difference(browserBefore, browserAfter), serverCpuMs: difference(serverBefore, serverAfter) };
  } finally {
    page.off('console', listener);
    await probe.dispose();
  }
}
