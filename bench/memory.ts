import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineBenchmark, figure, megabytes, progress } from './harness.ts';
import type { ProbeReport } from './memory-probe.ts';

const ACCOUNTS = 1_000_000;
const TARGET_MB = 300;
const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));

/**
 * Resident memory is a property of a whole process, so each measurement runs in a fresh one: the
 * baseline is a platform with no accounts, the figure a platform after 1,000,000 accounts went
 * through the engine.
 */
function probe(accounts: number): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    // --expose-gc lets the probe collect garbage before reading RSS, so that the figure is what
    // the platform keeps rather than what the collector has not got round to yet.
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', PROBE, String(accounts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`memory probe exited with code ${code}`));
      const line = output.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(line) as ProbeReport);
    });
  });
}

export default defineBenchmark({
  name: 'memory',
  description: `resident memory with ${ACCOUNTS.toLocaleString('en-US')} accounts created through the engine`,
  async run() {
    const empty = await probe(0);
    progress(`empty platform: RSS ${megabytes(empty.rssAfterBytes).toFixed(0)} MB`);
    const loaded = await probe(ACCOUNTS);
    progress(
      `with ${ACCOUNTS.toLocaleString('en-US')} accounts: RSS before ${megabytes(loaded.rssBeforeBytes).toFixed(0)} MB, ` +
        `after ${megabytes(loaded.rssAfterBytes).toFixed(0)} MB, peak ${megabytes(loaded.rssPeakBytes).toFixed(0)} MB, ` +
        `heap used ${megabytes(loaded.heapUsedBytes).toFixed(0)} MB, created in ${loaded.seconds.toFixed(1)} s`,
    );
    const baseline = 'RSS of an empty platform (same settings, fresh process)';
    const target = `< ${TARGET_MB} MB`;
    return [
      figure({ name: 'memory.rss_before_accounts', value: megabytes(loaded.rssBeforeBytes), unit: 'MB', baseline, baselineValue: megabytes(empty.rssAfterBytes) }),
      figure({
        name: 'memory.rss_with_1m_accounts',
        value: megabytes(loaded.rssAfterBytes),
        unit: 'MB',
        baseline,
        baselineValue: megabytes(empty.rssAfterBytes),
        target,
        met: megabytes(loaded.rssAfterBytes) < TARGET_MB,
      }),
      // The peak is read after each batch and includes garbage not yet collected, so it varies from
      // run to run by tens of megabytes; it is shown for information, and the target is on the figure above.
      figure({ name: 'memory.rss_peak_while_creating', value: megabytes(loaded.rssPeakBytes), unit: 'MB', baseline, baselineValue: megabytes(empty.rssAfterBytes) }),
    ];
  },
});
