import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console is a static bundle the server serves at `/`. Pages are loaded on demand. React and
 * the two large drawing libraries get chunks of their own, which stay cached across releases that
 * change only pages; Ant Design is left to the bundler's own splitting, so a page brings the
 * components only it uses (the table, tree, upload …) and the shell loads only what it draws.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The charting and graph libraries are big by nature; they load only with the pages that use them.
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rolldownOptions: {
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
