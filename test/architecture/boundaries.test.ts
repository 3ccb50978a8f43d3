import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout rules of ARCHITECTURE.md, checked on every run: a module's index.ts is its only door,
 * the kernel imports no module, and no module imports the composition root's neighbours by path.
 */
const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !/\.test(-support)?\.ts$/.test(path) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) found.push(match[1] as string);
  for (const match of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) found.push(match[1] as string);
  return found.map((specifier) => resolve(dirname(file), specifier));
}

const moduleOf = (path: string): string | undefined => {
  const parts = relative(SRC, path).split(sep);
  return parts[0] === 'modules' ? parts[1] : undefined;
};

describe('architecture boundaries', () => {
  const files = sourceFiles(SRC);

  it('reaches another module only through its index.ts', () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        const targetModule = moduleOf(target);
        if (!targetModule || targetModule === moduleOf(file)) continue;
        if (relative(join(SRC, 'modules', targetModule), target) !== 'index.ts') violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the kernel free of imports from the rest of the platform', () => {
    const violations = files
      .filter((file) => relative(SRC, file).startsWith(`kernel${sep}`))
      .flatMap((file) => importsOf(file).filter((target) => !relative(SRC, target).startsWith(`kernel${sep}`)).map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`));
    expect(violations).toEqual([]);
  });

  it('loads the OpenTelemetry SDK only where tracing is switched on', () => {
    // The SDK and its exporter take a good part of a second to load here; every start and every
    // command would pay for them. Modules speak to @opentelemetry/api alone.
    const staticSdk = files.filter((file) => /(?:^|\n)\s*import\s[^'"]*?from\s+['"]@opentelemetry\/(?!api['"])/.test(readFileSync(file, 'utf8'))).map((file) => relative(SRC, file));
    expect(staticSdk).toEqual([]);
  });

  it('keeps files small enough to read in one sitting', () => {
    const long = files.filter((file) => readFileSync(file, 'utf8').split('\n').length > 450).map((file) => relative(SRC, file));
    expect(long).toEqual([]);
  });
});
