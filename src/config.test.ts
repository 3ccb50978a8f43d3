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

describe('configuration of named statements on PostgreSQL', () => {
  it('is on by default, and on or off by the variable or the flag (the flag wins)', () => {
    expect(loadConfig({}, {}).pgNamedStatements).toBe(true);
    expect(loadConfig({}, { SLUICE_PG_NAMED_STATEMENTS: 'off' }).pgNamedStatements).toBe(false);
    expect(loadConfig({ 'pg-named-statements': 'on' }, { SLUICE_PG_NAMED_STATEMENTS: 'off' }).pgNamedStatements).toBe(true);
  });

  it('refuses anything but on or off, naming the setting', () => {
    for (const value of ['yes', '0', 'OFF']) expect(() => loadConfig({}, { SLUICE_PG_NAMED_STATEMENTS: value }), value).toThrow(/SLUICE_PG_NAMED_STATEMENTS/);
  });

  it('keeps webhooks off private addresses unless local development turns it on', () => {
    expect(loadConfig({}, {}).webhookPrivateAddresses).toBe(false);
    expect(loadConfig({}, { SLUICE_WEBHOOK_PRIVATE_ADDRESSES: 'on' }).webhookPrivateAddresses).toBe(true);
    expect(() => loadConfig({}, { SLUICE_WEBHOOK_PRIVATE_ADDRESSES: 'yes' })).toThrow(/SLUICE_WEBHOOK_PRIVATE_ADDRESSES/);
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
