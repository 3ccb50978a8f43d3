import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { accessSync, constants, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolveKeySecret, type Config, type Flags } from './config.ts';
import { isSignatureAlgorithm } from './crypto/index.ts';
import { verifyConsistencyFiles, verifyProofFiles, verifyReportJson } from './modules/journal/index.ts';
import { DumpError, exportDump, importDump, migrate, openDatabase } from './db/index.ts';
import { systemClock } from './kernel/index.ts';
import { ALL_MIGRATIONS, ALL_TABLES, createPlatform, isEmptyInstallation } from './platform.ts';
import { tracingSettings } from './tracing.ts';
import { loadDemo } from './demo.ts';
import { StartAfterBootstrapError, VERSION, startServer } from './main.ts';
import { apiCommand, API_HELP } from './cli.api.ts';
import { SCF_HELP, scfCommand } from './modules/scf/index.ts';
import { SCREENING_HELP, screeningCommand } from './modules/screening/index.ts';
import { paymentsCommand, PAYMENTS_HELP } from './modules/payments/index.ts';
import { describeFailure } from './cli.failures.ts';
import { AUDIT_HELP, auditCommand } from './cli.audit.ts';
import { misplacedOption } from './cli.options.ts';

/** The `sluice` command line. Each command says what it does with --help. */
const COMMON = `

Options (also read from environment variables):
  --data DIR          data folder for the embedded database   SLUICE_DATA_DIR (default ./data)
  --database URL      run on PostgreSQL instead               SLUICE_DATABASE_URL
  --help              this text`;

