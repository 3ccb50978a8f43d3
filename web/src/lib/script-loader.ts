/**
 * Adds a script to the page once, whoever asks first. The console is several bundles (the early
 * script, the main script and its page chunks, the drawing libraries), each with its own copy of
 * this module, so the scripts under way are kept on one property of the window, where every copy
 * finds them: a script the early script started is awaited, not added again.
 */
const LOADS_GLOBAL = '__sluiceScriptLoads';

/** A script that has not loaded by then has failed (the server is local; a megabyte is quick). */
export const SCRIPT_LOAD_TIMEOUT_MS = 30_000;

function loads(): Map<string, Promise<void>> {
  const holder = globalThis as typeof globalThis & { [LOADS_GLOBAL]?: Map<string, Promise<void>> };
  holder[LOADS_GLOBAL] ??= new Map();
  return holder[LOADS_GLOBAL];
}

/** Resolves once the script at `src` has run; a failed load is forgotten, so asking again retries it. */
export function loadScriptOnce(src: string, options: { readonly module?: boolean } = {}): Promise<void> {
  const started = loads();
  let loading = started.get(src);
  if (!loading) {
    loading = new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      if (options.module) script.type = 'module';
      script.src = src;
      const timer = setTimeout(() => fail(new Error(`${src} did not load within ${SCRIPT_LOAD_TIMEOUT_MS} ms`)), SCRIPT_LOAD_TIMEOUT_MS);
      function fail(error: Error) {
        clearTimeout(timer);
        started.delete(src);
        reject(error);
      }
      script.addEventListener('load', () => {
        clearTimeout(timer);
        resolve();
      });
      script.addEventListener('error', () => fail(new Error(`${src} could not be loaded`)));
      document.head.appendChild(script);
    });
    started.set(src, loading);
  }
  return loading;
}
