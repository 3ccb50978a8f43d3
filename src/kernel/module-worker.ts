import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Worker threads on a module of Sluice's own, whether it runs from TypeScript sources (tsx,
 * vitest, `npm start`) or from compiled JavaScript. Worker threads do not inherit the loader hooks
 * of the thread that starts them, so from sources the worker loads its entry through tsx's API.
 */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
/** Found when the first worker starts, not when the kernel is loaded: most processes start none. */
let tsxApi: string | null | undefined;
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const loading = workerData.tsxApi
  ? import(workerData.tsxApi).then((api) => api.tsImport(workerData.entry, workerData.entry))
  : import(workerData.entry);
loading.catch((error) => setImmediate(() => { throw error; }));
`;

/** The ESM entry of tsx's API, found through its package manifest so it does not depend on the working directory. */
function tsxEsmApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = manifest.exports['./esm/api']?.import.default;
  if (!entry) throw new Error('tsx has no ESM API entry; a worker thread cannot be started from TypeScript sources');
  return pathToFileURL(join(dirname(manifestPath), entry)).href;
}

/** The URL of the module `name` (without extension) beside `importMetaUrl`, as this build names its files. */
export function moduleWorkerEntry(name: string, importMetaUrl: string): string {
  return new URL(`./${name}${FROM_SOURCES ? '.ts' : '.js'}`, importMetaUrl).href;
}

/** Starts a worker thread that imports `entry` (see moduleWorkerEntry); the module reads no workerData of its own. */
export function startModuleWorker(entry: string, options: { readonly resourceLimits?: ResourceLimits } = {}): Worker {
  tsxApi ??= FROM_SOURCES ? tsxEsmApiUrl() : null;
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi }, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) });
}
