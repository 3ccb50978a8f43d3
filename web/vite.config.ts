import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { NEVER_DRAWN, classPrefixesFor, importedAntdComponents, keepAntdRules } from './antd-styles.ts';
import { classicChunks } from './classic-chunks.ts';

/**
 * The console ships as classic scripts, not ES modules. Chromium keeps compiled code for a script
 * it has run before (its code cache) and reuses it on the next load, but it does not reuse it for
 * module scripts when a page load starts a fresh renderer, which the server's
 * Cross-Origin-Opener-Policy makes every load from another site or a new tab do: the whole shell
 * was compiled again on every visit. So the build writes classic scripts (classic-chunks.ts): a
 * deferred one with the shell and the dashboard, and one with every other page, which only those
 * pages load; it drops the module preloads. src/early.ts and the two drawing libraries are built
 * apart, as classic scripts of their own (see scripts/build-web.mjs).
 */
function classicScripts(): Plugin {
  return {
    name: 'sluice-classic-scripts',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const moduleScript = /<script type="module" crossorigin src="([^"]+)"><\/script>/g;
        const sources = [...html.matchAll(moduleScript)].map((match) => match[1]);
        if (sources.length !== 1) throw new Error(`expected one entry script in index.html, found ${sources.length}`);
        return html.replace(moduleScript, '<script defer src="$1"></script>').replace(/\s*<link rel="modulepreload"[^>]*>/g, '');
      },
    },
  };
}

/**
 * React is a CommonJS package. In one bundle, every module that imports it (over six hundred, with
 * Ant Design's) wraps it again in an ES namespace of its own when it first runs, which cost more
 * than a tenth of a second on each page load. Here React is imported once, by a small ES module
 * that names its exports, and everything else imports that module.
 */
function reactAsOneModule(): Plugin {
  const VIRTUAL = '\0sluice-react';
  const exportNames = Object.keys(createRequire(import.meta.url)('react')).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
  return {
    name: 'sluice-react-as-one-module',
    apply: 'build',
    enforce: 'pre',
    resolveId(source, importer) {
      return source === 'react' && importer !== VIRTUAL ? VIRTUAL : null;
    },
    load(id) {
      if (id !== VIRTUAL) return null;
      return `import React from 'react';\nexport default React;\nexport const { ${exportNames.join(', ')} } = React;\n`;
    },
  };
}

/**
 * Ant Design's prebuilt stylesheet, cut down to the rules of the components web/src imports (see
 * antd-styles.ts): the browser parses and matches the whole sheet on every page load.
 */
function antdStylesInUse(): Plugin {
  return {
    name: 'sluice-antd-styles-in-use',
    enforce: 'pre',
    load(id) {
      if (!/[\\/]antd[\\/]dist[\\/]antd\.css$/.test(id)) return null;
      const prefixes = classPrefixesFor(importedAntdComponents(fileURLToPath(new URL('src', import.meta.url))));
      return keepAntdRules(readFileSync(id, 'utf8'), prefixes, NEVER_DRAWN);
    },
  };
}

/**
 * The console is a static bundle the server serves at `/`: classic scripts and one stylesheet
 * (see classicScripts for why not modules). Everything executes only when first needed: the
 * modules behind a page's `import()` are initialised when the page is opened.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), reactAsOneModule(), classicScripts(), classicChunks(), antdStylesInUse()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Two scripts hold the console (see output below); the charting and graph libraries are
    // scripts of their own (web/src/vendor, built by scripts/build-web.mjs).
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
    modulePreload: false,
    cssCodeSplit: false,
    rolldownOptions: {
      input: { index: fileURLToPath(new URL('index.html', import.meta.url)) },
      // ASCII only (other characters escaped): the browser decodes a script on every load, even
      // when its compiled code is cached, and a script with a single other character is decoded
      // and held at two bytes per character, on a slower path.
      //
      // Two chunks: everything the entry imports (the shell and the dashboard) and everything
      // else (the other pages and what only they use). A first visit to the dashboard reads and
      // compiles 0.86 MB of script instead of 1.4 MB; any other page loads both. CommonJS is the
      // output format that splits and that classic-chunks.ts turns into classic scripts.
      output: {
        format: 'cjs',
        charset: 'ascii',
        codeSplitting: { groups: [{ name: 'shell', tags: ['$initial'], priority: 2 }, { name: 'pages', priority: 1 }] },
      },
      // Vite wraps each `import()` in its preload helper, which reads import.meta; in one classic
      // bundle nothing is preloaded and the helper only calls through, so its notice is noise.
      onLog(level, log, report) {
        if (log.code === 'EMPTY_IMPORT_META' && log.id?.includes('preload-helper')) return;
        report(level, log);
      },
    },
  },
  server: {
    // `npm run dev:web` proxies the API to a server started with `npm start` on port 8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
