import type * as LibXml from 'libxml2-wasm';
import { AssertionError } from '../../kernel/index.ts';

/**
 * libxml2 (WebAssembly) is loaded on first use, not when the platform starts. Under tsx, importing
 * it adds about 150 MB of resident memory (14 MB under plain Node), which every Sluice process
 * paid even if it never read an XML message. The readers stay synchronous: whoever imports
 * messages awaits `loadXmlLibrary()` once before the first (the payments import does).
 */
let library: typeof LibXml | undefined;
let loading: Promise<typeof LibXml> | undefined;

export async function loadXmlLibrary(): Promise<void> {
  loading ??= import('libxml2-wasm').then((loaded) => (library = loaded));
  await loading;
}

/** The loaded library; calling it before `loadXmlLibrary()` has finished is a programming error. */
export function xmlLibrary(): typeof LibXml {
  if (!library) throw new AssertionError('libxml2 is not loaded yet: await loadXmlLibrary() before reading XML');
  return library;
}
