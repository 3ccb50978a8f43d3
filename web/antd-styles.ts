/**
 * Ant Design's prebuilt stylesheet (`antd/dist/antd.css`, used with `theme.zeroRuntime`) holds the
 * rules of every component the library has, about 1 MiB that the browser parses and matches
 * against the document on every load. The console uses about a third of the components, so the
 * build keeps only the rules that can apply to it:
 *
 * - a selector that names no Ant Design class (resets, keyframes, variables) is always kept;
 * - a selector whose every `ant-…` class belongs to a component the console renders is kept;
 * - every other selector is dropped, and a rule left without selectors with it.
 *
 * Which components the console renders is read from the `from 'antd'` imports under web/src, each
 * mapped (COMPONENT_CLASSES) to the class prefixes it draws, its internal parts included (a table
 * draws pagination, checkboxes, dropdowns …). An import missing from the map fails the build, so a
 * new component cannot arrive without its styles. test/e2e/console.test.ts checks in the browser
 * that every Ant Design class on the console's pages still has its rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The class prefixes (after `ant-`) each imported component draws, generously: a prefix covers
 * every class that starts with it (`input` covers `ant-input-number`, `ant-input-affix-wrapper`).
 */
const COMPONENT_CLASSES: Readonly<Record<string, readonly string[]>> = {
  Alert: ['alert', 'btn'],
  App: ['app', 'message', 'notification', 'modal', 'btn', 'popover'],
  Button: ['btn', 'button'],
  Card: ['card', 'tabs', 'skeleton'],
  Checkbox: ['checkbox'],
  Col: ['col', 'row'],
  ConfigProvider: [],
  DatePicker: ['picker', 'btn', 'tag', 'select'],
  Descriptions: ['descriptions'],
  Dropdown: ['dropdown', 'menu'],
  Empty: ['empty'],
  Form: ['form', 'row', 'col', 'tooltip'],
  Input: ['input', 'btn', 'space'],
  InputNumber: ['input-number', 'input'],
  Layout: ['layout'],
  Menu: ['menu', 'tooltip', 'dropdown'],
  Modal: ['modal', 'btn'],
  Popconfirm: ['popconfirm', 'popover', 'btn'],
  Progress: ['progress'],
  Row: ['row', 'col'],
  Select: ['select', 'empty', 'tag'],
  Space: ['space'],
  Spin: ['spin'],
  Statistic: ['statistic', 'skeleton'],
  Steps: ['steps', 'progress', 'tooltip', 'popover'],
  Table: ['table', 'pagination', 'select', 'checkbox', 'radio', 'dropdown', 'spin', 'empty', 'tooltip', 'input', 'btn', 'tree', 'popover', 'space'],
  Tabs: ['tabs', 'dropdown'],
  Tag: ['tag'],
  Timeline: ['timeline'],
  Tooltip: ['tooltip'],
  Tree: ['tree'],
  Typography: ['typography', 'tooltip', 'input'],
  Upload: ['upload', 'progress', 'tooltip', 'btn'],
};

/**
 * Classes under a kept prefix that the console never draws: other components that share a prefix
 * (Calendar's `picker-calendar`, TreeSelect's `tree-select`), the dark menu (the console's is
 * light) and grid breakpoints no Col of the console uses. Right-to-left rules (`…-rtl`) go too: the
 * console is left-to-right in both its languages. A rule that names one of these is dropped.
 */
export const NEVER_DRAWN: readonly string[] = ['picker-calendar', 'tree-select', 'menu-dark', 'col-sm', 'col-xxl', 'col-xxxl'];
const RIGHT_TO_LEFT = /-rtl(?:-|$)/;

/** Drawn whatever is imported: the click wave, the motion classes, the CSS-variable scopes. */
const ALWAYS_CLASSES = ['wave', 'motion', 'zoom', 'fade', 'slide', 'move', 'css-var', 'border'];