const HELP: Record<string, string> = {
  main: `sluice ${VERSION} — open digital-finance platform

Usage: sluice <command> [options]

Commands:
  start               start the server (embedded SQLite by default)
  demo                load the demo dataset into the database
  verify              check the journal hash chain and every ledger record behind it
  migrate             apply database migrations and exit
  checkpoint          sign a checkpoint of the journal now
  keys export|rotate  the public keys file; rotate a signing key
  export FILE         write a portable dump of the whole installation
  import FILE         load a dump into a new, empty installation (SQLite or PostgreSQL)
  bench [names]       run the benchmarks (same as npm run bench)
  ledgers|accounts|transfers|parties ...
                      talk to a running server (see sluice accounts --help)
  cases report ID     a case report from a running server, --format md for Markdown
  rules backtest|promote, lists import
                      risk rules and block/allow lists on a running server (see sluice rules --help)
  scf ...             supply-chain finance on a running server (see sluice scf --help)
  screening ...       import watch lists, screen names on a running server (see sluice screening --help)
  audit list          which API key did which control-plane action (see sluice audit --help)
  payments|statement ...
                      import and export ISO 20022 payments, statements (see sluice payments --help)

Run "sluice <command> --help" for a command's options.`,
  start: `Usage: sluice start [options]

Starts the HTTP API. On the first start of an empty installation it prints a bootstrap admin API key
once (or takes SLUICE_ADMIN_KEY and prints nothing) and loads the demo dataset (SLUICE_DEMO=0 skips it).

  --port N            port to listen on                        SLUICE_PORT (default 8080)
  --host ADDR         address to listen on                     SLUICE_HOST (default 127.0.0.1)
  --log-level LEVEL   fatal|error|warn|info|debug|trace|silent SLUICE_LOG_LEVEL (default info)
  --journal-hash ALG  sha256 or sm3, fixed at first start      SLUICE_JOURNAL_HASH
  --rate-limit N      requests per minute per API key          SLUICE_RATE_LIMIT
  --admin-key KEY     bootstrap admin key (24-256 characters)  SLUICE_ADMIN_KEY
  --demo 0|1          load the demo into an empty database     SLUICE_DEMO (default 1)${COMMON}

OpenTelemetry traces go to the collector OTEL_EXPORTER_OTLP_ENDPOINT names, with the other OTEL_*
variables as every OpenTelemetry SDK reads them (docs/operations.md, "Traces").`,
  demo: `Usage: sluice demo [options]

Loads the demo dataset: ledgers in CNY, HKD, SGD, THB, AED and USD, banks, a core enterprise with
suppliers and vouchers, some sixty customers with two thousand payments over the last month, a
planted mule ring and a customer on the demo watch list. Loading it twice books nothing twice.${COMMON}`,
  verify: `Usage: sluice verify [options]
       sluice verify --proof FILE --keys FILE
       sluice verify --consistency FILE --keys FILE [--checkpoint KEPT]

Recomputes the journal's hash chain, each batch's digest from the ledger tables, every account's
balances from its transfers, and every signed checkpoint. With --proof and --keys it needs no
database: it checks a proof file (GET /v1/journal/proof, or a voucher's proof) against a keys file
(GET /v1/journal/keys): entry hashes, audit paths, and the checkpoint's hybrid signature. The
proof file is read a line at a time (one entry per line, as the server writes it; 16 MiB a line).
With --consistency it checks a consistency file (GET /v1/journal/consistency?from=N) the same way:
both checkpoints' signatures, and that the later one extends the earlier, so nothing journaled
before the earlier checkpoint was changed since. --checkpoint names the checkpoint you kept (as
JSON); the file's earlier checkpoint must then be that one.
Exits 0 when everything verifies, 1 when anything does not, and 2 when the arguments cannot be used
(a data folder without a database, --proof without --keys …).

  --proof FILE        a proof file to check offline
  --consistency FILE  a consistency file to check offline
  --checkpoint FILE   the checkpoint kept earlier, which the consistency file must start from
  --keys FILE         the platform's public keys file
  --json              print the report as JSON
  --key-secret S      secret the signing keys are sealed under     SLUICE_KEY_SECRET${COMMON}`,
  keys: `Usage: sluice keys export [--out FILE] [options]
       sluice keys rotate ALGORITHM [options]

export writes the public keys file that offline verification needs (to FILE or standard output).
rotate replaces the active key of one algorithm (ml-dsa-65, sm2-sm3 or ed25519); checkpoints signed
before keep verifying with the retired public key, which stays in the keys file.

  --key-secret S      secret the signing keys are sealed under     SLUICE_KEY_SECRET${COMMON}`,
  checkpoint: `Usage: sluice checkpoint [options]

Signs a checkpoint of everything journaled so far (a running server does this every second).

  --key-secret S      secret the signing keys are sealed under     SLUICE_KEY_SECRET${COMMON}`,
  migrate: `Usage: sluice migrate [options]

Applies the database migrations that have not run yet and exits.${COMMON}`,
  export: `Usage: sluice export FILE [options]

Writes every table (ledgers, accounts, transfers, journal, parties, API key hashes) as JSON Lines
from one consistent snapshot. The file moves an installation between SQLite and PostgreSQL.${COMMON}`,
  import: `Usage: sluice import FILE [options]

Loads a dump written by "sluice export" into a database that holds no ledger data yet, in one
transaction, then verifies the journal. Example, SQLite to PostgreSQL:
  sluice export dump.jsonl --data ./data
  sluice import dump.jsonl --database postgres://user@host/sluice${COMMON}`,
  bench: `Usage: sluice bench [names...] [--json]

Runs the benchmarks in bench/, each beside its baseline measured in the same run.`,
};

