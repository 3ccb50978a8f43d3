import { ParseOption, XmlDocument } from 'libxml2-wasm';
import { randomUUID } from 'node:crypto';
import { buildPacs008, importPacs008, type HeaderInput, type InterbankCreditTransfer } from '../src/modules/iso20022/index.ts';
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
 * take turns, round after round, so that a busy spell of the machine falls on both.
 */
const MESSAGES = 2_000;
const ROUNDS = 5;
const IMPORT_PASSES_PER_ROUND = 1;
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

/** Messages per second over `passes` passes of `work` on every input. */
function rate<T>(inputs: readonly T[], passes: number, work: (input: T) => void): number {
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) for (const input of inputs) work(input);
  return (inputs.length * passes) / ((performance.now() - started) / 1000);
}

interface Stretches {
  figure: number[];
  baseline: number[];
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function takeTurns<T>(name: string, inputs: readonly T[], passes: number, measured: (input: T) => void, baseline: (input: T) => void): Promise<Stretches> {
  rate(inputs, WARMUP_PASSES, measured);
  rate(inputs, WARMUP_PASSES, baseline);
  const stretches: Stretches = { figure: [], baseline: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    await settle();
    stretches.figure.push(rate(inputs, passes, measured));
    await settle();
    stretches.baseline.push(rate(inputs, passes, baseline));
    progress(`${name}, round ${round}/${ROUNDS}: ${Math.round(stretches.figure.at(-1) as number)}/s, baseline ${Math.round(stretches.baseline.at(-1) as number)}/s`);
  }
  return stretches;
}

export default defineBenchmark({
  name: 'iso20022',
  description: `ISO 20022 pacs.008 with its header: import (parse, XSD validation, business rules) and generation, ${MESSAGES} distinct messages`,
  async run() {
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

    const importRate = median(imports.figure);
    const generateRate = median(generates.figure);
    return [
      figure({
        name: 'iso20022.pacs008_import_per_second', value: importRate, unit: 'messages/s',
        baseline: 'libxml2 parse of the same bytes, no validation', baselineValue: median(imports.baseline),
        target: `≥ ${TARGET_IMPORT_PER_SECOND.toLocaleString('en-US')}/s`, met: importRate >= TARGET_IMPORT_PER_SECOND,
      }),
      figure({
        name: 'iso20022.pacs008_generate_per_second', value: generateRate, unit: 'messages/s',
        baseline: 'joining the same documents from their pieces', baselineValue: median(generates.baseline),
        target: `≥ ${TARGET_GENERATE_PER_SECOND.toLocaleString('en-US')}/s`, met: generateRate >= TARGET_GENERATE_PER_SECOND,
      }),
    ];
  },
});
