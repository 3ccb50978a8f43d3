import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * How much of a WAL file holds frames of the current log: what the checkpointer measures the WAL by.
 *
 * The file's own size will not do once it is reused: after the log starts over, SQLite writes its
 * new frames from the beginning of the file and leaves the old bytes behind them, so the file stays
 * as large as it ever grew (up to `journal_size_limit`) however little of it is in use.
 *
 * The count of frames in use (`mxFrame`) is in the wal-index header at the start of the `-shm`
 * file, which every connection to the database maps into memory and keeps current. Its layout is
 * part of SQLite's documented file format (the WAL-index header: version 3007000, page size at
 * byte 14, mxFrame at byte 16, in the machine's byte order). A header this code does not recognise,
 * or a file it cannot read, falls back to the WAL file's size, which can only overstate the use.
 */
const WAL_INDEX_VERSION = 3007000;
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
const HEADER_BYTES = 20;

export interface WalSize {
  /** Bytes of the WAL file in use by the current log (header and frames). */
  used(): number;
  close(): void;
}

export function walSizeOf(databaseFile: string): WalSize {
  const walPath = `${databaseFile}-wal`;
  const shmPath = `${databaseFile}-shm`;
  const header = Buffer.alloc(HEADER_BYTES);
  const little = endianness() === 'LE';
  let fd: number | undefined;
  const fileSize = () => {
    try {
      return statSync(walPath).size;
    } catch {
      return 0;
    }
  };
  const fromIndex = (): number | undefined => {
    try {
      fd ??= openSync(shmPath, 'r');
      if (readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES) return undefined;
    } catch {
      return undefined;
    }
    const version = little ? header.readUInt32LE(0) : header.readUInt32BE(0);
    const initialised = header[12] === 1;
    if (version !== WAL_INDEX_VERSION || !initialised) return undefined;
    const encodedPage = little ? header.readUInt16LE(14) : header.readUInt16BE(14);
    const pageSize = encodedPage === 1 ? 65536 : encodedPage;
    const frames = little ? header.readUInt32LE(16) : header.readUInt32BE(16);
    if (pageSize < 512) return undefined;
    return frames === 0 ? 0 : WAL_HEADER_BYTES + frames * (pageSize + WAL_FRAME_HEADER_BYTES);
  };
  return {
    used: () => fromIndex() ?? fileSize(),
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