/** The component names imported from 'antd' in the files under `sourceDir` (types excluded). */
export function importedAntdComponents(sourceDir: string): string[] {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.tsx?$/.test(entry.name)) {
        for (const match of readFileSync(path, 'utf8').matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'antd'/g)) {
          if (match[1]) continue;
          for (const part of (match[2] ?? '').split(',')) {
            const name = part.trim().split(/\s+as\s+/)[0]?.trim() ?? '';
            if (name && !name.startsWith('type ')) names.add(name);
          }
        }
      }
    }
  };
  visit(sourceDir);
  return [...names].sort();
}

/** The class prefixes the given components draw; throws for a component the map does not know. */
export function classPrefixesFor(components: readonly string[]): string[] {
  const prefixes = new Set(ALWAYS_CLASSES);
  for (const component of components) {
    const own = COMPONENT_CLASSES[component];
    if (!own) throw new Error(`web/antd-styles.ts: no class prefixes listed for Ant Design's ${component}; add it to COMPONENT_CLASSES`);
    for (const prefix of own) prefixes.add(prefix);
  }
  return [...prefixes].sort();
}

/** Splits `text` at top-level occurrences of `separator` (outside strings, brackets and parentheses). */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote) quote = '';
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Walks the stylesheet from `from`, skipping strings and comments, and hands every other character
 * to `visit`; stops at the first index `visit` returns (undefined when it never does).
 */
function scan(css: string, from: number, visit: (char: string, index: number) => number | undefined): number | undefined {
  let quote = '';
  for (let index = from; index < css.length; index++) {
    const char = css.charAt(index);
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote) quote = '';
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '/' && css[index + 1] === '*') index = css.indexOf('*/', index + 2) + 1 || css.length;
    else {
      const stop = visit(char, index);
      if (stop !== undefined) return stop;
    }
  }
  return undefined;
}

/** Index of the character after the block that opens at `open` (a `{`), skipping strings and comments. */
function blockEnd(css: string, open: number): number {
  let depth = 0;
  const end = scan(css, open, (char, index) => {
    if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return index + 1;
    return undefined;
  });
  if (end === undefined) throw new Error(`unbalanced braces in the stylesheet from offset ${open}`);
  return end;
}

/** Index of the next `{` or `;` at top level from `from`, outside strings and comments. */
function preludeEnd(css: string, from: number): number {
  return scan(css, from, (char, index) => (char === '{' || char === ';' ? index : undefined)) ?? css.length;
}

/** At-rules whose body is a list of rules, filtered like the top level. */
const GROUPING_AT_RULES = /^@(media|supports|container|layer|scope)\b/;
const ANT_CLASS = /(?<![\w-])ant-[\w-]+/g;

/**
 * Keeps the rules of `css` whose selectors name only classes under `prefixes` (see the file
 * comment) and, when `neverDrawn` is given, none under those prefixes and no right-to-left class.
 */
export function keepAntdRules(css: string, prefixes: readonly string[], neverDrawn?: readonly string[]): string {
  const under = (className: string, list: readonly string[]) => list.some((prefix) => className === `ant-${prefix}` || className.startsWith(`ant-${prefix}-`));
  const allowed = (className: string) => under(className, prefixes) && !(neverDrawn && (under(className, neverDrawn) || RIGHT_TO_LEFT.test(className)));
  const keepSelector = (selector: string) => [...selector.matchAll(ANT_CLASS)].every((match) => allowed(match[0]));
  const filterRules = (text: string): string => {
    let output = '';
    let index = 0;
    while (index < text.length) {
      const end = preludeEnd(text, index);
      const prelude = text.slice(index, end).trim();
      if (end >= text.length) {
        output += text.slice(index);
        break;
      }
      if (text[end] === ';') {
        output += `${prelude};`;
        index = end + 1;
        continue;
      }
      const close = blockEnd(text, end);
      const body = text.slice(end + 1, close - 1);
      index = close;
      if (prelude.startsWith('@')) {
        if (!GROUPING_AT_RULES.test(prelude)) output += `${prelude}{${body}}`;
        else {
          const inner = filterRules(body);
          if (inner.trim()) output += `${prelude}{${inner}}`;
        }
        continue;
      }
      const selectors = splitTopLevel(prelude, ',').filter(keepSelector);
      if (selectors.length > 0) output += `${selectors.join(',')}{${body}}`;
    }
    return output;
  };
  return filterRules(css);
}
