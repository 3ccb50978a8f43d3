import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { resolveKeySecret, type Config } from './config.ts';
import { openDatabase } from './db/index.ts';
import { systemClock, type Clock } from './kernel/index.ts';
import { buildApp } from './http/app.ts';
import { createMetrics } from './http/metrics.ts';
import { createPlatform, type Platform } from './platform.ts';
import { loadDemo } from './demo.ts';
import { startTracing } from './tracing.ts';

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Running {
  readonly app: FastifyInstance;
  readonly platform: Platform;
  readonly url: string;
  /** The bootstrap admin key, set only on the first start of an empty installation. */
  readonly bootstrapKey: string | null;
  readonly demoLoaded: boolean;
  stop(): Promise<void>;
}

/**
 * A start that failed after it had created the installation's bootstrap admin key (the port was
 * taken, say). The key is kept, and no later start prints it, so the caller must show it now.
 */
export class StartAfterBootstrapError extends Error {
  override readonly name = 'StartAfterBootstrapError';
  constructor(readonly failure: unknown, readonly bootstrapKey: string) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
  }
}

/** The composition root: config → database → modules → HTTP → listen. */
export async function startServer(config: Config, options: { clock?: Clock; logger?: boolean | object; env?: NodeJS.ProcessEnv } = {}): Promise<Running> {
  // Before anything that makes spans; off unless an OTLP endpoint is configured (src/tracing.ts).
  const tracing = await startTracing(options.env ?? process.env, VERSION);
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgNamedStatements: config.pgNamedStatements });
  const metrics = createMetrics();
  const platform = await createPlatform({
    db, clock: options.clock ?? systemClock, hashAlgorithm: config.journalHash, ledgerMetrics: metrics.ledger,
    keySecret: resolveKeySecret(config), signatureSuite: config.signatureSuite, graphScanIntervalMs: config.graphScanIntervalMs,
    webhookPrivateAddresses: config.webhookPrivateAddresses, webhookAllowedNetworks: config.webhookAllowedNetworks,
    importedMessageRetentionDays: config.importedMessageRetentionDays,
  });
  // A process that cannot hash its journal cannot append to it: refuse to start rather than serve
  // a ledger whose every write would fail. `sluice verify` still opens such an installation.
  try {
    await platform.journal.head();
  } catch (error) {
    await platform.close();
    await tracing?.shutdown();
    throw error;
  }
  let bootstrapKey: string | null = null;
  let demoLoaded = false;
  let app: FastifyInstance | undefined;
  let address: string;
  try {
    bootstrapKey = await platform.auth.bootstrap(config.adminKey);
    if (bootstrapKey !== null && config.demoOnEmpty && (await platform.ledger.listLedgers()).length === 0) {
      await loadDemo(platform);
      demoLoaded = true;
    }
    const logger = options.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel });
    app = await buildApp({ platform, metrics, logger, rateLimitPerMinute: config.rateLimitPerMinute, version: VERSION });
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // Left open, the platform's background work (the demo's writers among it) kept the failed
    // process alive after it had said why it could not start.
    await app?.close().catch(() => undefined);
    await platform.close();
    await tracing?.shutdown();
    throw bootstrapKey === null ? error : new StartAfterBootstrapError(error, bootstrapKey);
  }
  const server = app;
  // Signed checkpoints while the journal grows; a failure is logged and retried at the next tick.
  const stopCheckpoints = platform.checkpoints.start(config.checkpointIntervalMs, (error) => server.log.error({ err: error }, 'checkpoint failed'));
  let stopping: Promise<void> | undefined;
  return {
    app: server,
    platform,
    url: address.replace('[::1]', 'localhost'),
    bootstrapKey,
    demoLoaded,
    stop() {
      // Stop taking requests, let the ledger finish its batch in flight, then close the database.
      stopping ??= (async () => {
        await server.close();
        await stopCheckpoints();
        await platform.close();
        await tracing?.shutdown();
      })();
      return stopping;
    },
  };
}
