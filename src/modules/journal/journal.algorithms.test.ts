import { expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_TABLES, createPlatform, isEmptyInstallation, type Platform } from '../../platform.ts';
import { exportDump, importDump, type Database } from '../../db/index.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { JournalAlgorithmError, verifyProofFile, type ProofFile } from './index.ts';
import { startApi } from '../../../test/http/harness.ts';
import { loadConfig } from '../../config.ts';
import { startServer } from '../../main.ts';
import { describeFailure } from '../../cli.failures.ts';
import { journaledPlatform } from './journal.test-support.ts';

/** Hash and signature names no version of Sluice knows. */
const UNKNOWN_HASH = 'sha512';
const UNKNOWN_SUITE = 'rsa-pss-sha512';

async function seeded(open: () => Promise<Database>): Promise<Platform> {
  const platform = await journaledPlatform(await open(), 3);
  await platform.checkpoints.checkpoint();
  return platform;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const problemsOf = async (platform: Platform) => (await platform.verify()).problems.map((problem) => problem.problem);

describeEachDialect('journal entries and checkpoints naming algorithms this version does not know', ({ open }) => {
  it('reports a journal head chained with an unknown hash algorithm as a finding, and still opens the installation to verify it', async () => {
    const platform = await seeded(open);
    await platform.db.run('UPDATE journal_head SET algorithm = ?', [UNKNOWN_HASH]);
    const report = await platform.verify();
    expect(report).toMatchObject({ ok: false, entries: 5, algorithm: UNKNOWN_HASH });
    expect(report.problems).toEqual([{
      seq: null,
      problem: `the journal head names hash algorithm "${UNKNOWN_HASH}", which this version does not know (it knows sha256 and sm3): only the order and links of the chain were checked, not its hashes, the records behind its entries or its checkpoints`,
    }]);
    // The order and links are still checked.
    await platform.db.run('UPDATE journal_entries SET prev_hash = ? WHERE seq = 3', ['0'.repeat(64)]);
    expect(await problemsOf(platform)).toContain('previous hash does not match the entry before it');
    // `sluice verify` opens the installation anew before verifying: that must not fail either.
    const reopened = await createPlatform({ db: platform.db, clock: platform.clock, expiryIntervalMs: 0 });
    expect((await reopened.verify()).ok).toBe(false);
    await platform.close();
  });

  it('names a stored checkpoint whose hash algorithm is unknown, or not the one the journal is chained with', async () => {
    const platform = await seeded(open);
    await platform.db.run('UPDATE journal_checkpoints SET algorithm = ?', [UNKNOWN_HASH]);
    expect(await problemsOf(platform)).toEqual([`checkpoint 5 names hash algorithm "${UNKNOWN_HASH}", which this version does not know (it knows sha256 and sm3)`]);
    await platform.db.run("UPDATE journal_checkpoints SET algorithm = 'sm3'");
    expect(await problemsOf(platform)).toEqual(['checkpoint 5 names hash algorithm sm3, but the journal is chained with sha256']);
    await platform.close();
  });

  it('names the signature suite or algorithm of a stored checkpoint that this version does not know', async () => {
    const platform = await seeded(open);
    const row = await platform.db.get<{ envelope: string }>('SELECT envelope FROM journal_checkpoints');
    const envelope = JSON.parse(row?.envelope ?? '{}') as { suite: string; parts: { algorithm: string }[] };
    await platform.db.run('UPDATE journal_checkpoints SET envelope = ?', [JSON.stringify({ ...envelope, suite: UNKNOWN_SUITE })]);
    expect(await problemsOf(platform)).toEqual([`checkpoint 5: its signature does not verify (suite_not_accepted): it names signature suite "${UNKNOWN_SUITE}", which this version does not know`]);
    const parts = envelope.parts.map((part, index) => (index === 0 ? { ...part, algorithm: 'rsa' } : part));
    await platform.db.run('UPDATE journal_checkpoints SET envelope = ?', [JSON.stringify({ ...envelope, parts })]);
    expect(await problemsOf(platform)).toEqual(['checkpoint 5: its signature does not verify (parts_do_not_match_suite): it names signature algorithm "rsa", which this version does not know']);
    await platform.close();
  });

  it('answers a proof file naming an unknown hash or signature algorithm as invalid, naming the algorithm, without throwing', async () => {
    const platform = await seeded(open);
    const proof = (await platform.checkpoints.proof([2n, 4n])) as ProofFile;
    const keys = await platform.checkpoints.keysFile();

    const unknownHash = clone(proof) as unknown as { checkpoint: { algorithm: unknown } };
    for (const algorithm of [UNKNOWN_HASH, 42, null, 'x'.repeat(1000)]) {
      unknownHash.checkpoint.algorithm = algorithm;
      const result = verifyProofFile(unknownHash, keys);
      expect(result.ok).toBe(false);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatch(/^the checkpoint names hash algorithm ".{1,41}", which this version does not know \(it knows sha256 and sm3\): none of the file's entries can be checked$/);
    }

    const unknownSuite = clone(proof) as unknown as { checkpoint: { envelope: { suite: string } } };
    unknownSuite.checkpoint.envelope.suite = UNKNOWN_SUITE;
    expect(verifyProofFile(unknownSuite, keys)).toMatchObject({
      ok: false, entries: 2,
      problems: [`the checkpoint signature does not verify (suite_not_accepted): it names signature suite "${UNKNOWN_SUITE}", which this version does not know`],
    });

    const unknownPart = clone(proof) as unknown as { checkpoint: { envelope: { parts: { algorithm: string }[] } } };
    unknownPart.checkpoint.envelope.parts[0]!.algorithm = 'rsa';
    const result = verifyProofFile(unknownPart, keys);
    expect(result).toMatchObject({ ok: false, entries: 2 });
    expect(result.problems).toEqual([expect.stringMatching(/^the checkpoint signature does not verify \(parts_do_not_match_suite; rsa:unexpected_part, .*\): it names signature algorithm "rsa", which this version does not know$/)]);
    await platform.close();
  });

  it('verifies an installation imported from one chained with another algorithm than it started with', async () => {
    const source = await journaledPlatform(await open(), 3, 'sm3');
    await source.checkpoints.checkpoint();
    const folder = mkdtempSync(join(tmpdir(), 'sluice-dump-'));
    try {
      await exportDump(source.db, ALL_TABLES, join(folder, 'dump.jsonl'));
      // sluice import opens the target with the configured algorithm, SHA-256 unless told otherwise.
      const target = await createPlatform({ db: await open(), clock: source.clock, expiryIntervalMs: 0 });
      await importDump(target.db, ALL_TABLES, join(folder, 'dump.jsonl'), () => isEmptyInstallation(target));
      expect(await target.verify()).toMatchObject({ ok: true, algorithm: 'sm3', entries: 5, problems: [] });
      await target.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await source.close();
    }
  });
});

describeEachDialect('requests meeting a journal algorithm this version does not know', ({ open }) => {
  it('answers the head, proofs and appends with a named problem when the head names an unknown hash algorithm', async () => {
    const api = await startApi(open);
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
    await api.platform.db.run('UPDATE journal_head SET algorithm = ?', [UNKNOWN_HASH]);
    for (const [method, url, body] of [['GET', '/v1/journal/head'], ['GET', '/v1/journal/proof?seq=1'], ['POST', '/v1/ledgers', { id: 2, asset_code: 'HKD', name: 'Hong Kong dollar' }]] as const) {
      const response = await api.call(method, url, body);
      expect(response.statusCode, url).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'journal_algorithm_unknown', algorithm: UNKNOWN_HASH, detail: expect.stringContaining(`names hash algorithm "${UNKNOWN_HASH}"`) });
    }
    await api.close();
  });

  it('proves entries against a checkpoint over the chain\'s algorithm, and names a covering checkpoint with an unknown one', async () => {
    const api = await startApi(open);
    // Defined in process: over HTTP each definition would also journal the audit record of the request.
    const ledger = async (id: number, assetCode: string) => expect((await api.platform.ledger.createLedger({ id, assetCode, scale: 2, name: assetCode })).ok).toBe(true);
    await ledger(1, 'CNY');
    await api.platform.checkpoints.checkpoint();
    await ledger(2, 'HKD');
    await api.platform.checkpoints.checkpoint();
    await api.platform.db.run('UPDATE journal_checkpoints SET algorithm = ? WHERE tree_size = 2', [UNKNOWN_HASH]);
    // Entry 1 is covered by checkpoint 1, over the chain's own algorithm.
    const older = JSON.parse((await api.call('GET', '/v1/journal/proof?seq=1')).body) as ProofFile;
    expect(older.checkpoint).toMatchObject({ treeSize: 1, algorithm: 'sha256' });
    expect(verifyProofFile(older, await api.platform.checkpoints.keysFile()).ok).toBe(true);
    // Only checkpoint 2 covers entry 2.
    const response = await api.call('GET', '/v1/journal/proof?seq=2');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'journal_algorithm_unknown', algorithm: UNKNOWN_HASH, detail: expect.stringMatching(/^the journal checkpoint 2 names hash algorithm "sha512"/) });
    // Once the journal grows, a new checkpoint over its algorithm covers the entry again.
    await ledger(3, 'USD');
    const newer = JSON.parse((await api.call('GET', '/v1/journal/proof?seq=2')).body) as ProofFile;
    expect(newer.checkpoint).toMatchObject({ treeSize: 3, algorithm: 'sha256' });
    await api.close();
  });
});

it('refuses to start on a journal whose head names an unknown hash algorithm, in one line naming it', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-start-'));
  try {
    const config = loadConfig({ data: folder, port: '0', host: '127.0.0.1', 'log-level': 'silent', demo: '0', 'key-secret': 'a-key-secret-for-this-test' }, {});
    const running = await startServer(config);
    await running.platform.db.run('UPDATE journal_head SET algorithm = ?', [UNKNOWN_HASH]);
    await running.stop();
    const failure = await startServer(config).then(async (again) => again.stop(), (error: unknown) => error);
    expect(failure).toBeInstanceOf(JournalAlgorithmError);
    expect(describeFailure(failure)).toBe(`the journal head names hash algorithm "${UNKNOWN_HASH}", which this version does not know (it knows sha256 and sm3): this version can neither extend nor prove it; run the version of Sluice that wrote it, and sluice verify to see what is stored`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
