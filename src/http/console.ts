import { existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The web console: the static bundle Vite writes to web/dist, served at `/`. File names under
 * /assets/ carry a hash of their content, so browsers may keep them for a year without asking
 * again; index.html names the current hashes and must be revalidated on every load, or a browser
 * would keep running a console whose assets no longer exist after an upgrade.
 *
 * Files are looked up when they are asked for, not when the server starts, so rebuilding the
 * console (npm run build:web) takes effect at the next page load without a restart.
 */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const IMMUTABLE_ASSET = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Paths the server answers itself; anything else a browser asks for may be a console route. */
const SERVER_PATH = /^\/(v1|docs|openapi\.json|healthz|readyz|metrics|assets)(\/|$)/;
/** Files Vite copies from web/public to the top of the bundle (the favicon): one plain name each. */
const TOP_LEVEL_FILE = /^\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(?:svg|ico|png|txt|webmanifest))$/;

export interface ConsoleServing {
  /**
   * For the not-found handler: answers `/`, the bundle's top-level files, and a browser's request
   * for any console route (a bookmarked path, a reload) with the console, and returns false for
   * everything the API should answer itself.
   */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

export async function registerConsole(app: FastifyInstance, distDir: string = CONSOLE_DIST_DIR): Promise<ConsoleServing> {
  const assetsDir = join(distDir, 'assets') + sep;
  await app.register(fastifyStatic, {
    root: join(distDir, 'assets'),
    prefix: '/assets/',
    // The folder appears only once the console is built; until then /assets/ answers 404.
    suppressWarning: true,
    // The build writes brotli and gzip copies beside each asset; the smallest one the browser
    // accepts is sent.
    preCompressed: true,
    dotfiles: 'ignore',
    index: false,
    cacheControl: false,
    // index.html and the top-level files go through the same sender (reply.sendFile below).
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.startsWith(assetsDir) ? IMMUTABLE_ASSET : REVALIDATE);
    },
  });

  const sendRevalidated = (reply: FastifyReply, file: string) => {
    // The not-found handler starts from 404; these are pages and files that exist.
    void reply.status(200).sendFile(file, distDir);
  };

  return {
    fallback(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = request.url.split('?')[0] ?? '/';
      if (SERVER_PATH.test(path)) return false;
      const built = existsSync(join(distDir, 'index.html'));
      // Browsers ask for /favicon.ico on every document without an icon link (JSON, /healthz); the
      // console's SVG icon answers, rather than a 404 in the browser's console.
      const topLevel = path === '/favicon.ico' ? 'favicon.svg' : TOP_LEVEL_FILE.exec(path)?.[1];
      if (built && topLevel && isFile(join(distDir, topLevel))) {
        sendRevalidated(reply, topLevel);
        return true;
      }
      if (path !== '/' && !acceptsHtml(request)) return false;
      if (!built) {
        void reply.status(404).header('cache-control', REVALIDATE).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
        return true;
      }
      sendRevalidated(reply, 'index.html');
      return true;
    },
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice</title></head>
<body><h1>Sluice</h1><p>The web console has not been built. Run <code>npm run build:web</code> (or start the
server with <code>npm start</code>, which builds it) and reload. The API is at <a href="/docs">/docs</a>.</p></body></html>`;
