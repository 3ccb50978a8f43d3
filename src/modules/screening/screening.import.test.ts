import { describe, expect, it } from 'vitest';
import { readCsv } from '../../kernel/index.ts';
import { parseListFile, type ImportLimits } from './screening.import.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';

const person = (id: string, names: string[], properties: Record<string, unknown> = {}) =>
  JSON.stringify({ id, schema: 'Person', properties: { name: names, ...properties }, datasets: ['un_sc_sanctions'] });

const small: ImportLimits = { ...SCREENING_LIMITS, entitiesPerListMax: 3, namesPerEntityMax: 4, malformedLinesMax: 2, importMaxBytes: 4096 };

describe('reading FollowTheMoney entity lines', () => {
  it('reads names, aliases, weak aliases, birth dates, countries and datasets', () => {
    const text = [
      person('NK-1', ['Kim Jong Un'], { alias: ['Kim Jong-un', '김정은'], weakAlias: ['Marshal'], birthDate: ['1984-01-08'], nationality: ['KP'], previousName: ['Kim Jong Woon'] }),
      JSON.stringify({ id: 'addr-1', schema: 'Address', properties: { full: ['Pyongyang'] } }),
      JSON.stringify({ id: 'ORG-1', schema: 'Organization', properties: { name: ['Korea Kwangson Banking Corp'], country: ['kp'] } }),
    ].join('\n');
    const parsed = parseListFile(text, 'ftm-jsonl');
    expect(parsed).toMatchObject({ ok: true, value: { skipped: 1, malformed: [] } });
    if (!parsed.ok) return;
    expect(parsed.value.entities).toEqual([
      {
        id: 'NK-1', schema: 'Person', names: ['Kim Jong Un'], aliases: ['Kim Jong-un', '김정은', 'Kim Jong Woon'], weakAliases: ['Marshal'],
        birthDates: ['1984-01-08'], countries: ['kp'], datasets: ['un_sc_sanctions'],
      },
      { id: 'ORG-1', schema: 'Organization', names: ['Korea Kwangson Banking Corp'], aliases: [], weakAliases: [], birthDates: [], countries: ['kp'], datasets: [] },
    ]);
  });

  it('reports malformed lines by number and imports the rest', () => {
    const text = [person('A', ['Alpha One']), '{not json', '', JSON.stringify({ id: 'B', schema: 'Person', properties: {} }), '[1,2]', person('A', ['Alpha Again']), person('C', ['Gamma'])].join('\n');
    const parsed = parseListFile(text, 'ftm-jsonl', { ...SCREENING_LIMITS, malformedLinesMax: 10 });
    expect(parsed.ok && parsed.value.entities.map((entity) => entity.id)).toEqual(['A', 'C']);
    expect(parsed.ok && parsed.value.malformed).toEqual([
      { line: 2, code: 'not_json', reason: 'not JSON' },
      { line: 4, code: 'name_missing', reason: 'no name' },
      { line: 5, code: 'not_json_object', reason: 'not a JSON object' },
      { line: 6, code: 'duplicate_entity_id', reason: 'entity id A appears twice' },
    ]);
  });

  it('refuses a whole file that breaks a limit, naming the line', () => {
    const four = [1, 2, 3, 4].map((n) => person(`P${n}`, [`Person ${n}`])).join('\n');
    expect(parseListFile(four, 'ftm-jsonl', small)).toMatchObject({ ok: false, error: 'too_many_entities', line: 4 });
    const manyNames = person('P1', ['A B', 'C D', 'E F'], { alias: ['G H', 'I J'] });
    expect(parseListFile(manyNames, 'ftm-jsonl', small)).toMatchObject({ ok: false, error: 'too_many_names', line: 1 });
    expect(parseListFile('x\ny\nz', 'ftm-jsonl', small)).toMatchObject({ ok: false, error: 'too_many_malformed_lines', line: 3 });
    expect(parseListFile(person('P1', ['x'.repeat(5000)]), 'ftm-jsonl', small)).toMatchObject({ ok: false, error: 'list_file_too_large' });
    expect(parseListFile('\n\n', 'ftm-jsonl')).toMatchObject({ ok: false, error: 'list_file_empty' });
  });

  it('refuses a file over the real size limit before reading a line', () => {
    const oversized = 'x'.repeat(SCREENING_LIMITS.importMaxBytes + 1);
    expect(parseListFile(oversized, 'ftm-jsonl')).toMatchObject({ ok: false, error: 'list_file_too_large' });
  });

  it('treats an overlong name as a malformed line, not as an entity', () => {
    const parsed = parseListFile([person('A', ['y'.repeat(SCREENING_LIMITS.nameMaxLength + 1)]), person('B', ['Bravo'])].join('\n'), 'ftm-jsonl');
    expect(parsed.ok && parsed.value.malformed).toEqual([{ line: 1, code: 'name_too_long', reason: `a name is longer than ${SCREENING_LIMITS.nameMaxLength} characters` }]);
  });
});

