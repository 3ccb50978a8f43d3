/**
 * docs/monitoring/sluice-alerts.yml names only metrics Sluice exports: renaming a metric without
 * its alert would silence the alert, and Prometheus says nothing about a rule over a missing series.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from '../../test/support/databases.ts';
import { startApi, type Api } from '../../test/http/harness.ts';

const RULES_FILE = new URL('../../docs/monitoring/sluice-alerts.yml', import.meta.url);
/** Series a histogram exports under its name. */
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

describe('the shipped alerting rules', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi((testDialects().find((candidate) => candidate.dialect === 'sqlite') as ReturnType<typeof testDialects>[number]).open);
  });
  afterAll(async () => api?.close());

  it('refer only to metrics the server exports, in rules that each have a name and an expression', async () => {
    const rules = readFileSync(RULES_FILE, 'utf8');
    const alerts = rules.match(/^ {6}- alert: \w+$/gm) ?? [];
    expect(alerts.length).toBeGreaterThan(5);
    expect(rules.match(/^ {8}expr: /gm)?.length).toBe(alerts.length);
    const exported = new Set([...(await api.call('GET', '/metrics', undefined, { key: null })).body.matchAll(/^# TYPE (\w+) /gm)].map((match) => match[1]));
    const named = new Set([...rules.matchAll(/\bsluice_[a-z0-9_]+/g)].map((match) => match[0]));
    expect(named.size).toBeGreaterThan(5);
    for (const name of named) {
      const base = exported.has(name) ? name : name.replace(HISTOGRAM_SUFFIX, '');
      expect(exported.has(base), `${name} is not exported`).toBe(true);
    }
  });
});
