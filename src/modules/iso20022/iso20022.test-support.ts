/**
 * Test helpers for the ISO 20022 layer: Debian's `xmllint` as the independent judge of exported
 * messages, the official schemas from the shared data folder, and sample data.
 *
 * Suites that need `xmllint` are declared through `describeWithXmllint`. Without it (or without
 * the shared schemas) they are skipped with the reason in their title, which `npm test` reports;
 * with SLUICE_REQUIRE_ALL=1 (set by .ci/run) they fail instead, as the PostgreSQL suites do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
// The declaration of the `sluiceSkipReason` meta field lives with the shared test support.
import type {} from '../../../test/support/databases.ts';
import type { HeaderInput, InterbankCreditTransfer } from './iso20022.ts';
import { loadXmlLibrary } from './iso20022.libxml.ts';

// Production loads libxml2 on the first import of a message; the suites read messages synchronously.
await loadXmlLibrary();

export const XMLLINT_PATH = '/usr/bin/xmllint';
/** The official schemas, in the shared folder beside the repository. */
export const SHARED_XSD_DIRECTORY = fileURLToPath(new URL('../../../../shared/data/iso20022/xsd/', import.meta.url));
export const FIXTURE_DIRECTORY = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** One xmllint run validates many files; a minute is ample, and a hung run must not stall CI. */
const XMLLINT_TIMEOUT_MS = 60_000;
const XMLLINT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export function fixture(name: string): string {
  return readFileSync(join(FIXTURE_DIRECTORY, name), 'utf8');
}

export function sharedXsd(definition: string): string {
  return join(SHARED_XSD_DIRECTORY, `${definition}.xsd`);
}

export interface XmllintOutcome {
  /** Exit status 0: every file validated. */
  readonly valid: boolean;
  /** xmllint's complaints and verdicts, one line each. */
  readonly output: string;
}

export interface Xmllint {
  /** Validates documents against the official schema of `definition` with the real `xmllint`. */
  validate(definition: string, documents: readonly string[]): XmllintOutcome;
}

function xmllintUnavailableReason(): string | undefined {
  if (!existsSync(XMLLINT_PATH)) return `no ${XMLLINT_PATH} (Debian package libxml2-utils)`;
  const version = spawnSync(XMLLINT_PATH, ['--version'], { encoding: 'utf8', timeout: XMLLINT_TIMEOUT_MS });
  if (version.status !== 0) return `${XMLLINT_PATH} --version failed`;
  if (!existsSync(sharedXsd('pacs.008.001.08'))) return `no official schemas in ${SHARED_XSD_DIRECTORY}`;
  return undefined;
}

const xmllint: Xmllint = {
  validate(definition, documents) {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-xmllint-'));
    try {
      const files = documents.map((document, index) => {
        const file = join(directory, `message-${index}.xml`);
        writeFileSync(file, document, 'utf8');
        return file;
      });
      const run = spawnSync(XMLLINT_PATH, ['--noout', '--nonet', '--schema', sharedXsd(definition), ...files], {
        encoding: 'utf8',
        timeout: XMLLINT_TIMEOUT_MS,
        maxBuffer: XMLLINT_MAX_OUTPUT_BYTES,
      });
      if (run.error) throw run.error;
      return { valid: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  },
};

/**
 * Declares a suite that needs `xmllint` and the shared schemas; `fn` receives the validator.
 * Without them the suite is skipped (reason in its title) or, under SLUICE_REQUIRE_ALL=1, fails.
 */
export function describeWithXmllint(name: string, fn: (validator: Xmllint) => void): void {
  const reason = xmllintUnavailableReason();
  if (reason === undefined) {
    describe(name, () => fn(xmllint));
    return;
  }
  if (process.env.SLUICE_REQUIRE_ALL === '1') {
    describe(`${name} [xmllint]`, () => {
      it('needs xmllint', () => {
        throw new Error(`xmllint is required (SLUICE_REQUIRE_ALL=1) but unavailable: ${reason}`);
      });
    });
    return;
  }
  const meta = { sluiceSkipReason: `xmllint: ${reason}` };
  describe.skip(`${name} [xmllint skipped: ${reason}]`, { meta }, () => fn(xmllint));
}

export const SAMPLE_HEADER: HeaderInput = {
  fromBic: 'COBADEFFXXX',
  toBic: 'BKCHCNBJ300',
  businessMessageId: 'SLUICE-20240503-000017',
  createdAt: '2024-05-03T08:30:00Z',
  businessService: 'swift.cbprplus.02',
};

/** A cross-border transfer: instructed in EUR, settled in CNY, charges shared. */
export const SAMPLE_TRANSFER: InterbankCreditTransfer = {
  endToEndId: 'INV-2024-117',
  instructionId: 'EUR-0001',
  transactionId: 'TX-20240503-0001',
  uetr: '3f0c8a52-6d1e-4b7a-8c2d-91e5f4a6b3c0',
  amount: { amount: 125_000n, currency: 'EUR' },
  settlementAmount: { amount: 975_312n, currency: 'CNY' },
  exchangeRate: '7.802496',
  chargeBearer: 'SHAR',
  charges: [{ amount: { amount: 1_500n, currency: 'EUR' }, agentBic: 'COBADEFFXXX' }],
  debtor: { name: 'Huaxin Trading Europe GmbH', account: { kind: 'iban', iban: 'DE89370400440532013000' }, agentBic: 'COBADEFFXXX' },
  creditor: { name: '上海华信贸易有限公司', account: { kind: 'other', id: '6217000010001234567' }, agentBic: 'BKCHCNBJ300' },
  purposeCode: 'GDDS',
  remittanceInformation: ['Invoice 2024-117 <R&D> "samples" \'May\''],
  settlementDate: '2024-05-03',
};
