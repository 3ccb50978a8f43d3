import { loadScriptOnce } from './script-loader.ts';

/**
 * The loader of the console's page chunks. The build (web/classic-chunks.ts) writes the main
 * script as classic scripts that register their code under their file names; a page's `import()`
 * becomes a call to the function installed here, which adds the chunk's script to the page once
 * (or awaits the one the early script started) and then runs it through the entry's `require`.
 * The names below must match the build step's (test/e2e/chunks.test.ts checks them).
 */
export const CHUNK_FACTORIES_GLOBAL = '__sluiceChunkFactories';
export const REQUIRE_CHUNK_GLOBAL = '__sluiceRequireChunk';
export const LOAD_CHUNK_GLOBAL = '__sluiceLoadChunk';

interface ChunkGlobals {
  [CHUNK_FACTORIES_GLOBAL]?: Record<string, unknown>;
  [REQUIRE_CHUNK_GLOBAL]?: (name: string) => unknown;
  [LOAD_CHUNK_GLOBAL]?: (name: string, src: string) => Promise<unknown>;
}

const globals = globalThis as typeof globalThis & ChunkGlobals;

/** The exports of chunk `name`, its script at `src` loaded first unless it has run already. */
export async function loadChunk(name: string, src: string): Promise<unknown> {
  if (!globals[CHUNK_FACTORIES_GLOBAL]?.[name]) await loadScriptOnce(src);
  const requireChunk = globals[REQUIRE_CHUNK_GLOBAL];
  if (!requireChunk) throw new Error('the console was loaded without its chunk runtime');
  return requireChunk(name);
}

/** Makes page imports work; called before any page is opened. */
export function installChunkLoader(): void {
  globals[LOAD_CHUNK_GLOBAL] = loadChunk;
}
