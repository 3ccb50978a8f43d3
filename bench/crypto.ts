import { generateKeyPairSync, hash, sign, verify } from 'node:crypto';
import {
  buildMerkleTree,
  createKeyRing,
  exportPublicKeys,
  importPublicKeys,
  inclusionProof,
  leafHash,
  signEnvelope,
  signingKeys,
  treeHead,
  verifyEnvelope,
  verifyInclusion,
  type MerkleTree,
} from '../src/crypto/index.ts';
import { defineBenchmark, figure, percentile, progress, seededRandom } from './harness.ts';

const LEAVES = 1_000_000;
const PROOFS = 20_000;
const BASELINE_HASHES = 200_000;
const VERIFICATIONS = 40;
const SIGNATURES = 20;
const WARMUP = 3;
const PROOF_TARGET_MS = 1;
const VERIFY_TARGET_MS = 20;
const CONTEXT = 'journal.checkpoint';
const SUITE = 'hybrid-mldsa65-sm2';

/**
 * Mean and 99th percentile wall time, in milliseconds, of `runs` calls after a short warm-up, and
 * the mean CPU time, which a machine busy with other work inflates far less than wall time.
 */
function timeEach(runs: number, work: (run: number) => void): { meanMs: number; p99Ms: number; cpuMs: number } {
  for (let run = 0; run < WARMUP; run++) work(run);
  const samples: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work(run);
    samples.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  samples.sort((left, right) => left - right);
  return { meanMs: samples.reduce((sum, sample) => sum + sample, 0) / runs, p99Ms: percentile(samples, 0.99), cpuMs: (cpu.user + cpu.system) / 1000 / runs };
}

/** One SHA-256 of 64 bytes, the unit of work a Merkle proof is made of. */
function sha256BaselineMs(): number {
  const input = Buffer.alloc(64, 0x5a);
  for (let round = 0; round < 1_000; round++) hash('sha256', input, 'buffer');
  const started = performance.now();
  for (let round = 0; round < BASELINE_HASHES; round++) hash('sha256', input, 'buffer');
  return (performance.now() - started) / BASELINE_HASHES;
}

function buildTree(): { tree: MerkleTree; seconds: number } {
  const leaves = Array.from({ length: LEAVES }, (_, index) => `voucher-event-${index}`);
  const started = performance.now();
  const tree = buildMerkleTree(leaves, 'sha256');
  const seconds = (performance.now() - started) / 1000;
  progress(`built a ${LEAVES.toLocaleString('en-US')}-leaf SHA-256 tree in ${seconds.toFixed(1)} s`);
  return { tree, seconds };
}

export default defineBenchmark({
  name: 'crypto',
  description: `Merkle proofs on ${LEAVES.toLocaleString('en-US')} leaves and hybrid ML-DSA-65 + SM2 signatures`,
  async run() {
    const hashMs = sha256BaselineMs();
    const { tree, seconds } = buildTree();
    const random = seededRandom(11);
    const indices = Array.from({ length: PROOFS + WARMUP }, () => Math.floor(random() * LEAVES));
    const proofs = timeEach(PROOFS, (run) => inclusionProof(tree, indices[run] as number));

    // A holder's offline check: parse what it downloaded, check its event is in the signed tree and
    // that the checkpoint is signed by every algorithm of the hybrid suite. Keys come from the keys
    // file, loaded once.
    const ring = createKeyRing(['ml-dsa-65', 'sm2-sm3'], Date.now());
    const imported = importPublicKeys(JSON.parse(JSON.stringify(exportPublicKeys(ring))));
    if (!imported.ok) throw new Error(`keys file did not load: ${imported.error}`);
    const head = treeHead(tree);
    const checkpoint = JSON.stringify(head);
    const envelope = signEnvelope(checkpoint, signingKeys(ring, SUITE), { context: CONTEXT, suite: SUITE });
    const index = 123_457;
    const download = JSON.stringify({ event: `voucher-event-${index}`, proof: inclusionProof(tree, index), checkpoint, envelope });
    const verification = timeEach(VERIFICATIONS, () => {
      const bundle = JSON.parse(download) as { event: string; proof: unknown; checkpoint: string; envelope: unknown };
      const signed = verifyEnvelope(bundle.checkpoint, bundle.envelope, imported.value, { context: CONTEXT });
      const included = verifyInclusion(leafHash('sha256', bundle.event), bundle.proof, JSON.parse(bundle.checkpoint));
      if (!signed.ok || !included) throw new Error('the offline check failed on a valid bundle');
    });

    const signing = timeEach(SIGNATURES, (run) => signEnvelope(`${checkpoint}#${run}`, signingKeys(ring, SUITE), { context: CONTEXT, suite: SUITE }));

    const { privateKey: edPrivate, publicKey: edPublic } = generateKeyPairSync('ed25519');
    const edMessage = Buffer.from(checkpoint);
    const edSignature = sign(null, edMessage, edPrivate);
    const edVerify = timeEach(VERIFICATIONS * 10, () => verify(null, edMessage, edPublic, edSignature));
    const edSign = timeEach(SIGNATURES * 10, () => sign(null, edMessage, edPrivate));
    progress(`proof: p99 ${(proofs.p99Ms * 1000).toFixed(1)} µs, CPU ${(proofs.cpuMs * 1000).toFixed(1)} µs`);
    progress(`offline check: p99 ${verification.p99Ms.toFixed(1)} ms, CPU ${verification.cpuMs.toFixed(1)} ms`);
    progress(`hybrid sign: p99 ${signing.p99Ms.toFixed(1)} ms, CPU ${signing.cpuMs.toFixed(1)} ms`);

    return [
      figure({
        name: 'crypto.tree_build_1m_leaves',
        value: seconds,
        unit: 's',
        baseline: `${(2 * LEAVES).toLocaleString('en-US')} SHA-256 of 64 bytes`,
        baselineValue: (2 * LEAVES * hashMs) / 1000,
      }),
      figure({
        name: 'crypto.inclusion_proof_1m_leaves',
        value: proofs.meanMs * 1000,
        unit: 'µs',
        baseline: 'one SHA-256 of 64 bytes',
        baselineValue: hashMs * 1000,
        target: `≤ ${PROOF_TARGET_MS * 1000} µs`,
        met: proofs.meanMs <= PROOF_TARGET_MS,
      }),
      figure({
        name: 'crypto.offline_verify_proof_and_hybrid_envelope',
        value: verification.meanMs,
        unit: 'ms',
        baseline: 'one Ed25519 verify (node:crypto)',
        baselineValue: edVerify.meanMs,
        target: `≤ ${VERIFY_TARGET_MS} ms`,
        met: verification.meanMs <= VERIFY_TARGET_MS,
      }),
      figure({
        name: 'crypto.hybrid_sign_mldsa65_sm2',
        value: signing.meanMs,
        unit: 'ms',
        baseline: 'one Ed25519 sign (node:crypto)',
        baselineValue: edSign.meanMs,
      }),
    ];
  },
});
