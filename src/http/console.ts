import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The web console: the static bundle Vite writes to web/dist, served at `/`. File names under
 * /assets/ carry a hash of their content, so browsers may keep them for a year without asking
 * again; index.html names the current hashes and must be revalidated on every load, or a browser
 * would keep running a console whose assets no longer exist after an upgrade.
 */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const IMMUTABLE_ASSET = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Paths the server answers itself; anything else a browser asks for is a console route. */
const SERVER_PATH = /^\/(v1|docs|openapi\.json|healthz|readyz|metrics|assets)(\/|$|\?)/;

export interface ConsoleServing {
  /** False when web/dist has no index.html (the console was never built). */
  readonly available: boolean;
  /**
   * For the not-found handler: answers a browser's request for a console route (a bookmarked
   * path, a reload) with index.html, and returns false for everything the API should answer.
   */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

export async function registerConsole(app: FastifyInstance, distDir: string = CONSOLE_DIST_DIR): Promise<ConsoleServing> {
  const available = existsSync(join(distDir, 'index.html'));
  if (available) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      // One route per built file, found when the server starts: no catch-all route competes with
      // the API's own not-found answers, and nothing outside the bundle can be reached.
      wildcard: false,
      // The build writes brotli and gzip copies beside each asset; the smallest one the browser
      // accepts is sent.
      preCompressed: true,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', /[\\/]assets[\\/]/.test(path) ? IMMUTABLE_ASSET : REVALIDATE);
      },
    });
  }
  return {
    available,
    fallback(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = request.url;
      if (SERVER_PATH.test(path) || !acceptsHtml(request)) return false;
      if (!available) {
        void reply.status(404).header('cache-control', REVALIDATE).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
        return true;
      }
      // The not-found handler starts from 404; a console route is a page that exists.
      void reply.status(200).header('cache-control', REVALIDATE).sendFile('index.html');
      return true;
    },
  };
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice</title></head>
<body><h1>Sluice</h1><p>The web console has not been built. Run <code>npm run build:web</code> (or start the
server with <code>npm start</code>, which builds it) and reload. The API is at <a href="/docs">/docs</a>.</p></body></html>`;
