/** The shared CSV reader: every faulty record is reported by its line and reading goes on at the next one. */
import { describe, expect, it } from 'vitest';
import { readCsv } from './csv.ts';

const read = (text: string, options?: Parameters<typeof readCsv>[1]) => [...readCsv(text, options)];

describe('readCsv', () => {
  it('reports each faulty record by its line and reads the records after it', () => {
    expect(read('a,b\nok,1\nGa"mma,2\n"never closed,3\nlast,4\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['ok', '1'] },
      { line: 3, code: 'stray_quote', error: 'a quote inside an unquoted cell' },
      { line: 4, code: 'unclosed_quote', error: 'a quoted cell is never closed' },
      { line: 5, cells: ['last', '4'] },
    ]);
  });

  it('keeps a quote inside an unquoted cell as a character when asked to', () => {
    expect(read('5" screen,x\n""quoted"" twice,y\n', { strayQuote: 'keep' })).toEqual([{ line: 1, cells: ['5" screen', 'x'] }, { line: 2, cells: ['quoted"" twice', 'y'] }]);
  });

  it('refuses a record with a cell over the length limit, naming the cell, without losing the records after it', () => {
    const long = 'x'.repeat(50);
    expect(read(`a,b,c\n1,${long},3\n"${long}\n${long}",2,3\n4,5,6\n`, { cellMaxLength: 10 })).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, code: 'cell_too_long', error: 'a cell longer than 10 characters', cell: 1 },
      { line: 3, code: 'cell_too_long', error: 'a cell longer than 10 characters', cell: 0 },
      { line: 5, cells: ['4', '5', '6'] },
    ]);
  });

  it('drops a byte order mark and skips blank lines, whatever ends the lines', () => {
    expect(read('\ufeffname,kind\r\n\r\nAlpha,1\rBeta,2\n\n""\n')).toEqual([{ line: 1, cells: ['name', 'kind'] }, { line: 3, cells: ['Alpha', '1'] }, { line: 4, cells: ['Beta', '2'] }]);
    expect(read('a\n""')).toEqual([{ line: 1, cells: ['a'] }]);
  });
});
