import { ParseOption, XmlDocument } from 'libxml2-wasm';
import { randomUUID } from 'node:crypto';
import { buildPacs008, importPacs008, loadXmlLibrary, type HeaderInput, type InterbankCreditTransfer } from '../src/modules/iso20022/index.ts';
import { defineBenchmark, figure, progress, settle } from './harness.ts';

/**
 * ISO 20022 in process, on the messages a cross-border payment carries: a pacs.008.001.08 with one
 * transaction (FX, charges, IBAN and other account, remittance, purpose), in Sluice's envelope
 * with its head.001.001.02 business application header, about 2 KB.
 *
 * (a) Import: parse with entity expansion off, validate the header and the document against the
 *     official XSDs, read with the business rules (IBAN and BIC checks, sums, duplicates). Baseline:
 *     libxml2 parsing the same bytes into a document and freeing it, nothing else.
 * (b) Generate: build the same messages from the neutral types (every value checked and escaped).
 *     Baseline: joining the pieces of the same documents (cut at every `<`) into strings of the
 *     same size, which is the least any builder of those bytes must do.
 *
 * Each stretch runs over the same distinct messages in the same order; the figure and its baseline
 * take turns, round after round, so that a busy spell of the machine falls on both. The work is
 * synchronous on one thread, so rates are counted per second of CPU time the process used (what one
 * core does); on a shared machine the wall clock also counts the time others held the core, and is
 * printed beside them. Each figure is the median of the rounds.
 */
const MESSAGES = 2_000;
const ROUNDS = 5;
/**
 * Five passes of the 2,000 messages a round, each stretch after an unmeasured pass (see takeTurns).
 * The collections settle() forces leave the code that imports cold: V8 compiles it again, on its
 * background threads, whose CPU the process's count includes. A stretch of one pass (a fifth of a
 * second) run straight after them was measured at 5,700/s before and after a change that made imports
 * 1.35 times as fast in steady state; a scratch loop gave 11,000/s without the forced collections and
 * 5,400/s with six before each stretch (docs/benchmarks.md).
 */
const IMPORT_PASSES_PER_ROUND = 5;
const GENERATE_PASSES_PER_ROUND = 4;
const WARMUP_PASSES = 1;
const TARGET_IMPORT_PER_SECOND = 5_000;
const TARGET_GENERATE_PER_SECOND = 10_000;

function transferFor(index: number): { header: HeaderInput; transfer: InterbankCreditTransfer } {
  const header: HeaderInput = { fromBic: 'HXCBCNSH', toBic: 'FNBKUS33', businessMessageId: `P8-${index.toString(36)}-${Date.now().toString(36)}`, createdAt: '2026-11-27T08:30:00.123Z' };
  const amount = 100_000n + BigInt(index * 7919);
  const transfer: InterbankCreditTransfer = {
    endToEndId: `INV-2026-${index}`,
    transactionId: `TX${index.toString().padStart(12, '0')}`,
    uetr: randomUUID(),
    amount: { amount, currency: 'CNY' },
    settlementAmount: { amount: (amount * 140_381n) / 1_000_000n, currency: 'USD' },
    settlementDate: '2026-11-27',
    exchangeRate: '0.1403810000',
    chargeBearer: 'SHAR',
    charges: [
      { amount: { amount: 500n + BigInt(index % 50), currency: 'CNY' }, agentBic: 'HXCBCNSH' },
      { amount: { amount: 500n, currency: 'USD' }, agentBic: 'FNBKUS33' },
    ],
    debtor: { name: `Huaxin Trading ${index} Co., Ltd. <R&D>`, account: { kind: 'other', id: `6217000010${index.toString().padStart(9, '0')}` }, agentBic: 'HXCBCNSH' },
    creditor: { name: `Pacific Components ${index} Inc.`, account: { kind: 'iban', iban: 'GB29NWBK60161331926819' }, agentBic: 'FNBKUS33' },
    purposeCode: 'SUPP',
    remittanceInformation: [`Invoice ${index} for order 2026-${index % 997}`],
  };
  return { header, transfer };
}

function build(input: { header: HeaderInput; transfer: InterbankCreditTransfer }): string {
  const built = buildPacs008(input.header, [input.transfer]);
  if (!built.ok) throw new Error(`the benchmark message does not build: ${built.problems[0]?.reason}`);
  return built.value.combined;
}

interface Rate {
  /** Per second of CPU time the process used. */
  readonly cpu: number;
  /** Per second of wall-clock time. */
  readonly wall: number;
}

/** Messages per second over `passes` passes of `work` on every input. */
function rate<T>(inputs: readonly T[], passes: number, work: (input: T) => void): Rate {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) for (const input of inputs) work(input);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const count = inputs.length * passes;
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: count / wallSeconds };
}

