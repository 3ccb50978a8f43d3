/**
 * The console's classic-script chunks: the build step that wraps Rolldown's CommonJS chunks
 * (web/classic-chunks.ts) and the loader that adds a chunk's script and runs it
 * (web/src/lib/chunks.ts, lib/script-loader.ts), together. Chunks written the way Rolldown writes
 * them are wrapped and run in this process; a stand-in document "loads" a script by running the
 * wrapped text of its address. The browser test runs the real bundle on every page.
 */
import { runInThisContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as build from '../../web/classic-chunks.ts';
import * as runtime from '../../web/src/lib/chunks.ts';
import { loadScriptOnce } from '../../web/src/lib/script-loader.ts';

const ENTRY = `Object.defineProperty(exports, Symbol.toStringTag, { value: "Module" });
globalThis.__chunkTest.entryRuns += 1;
var shared = { counter: 0 };
exports.shared = shared;
exports.openPage = () => Promise.resolve().then(() => require("./pages-abc.js")).then((m) => m.page);
`;
const PAGES = `const entry = require("./index-xyz.js");
globalThis.__chunkTest.pageRuns += 1;
entry.shared.counter += 1;
exports.page = { name: "ledger", counter: entry.shared.counter };
`;

interface FakeScript {
  src: string;
  listeners: Map<string, () => void>;
}

describe('console chunks as classic scripts', () => {
  let served: Map<string, string>;
  let added: FakeScript[];
  let failing: Set<string>;

  function finishLoad(script: FakeScript) {
    const text = served.get(script.src);
    if (!text || failing.has(script.src)) return script.listeners.get('error')?.();
    runInThisContext(text);
    script.listeners.get('load')?.();
  }

  beforeEach(() => {
    served = new Map([['/assets/pages-abc.js', build.wrapChunk(PAGES, 'assets/pages-abc.js', false)]]);
    added = [];
    failing = new Set();
    vi.stubGlobal('__chunkTest', { entryRuns: 0, pageRuns: 0 });
    vi.stubGlobal('document', {
      createElement: () => ({ src: '', type: '', listeners: new Map(), addEventListener(this: FakeScript, name: string, listener: () => void) { this.listeners.set(name, listener); } }),
      head: { appendChild: (script: FakeScript) => { added.push(script); queueMicrotask(() => finishLoad(script)); } },
    });
    runtime.installChunkLoader();
  });

  afterEach(() => {
    for (const name of [build.CHUNK_FACTORIES_GLOBAL, build.REQUIRE_CHUNK_GLOBAL, build.LOAD_CHUNK_GLOBAL, '__sluiceScriptLoads']) delete (globalThis as Record<string, unknown>)[name];
    vi.unstubAllGlobals();
  });

  const state = () => (globalThis as unknown as { __chunkTest: { entryRuns: number; pageRuns: number } }).__chunkTest;
  const entryExports = () => (globalThis as unknown as Record<string, (name: string) => { openPage: () => Promise<{ name: string; counter: number }> }>)[build.REQUIRE_CHUNK_GLOBAL]!('index-xyz.js');

  it('names the same globals in the build step and in the loader', () => {
    expect([build.CHUNK_FACTORIES_GLOBAL, build.REQUIRE_CHUNK_GLOBAL, build.LOAD_CHUNK_GLOBAL]).toEqual([runtime.CHUNK_FACTORIES_GLOBAL, runtime.REQUIRE_CHUNK_GLOBAL, runtime.LOAD_CHUNK_GLOBAL]);
  });

  it('runs the entry at once and a page chunk only when a page is opened, once, sharing the entry', async () => {
    runInThisContext(build.wrapChunk(ENTRY, 'assets/index-xyz.js', true));
    expect(state()).toEqual({ entryRuns: 1, pageRuns: 0 });
    expect(added).toEqual([]);
    const [first, second] = await Promise.all([entryExports().openPage(), entryExports().openPage()]);
    expect(first).toEqual({ name: 'ledger', counter: 1 });
    expect(second).toBe(first);
    expect(await entryExports().openPage()).toBe(first);
    // One script added for both requests, from the address the build wrote, and no module run twice.
    expect(added.map((script) => script.src)).toEqual(['/assets/pages-abc.js']);
    expect(state()).toEqual({ entryRuns: 1, pageRuns: 1 });
  });

  it('uses a chunk the early script started instead of adding it again, and does not run it early', async () => {
    const early = loadScriptOnce('/assets/pages-abc.js');
    runInThisContext(build.wrapChunk(ENTRY, 'assets/index-xyz.js', true));
    await early;
    expect(state().pageRuns).toBe(0);
    expect((await entryExports().openPage()).name).toBe('ledger');
    expect(added).toHaveLength(1);
    expect(state().pageRuns).toBe(1);
  });

  it('forgets a failed load, so that opening the page again retries it', async () => {
    runInThisContext(build.wrapChunk(ENTRY, 'assets/index-xyz.js', true));
    failing.add('/assets/pages-abc.js');
    await expect(entryExports().openPage()).rejects.toThrow(/could not be loaded/);
    failing.clear();
    expect((await entryExports().openPage()).name).toBe('ledger');
    expect(added).toHaveLength(2);
  });

  it('writes the chunk addresses under the configured base', () => {
    const wrapped = build.wrapChunk(ENTRY, 'assets/index-xyz.js', true, '/console/');
    expect(wrapped).toContain('"pages-abc.js", "/console/assets/pages-abc.js"');
  });

  it('refuses a require that names no chunk, and an import() in a form it does not know', () => {
    expect(() => build.wrapChunk('const fs = require("node:fs");', 'assets/index-xyz.js', true)).toThrow(/name no chunk/);
    expect(() => build.wrapChunk('exports.open = () => later.then(() => require("./pages-abc.js"));', 'assets/index-xyz.js', true)).toThrow(/does not recognise/);
  });
});
