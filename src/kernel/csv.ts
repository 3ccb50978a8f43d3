/**
 * A small RFC 4180 reader shared by the CSV imports: comma-separated cells, double quotes around
 * cells that hold commas, quotes or line breaks, a doubled quote for a quote inside. Lines end with
 * CR LF, LF or CR alone; a byte order mark before the first line is dropped; blank lines are
 * skipped. Each record carries the line it starts on (the first line is 1), so a fault can be named
 * by its line.
 *
 * A record that cannot be read comes out as a fault with a code, and reading goes on at the next
 * line: a file with many bad lines reports every one of them, not only the first.
 */
export const CSV_FAULT_CODES = ['unclosed_quote', 'stray_quote', 'cell_too_long'] as const;
export type CsvFaultCode = (typeof CSV_FAULT_CODES)[number];

export type CsvRecord =
  | { readonly line: number; readonly cells: string[] }
  | {
    readonly line: number;
    readonly code: CsvFaultCode;
    readonly error: string;
    /** For cell_too_long: the position of the first cell over the limit, counting from 0. */
    readonly cell?: number;
  };

export interface CsvReadOptions {
  /**
   * What a quote inside an unquoted cell (`Ga"mma`) is: a fault of its record (`fault`, as RFC 4180
   * reads it, the default), or a character of the cell (`keep`).
   */
  readonly strayQuote?: 'fault' | 'keep';
  /**
   * Longest cell read. A record with a longer cell is a `cell_too_long` fault; the rest of that
   * cell is passed over, not held, so one huge cell costs no memory.
   */
  readonly cellMaxLength?: number;
}

const BYTE_ORDER_MARK = 0xfeff;

export function* readCsv(text: string, options: CsvReadOptions = {}): Generator<CsvRecord> {
  const body = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  const keepStrayQuotes = options.strayQuote === 'keep';
  const cellMaxLength = options.cellMaxLength ?? Number.POSITIVE_INFINITY;
  let position = 0;
  let line = 1;
  while (position < body.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let finished = false;
    let openedAt = 0;
    let openedLine = line;
    let tooLongCell: number | undefined;
    const append = (character: string) => {
      if (cell.length < cellMaxLength) cell += character;
      else tooLongCell ??= cells.length;
    };
    while (position < body.length && !finished) {
      const character = body[position] as string;
      if (quoted) {
        if (character === '"' && body[position + 1] === '"') append('"'), (position += 2);
        else if (character === '"') (quoted = false), position++;
        else {
          if (character === '\n') line++;
          append(character);
          position++;
        }
        continue;
      }
      if (character === '"' && cell === '') (quoted = true), (openedAt = position), (openedLine = line), position++;
      else if (character === ',') cells.push(cell), (cell = ''), position++;
      else if (character === '\n' || character === '\r') {
        position += character === '\r' && body[position + 1] === '\n' ? 2 : 1;
        line++;
        finished = true;
      } else if (character === '"' && !keepStrayQuotes) {
        yield { line: start, code: 'stray_quote', error: 'a quote inside an unquoted cell' };
        position = skipLine(body, position);
        line++;
        cells.length = 0;
        cell = '';
        tooLongCell = undefined;
        finished = true;
      } else append(character), position++;
    }
    if (quoted) {
      yield { line: start, code: 'unclosed_quote', error: 'a quoted cell is never closed' };
      // The stray quote swallowed every line after its own, which would vanish from the import
      // unreported. They are read again as records of their own. Every quote after the stray one
      // comes in pairs (a lone one would have closed the cell), so the second reading cannot run
      // to the end of the text in a quoted cell again, and the text is still read about once.
      position = skipLine(body, openedAt);
      line = openedLine + 1;
      continue;
    }
    // A blank line, or the empty record a stray quote left behind.
    if (cells.length === 0 && cell === '') continue;
    if (tooLongCell !== undefined) {
      yield { line: start, code: 'cell_too_long', error: `a cell longer than ${cellMaxLength} characters`, cell: tooLongCell };
      continue;
    }
    cells.push(cell);
    yield { line: start, cells };
  }
}

/** Where the line after `from` begins; a line may end with CR LF, LF or CR alone, as in readCsv. */
function skipLine(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    if (text[index] === '\n') return index + 1;
    if (text[index] === '\r') return text[index + 1] === '\n' ? index + 2 : index + 1;
  }
  return text.length;
}
