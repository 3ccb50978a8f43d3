/**
 * Case titles and alert reasons in the reader's language (web/src/lib/alerts.ts): for a mule-ring
 * alert and a name-match alert as the server raises them, the console words the case's title and the
 * alert's title and reasons in Chinese from the alert's details, not the server's English sentences;
 * for a kind it does not know, or an alert stored without those details, it shows the server's text.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/db/index.ts';
import { createManualClock } from '../../src/kernel/index.ts';
import { renderView } from '../../src/modules/cases/index.ts';
import { DAY_MS, plantedWorld, T0 } from '../../src/modules/graph/graph.test-support.ts';
import { createPlatform, type Platform } from '../../src/platform.ts';
import { enUS, type MessageKey } from '../../web/src/i18n/en-US.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';
import { alertTitle, alertWords, caseTitle } from '../../web/src/lib/alerts.ts';

type Locale = 'en-US' | 'zh-CN';
const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { 'en-US': enUS, 'zh-CN': zhCN };
/** The console's `t` (app/i18n.tsx): the message of a key with its `{names}` filled in. */
const translate = (locale: Locale) => (key: MessageKey, values: Readonly<Record<string, string | number>> = {}) =>
  CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
const zh = translate('zh-CN');
const en = translate('en-US');

/** Words of the server's English sentences that must not reach a Chinese page. */
const ENGLISH = /scored|scoring|account\(s\)|transfer\(s\)|resembles|Possible|passed on|list \w/;

describe('alert wording in the console', () => {
  let platform: Platform;
  type View = ReturnType<typeof renderView>;
  let ring: View;
  let nameMatch: View;

  beforeAll(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-alerts-'));
    platform = await createPlatform({ db: await openSqlite(join(directory, 'sluice.db')), clock: createManualClock(T0 + 31 * DAY_MS), expiryIntervalMs: 0 });
    await Promise.all(plantedWorld().map((edge, index) => platform.graph.observe({
      id: `t-${index}`, atMs: edge.atMs, amountMinor: edge.amountMinor, currency: 'CNY', debitAccountId: edge.source, creditAccountId: edge.target,
    })));
    const scanned = await platform.graph.scan({ sinceMs: T0 - DAY_MS, untilMs: T0 + 31 * DAY_MS });
    if (!scanned.ok) throw new Error(scanned.error);
    const ringCase = scanned.value.alerted.find((item) => item.ring.accountIds.includes('r1'))?.caseId as string;
    ring = renderView((await platform.cases.get(ringCase))!);
    expect((await platform.screening.importList({ name: 'un_sc', format: 'csv', content: 'name\nABDULHAI SALEK\n' })).ok).toBe(true);
    expect((await platform.parties.create({ id: 'cust-1', name: 'Abdul Hai Salek', kind: 'individual', jurisdiction: 'AF', metadata: null })).ok).toBe(true);
    const [screened] = await platform.cases.list({ source: 'screening', limit: 1 });
    nameMatch = renderView((await platform.cases.get(screened!.id))!);
  });
  afterAll(async () => platform?.close());

  it('words a mule-ring case and its alert in Chinese from the details, and in English alike', () => {
    const alert = ring.alerts[0]!;
    const members = (alert.details as { members: number }).members;
    expect(ring.title).toMatch(/^Possible mule ring of \d+ accounts$/);
    expect(caseTitle(zh, ring)).toBe(`疑似“钱骡”团伙：${members} 个账户`);
    expect(alertTitle(zh, alert)).toBe(caseTitle(zh, ring));
    const words = alertWords(zh, alert);
    expect(words.reasons[0]).toBe(`${members} 个账户的评分不低于 0.6，彼此之间有拆分付款、资金过手或短环路；相互转账 ${(alert.details as { edge_count: number }).edge_count} 笔`);
    // One line per member explained, as many as the server's, each with its signals named in Chinese.
    expect(words.reasons).toHaveLength(alert.reasons.length);
    expect(words.reasons.slice(1).every((line) => /^r\d 评分 0\.\d+：/.test(line))).toBe(true);
    expect(words.reasons.join(' ')).toContain('资金过手');
    expect(words.reasons.join(' ')).not.toMatch(ENGLISH);
    expect(words.explanation).toEqual([]);
    // The English wording says what the server's text says.
    expect(caseTitle(en, ring)).toBe(ring.title);
    expect(alertWords(en, alert).reasons[0]).toBe(alert.reasons[0]);
  });

  it('words a name-match case and its alert in Chinese, and keeps the comparison steps apart', () => {
    const alert = nameMatch.alerts[0]!;
    const { matched_name: matched, score } = alert.details as { matched_name: string; score: number };
    expect(caseTitle(zh, nameMatch)).toBe(`参与方 cust-1（Abdul Hai Salek）与名单 un_sc 上的 ${matched} 相似`);
    expect(alertTitle(zh, alert)).toBe(caseTitle(zh, nameMatch));
    const words = alertWords(zh, alert);
    expect(words.reasons).toEqual([`与名单 un_sc 上的 ${matched} 相似：得分 ${score.toFixed(2)}`]);
    expect(words.explanation).toEqual(alert.reasons);
    expect(caseTitle(en, nameMatch)).toBe(nameMatch.title);
  });

  it('shows the server text for a kind it does not know, and for an alert stored without the details it needs', () => {
    const unknown = { kind: 'rule:large_new_beneficiary', title: 'Held for review: 5000 CNY', reasons: ['amount over 1,000'], details: { members: 3 } };
    expect(alertTitle(zh, unknown)).toBe(unknown.title);
    expect(alertWords(zh, unknown)).toEqual({ reasons: unknown.reasons, explanation: [] });
    expect(caseTitle(zh, { title: 'Called by the branch', kind: 'manual', title_values: null })).toBe('Called by the branch');
    const older = { kind: 'graph:mule_ring', title: 'Possible mule ring of 4 accounts', reasons: ['4 account(s) scoring at least 0.6 …'], details: { ring_key: 'k', members: 4, edge_count: 20 } };
    expect(alertWords(zh, older).reasons).toEqual(older.reasons);
    expect(caseTitle(zh, { title: older.title })).toBe(older.title);
  });
});
