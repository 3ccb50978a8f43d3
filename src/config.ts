import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './db/index.ts';
import { HYBRID_SUITES, isHashAlgorithm, type HashAlgorithm, type SignatureSuite } from './crypto/index.ts';
import { LIMITS } from './kernel/index.ts';
import { PAYMENT_LIMITS, parseWebhookAllowedNetworks } from './modules/payments/index.ts';

/**
 * Configuration is read once from flags and environment variables (flags win), checked, and frozen.
 * A bad value stops the process at start with a message that names the setting.
 */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly adminKey: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly rateLimitPerMinute: number;
  readonly journalHash: HashAlgorithm;
  /** Load the demo dataset when the database is empty at start. */
  readonly demoOnEmpty: boolean;
  /** Secret the signing key ring is sealed under; undefined means "keep one in the data folder". */
  readonly keySecret: string | undefined;
  readonly signatureSuite: SignatureSuite;
  /** How often a signed checkpoint of the journal is made while it grows. */
  readonly checkpointIntervalMs: number;
  /** How often the mule-ring graph is scanned (one process of those sharing the database per interval); 0: never. */
  readonly graphScanIntervalMs: number;
  /** On PostgreSQL, prepare repeated statements under names (off behind a pooler that cannot carry them). */
  readonly pgNamedStatements: boolean;
  /** Let payment webhooks reach loopback and private addresses; for local development only. */
  readonly webhookPrivateAddresses: boolean;
  /** Days an imported ISO 20022 file's sender and MsgId are kept for the duplicate check. */
  readonly importedMessageRetentionDays: number;
  /** Private ranges (CIDR), addresses and exact host names payment webhooks may reach in production. */
  readonly webhookAllowedNetworks: readonly string[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type Flags = Readonly<Record<string, string | boolean | undefined>>;

export function loadConfig(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: string, variable: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    return env[variable] === undefined || env[variable] === '' ? undefined : env[variable];
  };
  const integer = (text: string | undefined, fallback: number, name: string, min: number, max: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    return Number(text);
  };
  const databaseUrl = pick('database', 'SLUICE_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('SLUICE_DATABASE_URL (--database) must be a postgres:// URL; leave it unset for the embedded SQLite database');
  }
  const logLevel = pick('log-level', 'SLUICE_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`SLUICE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const journalHash = pick('journal-hash', 'SLUICE_JOURNAL_HASH') ?? 'sha256';
  if (!isHashAlgorithm(journalHash)) throw new ConfigError('SLUICE_JOURNAL_HASH must be sha256 or sm3');
  const adminKey = pick('admin-key', 'SLUICE_ADMIN_KEY');
  if (adminKey !== undefined && (adminKey.length < 24 || adminKey.length > 256 || !/^[\x21-\x7e]+$/.test(adminKey))) {
    throw new ConfigError('SLUICE_ADMIN_KEY must be 24 to 256 printable characters without spaces');
  }
  const demo = pick('demo', 'SLUICE_DEMO')?.toLowerCase();
  // Anything else was taken as yes, so a typo or "disabled" filled a new installation with demo customers and payments.
  if (demo !== undefined && !['0', 'false', 'no', 'off', '1', 'true', 'yes', 'on'].includes(demo)) {
    throw new ConfigError(`SLUICE_DEMO (--demo) must be 1, true, yes or on to load the demo dataset, or 0, false, no or off to skip it, not "${demo}"`);
  }
  const keySecret = pick('key-secret', 'SLUICE_KEY_SECRET');
  if (keySecret !== undefined && keySecret.length < 16) throw new ConfigError('SLUICE_KEY_SECRET must be at least 16 characters');
  const signatureSuite = pick('signature-suite', 'SLUICE_SIGNATURE_SUITE') ?? 'hybrid-mldsa65-sm2';
  if (!HYBRID_SUITES.includes(signatureSuite as SignatureSuite)) throw new ConfigError(`SLUICE_SIGNATURE_SUITE must be one of ${HYBRID_SUITES.join(', ')}`);
  const graphScanIntervalMs = integer(pick('graph-scan-interval', 'SLUICE_GRAPH_SCAN_INTERVAL_MS'), 600_000, 'SLUICE_GRAPH_SCAN_INTERVAL_MS', 0, 86_400_000);
  // A scan of a busy window takes seconds; a shorter schedule would have scans overlap their intervals.
  if (graphScanIntervalMs > 0 && graphScanIntervalMs < 10_000) throw new ConfigError(`SLUICE_GRAPH_SCAN_INTERVAL_MS must be 0 (off) or from 10000 to 86400000, not "${graphScanIntervalMs}"`);
  const namedStatements = pick('pg-named-statements', 'SLUICE_PG_NAMED_STATEMENTS') ?? 'on';
  if (namedStatements !== 'on' && namedStatements !== 'off') throw new ConfigError(`SLUICE_PG_NAMED_STATEMENTS must be on or off, not "${namedStatements}"`);
  const webhookPrivate = pick('webhook-private-addresses', 'SLUICE_WEBHOOK_PRIVATE_ADDRESSES') ?? 'off';
  if (webhookPrivate !== 'on' && webhookPrivate !== 'off') throw new ConfigError(`SLUICE_WEBHOOK_PRIVATE_ADDRESSES must be on or off, not "${webhookPrivate}"`);
  const webhookAllowed = parseWebhookAllowedNetworks(pick('webhook-allowed-networks', 'SLUICE_WEBHOOK_ALLOWED_NETWORKS') ?? '');
  if (!webhookAllowed.ok) throw new ConfigError(`SLUICE_WEBHOOK_ALLOWED_NETWORKS (--webhook-allowed-networks): ${webhookAllowed.error}`);
  return Object.freeze({
    host: pick('host', 'SLUICE_HOST') ?? '127.0.0.1',
    port: integer(pick('port', 'SLUICE_PORT'), 8080, 'SLUICE_PORT (--port)', 0, 65535),
    dataDir: resolve(pick('data', 'SLUICE_DATA_DIR') ?? './data'),
    databaseUrl,
    adminKey,
    logLevel: logLevel as Config['logLevel'],
    rateLimitPerMinute: integer(pick('rate-limit', 'SLUICE_RATE_LIMIT'), LIMITS.rateLimitMax, 'SLUICE_RATE_LIMIT', 1, 1_000_000_000),
    journalHash,
    demoOnEmpty: demo === undefined ? true : !['0', 'false', 'no', 'off'].includes(demo),
    keySecret,
    signatureSuite: signatureSuite as SignatureSuite,
    checkpointIntervalMs: integer(pick('checkpoint-interval', 'SLUICE_CHECKPOINT_INTERVAL_MS'), 1000, 'SLUICE_CHECKPOINT_INTERVAL_MS', 100, 86_400_000),
    graphScanIntervalMs,
    pgNamedStatements: namedStatements === 'on',
    webhookPrivateAddresses: webhookPrivate === 'on',
    importedMessageRetentionDays: integer(pick('imported-message-retention-days', 'SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS'), PAYMENT_LIMITS.importedMessageRetentionDays,
      'SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS (--imported-message-retention-days)', 1, PAYMENT_LIMITS.importedMessageRetentionDaysMax),
    webhookAllowedNetworks: webhookAllowed.value,
  });
}

/**
 * The key-ring secret: SLUICE_KEY_SECRET when set; otherwise a random secret kept in the data folder
 * (mode 0600), so that a laptop start needs no setup. Processes on several machines sharing one
 * PostgreSQL database must all be given the same SLUICE_KEY_SECRET instead.
 */
export function resolveKeySecret(config: Config): string {
  if (config.keySecret) return config.keySecret;
  const file = join(config.dataDir, 'key-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    } catch (error) {
      // Another process starting at the same moment wrote it first; read theirs.
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