/** Client commands of one resource each, run with their own options and help. */
const CLIENT_COMMANDS: Readonly<Record<string, { help: string; run: (args: string[]) => Promise<number> }>> = {
  scf: { help: SCF_HELP, run: scfCommand }, screening: { help: SCREENING_HELP, run: screeningCommand }, audit: { help: AUDIT_HELP, run: auditCommand },
};

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') return print(HELP.main as string);
  if (command === '--version' || command === 'version') return print(VERSION);
  const client = CLIENT_COMMANDS[command];
  if (client) {
    if (rest.includes('--help')) return print(client.help);
    if (rest.length === 0) return missingAction(command, client.help);
    return client.run(rest);
  }
  if (['ledgers', 'accounts', 'transfers', 'parties', 'cases', 'rules', 'lists'].includes(command)) {
    if (rest.includes('--help')) return print(API_HELP);
    if (rest.length === 0) return missingAction(command, API_HELP);
    return apiCommand(command, rest);
  }
  if (command === 'payments' || command === 'statement') {
    if (rest.includes('--help')) return print(PAYMENTS_HELP);
    // statement takes no action; without its options it says which it needs.
    if (rest.length === 0 && command === 'payments') return missingAction(command, PAYMENTS_HELP);
    return paymentsCommand(command, rest);
  }
  const help = HELP[command];
  if (!help) {
    process.stderr.write(`sluice: unknown command "${command}"\n\n${HELP.main}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: ['bench', 'export', 'import', 'keys'].includes(command),
    options: {
      help: { type: 'boolean' }, json: { type: 'boolean' },
      port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, database: { type: 'string' },
      'log-level': { type: 'string' }, 'journal-hash': { type: 'string' }, 'rate-limit': { type: 'string' },
      'admin-key': { type: 'string' }, demo: { type: 'string' }, 'key-secret': { type: 'string' }, 'signature-suite': { type: 'string' },
      'checkpoint-interval': { type: 'string' }, 'graph-scan-interval': { type: 'string' }, 'pg-named-statements': { type: 'string' }, 'imported-message-retention-days': { type: 'string' }, 'webhook-private-addresses': { type: 'string' }, 'webhook-allowed-networks': { type: 'string' }, proof: { type: 'string' }, consistency: { type: 'string' }, checkpoint: { type: 'string' }, keys: { type: 'string' }, out: { type: 'string' },
    },
  });
  if (values.help) return print(help);
  const misplaced = misplacedOption(command, Object.keys(values));
  if (misplaced) {
    process.stderr.write(`sluice: ${misplaced}\nRun "sluice ${command} --help" for the options.\n`);
    return 2;
  }
  const config = loadConfig(values as Flags);

  switch (command) {
    case 'start': {
      keepServingWithoutOutput();
      let running;
      try {
        running = await startServer(config);
      } catch (error) {
        if (!(error instanceof StartAfterBootstrapError)) throw error;
        // The installation and its admin key were made before the start failed; no later start prints the key.
        if (!config.adminKey) process.stdout.write(`Bootstrap admin API key of the new installation (shown once, store it now):\n  ${error.bootstrapKey}\n`);
        throw error.failure;
      }
      process.stdout.write(`Sluice ${VERSION} listening on ${running.url}\n`);
      process.stdout.write(`Console: ${running.url}/   (sign in with an API key)\n`);
      process.stdout.write(`API reference: ${running.url}/docs   OpenAPI: ${running.url}/openapi.json\n`);
      process.stdout.write(`Database: ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}\n`);
      const traces = tracingSettings(process.env);
      if (traces) process.stdout.write(`Traces: OpenTelemetry over OTLP/HTTP to ${traces.endpoint}\n`);
      if (running.demoLoaded) process.stdout.write('Loaded the demo dataset (SLUICE_DEMO=0 skips it).\n');
      if (running.bootstrapKey && !config.adminKey) {
        process.stdout.write(`\nBootstrap admin API key (shown once, store it now):\n  ${running.bootstrapKey}\n\n`);
      } else if (running.bootstrapKey) {
        process.stdout.write('Created the bootstrap admin API key from SLUICE_ADMIN_KEY.\n');
      }
      const shutdown = (signal: string) => {
        process.stdout.write(`${signal}: finishing the batch in flight and stopping\n`);
        running.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      return new Promise<number>(() => {});
    }
    case 'demo': {
      const platform = await openPlatform(config);
      try {
        const { transfers } = await loadDemo(platform);
        return print(`Demo dataset loaded (${transfers} transfers accepted or already present).`);
      } finally {
        await platform.close();
      }
    }
    case 'verify': {
      // Without --consistency a kept checkpoint would be ignored, and the database verified instead.
      if (values.checkpoint !== undefined && values.consistency === undefined) {
        process.stderr.write('sluice: --checkpoint names the checkpoint a consistency file must start from; give it with --consistency FILE --keys FILE\n');
        return 2;
      }
      if (values.consistency !== undefined && values.proof !== undefined) {
        process.stderr.write('sluice: check --proof and --consistency files one at a time\n');
        return 2;
      }
      if (values.consistency !== undefined) return verifyConsistencyOffline(values.consistency, values.keys, values.checkpoint, values.json === true);
      if (values.proof !== undefined || values.keys !== undefined) return verifyOffline(values.proof, values.keys, values.json === true);
      await requireInstallation(config);
      const platform = await openPlatform(config);
      try {
        const report = await platform.verify((checked, total) => process.stderr.write(`\rchecked ${checked} of ${total} journal entries`));
        process.stderr.write('\n');
        if (values.json) print(JSON.stringify(verifyReportJson(report), null, 2));
        else {
          print(`${report.ok ? 'OK' : 'FAILED'}: ${report.entries} journal entries (${report.algorithm}), head ${report.headSeq} ${report.headHash}`);
          for (const problem of report.problems) print(`  ${problem.seq === null ? '-' : `#${problem.seq}`}: ${problem.problem}`);
        }
        return report.ok ? 0 : 1;
      } finally {
        await platform.close();
      }
    }
    case 'migrate': {
      const db = openDatabase(config);
      try {
        const applied = await migrate(db, ALL_MIGRATIONS);
        return print(applied.length ? `Applied ${applied.join(', ')}` : 'The schema is up to date.');
      } finally {
        await db.close();
      }
    }
    case 'export':
    case 'import': {
      const file = positionals[0];
      if (!file) {
        process.stderr.write(`sluice: ${command} needs a FILE\n\n${help}\n`);
        return 2;
      }
      // A dump that cannot be read is named before an empty installation is made to receive it.
      if (command === 'import') accessSync(file, constants.R_OK);
      else await requireInstallation(config);
      const platform = await openPlatform(config);
      try {
        if (command === 'export') {
          const counts = await exportDump(platform.db, ALL_TABLES, file);
          return print(`Exported ${Object.entries(counts).map(([table, n]) => `${n} ${table}`).join(', ')} to ${file}`);
        }
        const counts = await importDump(platform.db, ALL_TABLES, file, () => isEmptyInstallation(platform));
        print(`Imported ${Object.entries(counts).map(([table, n]) => `${n} ${table}`).join(', ')}`);
        const report = await platform.verify();
        print(`${report.ok ? 'Verified' : 'VERIFICATION FAILED'}: ${report.entries} journal entries`);
        for (const problem of report.problems) print(`  ${problem.seq === null ? '-' : `#${problem.seq}`}: ${problem.problem}`);
        return report.ok ? 0 : 1;
      } catch (error) {
        if (error instanceof DumpError) {
          process.stderr.write(`sluice: ${error.message}\n`);
          return 1;
        }
        throw error;
      } finally {
        await platform.close();
      }
    }
    case 'checkpoint':
    case 'keys': {
      const [action, algorithm] = positionals;
      // Checked before the database is opened, so a mistyped action creates no data folder.
      if (command === 'keys') {
        if (action === 'rotate' && algorithm !== undefined && !isSignatureAlgorithm(algorithm)) {
          process.stderr.write(`sluice: keys rotate needs ml-dsa-65, sm2-sm3 or ed25519, not "${algorithm}"\nRun "sluice keys --help" for the options.\n`);
          return 2;
        }
        if (!((action === 'export' && algorithm === undefined) || (action === 'rotate' && algorithm !== undefined))) {
          process.stderr.write(`sluice: keys needs "export" or "rotate ml-dsa-65|sm2-sm3|ed25519"\n\n${help}\n`);
          return 2;
        }
      }
      await requireInstallation(config);
      const platform = await openPlatform(config);
      try {
        if (command === 'checkpoint') {
          const made = await platform.checkpoints.checkpoint();
          return print(made ? `Signed checkpoint of ${made.treeSize} entries, root ${made.root}` : 'The latest checkpoint already covers the whole journal.');
        }
        if (action === 'export') {
          const text = `${JSON.stringify(await platform.checkpoints.keysFile(), null, 2)}\n`;
          if (values.out) writeFileSync(values.out, text);
          else process.stdout.write(text);
          return 0;
        }
        if (action === 'rotate' && algorithm && isSignatureAlgorithm(algorithm)) {
          const file = await platform.checkpoints.rotateKey(algorithm);
          return print(`Rotated the ${algorithm} key; the keys file now lists ${file.keys.length} keys.`);
        }
        process.stderr.write(`sluice: keys needs "export" or "rotate ml-dsa-65|sm2-sm3|ed25519"\n\n${help}\n`);
        return 2;
      } finally {
        await platform.close();
      }
    }
    case 'bench': {
      const script = fileURLToPath(new URL('../bench/run.ts', import.meta.url));
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...positionals, ...(values.json ? ['--json'] : [])], { stdio: 'inherit' });
      return run.status ?? 1;
    }
  }
  return 2;
}

/** A platform for one command: no expiry timer, the configured key secret and suite. */
function openPlatform(config: Config) {
  return createPlatform({
    db: openDatabase(config), clock: systemClock, hashAlgorithm: config.journalHash, expiryIntervalMs: 0,
    keySecret: resolveKeySecret(config), signatureSuite: config.signatureSuite,
  });
}

/** Checks a proof file against a keys file without any database, streaming the proof file. */
async function verifyOffline(proofPath: string | undefined, keysPath: string | undefined, json: boolean): Promise<number> {
  if (!proofPath || !keysPath) {
    process.stderr.write('sluice: offline verification needs both --proof FILE and --keys FILE\n');
    return 2;
  }
  let result;
  try {
    result = await verifyProofFiles(proofPath, keysPath);
  } catch (error) {
    throw new ConfigError(`cannot verify ${proofPath} with ${keysPath}: ${(error as Error).message}`);
  }
  if (json) print(JSON.stringify(result, null, 2));
  else {
    const where = result.checkpoint ? ` against checkpoint ${result.checkpoint.treeSize} of ${result.checkpoint.createdAt} (${result.checkpoint.suite ?? 'unknown suite'})` : '';
    print(`${result.ok ? 'OK' : 'FAILED'}: ${result.entries} entries${where}`);
    for (const problem of result.problems) print(`  ${problem}`);
  }
  return result.ok ? 0 : 1;
}

/** Checks a consistency file against a keys file (and the checkpoint kept, if given) without any database. */
async function verifyConsistencyOffline(consistencyPath: string, keysPath: string | undefined, keptPath: string | undefined, json: boolean): Promise<number> {
  if (!keysPath) {
    process.stderr.write('sluice: offline verification needs both --consistency FILE and --keys FILE\n');
    return 2;
  }
  let result;
  try {
    result = await verifyConsistencyFiles(consistencyPath, keysPath, keptPath);
  } catch (error) {
    throw new ConfigError(`cannot verify ${consistencyPath} with ${keysPath}: ${(error as Error).message}`);
  }
  if (json) print(JSON.stringify(result, null, 2));
  else {
    const relation = result.ok ? 'extends' : 'is not shown to extend';
    const span = result.from && result.to ? ` checkpoint ${result.to.treeSize} of ${result.to.createdAt} ${relation} checkpoint ${result.from.treeSize} of ${result.from.createdAt}` : '';
    print(`${result.ok ? 'OK' : 'FAILED'}:${span || ' the consistency file could not be checked'}`);
    for (const problem of result.problems) print(`  ${problem}`);
  }
  return result.ok ? 0 : 1;
}

/**
 * A server outlives whoever reads its output: when the log collector or the terminal it was started
 * from goes away, writing to the broken pipe fails with EPIPE, which an output stream reports as an
 * error event. Unhandled, that event killed the process, even half-way through a graceful stop. The
 * lines are lost; the server goes on and still stops cleanly. Any other error of the streams is
 * still thrown.
 */
function keepServingWithoutOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/**
 * The commands that read an installation (verify, checkpoint, keys, export) refuse an embedded data
 * folder that holds no database, or a PostgreSQL database Sluice never migrated, rather than creating
 * an empty installation there: a mistyped --data or --database would otherwise be verified as a clean
 * journal of 0 entries, or exported as an empty dump.
 */
async function requireInstallation(config: Config): Promise<void> {
  if (!config.databaseUrl) {
    if (existsSync(join(config.dataDir, 'sluice.db'))) return;
    throw new ConfigError(`no installation in ${config.dataDir} (it holds no sluice.db); check SLUICE_DATA_DIR or --data`);
  }
  const db = openDatabase(config);
  try {
    const found = await db.get<{ table: string | null }>("SELECT to_regclass('schema_migrations')::text AS table");
    if (found?.table) return;
  } finally {
    await db.close();
  }
  throw new ConfigError('no installation in that PostgreSQL database (Sluice never ran there); check SLUICE_DATABASE_URL or --database');
}

/** A client command given no action: one line saying so, then its usage, on standard error. */
function missingAction(command: string, help: string): number {
  process.stderr.write(`sluice: ${command} needs an action\n\n${help}\n`);
  return 2;
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      // The operator mistyped an option or a setting: say which, and where the right ones are listed.
      process.stderr.write(`sluice: ${(error as Error).message}\nRun "sluice ${process.argv[2] ?? ''} --help" for the options.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`sluice: ${describeFailure(error)}\n`);
      process.exitCode = 1;
    }
  },
);
