import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration of the scheduled mule-ring scan', () => {
  it('scans every ten minutes by default, takes the variable or the flag (the flag wins), and 0 for off', () => {
    expect(loadConfig({}, {}).graphScanIntervalMs).toBe(600_000);
    expect(loadConfig({}, { SLUICE_GRAPH_SCAN_INTERVAL_MS: '0' }).graphScanIntervalMs).toBe(0);
    expect(loadConfig({ 'graph-scan-interval': '60000' }, { SLUICE_GRAPH_SCAN_INTERVAL_MS: '0' }).graphScanIntervalMs).toBe(60_000);
  });

  it('refuses intervals too short to scan in, too long, or not whole numbers, naming the setting', () => {
    for (const value of ['5000', '86400001', '-1', '1e6', 'ten']) {
      expect(() => loadConfig({}, { SLUICE_GRAPH_SCAN_INTERVAL_MS: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({}, { SLUICE_GRAPH_SCAN_INTERVAL_MS: value }), value).toThrow(/SLUICE_GRAPH_SCAN_INTERVAL_MS/);
    }
  });
});

describe('configuration of the rate limit', () => {
  it('allows a client 1,000 requests a second by default, and what the variable or the flag says (the flag wins)', () => {
    expect(loadConfig({}, {}).rateLimitPerMinute).toBe(60_000);
    expect(loadConfig({}, { SLUICE_RATE_LIMIT: '1000000000' }).rateLimitPerMinute).toBe(1_000_000_000);
    expect(loadConfig({ 'rate-limit': '600' }, { SLUICE_RATE_LIMIT: '1000000000' }).rateLimitPerMinute).toBe(600);
    expect(() => loadConfig({}, { SLUICE_RATE_LIMIT: '0' })).toThrow(/SLUICE_RATE_LIMIT/);
  });
});

describe('configuration of named statements on PostgreSQL', () => {
  it('is on by default, and on or off by the variable or the flag (the flag wins)', () => {
    expect(loadConfig({}, {}).pgNamedStatements).toBe(true);
    expect(loadConfig({}, { SLUICE_PG_NAMED_STATEMENTS: 'off' }).pgNamedStatements).toBe(false);
    expect(loadConfig({ 'pg-named-statements': 'on' }, { SLUICE_PG_NAMED_STATEMENTS: 'off' }).pgNamedStatements).toBe(true);
  });

  it('refuses anything but on or off, naming the setting', () => {
    for (const value of ['yes', '0', 'OFF']) expect(() => loadConfig({}, { SLUICE_PG_NAMED_STATEMENTS: value }), value).toThrow(/SLUICE_PG_NAMED_STATEMENTS/);
  });

  it('keeps imported message ids 400 days by default, or the days the variable or the flag names', () => {
    expect(loadConfig({}, {}).importedMessageRetentionDays).toBe(400);
    expect(loadConfig({}, { SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS: '30' }).importedMessageRetentionDays).toBe(30);
    expect(loadConfig({ 'imported-message-retention-days': '731' }, { SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS: '30' }).importedMessageRetentionDays).toBe(731);
    for (const value of ['0', '-1', '1.5', 'forever', '36501']) {
      expect(() => loadConfig({}, { SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS: value }), value).toThrow(/SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS/);
    }
  });

  it('keeps webhooks off private addresses unless local development turns it on', () => {
    expect(loadConfig({}, {}).webhookPrivateAddresses).toBe(false);
    expect(loadConfig({}, { SLUICE_WEBHOOK_PRIVATE_ADDRESSES: 'on' }).webhookPrivateAddresses).toBe(true);
    expect(() => loadConfig({}, { SLUICE_WEBHOOK_PRIVATE_ADDRESSES: 'yes' })).toThrow(/SLUICE_WEBHOOK_PRIVATE_ADDRESSES/);
  });
});

describe('configuration of the private networks webhooks may reach', () => {
  it('lists none by default, and takes ranges, addresses and names from the variable or the flag (the flag wins)', () => {
    expect(loadConfig({}, {}).webhookAllowedNetworks).toEqual([]);
    const variable = { SLUICE_WEBHOOK_ALLOWED_NETWORKS: '10.20.0.0/16, fd12:3456::/48,hooks.bank.internal' };
    expect(loadConfig({}, variable).webhookAllowedNetworks).toEqual(['10.20.0.0/16', 'fd12:3456::/48', 'hooks.bank.internal']);
    expect(loadConfig({ 'webhook-allowed-networks': '192.168.7.9' }, variable).webhookAllowedNetworks).toEqual(['192.168.7.9']);
  });

  it('refuses an entry it cannot use with one line naming the setting and the entry', () => {
    for (const [value, entry] of [['10.0.0.0/8,10.1.2.3/16', '10.1.2.3/16'], ['fd00::/129', 'fd00::/129'], ['*.bank.internal', '*.bank.internal'], ['10.0.0.0/8, hooks bank', 'hooks bank']] as const) {
      let error: unknown;
      try {
        loadConfig({}, { SLUICE_WEBHOOK_ALLOWED_NETWORKS: value });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as Error).message, value).toMatch(/^SLUICE_WEBHOOK_ALLOWED_NETWORKS \(--webhook-allowed-networks\): entry /);
      expect((error as Error).message, value).toContain(JSON.stringify(entry));
      expect((error as Error).message, value).not.toContain('\n');
    }
  });
});

describe('configuration of the demo dataset', () => {
  it('loads it by default, and takes the usual ways of saying yes or no in any case', () => {
    expect(loadConfig({}, {}).demoOnEmpty).toBe(true);
    for (const value of ['0', 'false', 'no', 'off', 'False', 'NO', 'OFF']) expect(loadConfig({}, { SLUICE_DEMO: value }).demoOnEmpty, value).toBe(false);
    for (const value of ['1', 'true', 'yes', 'on', 'TRUE']) expect(loadConfig({ demo: value }, { SLUICE_DEMO: '0' }).demoOnEmpty, value).toBe(true);
  });

  it('refuses any other value instead of loading demo customers and payments into the installation', () => {
    for (const value of ['maybe', 'disabled', '2']) {
      expect(() => loadConfig({ demo: value }, {}), value).toThrow(ConfigError);
      expect(() => loadConfig({}, { SLUICE_DEMO: value }), value).toThrow(/SLUICE_DEMO \(--demo\)/);
    }
  });
});
