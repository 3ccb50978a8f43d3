/**
 * The build step that ships only the Ant Design rules the console can use (web/antd-styles.ts):
 * which rules it keeps, that it reads the imports under web/src, and that an unknown component
 * stops the build. The browser test checks the result on the real pages.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NEVER_DRAWN, classPrefixesFor, importedAntdComponents, keepAntdRules } from '../../web/antd-styles.ts';

const WEB_SOURCE = fileURLToPath(new URL('../../web/src', import.meta.url));

describe('Ant Design stylesheet subset', () => {
  it('keeps rules without Ant Design classes and rules of used components, drops the rest', () => {
    const css = [
      'html{margin:0}',
      '.ant-btn{color:red}',
      '.ant-slider{color:blue}',
      '.ant-btn,.ant-slider-handle{outline:0}',
      '.ant-form-item .ant-slider{width:1px}',
      '.ant-input-number-input{padding:0}',
      '[class^="ant-slider"]{box-sizing:border-box}',
      '@keyframes antSlider{from{opacity:0}to{opacity:1}}',
      '@media (max-width:575px){.ant-slider{display:none}.ant-btn{display:block}}',
      '@media print{.ant-slider{display:none}}',
      '.ant-btn:is(.x,.y)>a[title="a,b"]{color:green}',
    ].join('');
    expect(keepAntdRules(css, ['btn', 'form', 'input'])).toBe([
      'html{margin:0}',
      '.ant-btn{color:red}',
      '.ant-btn{outline:0}',
      '.ant-input-number-input{padding:0}',
      '@keyframes antSlider{from{opacity:0}to{opacity:1}}',
      '@media (max-width:575px){.ant-btn{display:block}}',
      '.ant-btn:is(.x,.y)>a[title="a,b"]{color:green}',
    ].join(''));
  });

  it('drops rules of classes the console never draws under a kept prefix, and right-to-left rules', () => {
    const css = '.ant-picker{a:1}.ant-picker-calendar{a:2}.ant-picker,.ant-picker-calendar-header{a:3}.ant-btn-rtl{a:4}.ant-btn-rtl .ant-btn-icon{a:5}.ant-col-sm-12{a:6}.ant-col-xs-12{a:7}.ant-menu-dark{a:8}.ant-menu-light{a:9}';
    expect(keepAntdRules(css, ['picker', 'btn', 'col', 'menu'], NEVER_DRAWN)).toBe('.ant-picker{a:1}.ant-picker{a:3}.ant-col-xs-12{a:7}.ant-menu-light{a:9}');
    expect(keepAntdRules(css, ['picker', 'btn', 'col', 'menu'])).toBe(css);
  });

  it('keeps the whole sheet when every prefix is allowed, and cuts the real one', () => {
    const css = readFileSync(fileURLToPath(new URL('../../node_modules/antd/dist/antd.css', import.meta.url)), 'utf8');
    const everyPrefix = [...new Set(css.match(/(?<![\w-])ant-[\w-]+/g))].map((name) => name.slice('ant-'.length));
    expect(keepAntdRules(css, everyPrefix)).toBe(css);
    const used = keepAntdRules(css, classPrefixesFor(importedAntdComponents(WEB_SOURCE)));
    expect(used.length).toBeLessThan(css.length * 0.9);
    expect(used).toContain('.ant-table-cell');
    expect(used).not.toContain('.ant-slider-handle');
  });

  it('reads the components web/src imports and refuses one it has no classes for', () => {
    const components = importedAntdComponents(WEB_SOURCE);
    expect(components).toEqual(expect.arrayContaining(['Button', 'Table', 'Menu', 'ConfigProvider']));
    expect(classPrefixesFor(['Table'])).toEqual(expect.arrayContaining(['table', 'pagination', 'checkbox', 'dropdown']));
    expect(() => classPrefixesFor(['Slider'])).toThrow(/Slider/);
  });
});
