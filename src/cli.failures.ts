/**
 * How `sluice` reports a command that failed.
 *
 * Some failures belong to the machine around Sluice, not to Sluice: a port another process holds, a
 * database server that is down or refuses the credentials, a path that is missing or not allowed.
 * The operator fixes those, and their message already names the cause; a stack trace would only
 * bury it, so they are reported as one line, with a hint where the message alone does not say what
 * to check. Anything else is a fault of Sluice, reported with its stack.
 */

import { DatabaseUnavailableError } from './db/index.ts';
import { ServerUnreachableError } from './http/api-client.ts';
import { JournalAlgorithmError } from './modules/journal/index.ts';

/** Error codes of the operator's kind, each with a hint, or '' where the message says enough. */
const OPERATOR_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'another process is listening there; choose another port with SLUICE_PORT or --port',
  EADDRNOTAVAIL: "that address is not one of this machine's; check SLUICE_HOST or --host",
  ECONNREFUSED: 'nothing accepts connections there; is the database server running, and is SLUICE_DATABASE_URL right?',
  ENOTFOUND: 'that host name does not resolve; check SLUICE_DATABASE_URL',
  ETIMEDOUT: '',
  EACCES: '',
  EPERM: '',
  ENOENT: '',
  ENOTDIR: 'a part of the path is a file, not a directory; check SLUICE_DATA_DIR or --data',
  EEXIST: 'a file stands where a directory should be; check SLUICE_DATA_DIR or --data',
  EISDIR: '',
  ENOSPC: '',
  EROFS: '',
  // PostgreSQL (SQLSTATE): invalid password, invalid authorization, a database that does not exist.
  '28P01': 'check the user and password in SLUICE_DATABASE_URL',
  '28000': "check the user in SLUICE_DATABASE_URL and the server's pg_hba.conf",
  '3D000': 'create the database first, or check its name in SLUICE_DATABASE_URL',
};

const UNREACHABLE_DATABASE = 'the database server cannot be reached; is it running, and is SLUICE_DATABASE_URL right?';

const hintFor = (error: Error): string | undefined => {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && Object.hasOwn(OPERATOR_FAILURES, code) ? OPERATOR_FAILURES[code] : undefined;
};

export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Its message already names the address, the cause and what to check.
  if (error instanceof ServerUnreachableError) return error.message;
  // Its message names the algorithm and what to do: the installation was written by another version, or edited.
  if (error instanceof JournalAlgorithmError) return error.message;
  // A lost or refused database connection is reported as unavailable, with the driver's error as its cause.
  const cause = error instanceof DatabaseUnavailableError && error.cause instanceof Error ? error.cause : undefined;
  const hint = hintFor(error) ?? (cause && hintFor(cause)) ?? (error instanceof DatabaseUnavailableError ? UNREACHABLE_DATABASE : undefined);
  if (hint === undefined) return error.stack ?? error.message;
  return hint === '' ? error.message : `${error.message} (${hint})`;
}
