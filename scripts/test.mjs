#!/usr/bin/env node
/**
 * `npm test`: runs `vitest run` (what `npx vitest run` would start) with any arguments given,
 * then says plainly which suites were skipped and why. Vitest's own output, including its
 * closing summary, passes through unchanged; the skip report comes from a JSON report that
 * Vitest writes alongside its normal output. The exit code is Vitest's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** How many skipped tests without a recorded reason are listed one by one before summarising. */
const MAX_LISTED_OTHER_SKIPS = 20;

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

const args = process.argv.slice(2);
// The report is kept as test-artifacts/vitest-report.json (ignored by git) so that CI can archive
// it. Each run writes its own file first and renames it at the end, so that two runs in one
// checkout never read each other's report.
const reportDir = 'test-artifacts';
const reportFile = join(reportDir, `vitest-report.${process.pid}.json`);
const keptReportFile = join(reportDir, 'vitest-report.json');
mkdirSync(reportDir, { recursive: true });

// Naming any reporter on the command line replaces the configured ones, so the default reporter
// is named explicitly unless the caller chose reporters of their own.
const callerChoseReporter = args.some((arg) => arg === '--reporter' || arg.startsWith('--reporter='));
const reporterArgs = [
  ...(callerChoseReporter ? [] : ['--reporter=default']),
  '--reporter=json',
  `--outputFile.json=${reportFile}`,
];

// Vitest's command-line script is started directly with this Node rather than through `npx`:
// npx and the shell it starts die on SIGTERM without passing it on, which would leave Vitest and
// its PostgreSQL server running after this script has exited.
let vitestCli;
try {
  const require = createRequire(import.meta.url);
  vitestCli = join(dirname(require.resolve('vitest/package.json')), require('vitest/package.json').bin.vitest);
} catch {
  console.error('Vitest is not installed; run `npm ci` first.');
  process.exit(1);
}
const child = spawn(process.execPath, [vitestCli, 'run', ...args, ...reporterArgs], { stdio: 'inherit' });

// Ctrl-C reaches Vitest directly through the terminal, so this process only waits for it to
// finish rather than sending a second SIGINT. A SIGTERM or SIGHUP sent to this process alone is
// passed on, so that Vitest exits through its own handler, which stops the PostgreSQL server.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}

child.on('error', (error) => {
  console.error(`Could not start Vitest: ${error.message}`);
  process.exit(1);
});

child.on('exit', (code, signal) => {
  printSkipReport(reportFile);
  try {
    renameSync(reportFile, keptReportFile);
    console.log(`JSON report kept as ${keptReportFile}.`);
  } catch {
    // Vitest wrote no report; printSkipReport has said so.
  }
  if (signal) process.exit(128 + (signalNumbers[signal] ?? 1));
  process.exit(code ?? 1);
});

function printSkipReport(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log('\nSkipped suites: unknown, because Vitest wrote no report (it could not start or was interrupted).');
    return;
  }

  // Suites skipped for lack of PostgreSQL or Chromium carry the reason in their tests' metadata
  // (see test/support/databases.ts); they are grouped by suite so each reason is said once.
  const bySuite = new Map();
  const others = [];
  for (const testFile of report.testResults ?? []) {
    const fileName = relative(process.cwd(), testFile.name);
    for (const test of testFile.assertionResults ?? []) {
      if (test.status !== 'skipped' && test.status !== 'pending') continue;
      const reason = test.meta?.sluiceSkipReason;
      if (reason) {
        // The suite's title repeats the reason, which is printed once above the list instead.
        const suite = test.ancestorTitles.map((title) => title.replace(/ \[(\w+) skipped: .*\]$/, ' [$1]')).join(' › ');
        const key = `${fileName}\u0000${suite}`;
        const entry = bySuite.get(key) ?? { fileName, suite, reason, tests: 0 };
        entry.tests += 1;
        bySuite.set(key, entry);
      } else {
        others.push(`${fileName} › ${[...test.ancestorTitles, test.title].join(' › ')}`);
      }
    }
  }

  console.log('');
  if ((report.numTotalTests ?? 0) === 0) {
    console.log('Skipped suites: none, because no tests ran.');
  } else if (bySuite.size === 0) {
    const strict = process.env.SLUICE_REQUIRE_ALL === '1';
    console.log(`Skipped suites: none.${strict ? ' (SLUICE_REQUIRE_ALL=1: a missing back end fails its suite instead.)' : ''}`);
  } else {
    const reasons = new Map();
    for (const entry of bySuite.values()) {
      const list = reasons.get(entry.reason) ?? [];
      list.push(entry);
      reasons.set(entry.reason, list);
    }
    const total = [...bySuite.values()].reduce((sum, entry) => sum + entry.tests, 0);
    console.log(`Skipped suites: ${bySuite.size} (${total} ${total === 1 ? 'test' : 'tests'}), because this machine lacks something they need:`);
    for (const [reason, entries] of reasons) {
      console.log(`  ${reason}`);
      for (const entry of entries) {
        console.log(`    - ${entry.fileName} › ${entry.suite} (${entry.tests} ${entry.tests === 1 ? 'test' : 'tests'})`);
      }
    }
    console.log('  Install or repair what is missing (.ci/run shows how) to run them; SLUICE_REQUIRE_ALL=1 turns these skips into failures.');
  }
  if (others.length > 0) {
    // Tests skipped by `.skip`, `.only` or a name filter are the author's or the caller's choice,
    // not the machine's; they are listed apart so they are not mistaken for missing back ends.
    console.log(`Other skipped tests (.skip, .only or a filter): ${others.length}`);
    for (const name of others.slice(0, MAX_LISTED_OTHER_SKIPS)) console.log(`    - ${name}`);
    if (others.length > MAX_LISTED_OTHER_SKIPS) console.log(`    … and ${others.length - MAX_LISTED_OTHER_SKIPS} more`);
  }
}