describe('reading CSV lists', () => {
  it('reads quoted cells, several values per cell and the usual column names', () => {
    const text = 'Full_Name,Aliases,Nationality,Date_of_Birth,Program,Type\n"SALEK, ABDULHAI","Abdul Hai; A. Salek",AF,1965,UN 1988,person\nAcme Trading,,ir;ae,,OFAC,company\n';
    const parsed = parseListFile(text, 'csv');
    expect(parsed.ok && parsed.value.entities.map(({ id: _id, ...rest }) => rest)).toEqual([
      { schema: 'Person', names: ['SALEK, ABDULHAI'], aliases: ['Abdul Hai', 'A. Salek'], weakAliases: [], birthDates: ['1965'], countries: ['af'], datasets: ['UN 1988'] },
      { schema: 'Company', names: ['Acme Trading'], aliases: [], weakAliases: [], birthDates: [], countries: ['ir', 'ae'], datasets: ['OFAC'] },
    ]);
  });

  it('gives rows without an id the same id on every import', () => {
    const text = 'name,birth_date\nJohn Doe,1970\n';
    const first = parseListFile(text, 'csv');
    const second = parseListFile(text, 'csv');
    expect(first.ok && first.value.entities[0]?.id).toMatch(/^csv-[0-9a-f]{20}$/);
    expect(first.ok && first.value.entities[0]?.id).toBe(second.ok && second.value.entities[0]?.id);
  });

  it('reports rows of the wrong width and broken quotes by line', () => {
    const text = 'id,name\n1,Alpha\n2,Beta,extra\n3,Ga"mma\n4,Delta\n5,"Epsilon\n';
    const parsed = parseListFile(text, 'csv', { ...SCREENING_LIMITS, malformedLinesMax: 10 });
    expect(parsed.ok && parsed.value.entities.map((entity) => entity.names[0])).toEqual(['Alpha', 'Delta']);
    expect(parsed.ok && parsed.value.malformed.map((line) => [line.line, line.code])).toEqual([[3, 'cell_count_mismatch'], [4, 'stray_quote'], [6, 'unclosed_quote']]);
  });

  it('names each unreadable line of FollowTheMoney JSON by a code as well as in words', () => {
    const text = [JSON.stringify({ id: 'A', properties: {} }), JSON.stringify({ id: 'B', schema: 'Person', properties: [] }), JSON.stringify({ id: '', schema: 'Person', properties: { name: ['Bravo'] } }), person('C', ['Charlie'])].join('\n');
    const parsed = parseListFile(text, 'ftm-jsonl', { ...SCREENING_LIMITS, malformedLinesMax: 10 });
    expect(parsed.ok && parsed.value.malformed.map((line) => [line.line, line.code])).toEqual([[1, 'schema_missing'], [2, 'properties_missing'], [3, 'invalid_entity_id']]);
  });

  it('skips only the line of a quote that is never closed and reads the lines after it', () => {
    const text = 'name,country\nAlice One,us\n"Bob Two,us\nCarol Three,us\n""Dan Four"",us\n';
    const parsed = parseListFile(text, 'csv', { ...SCREENING_LIMITS, malformedLinesMax: 10 });
    expect(parsed.ok && parsed.value.entities.map((entity) => entity.names[0])).toEqual(['Alice One', 'Carol Three']);
    expect(parsed.ok && parsed.value.malformed).toEqual([{ line: 3, code: 'unclosed_quote', reason: 'a quoted cell is never closed' }, { line: 5, code: 'stray_quote', reason: 'a quote inside an unquoted cell' }]);
  });

  it('skips only the line of a stray quote when lines end with a carriage return alone', () => {
    const text = 'name,country\rAnn A,us\rBe"n B,us\rCarol C,us\r"Dan D,us\rEve E,us\r';
    const parsed = parseListFile(text, 'csv', { ...SCREENING_LIMITS, malformedLinesMax: 10 });
    expect(parsed.ok && parsed.value.entities.map((entity) => entity.names[0])).toEqual(['Ann A', 'Carol C', 'Eve E']);
    expect(parsed.ok && parsed.value.malformed.map((line) => line.line)).toEqual([3, 5]);
  });

  it('reports a row whose name or alias is over the length limit by its line, and imports the rest', () => {
    const long = 'y'.repeat(SCREENING_LIMITS.nameMaxLength + 1);
    const text = `id,name,aliases\na,${long},\nb,Bravo,"Bee;${long}"\nc,Charlie,\n`;
    const parsed = parseListFile(text, 'csv');
    expect(parsed.ok && parsed.value.entities.map((entity) => entity.id)).toEqual(['c']);
    expect(parsed.ok && parsed.value.malformed).toEqual([
      { line: 2, code: 'name_too_long', reason: `a name is longer than ${SCREENING_LIMITS.nameMaxLength} characters` },
      { line: 3, code: 'name_too_long', reason: `a name is longer than ${SCREENING_LIMITS.nameMaxLength} characters` },
    ]);
  });

  it('needs a name column', () => {
    expect(parseListFile('id,country\n1,cn\n', 'csv')).toMatchObject({ ok: false, error: 'csv_header_missing_name', line: 1 });
  });

  it('keeps line numbers right across quoted line breaks and CRLF', () => {
    const records = [...readCsv('a,b\r\n"multi\nline",x\r\nlast,y\r\n')];
    expect(records).toEqual([{ line: 1, cells: ['a', 'b'] }, { line: 2, cells: ['multi\nline', 'x'] }, { line: 4, cells: ['last', 'y'] }]);
  });
});
