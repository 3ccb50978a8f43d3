import type { Plugin } from 'vite';

/**
 * The console's main script is split in two classic scripts (not ES modules; see vite.config.ts
 * for why): the shell with the dashboard, which every load runs, and the other pages, which only
 * the pages that need them load. Rolldown writes the two as CommonJS chunks that `require` each
 * other; this turns each into a classic script that registers its code as a factory under its file
 * name, run on its first `require`, as CommonJS would. The entry chunk also carries the small
 * `require` and runs itself. A page's `import()` becomes a call to the loader in
 * src/lib/chunks.ts, which adds the chunk's script to the page once and then requires it.
 *
 * The globals below are the whole contract between this build step and src/lib/chunks.ts, which
 * names them again (test/e2e/chunks.test.ts checks that the two agree).
 */
export const CHUNK_FACTORIES_GLOBAL = '__sluiceChunkFactories';
export const REQUIRE_CHUNK_GLOBAL = '__sluiceRequireChunk';
export const LOAD_CHUNK_GLOBAL = '__sluiceLoadChunk';

/** How Rolldown writes `import()` of another chunk in CommonJS output (before minifying). */
const DYNAMIC_REQUIRE = /Promise\.resolve\(\)\s*\.then\(\s*\(\)\s*=>\s*require\(\s*["'`]\.\/([^"'`]+\.js)["'`]\s*\)\s*\)/g;
/** How it writes a static import of another chunk. */
const STATIC_REQUIRE = /\brequire\(\s*["'`]\.\/[^"'`]+\.js["'`]\s*\)/g;
/** A deferred require that DYNAMIC_REQUIRE did not recognise: it would run before its script is loaded. */
const DEFERRED_REQUIRE = /=>\s*require\s*\(/;

function baseName(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('/') + 1);
}

/** The folder of `fileName` in the output, with its slash ('' for the top). */
function folderOf(fileName: string): string {
  return fileName.slice(0, fileName.lastIndexOf('/') + 1);
}

/**
 * The require of the classic chunks, in the entry's script. It is written out as text because it
 * must exist before any bundled code runs.
 */
function requireRuntime(): string {
  return [
    'var modules = {};',
    'function requireChunk(name) {',
    '  var key = name.indexOf("./") === 0 ? name.slice(2) : name;',
    '  var module = modules[key];',
    '  if (module) return module.exports;',
    '  var factory = factories[key];',
    '  if (!factory) throw new Error("The console\'s script " + key + " has not been loaded");',
    '  module = modules[key] = { exports: {} };',
    '  factory(module, module.exports, requireChunk);',
    '  return module.exports;',
    '}',
    `globalThis.${REQUIRE_CHUNK_GLOBAL} = requireChunk;`,
  ].join('\n');
}

/**
 * One CommonJS chunk as a classic script. Fails on any `require` that is not of another chunk:
 * in the browser nothing else could answer it.
 */
export function wrapChunk(code: string, fileName: string, isEntry: boolean, base = '/'): string {
  const key = baseName(fileName);
  const folder = `${base}${folderOf(fileName)}`;
  const body = code.replace(DYNAMIC_REQUIRE, (_match, target: string) => `globalThis.${LOAD_CHUNK_GLOBAL}(${JSON.stringify(target)}, ${JSON.stringify(folder + target)})`);
  const requires = body.match(/\brequire\s*\(/g)?.length ?? 0;
  const chunkRequires = body.match(STATIC_REQUIRE)?.length ?? 0;
  if (requires !== chunkRequires) {
    throw new Error(`${fileName}: ${requires - chunkRequires} require call(s) that name no chunk; a classic script cannot answer them`);
  }
  if (DEFERRED_REQUIRE.test(body)) throw new Error(`${fileName}: an import() written in a form this step does not recognise`);
  const factories = `globalThis.${CHUNK_FACTORIES_GLOBAL} || (globalThis.${CHUNK_FACTORIES_GLOBAL} = {})`;
  // In parentheses: V8 compiles a parenthesised function while it streams the script, off the main
  // thread, where an unmarked one is compiled on the main thread the first time it is called.
  const register = `factories[${JSON.stringify(key)}] = (function (module, exports, require) {\n${body}\n});`;
  const run = isEntry ? `\n${requireRuntime()}\nrequireChunk(${JSON.stringify(key)});` : '';
  return `(function (factories) {\n${register}${run}\n})(${factories});\n`;
}

/** The Vite plugin: every chunk of the main build through wrapChunk. */
export function classicChunks(): Plugin {
  let base = '/';
  return {
    name: 'sluice-classic-chunks',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    renderChunk(code, chunk) {
      return { code: wrapChunk(code, chunk.fileName, chunk.isEntry, base), map: null };
    },
  };
}
