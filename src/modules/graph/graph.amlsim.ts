import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAmlSim, type LabelledSample } from './graph.evaluation.ts';

/**
 * The two AMLSim samples scoring is evaluated on (see /work/shared/data/aml/SOURCES.md for where they
 * come from): IBM's simulator, 20,000 accounts each, one with 200 injected cycles and one with 200
 * injected fan-ins. Only the archives are kept; they are unpacked into a scratch folder when used.
 */
export const AMLSIM_SAMPLES = ['20K_cycle200', '20K_fanin200'] as const;
export type AmlSimSample = (typeof AMLSIM_SAMPLES)[number];

/** Unpacks `<name>.tgz` from `dataDir` into `scratchDir` and reads its labelled accounts and transfers. */
export function loadAmlSimSample(dataDir: string, name: AmlSimSample, scratchDir: string): LabelledSample {
  const archive = join(dataDir, `${name}.tgz`);
  if (!existsSync(archive)) throw new Error(`no AMLSim archive at ${archive}`);
  const unpacked = spawnSync('tar', ['-xzf', archive, '-C', scratchDir], { encoding: 'utf8' });
  if (unpacked.status !== 0) throw new Error(`tar could not unpack ${archive}: ${unpacked.stderr}`);
  const folder = join(scratchDir, name);
  return parseAmlSim(readFileSync(join(folder, 'nodes.csv'), 'utf8'), readFileSync(join(folder, 'transactions.csv'), 'utf8'));
}
