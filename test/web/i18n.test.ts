/**
 * The console's two message catalogues: the same keys in both, every message non-empty, and the
 * same `{placeholders}` in each translation as in the English text, so no value goes missing
 * in one language.
 */
import { describe, expect, it } from 'vitest';
import { enUS } from '../../web/src/i18n/en-US.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('console message catalogues', () => {
  it('have exactly the same keys in en-US and zh-CN', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(enUS).sort());
  });

  it('have a non-empty message for every key, and the Chinese ones are translated', () => {
    for (const [key, message] of [...Object.entries(enUS), ...Object.entries(zhCN)]) expect(message.trim(), key).not.toBe('');
    // Messages that are only codes or names stay the same; real sentences must not.
    const untranslated = Object.entries(zhCN).filter(([key, message]) => message === enUS[key as keyof typeof enUS] && /\s[a-z]{3,}\s/i.test(message));
    expect(untranslated).toEqual([]);
  });

  it('use the same placeholders in both languages', () => {
    for (const [key, message] of Object.entries(enUS)) expect(placeholders(zhCN[key as keyof typeof enUS]), key).toEqual(placeholders(message));
  });
});
