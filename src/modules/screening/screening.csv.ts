/**
 * A small RFC 4180 reader: comma-separated cells, double quotes around cells that hold commas,
 * quotes or line breaks, a doubled quote for a quote inside. Each record carries the line it started
 * on, so a malformed record can be reported by line number.
 */
export type CsvRecord = { readonly line: number; readonly cells: string[] } | { readonly line: number; readonly code: 'stray_quote' | 'unclosed_quote'; readonly error: string };

export function* readCsv(text: string): Generator<CsvRecord> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
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
    while (position < body.length && !finished) {
      const character = body[position] as string;
      if (quoted) {
        if (character === '"' && body[position + 1] === '"') (cell += '"'), (position += 2);
        else if (character === '"') (quoted = false), position++;
        else {
          if (character === '\n') line++;
          cell += character;
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
      } else if (character === '"') {
        yield { line: start, code: 'stray_quote', error: 'a quote inside an unquoted cell' };
        position = skipLine(body, position);
        line++;
        cells.length = 0;
        cell = '';
        finished = true;
        continue;
      } else (cell += character), position++;
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
    if (cells.length === 0 && cell === '' && finished) continue;
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
