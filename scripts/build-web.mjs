#!/usr/bin/env node
/**
 * Builds the web console (web/ → web/dist) with Vite, then writes brotli and gzip copies of each
 * asset beside it, which the server sends to browsers that accept them.
 *
 *   node scripts/build-web.mjs          build only when web/dist is missing or older than its sources
 *   node scripts/build-web.mjs --force  build in any case (npm run build:web)
 *
 * `npm start` runs the first form (as its prestart script), so a fresh checkout serves the console
 * on its first start and later starts cost a few file stats. Two builds at once (two test files on
 * a fresh checkout) would empty each other's output folder, so a build holds a lock file; whoever
 * finds it held waits for the other build and then uses its result.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');
const INDEX = join(DIST, 'index.html');
/** What the bundle is made from: a change to any of these makes the built console stale. */
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'antd-styles.ts', 'classic-chunks.ts', 'tsconfig.json'].map((name) => join(WEB, name));
const LOCK = join(ROOT, 'node_modules', '.cache', 'sluice-web-build.lock');
/** A lock older than this was left by a build that died; it is taken over. */
const LOCK_STALE_MS = 5 * 60_000;
const LOCK_POLL_MS = 250;
/** Files smaller than this gain nothing from compression. */
const COMPRESS_MIN_BYTES = 1024;
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;
/** Brotli's top quality takes seconds on the larger vendor chunks; 10 is nearly as small. */
const BROTLI_QUALITY = 10;

const force = process.argv.includes('--force');

function newestMtimeMs(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, name)));
  return newest;
}

function isStale() {
  if (!existsSync(INDEX)) return true;
  const built = statSync(INDEX).mtimeMs;
  return SOURCES.some((source) => newestMtimeMs(source) > built);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function acquireLock() {
  mkdirSync(join(LOCK, '..'), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      writeFileSync(LOCK, String(process.pid));
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(LOCK).mtimeMs;
    } catch {
      continue;
    }
    if (age > LOCK_STALE_MS) {
      rmSync(LOCK, { force: true });
      continue;
    }
    // Someone else is building; their result will do unless it is stale by the time they finish.
    await sleep(LOCK_POLL_MS);
    if (!existsSync(LOCK) && !force && !isStale()) return false;
  }
}

function compressAssets() {
  let files = 0;
  let before = 0;
  let after = 0;
  const walk = (directory) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        walk(path);
        continue;
      }
      if (!COMPRESSIBLE.test(name) || stat.size < COMPRESS_MIN_BYTES) continue;
      const content = readFileSync(path);
      const brotli = brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } });
      writeFileSync(`${path}.br`, brotli);
      writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
      files += 1;
      before += content.length;
      after += brotli.length;
    }
  };
  walk(DIST);
  return { files, before, after };
}

/**
 * A classic script of its own from `entry` (see web/vite.config.ts for why classic), into
 * assets/ under a name with its content hash; returns its path on the server.
 */
async function buildClassicScript(build, entry, name, define) {
  const result = await build({
    root: WEB,
    configFile: false,
    mode: 'production',
    logLevel: 'warn',
    publicDir: false,
    define,
    build: {
      outDir: DIST,
      emptyOutDir: false,
      target: 'es2022',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 1200,
      rolldownOptions: { input: join(WEB, 'src', entry), output: { format: 'iife', charset: 'ascii', entryFileNames: `assets/${name}-[hash].js` } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((bundle) => bundle.output);
  const chunk = outputs.find((output) => output.type === 'chunk' && output.isEntry);
  if (!chunk) throw new Error(`${entry} is missing from its bundle`);
  return `/${chunk.fileName}`;
}

/**
 * The console is five classic scripts: the main one and its pages (vite.config.ts); ECharts and Cytoscape, each
 * its own (web/src/vendor), which the main script adds to the page when a chart or graph is first
 * drawn and knows by the names given to it here; and web/src/early.ts, which starts the current
 * page's API requests (and library) before the main script has loaded, added to index.html as an
 * async script, which runs as soon as it arrives rather than after the document and its stylesheet.
 */
async function buildConsole(build) {
  rmSync(DIST, { recursive: true, force: true });
  const vendorScripts = {
    charts: await buildClassicScript(build, 'vendor/charts.ts', 'charts'),
    graph: await buildClassicScript(build, 'vendor/graph.ts', 'graph'),
  };
  const define = { __SLUICE_VENDOR_SCRIPTS__: JSON.stringify(vendorScripts) };
  const main = await build({ root: WEB, configFile: join(WEB, 'vite.config.ts'), mode: 'production', logLevel: 'warn', define, build: { emptyOutDir: false } });
  // The chunks beside the entry hold the pages outside the shell; the early script starts them
  // when the console is opened at one of those pages (web/classic-chunks.ts).
  const pageScripts = (Array.isArray(main) ? main : [main])
    .flatMap((bundle) => bundle.output)
    .filter((output) => output.type === 'chunk' && !output.isEntry)
    .map((chunk) => `/${chunk.fileName}`);
  const early = await buildClassicScript(build, 'early.ts', 'early', { ...define, __SLUICE_PAGE_SCRIPTS__: JSON.stringify(pageScripts) });
  const html = readFileSync(INDEX, 'utf8');
  if (!html.includes('<head>')) throw new Error('index.html has no <head> to add the early script to');
  writeFileSync(INDEX, html.replace('<head>', `<head>\n    <script async src="${early}"></script>`));
}

async function main() {
  if (!force && !isStale()) return;
  if (!(await acquireLock())) return;
  try {
    if (!force && !isStale()) return;
    const started = performance.now();
    // A production bundle whatever the caller's environment says: run from a test runner,
    // NODE_ENV is "test", and Vite would then bundle React's and Ant Design's development builds.
    process.env.NODE_ENV = 'production';
    process.stdout.write(`Building the web console (${relative(process.cwd(), DIST) || DIST}) …\n`);
    let build;
    try {
      ({ build } = await import('vite'));
    } catch {
      // An installation without development dependencies (npm ci --omit=dev) cannot build; the
      // server still starts and its / says how to get the console.
      const message = 'Cannot build the web console: Vite is not installed (run npm install without --omit=dev).\n';
      if (force) throw new Error(message);
      process.stderr.write(`${message}The server starts without the console.\n`);
      return;
    }
    await buildConsole(build);
    const { files, before, after } = compressAssets();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`Built the web console in ${seconds} s; ${files} assets, ${(before / 1024).toFixed(0)} KiB (${(after / 1024).toFixed(0)} KiB with brotli).\n`);
  } finally {
    rmSync(LOCK, { force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`Building the web console failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
