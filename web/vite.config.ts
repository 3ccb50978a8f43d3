import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { classPrefixesFor, importedAntdComponents, keepAntdRules } from './antd-styles.ts';

/**
 * src/early.ts is an entry of its own, named in index.html before the main bundle: a few
 * kilobytes that start the current page's API requests and chunk while the browser is still
 * fetching and compiling React and Ant Design. (A second script in index.html would be merged into
 * the main entry, which runs only after all of the shell's code has loaded.)
 */
function earlyEntry(): Plugin {
  return {
    name: 'sluice-early-entry',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const chunk = Object.values(context.bundle ?? {}).find((output) => output.type === 'chunk' && output.isEntry && output.name === 'early');
        if (!chunk) throw new Error('the early entry is missing from the bundle');
        // `async`: it runs as soon as it has loaded, not after the document and its stylesheet
        // (Ant Design's is large), as a deferred script would.
        return [{ tag: 'script', attrs: { type: 'module', async: true, crossorigin: true, src: `/${chunk.fileName}` }, injectTo: 'head-prepend' }];
      },
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
      return keepAntdRules(readFileSync(id, 'utf8'), prefixes);
    },
  };
}

/**
 * The console is a static bundle the server serves at `/`. Pages are loaded on demand. React and
 * the two large drawing libraries get chunks of their own, which stay cached across releases that
 * change only pages; Ant Design is left to the bundler's own splitting, so a page brings the
 * components only it uses (the table, tree, upload …) and the shell loads only what it draws.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), earlyEntry(), antdStylesInUse()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The charting and graph libraries are big by nature; they load only with the pages that use them.
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rolldownOptions: {
      input: { index: fileURLToPath(new URL('index.html', import.meta.url)), early: fileURLToPath(new URL('src/early.ts', import.meta.url)) },
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 30 },
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/, priority: 20 },
            { name: 'cytoscape', test: /node_modules[\\/]cytoscape[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  server: {
    // `npm run dev:web` proxies the API to a server started with `npm start` on port 8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