interface Stretches {
  figure: Rate[];
  baseline: Rate[];
}

const median = (rates: readonly Rate[], key: keyof Rate) => rates.map((item) => item[key]).sort((a, b) => a - b)[Math.floor(rates.length / 2)] as number;

async function takeTurns<T>(name: string, inputs: readonly T[], passes: number, measured: (input: T) => void, baseline: (input: T) => void): Promise<Stretches> {
  rate(inputs, WARMUP_PASSES, measured);
  rate(inputs, WARMUP_PASSES, baseline);
  const stretches: Stretches = { figure: [], baseline: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // Each stretch after a pass that warms the code up again: the collections leave it cold.
    await settle();
    rate(inputs, WARMUP_PASSES, measured);
    const figureRate = rate(inputs, passes, measured);
    await settle();
    rate(inputs, WARMUP_PASSES, baseline);
    const baselineRate = rate(inputs, passes, baseline);
    stretches.figure.push(figureRate);
    stretches.baseline.push(baselineRate);
    progress(
      `${name}, round ${round}/${ROUNDS}: ${Math.round(figureRate.cpu)}/s of CPU (${Math.round(figureRate.wall)}/s by the clock), ` +
        `baseline ${Math.round(baselineRate.cpu)}/s of CPU (${Math.round(baselineRate.wall)}/s by the clock)`,
    );
  }
  return stretches;
}

export default defineBenchmark({
  name: 'iso20022',
  description: `ISO 20022 pacs.008 with its header: import (parse, XSD validation, business rules) and generation, ${MESSAGES} distinct messages`,
  async run() {
    await loadXmlLibrary();
    const inputs = Array.from({ length: MESSAGES }, (_, index) => transferFor(index));
    const documents = inputs.map(build);
    const bytes = documents.map((document) => Buffer.from(document, 'utf8'));
    for (const document of documents.slice(0, 10)) {
      const imported = importPacs008(document);
      if (!imported.ok) throw new Error(`a benchmark message does not import: ${imported.problems[0]?.path} ${imported.problems[0]?.reason}`);
    }
    progress(`${MESSAGES} messages of ${Math.round(bytes.reduce((sum, item) => sum + item.byteLength, 0) / MESSAGES)} bytes on average`);

    const imports = await takeTurns(
      'import',
      documents.map((document, index) => ({ document, bytes: bytes[index] as Buffer })),
      IMPORT_PASSES_PER_ROUND,
      ({ document }) => {
        if (!importPacs008(document).ok) throw new Error('a benchmark message was refused');
      },
      ({ bytes: raw }) => XmlDocument.fromBuffer(raw, { option: ParseOption.XML_PARSE_NONET }).dispose(),
    );
    // The pieces a builder joins: the document cut before every `<`, prepared outside the timing.
    const pieces = documents.map((document) => document.split(/(?=<)/));
    let sink = 0;
    const generates = await takeTurns(
      'generate',
      inputs.map((input, index) => ({ input, pieces: pieces[index] as string[] })),
      GENERATE_PASSES_PER_ROUND,
      ({ input }) => void build(input),
      ({ pieces: parts }) => {
        let joined = '';
        for (const part of parts) joined += part;
        // Reading the result forces the string to be flattened, as a builder's answer would be.
        sink += joined.charCodeAt(joined.length - 1);
      },
    );
    if (sink === 0) throw new Error('the baseline built nothing');

    const importRate = median(imports.figure, 'cpu');
    const generateRate = median(generates.figure, 'cpu');
    progress(`by the clock: import ${Math.round(median(imports.figure, 'wall'))}/s (baseline ${Math.round(median(imports.baseline, 'wall'))}/s), generate ${Math.round(median(generates.figure, 'wall'))}/s (baseline ${Math.round(median(generates.baseline, 'wall'))}/s)`);
    return [
      figure({
        name: 'iso20022.pacs008_import_per_cpu_second', value: importRate, unit: 'messages/s',
        baseline: 'libxml2 parse of the same bytes, no validation', baselineValue: median(imports.baseline, 'cpu'),
        target: `≥ ${TARGET_IMPORT_PER_SECOND.toLocaleString('en-US')}/s on one core`, met: importRate >= TARGET_IMPORT_PER_SECOND,
      }),
      figure({
        name: 'iso20022.pacs008_generate_per_cpu_second', value: generateRate, unit: 'messages/s',
        baseline: 'joining the same documents from their pieces', baselineValue: median(generates.baseline, 'cpu'),
        target: `≥ ${TARGET_GENERATE_PER_SECOND.toLocaleString('en-US')}/s on one core`, met: generateRate >= TARGET_GENERATE_PER_SECOND,
      }),
    ];
  },
});
